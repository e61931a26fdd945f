import ArgumentParser
import BackstopAccess
import BackstopBus
import BackstopContracts
import BackstopPostgres
import Foundation

extension OrganisationKind: ExpressibleByArgument {}

/// Runs `body` with the access registry of the configured database, closing everything after.
private func withAccess<T>(_ database: DatabaseOptions, _ body: (OrganisationRegistry, AuditLog) async throws -> T) async throws -> T {
    let db = try await database.open()
    let pool = ConnectionPool(.init(conninfo: db.conninfo, maximumConnections: 2, connectTimeout: .seconds(3)))
    do {
        let result = try await body(OrganisationRegistry(pool: pool), AuditLog(pool: pool))
        await pool.close()
        await db.close()
        return result
    } catch let error as AccessError {
        await pool.close()
        await db.close()
        throw CLIError(error.description)
    } catch {
        await pool.close()
        await db.close()
        throw error
    }
}

/// `backstop org …`
struct OrganisationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "org", abstract: "Register, list and disable organisations.",
                                                    subcommands: [Add.self, List.self, Disable.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register an organisation.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "Its id: lowercase letters, digits and hyphens (dept-health, ent-lvyuan-foods).") var id: String
        @Option(help: "Its kind: \(OrganisationKind.allCases.map(\.rawValue).joined(separator: ", ")).") var kind: OrganisationKind
        @Option(help: "Its name.") var name: String
        @Option(help: "Its division code (6, 9 or 12 digits).") var district: String

        func validate() throws {
            let problems = Organisation.problems(id: id, name: name, districtCode: district)
            if !problems.isEmpty { throw ValidationError(problems.map(\.description).joined(separator: "; ")) }
        }

        func run() async throws {
            _ = CLILog.logger
            let org = try await withAccess(database) { registry, _ in
                try await registry.add(id: id, kind: kind, name: name, districtCode: district)
            }
            emit("registered \(org.id) (\(org.kind.rawValue), \(org.districtCode)); issue a key with: backstop key issue \(org.id)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List organisations and their active keys.")
        @OptionGroup var database: DatabaseOptions
        @Option(help: "Only this kind.") var kind: OrganisationKind?

        func run() async throws {
            _ = CLILog.logger
            let orgs = try await withAccess(database) { registry, _ in try await registry.list(kind: kind) }
            for org in orgs {
                emit(jsonLine(["id": org.id, "kind": org.kind.rawValue, "name": org.name, "district": org.districtCode,
                               "active_keys": org.activeKeys, "disabled": org.disabledAt != nil]))
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable an organisation: its keys stop working at once.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The organisation id.") var id: String

        func run() async throws {
            _ = CLILog.logger
            try await withAccess(database) { registry, _ in try await registry.disable(id) }
            emit("disabled \(id)")
        }
    }
}

/// `backstop key …`
struct KeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key", abstract: "Issue, list, revoke and rotate API keys.",
        discussion: "A key is shown once, when it is issued; Backstop keeps only its SHA-256 hash.",
        subcommands: [Issue.self, List.self, Revoke.self, Rotate.self])

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue a new key for an organisation (printed once).")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The organisation id.") var organisation: String

        func run() async throws {
            _ = CLILog.logger
            let key = try await withAccess(database) { registry, _ in try await registry.issueKey(for: organisation) }
            emit(key.secret)
            warn("key \(key.prefix)… issued for \(organisation); it is shown only now — store it, then send it as Authorization: Bearer <key>")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (never their secrets).")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "Only this organisation's keys.") var organisation: String?

        func run() async throws {
            _ = CLILog.logger
            let keys = try await withAccess(database) { registry, _ in try await registry.keys(of: organisation) }
            for key in keys {
                emit(jsonLine(["prefix": key.prefix, "organisation": key.organisation, "id": key.id, "created_at": EventTime.format(key.createdAt),
                               "revoked": key.revokedAt != nil, "last_used_at": key.lastUsedAt.map(EventTime.format) ?? ""]))
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key by its prefix (bk_ and 8 characters) or id.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The key's prefix or id.") var key: String

        func run() async throws {
            _ = CLILog.logger
            let organisation = try await withAccess(database) { registry, _ in try await registry.revokeKey(key) }
            emit("revoked \(key) of \(organisation)")
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Replace all of an organisation's keys with one new key (printed once).")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The organisation id.") var organisation: String

        func run() async throws {
            _ = CLILog.logger
            let (key, revoked) = try await withAccess(database) { registry, _ in try await registry.rotateKeys(of: organisation) }
            emit(key.secret)
            warn("key \(key.prefix)… issued for \(organisation), \(revoked) old key(s) revoked; the new key is shown only now")
        }
    }
}

/// `backstop audit`
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Show who read sensitive fields, when, and for what purpose.")
    @OptionGroup var database: DatabaseOptions
    @Option(help: "Only reads by this organisation.") var org: String?
    @Option(help: "Only reads at or after this time (RFC 3339).") var since: String?
    @Option(help: "At most this many entries (1–10000), newest first.") var limit = 100

    func validate() throws {
        guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be between 1 and 10000") }
        if let since, EventTime.parse(since) == nil { throw ValidationError("--since must be an RFC 3339 time such as 2026-11-01T00:00:00Z") }
    }

    func run() async throws {
        _ = CLILog.logger
        let entries = try await withAccess(database) { _, audit in
            try await audit.entries(organisation: org, since: since.flatMap(EventTime.parse), limit: limit)
        }
        for entry in entries {
            emit(jsonLine(["at": EventTime.format(entry.at), "organisation": entry.organisation, "action": entry.action,
                           "event_type": entry.eventType, "event_id": entry.eventID, "fields": entry.fields.joined(separator: ","),
                           "purpose": entry.purpose.rawValue]))
        }
    }
}
