import BackstopAccess
import BackstopContracts
import BackstopInbox
import BackstopPostgres
import Foundation
import ServiceLifecycle

/// One Server-Sent Events stream of an organisation's inbox: every item after a resume point,
/// then new ones as they arrive (woken by the routing bell, polling as a fallback), with a comment
/// line every 15 seconds. Item ids increase in commit order, so resuming after the last id seen
/// neither skips nor repeats. The stream ends when the client goes, the task is cancelled, or the
/// service shuts down gracefully.
struct InboxStream: Sendable {
    let inbox: Inbox
    let bell: InboxBell
    let principal: Principal
    let types: [String]?
    let after: Int64
    var poll: Duration = .seconds(1)
    var keepAlive: Duration = .seconds(15)

    /// The stream's bytes, one SSE message per item.
    func bytes() -> AsyncThrowingStream<ArraySlice<UInt8>, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                await withGracefulShutdownHandler {
                    await self.pump(into: continuation)
                } onGracefulShutdown: {
                    continuation.finish()
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    private func pump(into continuation: AsyncThrowingStream<ArraySlice<UInt8>, any Error>.Continuation) async {
        var last = after
        var quietSince = ContinuousClock.now
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Opening comment: tells the client the stream is up before any item arrives.
        continuation.yield(ArraySlice(": inbox of \(principal.organisation)\n\n".utf8))
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let rings = bell.rings
            do {
                let items = try await inbox.items(for: principal, after: last, limit: 100, types: types)
                for item in items {
                    let body = try encoder.encode(try StakeholderAPI.schema(item))
                    var message = "id: \(item.seq)\nevent: \(item.event.type)\ndata: "
                    message += String(decoding: body, as: UTF8.self)
                    message += "\n\n"
                    if case .terminated = continuation.yield(ArraySlice(message.utf8)) { return }
                    last = item.seq
                    quietSince = .now
                }
                if items.count == 100 { continue }
            } catch where (error as? PostgresError)?.isTransient == true {
                // The database is unreachable for now: keep the stream and try again after a poll.
            } catch {
                // Anything else would repeat on every poll: end the stream (the client reconnects).
                return
            }
            if ContinuousClock.now - quietSince >= keepAlive {
                if case .terminated = continuation.yield(ArraySlice(": keep-alive\n\n".utf8)) { return }
                quietSince = .now
            }
            await bell.wait(after: rings, timeout: poll)
        }
    }
}
