import BackstopPostgres
import Foundation
import Testing

@Suite("organisations, keys and audit from the CLI")
struct AccessCLITests {
    @Test func anOrganisationGetsAKeyShownOnceThatCanBeRotatedAndRevoked() async throws {
        let cli = try await CLI.make()
        #expect(try await cli.run(["migrate"]).status == 0)
        let added = try await cli.run(["org", "add", "ngo-county-charity", "--kind", "social_org", "--name", "County Charity Federation", "--district", "510703"])
        #expect(added.status == 0, "\(added.stderr)")
        let issued = try await cli.run(["key", "issue", "ngo-county-charity"])
        let secret = issued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(issued.status == 0 && secret.hasPrefix("bk_") && secret.count == 67, "\(issued.stdout)")
        #expect(issued.stderr.contains("shown only now"))
        // Lists never show the secret.
        let keys = try await cli.run(["key", "list", "ngo-county-charity"])
        #expect(keys.stdout.contains(String(secret.prefix(11))) && !keys.stdout.contains(secret))
        #expect(try await cli.count("SELECT count(*) FROM backstop.api_keys WHERE hash = encode(sha256(convert_to('\(secret)', 'UTF8')), 'hex')") == 1)

        let rotated = try await cli.run(["key", "rotate", "ngo-county-charity"])
        #expect(rotated.status == 0 && rotated.stderr.contains("1 old key(s) revoked"))
        let newSecret = rotated.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(newSecret != secret && newSecret.hasPrefix("bk_"))
        let revoked = try await cli.run(["key", "revoke", String(newSecret.prefix(11))])
        #expect(revoked.status == 0 && revoked.stdout.contains("revoked"))
        let again = try await cli.run(["key", "revoke", String(newSecret.prefix(11))])
        #expect(again.status != 0 && again.stderr.contains("no active key"))
        #expect(try await cli.count("SELECT count(*) FROM backstop.api_keys WHERE revoked_at IS NULL") == 0)

        let disabled = try await cli.run(["org", "disable", "ngo-county-charity"])
        #expect(disabled.status == 0)
        let refused = try await cli.run(["key", "issue", "ngo-county-charity"])
        #expect(refused.status != 0 && refused.stderr.contains("no enabled organisation"))
        let list = try await cli.run(["org", "list"])
        #expect(list.stdout.contains(#""disabled":true"#) && list.stdout.contains(#""kind":"social_org""#))
    }

    @Test(arguments: [
        (["org", "add", "Bad Id", "--kind", "enterprise", "--name", "X", "--district", "510703"], "id: must be"),
        (["org", "add", "ent-x", "--kind", "bank", "--name", "X", "--district", "510703"], "'bank' is invalid"),
        (["org", "add", "ent-x", "--kind", "enterprise", "--name", "X", "--district", "51-07"], "district: must be"),
        (["audit", "--since", "yesterday"], "--since must be an RFC 3339 time"),
        (["audit", "--limit", "0"], "--limit must be between 1 and 10000"),
    ])
    func badArgumentsChangeNothing(arguments: [String], message: String) async throws {
        let cli = try await CLI.make()
        #expect(try await cli.run(["migrate"]).status == 0)
        let result = try await cli.run(arguments)
        #expect(result.status != 0)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(try await cli.count("SELECT count(*) FROM backstop.organisations") == 0)
    }

    @Test func aDuplicateOrganisationIsRefused() async throws {
        let cli = try await CLI.make()
        #expect(try await cli.run(["migrate"]).status == 0)
        #expect(try await cli.run(["org", "add", "dept-health", "--kind", "department", "--name", "Health", "--district", "510703"]).status == 0)
        let again = try await cli.run(["org", "add", "dept-health", "--kind", "enterprise", "--name", "Impostor", "--district", "510703"])
        #expect(again.status != 0 && again.stderr.contains("already exists"))
        #expect(try await cli.count("SELECT count(*) FROM backstop.organisations WHERE kind = 'department'") == 1)
        let audit = try await cli.run(["audit"])
        #expect(audit.status == 0 && audit.stdout.isEmpty)
    }
}
