import Synchronization

/// A wake-up signal one consumer waits on.
///
/// A consumer *arms* its doorbell before it claims; the hub rings only armed doorbells, and only as
/// many as there are new events, so one published event wakes one idle consumer rather than all of
/// them (a thundering herd of empty claims costs the database more than the work itself). A ring
/// that arrives while the consumer is still claiming is counted, so it is never lost.
final class Doorbell: Sendable {
    private struct State {
        var rings: UInt64 = 0
        var armed = false
        var waiter: CheckedContinuation<Void, Never>?
    }
    private let state = Mutex(State())

    /// Declares interest in the next ring and returns the ring count to wait past.
    func arm() -> UInt64 {
        state.withLock { s in
            s.armed = true
            return s.rings
        }
    }

    /// Withdraws interest (the consumer is busy with a full batch).
    func disarm() {
        state.withLock { $0.armed = false }
    }

    /// Rings if armed; returns whether it did.
    @discardableResult
    func ringIfArmed() -> Bool {
        let (rang, waiter) = state.withLock { s -> (Bool, CheckedContinuation<Void, Never>?) in
            guard s.armed else { return (false, nil) }
            s.armed = false
            s.rings &+= 1
            defer { s.waiter = nil }
            return (true, s.waiter)
        }
        waiter?.resume()
        return rang
    }

    /// Rings whether armed or not (timeouts, cancellation, reconnects).
    func ring() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.rings &+= 1
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    /// Returns when rung after `seen` (true), or after `timeout` or on cancellation (false).
    @discardableResult
    func wait(after seen: UInt64, timeout: Duration) async -> Bool {
        let timedOut = TimeoutFlag()
        let timer = Task { [weak self] in
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            timedOut.set()
            self?.ring()
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.rings != seen { return true }
                    s.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            self.ring()
        }
        timer.cancel()
        return !timedOut.value && !Task.isCancelled
    }
}

/// Set once by a doorbell's timer when the wait ran out.
private final class TimeoutFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    var value: Bool { flag.load(ordering: .acquiring) }
    func set() { flag.store(true, ordering: .releasing) }
}
