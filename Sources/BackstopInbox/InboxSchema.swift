import BackstopAccess
import BackstopBus

/// The tables of organisations' subscriptions and inboxes, as migrations numbered from 3001,
/// after the access tables they build on.
public enum InboxSchema {
    /// The inbox migrations, ordered by version.
    public static func migrations() throws -> [Migration] {
        try Migration.parse(files: EmbeddedSQL.files)
    }

    /// The access and inbox migrations together (what a stakeholder service needs beyond the bus).
    public static func withAccess() throws -> [Migration] {
        try AccessSchema.migrations() + migrations()
    }
}

/// The inbox module's SQL statements.
struct InboxSQL: Sendable {
    let route = EmbeddedSQL.statement("route")
    let list = EmbeddedSQL.statement("inbox_list")
    let ack = EmbeddedSQL.statement("inbox_ack")
    let subscriptionPut = EmbeddedSQL.statement("subscription_put")
    let subscriptionList = EmbeddedSQL.statement("subscription_list")
    let subscriptionDelete = EmbeddedSQL.statement("subscription_delete")
    let webhookPut = EmbeddedSQL.statement("webhook_put")
    let webhookRotate = EmbeddedSQL.statement("webhook_rotate")
    let webhookDelete = EmbeddedSQL.statement("webhook_delete")
    let webhookGet = EmbeddedSQL.statement("webhook_get")
    let webhookActive = EmbeddedSQL.statement("webhook_active")
}
