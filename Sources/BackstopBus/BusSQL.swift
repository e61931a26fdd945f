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

    static let shared = BusSQL()

    private init() {
        func load(_ name: String) -> String { EmbeddedSQL.statement(name) }
        publish = load("publish")
        publishLookup = load("publish_lookup")
        claim = load("claim")
        nack = load("nack")
        extend = load("extend")
        subscriptionCreate = load("subscription_create")
        subscriptionUpdate = load("subscription_update")
        subscriptionList = load("subscription_list")
        subscriptionDelete = load("subscription_delete")
        deadLetters = load("dead_letters")
        redrive = load("redrive")
        status = load("status")
        maintain = load("maintain")
        notify = load("notify")
    }
}
