import BackstopPostgres
import Foundation
import Logging
import Synchronization

/// New-work hints between publishers and idle consumers.
///
/// LISTEN/NOTIFY is used only as a debounced hint (design D6): each process sends at most one
/// `NOTIFY backstop_wake` per ``debounce`` window, from its own connection and outside the publishing
/// transactions, so notifications never serialise commits. Consumers in the same process are woken
/// directly. A listener connection that breaks is re-established and wakes everyone, and consumers
/// poll anyway, so a lost hint costs at most one poll interval.
final class WakeHub: Sendable {
    static let channel = "backstop_wake"
    private let doorbells = Mutex<[ObjectIdentifier: Doorbell]>([:])
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

    /// Registers a consumer's doorbell; starts listening on first use.
    func register(_ doorbell: Doorbell) {
        doorbells.withLock { $0[ObjectIdentifier(doorbell)] = doorbell }
        startListening()
    }

    /// Removes a consumer's doorbell.
    func unregister(_ doorbell: Doorbell) {
        _ = doorbells.withLock { $0.removeValue(forKey: ObjectIdentifier(doorbell)) }
    }

    /// Called after events were committed: wake local consumers now, others through NOTIFY.
    func published() {
        ringAll()
        Task { await notifier.signal() }
    }

    func ringAll() {
        for bell in doorbells.withLock({ Array($0.values) }) { bell.ring() }
    }

    private func startListening() {
        let fresh = listener.withLock { l -> Listener? in
            guard l == nil else { return nil }
            l = Listener(conninfo: conninfo, channels: [Self.channel], logger: logger)
            return l
        }
        guard let fresh else { return }
        let task = Task { [weak self] in
            for await _ in fresh.notifications { self?.ringAll() }
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

/// Sends `NOTIFY backstop_wake` at most once per debounce window: the first signal goes out at once,
/// signals during the window collapse into one trailing notification.
actor Notifier {
    private let conninfo: String
    private let debounce: Duration
    private let logger: Logger
    private var connection: Connection?
    private var lastSent: ContinuousClock.Instant?
    private var sending = false
    private var pending = false

    init(conninfo: String, debounce: Duration, logger: Logger) {
        self.conninfo = conninfo
        self.debounce = debounce
        self.logger = logger
    }

    func signal() async {
        if sending { pending = true; return }
        sending = true
        defer { sending = false }
        var again = true
        while again {
            if let lastSent {
                let wait = lastSent + debounce - ContinuousClock.now
                if wait > .zero { try? await Task.sleep(for: wait) }
            }
            pending = false
            await send()
            lastSent = ContinuousClock.now
            again = pending
        }
    }

    private func send() async {
        do {
            if connection == nil || connection?.isBroken == true {
                await connection?.close()
                connection = try await Connection.connect(conninfo, logger: logger)
            }
            try await connection?.query(prepared: "backstop_notify", BusSQL.shared.notify)
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
