import Foundation
import Synchronization

/// One executable run as a child process and (unless told otherwise) restarted with backoff
/// whenever it exits on its own, until ``stop()``: SIGTERM, then SIGKILL if it has not exited within the grace period. The child
/// writes to this process's standard output and error.
final class SupervisedProcess: Sendable {
    private struct State {
        var process: Process?
        var stopping = false
        var restarts = 0
        var onStart: (@Sendable (Int32) -> Void)?
    }
    let name: String
    private let executable: URL
    private let environment: [String: String]
    private let arguments: [String]
    private let state = Mutex(State())

    /// Whether a child that exits on its own is started again (false: it runs once).
    let restartsOnExit: Bool

    init(name: String, executable: URL, environment: [String: String], arguments: [String] = [], restartsOnExit: Bool = true) {
        self.name = name
        self.executable = executable
        self.environment = environment
        self.arguments = arguments
        self.restartsOnExit = restartsOnExit
    }

    /// Called with the child's process id each time it starts.
    var onStart: (@Sendable (Int32) -> Void)? {
        get { state.withLock { $0.onStart } }
        set { state.withLock { $0.onStart = newValue } }
    }

    /// How many times it was restarted.
    var restarts: Int { state.withLock { $0.restarts } }

    /// The running child's process id, if any.
    var processIdentifier: Int32? { state.withLock { $0.process?.isRunning == true ? $0.process?.processIdentifier : nil } }

    /// Runs the child until ``stop()``; a child that exits on its own is started again after 1 s,
    /// doubling to 30 s while it keeps failing within a minute of starting.
    func run() async {
        var backoff = Duration.seconds(1)
        while !state.withLock({ $0.stopping }) {
            let started = ContinuousClock.now
            let status: Int32
            do { status = try await runOnce() } catch {
                emit("backstop: \(name) cannot start: \(error)")
                status = -1
            }
            if state.withLock({ $0.stopping }) { return }
            guard restartsOnExit else {
                emit("backstop: \(name) exited (status \(status))")
                return
            }
            if ContinuousClock.now - started > .seconds(60) { backoff = .seconds(1) }
            emit("backstop: \(name) exited (status \(status)); restarting in \(backoff.components.seconds) s")
            let wakeAt = ContinuousClock.now + backoff
            while ContinuousClock.now < wakeAt, !state.withLock({ $0.stopping }) { try? await Task.sleep(for: .milliseconds(100)) }
            backoff = min(backoff * 2, .seconds(30))
            state.withLock { $0.restarts += 1 }
        }
    }

    private func runOnce() async throws -> Int32 {
        let process = Process()
        process.executableURL = executable
        process.environment = environment
        process.arguments = arguments
        return try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { finished in continuation.resume(returning: finished.terminationStatus) }
            do {
                let stopping = state.withLock { s -> Bool in
                    s.process = process
                    return s.stopping
                }
                if stopping { throw CancellationError() }
                try process.run()
                emit("backstop: \(name) started (pid \(process.processIdentifier))")
                onStart?(process.processIdentifier)
                // A stop that came while it was starting saw no running child: signal it now.
                if state.withLock({ $0.stopping }) { process.terminate() }
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
    }

    /// Stops the child (SIGTERM; SIGKILL after `grace`) and ends ``run()``.
    func stop(grace: Duration = .seconds(10)) async {
        let process = state.withLock { s -> Process? in
            s.stopping = true
            return s.process
        }
        guard let process, process.isRunning else { return }
        process.terminate()
        let deadline = ContinuousClock.now + grace
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
