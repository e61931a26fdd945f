import BackstopPostgres
import Foundation
import Logging
import Synchronization

/// New-work hints between publishers and idle consumers.
///
/// LISTEN/NOTIFY is used only as a debounced hint (design D6): each process sends at most one
/// `NOTIFY backstop_wake` per debounce window, from its own connection and outside the publishing
/// transactions, so notifications never serialise commits. The payload names the subscriptions that
/// received events and how many (`id:count,…`), so each process wakes just enough idle consumers.
/// Consumers in the publishing process are woken directly. A listener connection that breaks is
/// re-established and then wakes everyone, as it does when it first starts listening (a consumer
/// that registered before that may have missed hints); consumers poll anyway, so a lost hint costs
/// at most one poll interval.
final class WakeHub: Sendable {
    static let channel = "backstop_wake"
    private let doorbells = Mutex<[Int64: [ObjectIdentifier: Doorbell]]>([:])
    private let listener: Mutex<Listener?> = Mutex(nil)
    private let listenTask: Mutex<Task<Void, Never>?> = Mutex(nil)
    private let notifier: Notifier
    private let conninfo: String
    private let logger: Logger

    init(conninfo: String, debounce: Duration, logger: Logger) {
        notifier = Notifier(conninfo: conninfo, debounce: debounce, logger: logger)
        self.conninfo = conninfo
        self.logger = logger
    }

    /// Registers a consumer's doorbell for a subscription; starts listening on first use.
    func register(_ doorbell: Doorbell, subscription: Int64) {
        doorbells.withLock { $0[subscription, default: [:]][ObjectIdentifier(doorbell)] = doorbell }
        startListening()
    }

    /// Removes a consumer's doorbell.
    func unregister(_ doorbell: Doorbell, subscription: Int64) {
        doorbells.withLock { _ = $0[subscription]?.removeValue(forKey: ObjectIdentifier(doorbell)) }
    }

    /// Called after events were committed: wakes local consumers now, other processes via NOTIFY.
    /// `counts` maps subscription id to the number of new deliveries; nil means "unknown: wake one
    /// consumer of every subscription".
    func published(_ counts: [Int64: Int]?) {
        wake(counts)
        Task { await notifier.signal(counts) }
    }

    /// Rings up to `count` armed doorbells of each subscription (one of each when `counts` is nil).
    func wake(_ counts: [Int64: Int]?) {
        let bells = doorbells.withLock { all -> [(Int, [Doorbell])] in
            if let counts {
                return counts.compactMap { id, n in all[id].map { (n, Array($0.values)) } }
            }
            return all.values.map { (1, Array($0.values)) }
        }
        for (count, group) in bells {
            var remaining = count
            for bell in group.shuffled() where remaining > 0 {
                if bell.ringIfArmed() { remaining -= 1 }
            }
        }
    }

    /// Rings every doorbell (after a reconnect, when hints may have been lost).
    func ringAll() {
        for bell in doorbells.withLock({ $0.values.flatMap(\.values) }) { bell.ring() }
    }

    private func startListening() {
        let fresh = listener.withLock { l -> Listener? in
            guard l == nil else { return nil }
            // Consumers registered before LISTEN took effect may have missed hints: ring them then.
            l = Listener(conninfo: conninfo, channels: [Self.channel], announceFirstListen: true, logger: logger)
            return l
        }
        guard let fresh else { return }
        let notifier = self.notifier
        let task = Task { [weak self] in
            for await note in fresh.notifications {
                guard let self else { return }
                if note.isConnectionLoss {
                    self.ringAll()
                } else if await note.processID != notifier.backendPID {
                    self.wake(WakePayload.decode(note.payload))
                }
            }
        }
        listenTask.withLock { $0 = task }
    }

    /// Stops listening.
    func close() async {
        listener.withLock { $0?.stop(); $0 = nil }
        listenTask.withLock { $0?.cancel() }
        await notifier.close()
    }
}

/// The NOTIFY payload: `id:count` pairs, comma-separated; empty means "wake one of each".
enum WakePayload {
    /// PostgreSQL refuses payloads of 8000 bytes or more.
    static let limit = 7900

    static func encode(_ counts: [Int64: Int]?) -> String {
        guard let counts else { return "" }
        let text = counts.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ",")
        return text.utf8.count < limit ? text : ""
    }

    static func decode(_ payload: String) -> [Int64: Int]? {
        guard !payload.isEmpty else { return nil }
        var out: [Int64: Int] = [:]
        for pair in payload.split(separator: ",") {
            let parts = pair.split(separator: ":")
            guard parts.count == 2, let id = Int64(parts[0]), let n = Int(parts[1]) else { return nil }
            out[id, default: 0] += n
        }
        return out
    }

    /// Adds `more` into `into`; nil ("everything") absorbs anything.
    static func merge(_ into: [Int64: Int]?, _ more: [Int64: Int]?) -> [Int64: Int]? {
        guard var into, let more else { return nil }
        for (id, n) in more { into[id, default: 0] += n }
        return into
    }
}

/// Sends `NOTIFY backstop_wake` at most once per debounce window: the first signal goes out at once,
/// signals during the window are merged into one trailing notification.
actor Notifier {
    private let conninfo: String
    private let debounce: Duration
    private let logger: Logger
    private var connection: Connection?
    private var lastSent: ContinuousClock.Instant?
    private var sending = false
    private var pending: [Int64: Int]? = [:]
    private var hasPending = false
    /// The backend process of the notifying connection, so this process ignores its own echo.
    private(set) var backendPID = -1

    init(conninfo: String, debounce: Duration, logger: Logger) {
        self.conninfo = conninfo
        self.debounce = debounce
        self.logger = logger
    }

    func signal(_ counts: [Int64: Int]?) async {
        pending = hasPending ? WakePayload.merge(pending, counts) : counts
        hasPending = true
        if sending { return }
        sending = true
        defer { sending = false }
        while hasPending {
            if let lastSent {
                let wait = lastSent + debounce - ContinuousClock.now
                if wait > .zero { try? await Task.sleep(for: wait) }
            }
            let payload = WakePayload.encode(pending)
            pending = [:]
            hasPending = false
            await send(payload)
            lastSent = ContinuousClock.now
        }
    }

    private func send(_ payload: String) async {
        do {
            if connection == nil || connection?.isBroken == true {
                await connection?.close()
                let fresh = try await Connection.connect(conninfo, logger: logger)
                backendPID = try await fresh.query("SELECT pg_backend_pid()").first!.decode(Int.self, at: 0)
                connection = fresh
            }
            try await connection?.query(prepared: "backstop_notify", BusSQL.shared.notify, [payload])
        } catch {
            // A lost hint only delays consumers until their next poll.
            logger.debug("wake-up NOTIFY failed: \(error)")
            await connection?.close()
            connection = nil
        }
    }

    func close() async {
        await connection?.close()
        connection = nil
    }
}
