import Foundation
import Synchronization

/// The lanes that share one batch (``ComputeThreads/inLanes(_:_:)``), each with a slice of it, and the exchange through
/// which they combine per-channel sums, so that batch normalization in training mode normalizes with the whole batch's
/// statistics and differentiates through them, as one thread computing the whole batch would.
///
/// Every lane must make the same sequence of exchanges. A lane that fails calls ``abandon()``, and the lanes waiting
/// for it then throw instead of waiting forever.
public final class LaneGroup: @unchecked Sendable {
    /// The batch size of each lane's slice, in lane order.
    public let sliceSizes: [Int]
    /// Two sets of one slot per lane: exchange k uses set k % 2, so a lane can write its next values while a slower
    /// lane still reads this exchange's (it cannot get two exchanges ahead: the next barrier waits for the slow lane).
    private let slots: UnsafeMutableBufferPointer<[Double]>
    /// How many exchanges each lane has made (each lane touches only its own).
    private let exchanges: UnsafeMutableBufferPointer<Int>
    private let arrived = Atomic<Int>(0)
    private let generation = Atomic<Int>(0)
    private let abandoned = Atomic<Bool>(false)

    public init(sliceSizes: [Int]) {
        self.sliceSizes = sliceSizes
        let lanes = max(sliceSizes.count, 1)
        slots = .allocate(capacity: 2 * lanes)
        slots.initialize(repeating: [])
        exchanges = .allocate(capacity: lanes)
        exchanges.initialize(repeating: 0)
    }

    deinit {
        slots.deinitialize().deallocate()
        exchanges.deinitialize().deallocate()
    }

    /// The whole batch's size.
    public var batchSize: Int { sliceSizes.reduce(0, +) }

    /// Makes every lane waiting in an exchange throw (call it when a lane fails).
    public func abandon() {
        abandoned.store(true, ordering: .sequentiallyConsistent)
        wakeUp.lock()
        wakeUp.broadcast()
        wakeUp.unlock()
    }

    /// Every lane's `values`, in lane order, once all lanes have given theirs (one barrier). The result is the same
    /// array in every lane, so whatever a lane computes from it in order is identical across lanes.
    func allGather(_ values: [Double], lane: Int) throws -> [[Double]] {
        let lanes = sliceSizes.count
        let set = exchanges[lane] % 2 * lanes
        exchanges[lane] += 1
        slots[set + lane] = values
        try barrier()
        return Array(slots[set..<(set + lanes)])
    }

    /// Waits until every lane has arrived: a sense-reversing barrier that spins briefly and then sleeps.
    ///
    /// Lanes run when other processes keep the cores busy, so the lane being waited for is usually waiting for a core.
    /// Spinning would spend this lane's share of its core on nothing; sleeping hands the core to the other process
    /// now, and the scheduler then favours the woken lane (it slept), which a spinning lane would not be.
    private func barrier() throws {
        let count = sliceSizes.count
        guard count > 1 else { return }
        let current = generation.load(ordering: .acquiring)
        if arrived.add(1, ordering: .acquiringAndReleasing).newValue == count {
            arrived.store(0, ordering: .relaxed)
            wakeUp.lock()
            generation.add(1, ordering: .releasing)
            wakeUp.broadcast()
            wakeUp.unlock()
            return
        }
        for _ in 0..<Self.spins where generation.load(ordering: .acquiring) == current {}
        wakeUp.lock()
        defer { wakeUp.unlock() }
        while generation.load(ordering: .acquiring) == current {
            if abandoned.load(ordering: .relaxed) { throw TensorError.laneAbandoned }
            // A bounded wait, so an abandoned group is noticed even without a broadcast.
            _ = wakeUp.wait(until: Date().addingTimeInterval(0.05))
        }
    }

    /// Checks of the generation before sleeping (a few microseconds).
    private static let spins = 2000
    private let wakeUp = NSCondition()
}

/// The lane the calling code runs in, bound by whoever runs a batch in lanes (``LaneContext/current``).
public struct LaneContext: Sendable {
    /// The group of lanes sharing the batch.
    public let group: LaneGroup
    /// This lane's index in `group`.
    public let lane: Int

    public init(group: LaneGroup, lane: Int) {
        self.group = group
        self.lane = lane
    }

    /// The lane running now, if any: batch normalization in training mode reads it to combine its statistics with
    /// the other lanes'.
    @TaskLocal public static var current: LaneContext?
}
