import Synchronization

/// A wake-up signal one consumer waits on: rung by new-work hints, by its own acknowledgements, or
/// by a timeout (the polling fallback).
final class Doorbell: Sendable {
    private struct State {
        var rings: UInt64 = 0
        var waiter: CheckedContinuation<Void, Never>?
    }
    private let state = Mutex(State())

    /// The number of rings so far; pass it to ``wait(after:timeout:)`` to not miss one that comes
    /// in between.
    var rings: UInt64 { state.withLock { $0.rings } }

    /// Wakes the waiter, if any, and counts the ring.
    func ring() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.rings &+= 1
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    /// Returns when rung after `seen`, or after `timeout`, or on cancellation.
    func wait(after seen: UInt64, timeout: Duration) async {
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
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
    }
}
