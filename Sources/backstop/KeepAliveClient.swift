import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 keep-alive client over one blocking socket, for the `http_publish`
/// benchmark: it runs on threads of its own (never on Swift's cooperative pool) and costs little
/// CPU, so the service being measured gets the machine's cores rather than an HTTP client stack.
final class KeepAliveClient {
    private let socket: Int32
    private var buffer: [UInt8] = []

    /// Connects to `127.0.0.1:port`.
    init(port: Int) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw CLIError("socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(socket, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(socket)
            throw CLIError("connect: \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(socket) }

    /// Sends `request` (a whole HTTP/1.1 request) and returns the response's status code once its
    /// body (by Content-Length) has arrived.
    func send(_ request: [UInt8]) throws -> Int {
        var sent = 0
        while sent < request.count {
            let n = request.withUnsafeBytes { write(socket, $0.baseAddress! + sent, request.count - sent) }
            guard n > 0 else { throw CLIError("write: \(String(cString: strerror(errno)))") }
            sent += n
        }
        // Headers, then as many body bytes as Content-Length says.
        var headerEnd: Int?
        while true {
            if headerEnd == nil, let end = Self.find([13, 10, 13, 10], in: buffer) { headerEnd = end + 4 }
            if let headerEnd {
                let head = String(decoding: buffer[..<headerEnd], as: UTF8.self)
                let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                if buffer.count >= headerEnd + length {
                    let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
                    buffer.removeFirst(headerEnd + length)
                    return status
                }
            }
            var chunk = [UInt8](repeating: 0, count: 16_384)
            let n = chunk.withUnsafeMutableBytes { read(socket, $0.baseAddress!, $0.count) }
            guard n > 0 else { throw CLIError("the service closed the connection") }
            buffer.append(contentsOf: chunk[..<n])
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] && Array(haystack[i..<(i + needle.count)]) == needle {
            return i
        }
        return nil
    }

    /// Runs `clients` threads, each with its own connection, sending `request` `share(c)` times;
    /// returns when all are done (first error, if any, thrown).
    static func run(clients: Int, port: Int, request: [UInt8], share: @escaping @Sendable (Int) -> Int) async throws {
        let failure = Mutex<(any Error)?>(nil)
        let group = DispatchGroup()
        for c in 0..<clients {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                do {
                    let client = try KeepAliveClient(port: port)
                    for _ in 0..<share(c) {
                        let status = try client.send(request)
                        guard status == 201 else { throw CLIError("publish answered \(status)") }
                    }
                } catch {
                    failure.withLock { if $0 == nil { $0 = error } }
                }
            }
            thread.start()
        }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in group.notify(queue: .global()) { done.resume() } }
        if let error = failure.withLock({ $0 }) { throw error }
    }
}
