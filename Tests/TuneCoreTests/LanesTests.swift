import Foundation
import Synchronization
import Testing
@testable import TuneCore

@Suite("Lanes: slices of a batch computed at once, one thread each")
struct LanesTests {
    @Test("every lane runs once, at the same time as the others, and computes on one thread")
    func lanesRunAtOnce() throws {
        let started = Atomic<Int>(0)
        let sawOther = Mutex<[Int: Bool]>([:])
        let teamSizes = Mutex<[Int: Int]>([:])
        try ComputeThreads.inLanes(2) { lane in
            started.add(1, ordering: .sequentiallyConsistent)
            let deadline = Date().addingTimeInterval(10)
            while started.load(ordering: .sequentiallyConsistent) < 2 && Date() < deadline {}
            let both = started.load(ordering: .sequentiallyConsistent) == 2
            sawOther.withLock { $0[lane] = both }
            let size = ComputeThreads.forNextWork()
            teamSizes.withLock { $0[lane] = size * 100 + OpenMPTeam.threadCount }
        }
        #expect(sawOther.withLock { $0 } == [0: true, 1: true], "each lane saw the other one start while it ran")
        #expect(teamSizes.withLock { $0 } == [0: 101, 1: 101], "inside a lane, work and oneDNN use one thread")
        #expect(ComputeThreads.usage.laneSecondsByCount[2] ?? 0 > 0)
    }

    @Test("an error in one lane is rethrown once every lane has finished")
    func errorsRethrown() {
        let finished = Atomic<Int>(0)
        #expect(throws: TensorError.self) {
            try ComputeThreads.inLanes(2) { lane in
                defer { finished.add(1, ordering: .sequentiallyConsistent) }
                if lane == 1 { throw TensorError.invalidArgument(op: "lane", message: "test failure") }
            }
        }
        #expect(finished.load(ordering: .sequentiallyConsistent) == 2)
    }

    @Test("a batch splits into near-equal slices, larger first, and joins back")
    func slicesAndJoin() throws {
        let x = Make.uniform([5, 3, 2], seed: 1, requiresGradient: false)
        let slices = try x.batchSlices(2)
        #expect(slices.map { $0.shape[0] } == [3, 2])
        #expect(try Tensor.joiningBatches(slices).scalars == x.scalars)
        #expect(try x.batchSlices(8).count == 5, "never more slices than samples")
        #expect(try x.batchSlices(1).count == 1)
        #expect(throws: TensorError.self) { try Tensor(scalar: 3).batchSlices(2) }
        #expect(throws: TensorError.self) { try Tensor.joiningBatches([]) }
    }

    @Test("convolutions in lanes give the whole batch's values, joined in their blocked layout")
    func convolutionInLanes() throws {
        let x = Make.uniform([5, 16, 9, 9], seed: 2, requiresGradient: false)
        let w = Make.uniform([32, 16, 3, 3], seed: 3, requiresGradient: false)
        let whole = try Tensor.conv2d(x, weight: w, padding: .same).relu()
        let slices = try x.batchSlices(2)
        let outputs = Mutex<[Int: Tensor]>([:])
        try ComputeThreads.inLanes(2) { lane in
            let y = try Tensor.conv2d(slices[lane], weight: w, padding: .same).relu()
            outputs.withLock { $0[lane] = y }
        }
        let parts = try (0..<2).map { lane in try #require(outputs.withLock { $0[lane] }) }
        let joined = try Tensor.joiningBatches(parts)
        #expect(joined.shape == whole.shape)
        if parts.allSatisfy({ $0.nativeLayout?.channelBlock != nil }) {
            #expect(joined.nativeLayout?.channelBlock == parts[0].nativeLayout?.channelBlock, "joined without converting")
        }
        #expect(zip(joined.scalars, whole.scalars).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($1)) })
    }
}
