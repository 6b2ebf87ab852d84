/// Chooses the compute team's size from how busy other work keeps the cores.
///
/// Why: oneDNN's primitives and FineTune's loops split each operation evenly over the team and wait at a barrier for
/// the last thread. When another process competes for the cores, the scheduler takes one of our threads away for a
/// whole time slice while the other waits, hundreds of times per step: two threads on two busy cores run several
/// times slower than one (BENCHMARKS.md, "On a busy machine"). So the team is sized to the cores other work leaves
/// free, rounded so that a third of a core or less taken by others does not shrink it: `free = cores − others`, size
/// `⌊free + 0.35⌋`, between 1 and `maximum`. A smaller size applies at once (each window at the larger one costs most
/// of its time); a larger one after two windows in a row ask for it, so one quiet moment of a competitor does not
/// bring the collapse back.
struct ThreadGovernor: Equatable {
    /// The most threads the team may have.
    let maximum: Int
    /// The team's size now.
    private(set) var size: Int
    /// Windows in a row that asked for a larger team.
    private var growRequests = 0

    /// How much of a core others may take before the team gives up a thread: ⌊free + slack⌋.
    static let slack = 0.35
    /// Windows in a row that must ask for a larger team before it grows.
    static let windowsBeforeGrowing = 2

    init(maximum: Int) {
        self.maximum = max(1, maximum)
        size = self.maximum
    }

    /// The size `free` cores would call for, between 1 and `maximum`.
    func wanted(freeCores: Double) -> Int {
        guard freeCores.isFinite else { return size }
        return min(maximum, max(1, Int((freeCores + Self.slack).rounded(.down))))
    }

    /// Takes one window's measurement, `othersBusyCores` of the `cores` we may use, and updates ``size``.
    mutating func observe(othersBusyCores: Double, cores: Int) {
        let wanted = wanted(freeCores: Double(cores) - othersBusyCores)
        if wanted < size {
            size = wanted
            growRequests = 0
        } else if wanted > size {
            growRequests += 1
            if growRequests >= Self.windowsBeforeGrowing {
                size = wanted
                growRequests = 0
            }
        } else {
            growRequests = 0
        }
    }
}
