import Synchronization

/// Rung after new items reach inboxes in this process, so streams waiting for them look at once
/// (items routed by another process are found by the streams' polling).
public final class InboxBell: Sendable {
    private struct State {
        var rings: UInt64 = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var released: Set<Int> = []
        var nextWaiter = 0
    }
    private let state = Mutex(State())

    /// A bell nobody has rung.
    public init() {}

    /// The number of rings so far: pass it to ``wait(after:timeout:)``.
    public var rings: UInt64 { state.withLock { $0.rings } }

    /// Wakes every waiter.
    public func ring() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.rings &+= 1
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the bell has rung more than `seen` times, after `timeout`, or on cancellation.
    public func wait(after seen: UInt64, timeout: Duration) async {
        let id = state.withLock { s -> Int in
            s.nextWaiter += 1
            return s.nextWaiter
        }
        let timer = Task { [weak self] in
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            self?.release(id)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    if s.rings != seen || Task.isCancelled || s.released.remove(id) != nil { return true }
                    s.waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            self.release(id)
        }
        timer.cancel()
        state.withLock { _ = $0.released.remove(id) }
    }

    /// Ends one wait; a wait that has not registered yet ends as soon as it does.
    private func release(_ id: Int) {
        state.withLock { s -> CheckedContinuation<Void, Never>? in
            if let waiter = s.waiters.removeValue(forKey: id) { return waiter }
            s.released.insert(id)
            return nil
        }?.resume()
    }
}
