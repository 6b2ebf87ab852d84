import Foundation
import Synchronization

/// How many threads oneDNN, OpenBLAS and FineTune's own loops compute on.
public enum ThreadPolicy: Sendable, Equatable, CustomStringConvertible {
    /// Always `count` threads. With a fixed seed, results are then the same bit for bit from run to run.
    case fixed(Int)
    /// Up to `maximum` threads, fewer while other processes keep the cores busy (``ComputeThreads``). Results can
    /// differ in the last bits from a run that used other counts.
    case adaptive(maximum: Int)

    public var description: String {
        switch self {
        case .fixed(let count): "\(count) thread\(count == 1 ? "" : "s")"
        case .adaptive(let maximum): "adaptive, up to \(maximum) thread\(maximum == 1 ? "" : "s")"
        }
    }
}

/// Compute time spent at each team size.
public struct ThreadUsage: Sendable, Equatable, CustomStringConvertible {
    /// Seconds of wall time at each thread count.
    public var secondsByCount: [Int: Double]

    /// The time-weighted mean thread count (nil before any time was recorded).
    public var meanThreads: Double? {
        let total = secondsByCount.values.reduce(0, +)
        guard total > 0 else { return nil }
        return secondsByCount.reduce(0) { $0 + Double($1.key) * $1.value } / total
    }

    /// E.g. `2 threads 81 %, 1 thread 19 %`.
    public var description: String {
        let total = secondsByCount.values.reduce(0, +)
        guard total > 0 else { return "no compute yet" }
        return secondsByCount.sorted { $0.key > $1.key }.filter { $0.value > 0 }.map {
            "\($0.key) thread\($0.key == 1 ? "" : "s") \(Int(($0.value / total * 100).rounded())) %"
        }.joined(separator: ", ")
    }
}

/// The thread team shared by the compute libraries, and its size.
///
/// By default the size adapts (``ThreadPolicy/adaptive(maximum:)``, up to OpenMP's default team size: the CPUs this
/// process may use, or `OMP_NUM_THREADS`): every quarter of a second of compute, the time other work took on our
/// cores is read from `/proc/stat` and the team shrinks to what is left free, growing back when the cores are free
/// again (``ThreadGovernor`` has the rule and why). ``set(_:)`` fixes the size instead.
///
/// oneDNN's JIT primitives fix their thread count when they are created, so the primitive cache keeps one primitive
/// per shape and team size (`OneDNN/Context.swift`).
public enum ComputeThreads {
    /// Fixes the team at `count` threads (at least 1) for oneDNN (OpenMP), OpenBLAS and FineTune's loops.
    public static func set(_ count: Int) {
        configure(.fixed(max(1, count)))
    }

    /// Lets the team adapt to the load, up to `maximum` threads (default: OpenMP's default team size).
    public static func adapt(upTo maximum: Int? = nil) {
        configure(.adaptive(maximum: max(1, maximum ?? defaultMaximum)))
    }

    /// The policy in effect.
    public static var policy: ThreadPolicy { state.withLock { $0.policy } }

    /// The team's size now.
    public static var current: Int { size.load(ordering: .relaxed) }

    /// Wall time spent at each team size since the process started or ``resetUsage()``.
    public static var usage: ThreadUsage {
        let now = monotonicSeconds()
        return state.withLock { state in
            var seconds = state.secondsByCount
            seconds[state.sizeSince.size, default: 0] += now - state.sizeSince.time
            return ThreadUsage(secondsByCount: seconds)
        }
    }

    /// Starts ``usage`` afresh.
    public static func resetUsage() {
        let now = monotonicSeconds()
        state.withLock { state in
            state.secondsByCount = [:]
            state.sizeSince.time = now
        }
    }

    /// Treats denormal floats as zero on the calling thread (and on threads it starts afterwards, such as oneDNN's
    /// OpenMP workers). Values below 1.2e-38 then become 0: numerically irrelevant for training, but it keeps tiny
    /// gradients and Adam moments from slowing each operation on them ~50-fold. The trainer calls it; the first
    /// oneDNN use does too.
    public static func flushDenormalsOnCurrentThread() { OpenMPTeam.flushDenormalsOnCurrentThread() }

