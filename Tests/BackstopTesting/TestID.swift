/// Readable names for ids that contracts require to be UUIDs: the same name always gives the same
/// UUID (FNV-1a of the name), so tests can write `uuid("o1")` when publishing and when checking.
public func uuid(_ name: String) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in name.utf8 {
        hash ^= UInt64(byte)
        hash &*= 0x0000_0100_0000_01b3
    }
    let hex = String(hash, radix: 16)
    let digits = String(repeating: "0", count: 16 - hex.count) + hex
    return "00000000-0000-7000-8\(digits.prefix(3))-\(digits.suffix(12))"
}
