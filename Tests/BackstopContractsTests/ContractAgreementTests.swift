import BackstopContracts
import BackstopContractsCodegen
import Foundation
import Testing
import Yams

/// The contract files and the Swift code agree: examples, round trips, the independent validator,
/// AsyncAPI channels, and the generated files.
@Suite("contracts: files and code agree")
struct ContractAgreementTests {
    @Test func everyCataloguedTypeHasASchemaFileAndExamples() throws {
        let types = Contracts.schemaTypes
        #expect(types.count >= 36)
        #expect(EventCatalogue.standard.types == types)
        for type in types {
            let examples = Contracts.examples.filter { $0.folder == type }
            #expect(examples.filter(\.valid).count >= 3, "\(type): at least 3 valid examples")
            #expect(examples.filter { !$0.valid }.count >= 5, "\(type): at least 5 invalid examples")
        }
        let folders = Set(Contracts.examples.map(\.folder))
        #expect(folders.subtracting(types) == ["envelope"], "example folders without a schema")
    }

    @Test func theSwiftVerdictOnEveryExampleIsTheExpectedOne() {
        #expect(Contracts.examples.count > 36 * 8)
        for example in Contracts.examples {
            let problems = Contracts.violations(example.value)
            if example.valid {
                #expect(problems.isEmpty, "\(example) should be valid: \(problems)")
            } else {
                // Each invalid example breaks exactly one rule, and the validator names it once.
                #expect(problems.count == 1, "\(example) should break exactly one rule: \(problems)")
            }
            if example.folder != "envelope" {
                #expect(example.value.objectValue?["type"] == .string(example.folder), "\(example): type matches its folder")
            }
        }
    }

    @Test func validExamplesRoundTripThroughTheirSwiftTypes() throws {
        for example in Contracts.examples where example.valid && example.folder != "envelope" {
            let event = try EnvelopeValidation.parse(example.value)
            let contract = try #require(EventCatalogue.standard.contract(for: event.type))
            let decoded = try contract.payloadType.init(from: event)
            #expect(decoded.json == event.data, "\(example) does not round-trip")
        }
    }

    @Test func readersTolerateFieldsFromANewerMinorVersion() throws {
        var data = try #require(JobOfferedV1.sample.json.objectValue)
        data["shift_pattern"] = .string("two_shifts")  // added by a newer producer
        var event = CloudEvent(source: "/orgs/ent-lvyuan-foods", payload: JobOfferedV1.sample)
        event.data = .object(data)
        #expect(try JobOfferedV1(from: event) == JobOfferedV1.sample)
        // Publishing it against the older schema is refused, naming the field.
        #expect(EventCatalogue.standard.contract(for: JobOfferedV1.eventType)?.violations(of: event).map(\.field) == ["/data/shift_pattern"])
    }

