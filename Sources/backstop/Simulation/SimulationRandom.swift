import Foundation

/// Seeded pseudo-random numbers (SplitMix64): the same seed gives the same district history.
struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose whole sequence follows from `seed`.
    init(seed: UInt64) { state = seed }

    /// A generator for one part of the simulation (a household, a resource), independent of how
    /// many numbers the other parts draw: the seed mixed with the part's number.
    init(seed: UInt64, stream: UInt64) {
        var mixer = SeededGenerator(seed: seed ^ (stream &* 0x9E37_79B9_7F4A_7C15))
        state = mixer.next()
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// True with probability `p`.
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }

    /// A uniformly chosen element of a non-empty array.
    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &self)] }

    /// An element chosen with the given weights (which need not sum to 1).
    mutating func weighted<T>(_ items: [(T, Double)]) -> T {
        var point = Double.random(in: 0..<items.reduce(0) { $0 + $1.1 }, using: &self)
        for (item, weight) in items {
            if point < weight { return item }
            point -= weight
        }
        return items[items.count - 1].0
    }

    /// A duration in seconds, uniformly between `hours` bounds.
    mutating func hours(_ range: ClosedRange<Double>) -> TimeInterval { Double.random(in: range, using: &self) * 3600 }

    /// A duration in seconds, uniformly between `days` bounds.
    mutating func days(_ range: ClosedRange<Double>) -> TimeInterval { Double.random(in: range, using: &self) * 86_400 }

    /// A time-ordered UUID (version 7 layout) for something created at `date`, from this
    /// generator instead of the system's, so ids repeat with the seed.
    mutating func uuid(at date: Date) -> String {
        let milliseconds = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        let high = next(), low = next()
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: milliseconds >> (40 - 8 * UInt64(i))) }
        for i in 6..<8 { bytes[i] = UInt8(truncatingIfNeeded: high >> (8 * UInt64(i))) }
        for i in 8..<16 { bytes[i] = UInt8(truncatingIfNeeded: low >> (8 * UInt64(i - 8))) }
        bytes[6] = 0x70 | (bytes[6] & 0x0f)
        bytes[8] = 0x80 | (bytes[8] & 0x3f)
        var out = ""
        for (i, byte) in bytes.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { out += "-" }
            out += Self.hex(byte)
        }
        return out
    }

    /// A pseudonymous household reference (`hh-` and 32 hex digits), standing in for the district
    /// vault's keyed HMAC of a household registration id.
    mutating func householdRef() -> String {
        "hh-" + (0..<16).map { _ in Self.hex(UInt8(truncatingIfNeeded: next())) }.joined()
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]])
    }
}