    /// Runs `body(i)` for every `i` in `0..<count`, spread over oneDNN's OpenMP threads (thread `t` of `T` takes
    /// `t, t + T, …`). Using oneDNN's own team rather than a second pool keeps the two from competing for the cores
    /// (see ``OpenMPTeam/parallelFor(_:threads:_:)``). `body` must not throw and must write only what its own `i` owns.
    public static func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        let threads = min(count, forNextWork())
        guard threads > 1 else {
            for i in 0..<count { body(i) }
            return
        }
        OpenMPTeam.parallelFor(count, threads: threads, body)
    }

    /// The team size for the work the calling thread is about to start: re-measures the load when a window has
    /// passed (adaptive policy) and sets the calling thread's OpenMP team size, which oneDNN reads when it creates
    /// and runs a primitive.
    static func forNextWork() -> Int {
        let now = monotonicSeconds()
        if now >= Double(bitPattern: nextEvaluation.load(ordering: .relaxed)) { evaluate(at: now) }
        let count = size.load(ordering: .relaxed)
        OpenMPTeam.useThreadCount(count)
        return count
    }

    /// How often an adaptive team re-measures the load.
    static let window = 0.25

    private struct State {
        var policy: ThreadPolicy
        var governor: ThreadGovernor?
        var load: CoreLoad?
        var lastReading: CoreLoad.Reading?
        var secondsByCount: [Int: Double] = [:]
        var sizeSince: (size: Int, time: Double)
    }

    /// OpenMP's team size before FineTune changed it.
    private static let defaultMaximum = max(1, OpenMPTeam.threadCount)
    private static let size = Atomic<Int>(defaultMaximum)
    /// When the next window ends (``monotonicSeconds()``, as a bit pattern: `Double` is not atomic).
    private static let nextEvaluation = Atomic<UInt64>(0)
    private static let state = Mutex(State(policy: .adaptive(maximum: defaultMaximum),
                                           governor: defaultMaximum > 1 ? ThreadGovernor(maximum: defaultMaximum) : nil,
                                           load: defaultMaximum > 1 ? CoreLoad() : nil,
                                           sizeSince: (defaultMaximum, monotonicSeconds())))

    private static func configure(_ policy: ThreadPolicy) {
        let now = monotonicSeconds()
        let count = state.withLock { state in
            state.policy = policy
            switch policy {
            case .fixed(let count):
                state.governor = nil
                state.load = nil
                record(size: count, at: now, in: &state)
            case .adaptive(let maximum):
                state.governor = maximum > 1 ? ThreadGovernor(maximum: maximum) : nil
                state.load = maximum > 1 ? CoreLoad() : nil
                state.lastReading = state.load?.read()
                record(size: maximum, at: now, in: &state)
            }
            nextEvaluation.store((now + window).bitPattern, ordering: .relaxed)
            return state.sizeSince.size
        }
        OpenMPTeam.useThreadCount(count)
    }

    private static func evaluate(at now: Double) {
        state.withLock { state in
            guard now >= Double(bitPattern: nextEvaluation.load(ordering: .relaxed)) else { return }
            nextEvaluation.store((now + window).bitPattern, ordering: .relaxed)
            guard var governor = state.governor, let load = state.load, let reading = load.read() else { return }
            if let last = state.lastReading {
                governor.observe(othersBusyCores: load.othersBusyCores(from: last, to: reading), cores: load.cpus.count)
                state.governor = governor
            }
            state.lastReading = reading
            if governor.size != state.sizeSince.size {
                record(size: governor.size, at: now, in: &state)
            }
        }
    }

    /// Closes the time at the previous size and makes `size` current.
    private static func record(size newSize: Int, at now: Double, in state: inout State) {
        state.secondsByCount[state.sizeSince.size, default: 0] += now - state.sizeSince.time
        state.sizeSince = (newSize, now)
        size.store(newSize, ordering: .relaxed)
    }

    private static func monotonicSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
