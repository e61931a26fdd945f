import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A serial executor that runs every job on one dedicated OS thread.
///
/// Each ``Connection`` owns one. libpq calls block, so they must never run on Swift's cooperative
/// pool; an actor whose executor is this thread runs its isolated code here instead. The thread can
/// also watch one file descriptor (the connection's socket) and call a handler when it becomes
/// readable, which is how LISTEN notifications arrive without polling.
final class ConnectionThread: SerialExecutor, TaskExecutor {
    private struct State {
        var jobs: [UnownedJob] = []
        var sleeping = false
        var stopping = false
        var watchedFD: Int32 = -1
        var onReadable: (@Sendable () -> Void)?
        var owner: pthread_t?
    }

    private let state = Mutex(State())
    private let wakeRead: Int32
    private let wakeWrite: Int32

    /// Starts the thread; `name` shows in debuggers and `top -H`.
    init(name: String) {
        var fds: [Int32] = [0, 0]
        let rc = pipe(&fds)
        precondition(rc == 0, "pipe() failed: \(errno)")
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        let started = DispatchSemaphore(value: 0)
        let thread = Thread { [self] in
            state.withLock { $0.owner = pthread_self() }
            started.signal()
            runLoop()
        }
        thread.name = name
        thread.stackSize = 1 << 20
        thread.start()
        started.wait()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        let wake = state.withLock { s -> Bool in
            s.jobs.append(unowned)
            if s.sleeping { s.sleeping = false; return true }
            return false
        }
        if wake { poke() }
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    func checkIsolated() {
        let owner = state.withLock { $0.owner }
        precondition(owner.map { pthread_equal($0, pthread_self()) != 0 } ?? false, "not on the connection thread")
    }

    /// Calls `handler` on this thread whenever `fd` is readable, until ``unwatch()``.
    func watch(fd: Int32, handler: @escaping @Sendable () -> Void) {
        state.withLock { $0.watchedFD = fd; $0.onReadable = handler }
        poke()
    }

    /// Stops watching the descriptor set with ``watch(fd:handler:)``.
    func unwatch() {
        state.withLock { $0.watchedFD = -1; $0.onReadable = nil }
        poke()
    }

    /// Lets the thread finish its queued jobs and exit. Idempotent.
    func shutdown() {
        let first = state.withLock { s -> Bool in
            defer { s.stopping = true }
            return !s.stopping
        }
        if first { poke() }
    }

    private func poke() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    private func runLoop() {
        while true {
            let (jobs, fd, handler, stopping) = state.withLock { s in
                defer { s.jobs.removeAll(keepingCapacity: true) }
                if s.jobs.isEmpty && !s.stopping { s.sleeping = true }
                return (s.jobs, s.watchedFD, s.onReadable, s.stopping)
            }
            if !jobs.isEmpty {
                for job in jobs {
                    job.runSynchronously(isolatedTo: asUnownedSerialExecutor(), taskExecutor: asUnownedTaskExecutor())
                }
                continue
            }
            if stopping { break }
            var fds = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
            if fd >= 0 { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
            let n = poll(&fds, nfds_t(fds.count), -1)
            if n < 0 { continue }
            if fds[0].revents != 0 { drainWakePipe() }
            if fds.count > 1, fds[1].revents != 0 {
                state.withLock { $0.sleeping = false }
                handler?()
            }
        }
    }

    deinit {
        // Closed only when nothing can poke any more: a descriptor closed earlier could be reused
        // by a database socket, and a stray wake-up byte written into it corrupts that protocol.
        close(wakeRead)
        close(wakeWrite)
    }

    private func drainWakePipe() {
        var buffer = [UInt8](repeating: 0, count: 256)
        while read(wakeRead, &buffer, buffer.count) > 0 {}
    }
}
