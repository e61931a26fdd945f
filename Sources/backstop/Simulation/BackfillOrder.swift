/// The order the backfill publishes the district's history in.
///
/// Backfilled obligations are due in the past, so the coordinator's sweep breaches any of them the
/// moment it finds it open. Published in time order, an answer given on time would often be
/// processed after that sweep and its obligation counted as breached. So an answer given on time
/// goes just before what it answers (the coordinator keeps an answer that arrives first and
/// closes the obligation as it opens, by business time), and late answers — with what follows
/// them, such as closures — go last, once the coordinator has caught up and breached what was
/// overdue. Everything keeps its business time; only the publishing order changes.
enum BackfillOrder {
    /// The units' steps in publishing order: those to publish first, and the deferred ones to
    /// publish after the coordinator has caught up.
    static func arrange(_ units: [[SimulationStep]]) -> (first: [SimulationStep], last: [SimulationStep]) {
        let sequence = units.filter { !$0.isEmpty }.enumerated()
            .sorted { ($0.element[0].at, $0.offset) < ($1.element[0].at, $1.offset) }
            .flatMap(\.element)
        var labelled: [String: Int] = [:]
        for (i, step) in sequence.enumerated() {
            if let label = step.label { labelled[label] = i }
        }
        var answersOf: [Int: [Int]] = [:]
        for (i, step) in sequence.enumerated() {
            if let trigger = step.answers.flatMap({ labelled[$0] }) { answersOf[trigger, default: []].append(i) }
        }
        var emitted = [Bool](repeating: false, count: sequence.count)
        func emit(_ i: Int, into out: inout [Int]) {
            guard !emitted[i] else { return }
            emitted[i] = true
            for name in sequence[i].after {
                if let j = labelled[name] { emit(j, into: &out) }
            }
            for j in answersOf[i] ?? [] { emit(j, into: &out) }
            out.append(i)
        }
        var first: [Int] = [], last: [Int] = []
        // An on-time answer goes out with what it answers, never on its own.
        for i in sequence.indices where !sequence[i].deferred && sequence[i].answers.flatMap({ labelled[$0] }) == nil {
            emit(i, into: &first)
        }
        for i in sequence.indices.filter({ !emitted[$0] }).sorted(by: { (sequence[$0].at, $0) < (sequence[$1].at, $1) }) {
            emit(i, into: &last)
        }
        return (first.map { sequence[$0] }, last.map { sequence[$0] })
    }
}
