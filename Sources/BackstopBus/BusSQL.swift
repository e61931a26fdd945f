import Foundation

/// The statements the bus runs, from the `.sql` files beside this code (River's layout), which the
/// SQLEmbedPlugin build plugin compiles into the binary.
///
/// Most of the queue's logic lives in SQL functions created by the migrations; these are the thin
/// calls into them. Every value travels as a bound parameter.
struct BusSQL: Sendable {
    let publish: String
    let publishLookup: String
    let claim: String
    let nack: String
    let extend: String
    let subscriptionCreate: String
    let subscriptionUpdate: String
    let subscriptionList: String
    let subscriptionDelete: String
    let deadLetters: String
    let redrive: String
    let status: String
    let maintain: String
    let notify: String

    static let shared: BusSQL = {
        do { return try BusSQL() } catch { fatalError("BackstopBus resources are incomplete: \(error)") }
    }()

    private init() throws {
        func load(_ name: String) throws -> String {
            guard let text = EmbeddedSQL.files["SQL/\(name).sql"] else {
                throw MigrationError("SQL/\(name).sql was not embedded in BackstopBus")
            }
            return text
        }
        publish = try load("publish")
        publishLookup = try load("publish_lookup")
        claim = try load("claim")
        nack = try load("nack")
        extend = try load("extend")
        subscriptionCreate = try load("subscription_create")
        subscriptionUpdate = try load("subscription_update")
        subscriptionList = try load("subscription_list")
        subscriptionDelete = try load("subscription_delete")
        deadLetters = try load("dead_letters")
        redrive = try load("redrive")
        status = try load("status")
        maintain = try load("maintain")
        notify = try load("notify")
    }
}