    @Test func samplesTheSwiftCodeEmitsPassTheIndependentValidator() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("backstop-samples-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        for type in EventCatalogue.standard.types {
            let contract = try #require(EventCatalogue.standard.contract(for: type))
            let event = CloudEvent(source: "/orgs/coordinator", payload: contract.payloadType.sample)
            #expect(EventCatalogue.standard.contract(for: type)!.violations(of: event).isEmpty, "\(type): Swift rejects its own sample")
            let dataFile = scratch.appendingPathComponent("\(type).data.json")
            let envelopeFile = scratch.appendingPathComponent("\(type).event.json")
            try JSONText.encode(event.data).write(to: dataFile, atomically: true, encoding: .utf8)
            try event.jsonText().write(to: envelopeFile, atomically: true, encoding: .utf8)
            let failing = try CheckJSONSchema.failingFiles(schema: Contracts.root.appendingPathComponent("events/\(type).schema.json"),
                                                           instances: [dataFile])
            #expect(failing.isEmpty, "\(type): check-jsonschema rejects the Swift sample")
        }
        let envelopes = try FileManager.default.contentsOfDirectory(at: scratch, includingPropertiesForKeys: nil)
            .filter { $0.lastPathComponent.hasSuffix(".event.json") }
        #expect(envelopes.count == EventCatalogue.standard.types.count)
        let failing = try CheckJSONSchema.failingFiles(schema: Contracts.root.appendingPathComponent("envelope.schema.json"), instances: envelopes)
        #expect(failing.isEmpty, "envelopes emitted by Swift rejected: \(failing)")
    }

    @Test func theIndependentValidatorAgreesOnEveryExample() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("backstop-examples-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        // Payloads against their type's schema.
        for type in Contracts.schemaTypes {
            var expected: [URL: Bool] = [:]
            for example in Contracts.examples where example.folder == type {
                let file = scratch.appendingPathComponent("\(type)-\(example.valid ? "valid" : "invalid")-\(example.url.lastPathComponent)")
                try JSONText.encode(example.value.objectValue?["data"] ?? .null).write(to: file, atomically: true, encoding: .utf8)
                expected[file] = example.valid
            }
            let failing = try CheckJSONSchema.failingFiles(schema: Contracts.root.appendingPathComponent("events/\(type).schema.json"),
                                                           instances: Array(expected.keys))
            for (file, valid) in expected {
                #expect(failing.contains(file.path) == !valid, "check-jsonschema disagrees on \(file.lastPathComponent)")
            }
        }
        // Whole envelopes against the envelope schema: every event example has a valid envelope.
        let all = Contracts.examples.map(\.url)
        let failing = try CheckJSONSchema.failingFiles(schema: Contracts.root.appendingPathComponent("envelope.schema.json"), instances: all)
        for example in Contracts.examples {
            let expectedFailure = example.folder == "envelope" && !example.valid
            #expect(failing.contains(example.url.path) == expectedFailure, "check-jsonschema disagrees on the envelope of \(example)")
        }
    }

    @Test func everySchemaIsValidDraft202012() throws {
        let files = [Contracts.root.appendingPathComponent("envelope.schema.json")]
            + Contracts.schemaTypes.map { Contracts.root.appendingPathComponent("events/\($0).schema.json") }
        let outcome = try CheckJSONSchema.run(["--check-metaschema"] + files.map(\.path))
        #expect(outcome.status == 0, "\(outcome.output)")
        #expect(outcome.output.contains("ok"))
    }

    @Test func asyncAPIChannelsMatchSchemasAndTheRegistry() throws {
        let text = try String(contentsOf: Contracts.root.appendingPathComponent("asyncapi.yaml"), encoding: .utf8)
        let document = try #require(try Yams.load(yaml: text) as? [String: Any])
        #expect(document["asyncapi"] as? String == "3.0.0")
        let channels = try #require(document["channels"] as? [String: [String: Any]])
        let messages = try #require((document["components"] as? [String: Any])?["messages"] as? [String: [String: Any]])
        var addresses: [String] = []
        for (id, channel) in channels {
            let address = try #require(channel["address"] as? String)
            addresses.append(address)
            let contract = try #require(EventCatalogue.standard.contract(for: address), "channel \(id) has no contract")
            #expect(channel["x-backstop-publishers"] as? [String] == contract.publishers.map(\.rawValue))
            #expect(channel["x-backstop-subscribers"] as? [String] == contract.subscribers.map(\.rawValue))
            #expect(channel["x-backstop-sensitivity"] as? String == contract.sensitivity.rawValue)
            let message = try #require(messages[id])
            let schema = (message["payload"] as? [String: Any])?["schema"] as? [String: Any]
            let parts = schema?["allOf"] as? [[String: Any]]
            let data = (parts?.last?["properties"] as? [String: Any])?["data"] as? [String: Any]
            let ref = try #require(data?["$ref"] as? String)
            #expect(FileManager.default.fileExists(atPath: Contracts.root.appendingPathComponent(ref).path), "\(id): \(ref) is missing")
            #expect(ref == "./events/\(address).schema.json")
        }
        #expect(addresses.sorted() == Contracts.schemaTypes)
    }

    @Test func generatedFilesAreUpToDate() throws {
        let files = try ContractFiles(root: Contracts.root).generatedFiles()
        #expect(files.count == 3)
        for (path, expected) in files {
            let current = try? String(contentsOf: Contracts.packageRoot.appendingPathComponent(path), encoding: .utf8)
            #expect(current == expected, "\(path) is out of date: run `swift run backstop contracts generate`")
        }
    }
}
