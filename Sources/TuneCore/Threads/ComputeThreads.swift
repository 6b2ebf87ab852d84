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

/// Compute time spent at each team size, and in lanes (``ComputeThreads/inLanes(_:_:)``).
public struct ThreadUsage: Sendable, Equatable, CustomStringConvertible {
    /// Seconds of wall time at each team size (lanes included: the team's size is what it was meanwhile).
    public var secondsByCount: [Int: Double]
    /// Seconds of wall time spent running N one-thread lanes, by N.
    public var laneSecondsByCount: [Int: Double]

    public init(secondsByCount: [Int: Double], laneSecondsByCount: [Int: Double] = [:]) {
        self.secondsByCount = secondsByCount
        self.laneSecondsByCount = laneSecondsByCount
    }

    /// Each way of computing and its share of the wall time: lanes by their count, the team by its size outside
    /// lanes (its time at each size scaled by the share of time outside lanes).
    private var shares: (team: [Int: Double], lanes: [Int: Double])? {
        let total = secondsByCount.values.reduce(0, +)
        guard total > 0 else { return nil }
        let lanes = laneSecondsByCount.mapValues { min($0 / total, 1) }
        let outside = max(0, 1 - lanes.values.reduce(0, +))
        return (secondsByCount.mapValues { $0 / total * outside }, lanes)
    }

    /// The share of the wall time spent in lanes (nil before any time was recorded).
    public var laneShare: Double? { shares.map { $0.lanes.values.reduce(0, +) } }

    /// The time-weighted mean number of computing threads (nil before any time was recorded).
    public var meanThreads: Double? {
        guard let shares else { return nil }
        return (shares.team.merging(shares.lanes, uniquingKeysWith: +)).reduce(0) { $0 + Double($1.key) * $1.value }
    }

    /// E.g. `2 lanes 70 %, 2 threads 25 %, 1 thread 5 %`.
    public var description: String {
        guard let shares else { return "no compute yet" }
        func percent(_ share: Double) -> String { "\(Int((share * 100).rounded())) %" }
        let lanes = shares.lanes.sorted { $0.key > $1.key }.filter { $0.value > 0 }.map { "\($0.key) lanes \(percent($0.value))" }
        let team = shares.team.sorted { $0.key > $1.key }.filter { $0.value > 0 }.map {
            "\($0.key) thread\($0.key == 1 ? "" : "s") \(percent($0.value))"
        }
        return (lanes + team).joined(separator: ", ")
    }
}

/// When work that can run as slices of a batch runs in lanes (``ComputeThreads/inLanes(_:_:)``) instead of on a team
/// that splits every operation.
public enum LaneMode: Sendable {
    /// While other processes keep the cores busy (an adaptive team has shrunk): there, lanes do not wait for the
    /// thread the scheduler took away, which a team does at every operation. On a quiet machine the team is as fast
    /// or faster, so it runs then; with a fixed thread count it always does, so results repeat bit for bit.
    case whenContended
    /// Always, with the policy's thread count.
    case always
    /// Never.
    case never
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

    /// Runs `body` under `policy`, then puts the previous policy back. The policy is the process's: other threads
    /// computing meanwhile use it too.
    public static func withPolicy<R>(_ policy: ThreadPolicy, _ body: () throws -> R) rethrows -> R {
        let previous = self.policy
        configure(policy)
        defer { configure(previous) }
        return try body()
    }

    /// The policy in effect.
    public static var policy: ThreadPolicy { state.withLock { $0.policy } }

    /// The team's size now.
    public static var current: Int { size.load(ordering: .relaxed) }

    /// Wall time spent at each team size since the process started or ``resetUsage()``.
    public static var usage: ThreadUsage {
        let now = Clock.monotonicSeconds
        return state.withLock { state in
            var seconds = state.secondsByCount
            seconds[state.sizeSince.size, default: 0] += now - state.sizeSince.time
            return ThreadUsage(secondsByCount: seconds, laneSecondsByCount: state.laneSeconds)
        }
    }

