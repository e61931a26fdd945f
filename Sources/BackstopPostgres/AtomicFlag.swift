import Synchronization

/// A boolean that only goes from false to true, readable from any thread.
final class AtomicFlag: Sendable {
    private let storage = Atomic<Bool>(false)
    var value: Bool { storage.load(ordering: .acquiring) }
    func set() { storage.store(true, ordering: .releasing) }
}
