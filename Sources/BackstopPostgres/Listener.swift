import Foundation
import Logging
import Synchronization

/// LISTEN as an `AsyncSequence`: notifications on a set of channels, on a dedicated connection.
///
/// When the connection breaks (for example the server restarts), the listener reconnects with
/// exponential backoff, issues LISTEN again for every channel, and then yields one notification with
/// ``PostgresNotification/isConnectionLoss`` set, because anything sent meanwhile was lost. Treat
/// notifications as hints and re-check state when woken.
///
/// ```swift
/// let listener = Listener(conninfo: url, channels: ["backstop_wake"])
/// for await note in listener.notifications { … }
/// ```
public final class Listener: Sendable {
    /// The notifications, in arrival order. Finishes when ``stop()`` is called.
    public let notifications: AsyncStream<PostgresNotification>
    private let continuation: AsyncStream<PostgresNotification>.Continuation
    private let task: Mutex<Task<Void, Never>?> = Mutex(nil)

    /// Starts listening on `channels`; connection failures are retried in the background. With
    /// `announceFirstListen`, the re-check notice also comes once LISTEN first takes effect: for a
    /// caller that registered interest earlier, anything sent before that moment was missed too.
    public init(conninfo: String, channels: [String], announceFirstListen: Bool = false,
                logger: Logger = Logger(label: "backstop.listener")) {
        (notifications, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1024))
        let continuation = self.continuation
        let runner = Task {
            var delay = Duration.milliseconds(25)
            var announce = announceFirstListen  // after any reconnect, and first too if asked
            while !Task.isCancelled {
                do {
                    let connection = try await Connection.connect(conninfo, logger: logger)
                    let (lost, lostSignal) = AsyncStream<Void>.makeStream()
                    do {
                        try await connection.startListening(channels) { note in
                            if note.isConnectionLoss { lostSignal.yield(); lostSignal.finish() } else { continuation.yield(note) }
                        }
                    } catch {
                        // For example a standby in recovery refuses LISTEN: do not leak the session.
                        await connection.close()
                        throw error
                    }
                    if announce {
                        continuation.yield(PostgresNotification(channel: "", payload: "", processID: 0, isConnectionLoss: true))
                    }
                    announce = true
                    delay = .milliseconds(25)
                    await withTaskCancellationHandler {
                        for await _ in lost { break }
                    } onCancel: {
                        lostSignal.finish()
                    }
                    await connection.close()
                    if !Task.isCancelled { logger.info("listener connection lost; reconnecting") }
                } catch {
                    logger.debug("listener connect failed: \(error); retrying in \(delay)")
                    try? await Task.sleep(for: delay)
                    delay = min(delay * 2, .seconds(2))
                }
            }
            continuation.finish()
        }
        task.withLock { $0 = runner }
    }

    /// Stops listening and finishes ``notifications``.
    public func stop() {
        task.withLock { $0?.cancel() }
    }

    deinit { stop() }
}