    /// Starts ``usage`` afresh.
    public static func resetUsage() {
        let now = Clock.monotonicSeconds
        state.withLock { state in
            state.secondsByCount = [:]
            state.laneSeconds = [:]
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

    /// How many lanes work that can run as slices of a batch (``inLanes(_:_:)``) should use now: the policy's
    /// thread count when lanes are in order (``laneMode``), else 1 (the team splits each operation instead), and 1
    /// inside a lane.
    public static var laneCount: Int {
        if isInLane { return 1 }
        switch (laneMode, policy) {
        case (.never, _): return 1
        case (.always, .fixed(let count)), (.always, .adaptive(let count)): return count
        case (.whenContended, .fixed): return 1
        case (.whenContended, .adaptive(let maximum)):
            return sizeAfterEvaluating() < maximum ? maximum : 1
        }
    }

    /// When work runs in lanes rather than on the team (default ``LaneMode/whenContended``); scope another mode
    /// with `ComputeThreads.$laneMode.withValue(.always) { … }`.
    @TaskLocal public static var laneMode: LaneMode = .whenContended

    /// Whether the calling thread is running a lane (where everything computes on this one thread).
    public static var isInLane: Bool { OpenMPTeam.isInParallel }

    /// Runs `body(lane)` for every lane in `0..<count` at once, each on a thread of its own that computes alone (its
    /// oneDNN primitives, GEMMs and loops use one thread), and returns when all have finished; the first error thrown
    /// is rethrown.
    ///
    /// Why: a team of threads splits every operation and waits for its slowest thread, hundreds of times per batch.
    /// When another process takes one of the cores for a time slice, the rest of the team waits with it. Lanes that
    /// each take a slice of the batch through the whole network wait for one another once, at the end (and, in
    /// training, at each BatchNorm's exchange of statistics, ``LaneGroup``): beside a 2-thread busy loop they keep
    /// their fair share where a team cannot (BENCHMARKS.md, "On a busy machine"). `body` must touch only what its own
    /// lane owns.
    public static func inLanes(_ count: Int, _ body: (Int) throws -> Void) throws {
        guard count > 1, !OpenMPTeam.isInParallel else {
            for lane in 0..<max(count, 1) { try body(lane) }
            return
        }
        let failures = UnsafeMutableBufferPointer<(any Error)?>.allocate(capacity: count)
        failures.initialize(repeating: nil)
        defer { failures.deinitialize().deallocate() }
        let begin = Clock.monotonicSeconds
        OpenMPTeam.parallelFor(count, threads: count) { lane in
            OpenMPTeam.useThreadCount(1)
            do { try body(lane) } catch { failures[lane] = error }
        }
        let seconds = Clock.monotonicSeconds - begin
        state.withLock { $0.laneSeconds[count, default: 0] += seconds }
        // A lane's own error, rather than the "another lane failed" of the lanes that stopped waiting for it.
        let thrown = failures.compactMap { $0 }
        if let failure = thrown.first(where: { ($0 as? TensorError) != .laneAbandoned }) ?? thrown.first { throw failure }
    }

    /// The team size for the work the calling thread is about to start: re-measures the load when a window has
    /// passed (adaptive policy) and sets the calling thread's OpenMP team size, which oneDNN reads when it creates
    /// and runs a primitive. Inside a lane (or any parallel region) it is 1.
    static func forNextWork() -> Int {
        if OpenMPTeam.isInParallel {
            OpenMPTeam.useThreadCount(1)
            return 1
        }
        let count = sizeAfterEvaluating()
        OpenMPTeam.useThreadCount(count)
        return count
    }

    /// The team's size, re-measuring the load first when a window has passed.
    private static func sizeAfterEvaluating() -> Int {
        let now = Clock.monotonicSeconds
        if now >= Double(bitPattern: nextEvaluation.load(ordering: .relaxed)) { evaluate(at: now) }
        return size.load(ordering: .relaxed)
    }

    /// How often an adaptive team re-measures the load.
    static let window = 0.25

    private struct State {
        var policy: ThreadPolicy
        var governor: ThreadGovernor?
        var load: CoreLoad?
        var lastReading: CoreLoad.Reading?
        var secondsByCount: [Int: Double] = [:]
        var laneSeconds: [Int: Double] = [:]
        var sizeSince: (size: Int, time: Double)
    }

    /// OpenMP's team size before FineTune changed it.
    private static let defaultMaximum = max(1, OpenMPTeam.threadCount)
    private static let size = Atomic<Int>(defaultMaximum)
    /// When the next window ends (``Clock.monotonicSeconds``, as a bit pattern: `Double` is not atomic).
    private static let nextEvaluation = Atomic<UInt64>(0)
    private static let state = Mutex(State(policy: .adaptive(maximum: defaultMaximum),
                                           governor: defaultMaximum > 1 ? ThreadGovernor(maximum: defaultMaximum) : nil,
                                           load: defaultMaximum > 1 ? CoreLoad() : nil,
                                           sizeSince: (defaultMaximum, Clock.monotonicSeconds)))

    private static func configure(_ policy: ThreadPolicy) {
        let now = Clock.monotonicSeconds
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
}
