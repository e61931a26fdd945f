import Crypto
import Foundation

/// How webhook requests are signed: HMAC-SHA256 with the endpoint's secret over
/// `"<timestamp>.<body>"`, where the timestamp is the `Backstop-Timestamp` header (Unix seconds).
/// The `Backstop-Signature` header carries `v1=<hex>` for the current secret, and a second
/// `v1=<hex>` for the previous secret during the day after a rotation. A receiver recomputes the
/// HMAC, compares it with any `v1` entry, and rejects timestamps far from its clock (replays).
public enum WebhookSignature {
    /// The header with the timestamp.
    public static let timestampHeader = "Backstop-Timestamp"
    /// The header with the signatures.
    public static let signatureHeader = "Backstop-Signature"

    /// The hex HMAC-SHA256 of `"<timestamp>.<body>"` under `secret`.
    public static func mac(secret: String, timestamp: Int64, body: Data) -> String {
        var message = Data("\(timestamp).".utf8)
        message.append(body)
        let code = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
        return code.map { String(format: "%02x", $0) }.joined()
    }

    /// The `Backstop-Signature` value for `secrets` (current first).
    public static func header(secrets: [String], timestamp: Int64, body: Data) -> String {
        secrets.map { "v1=" + mac(secret: $0, timestamp: timestamp, body: body) }.joined(separator: ",")
    }

    /// Whether `header` holds a valid signature of `body` at `timestamp` under `secret`.
    public static func verify(header: String, secret: String, timestamp: Int64, body: Data) -> Bool {
        let expected = Array(mac(secret: secret, timestamp: timestamp, body: body).utf8)
        return header.split(separator: ",").contains { entry in
            let given = Array(entry.trimmingCharacters(in: .whitespaces).utf8)
            guard given.count == expected.count + 3, given.starts(with: Array("v1=".utf8)) else { return false }
            // Constant time over the hex digits.
            return zip(given.dropFirst(3), expected).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
        }
    }

    /// A new random secret (`whsec_` and 64 hex digits).
    public static func newSecret() -> String {
        "whsec_" + SymmetricKey(size: .bits256).withUnsafeBytes { $0.map { String(format: "%02x", $0) }.joined() }
    }
}
