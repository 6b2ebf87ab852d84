import Foundation
import Testing
@testable import TuneCore
import TuneData
import TuneNN
@testable import TuneTraining

/// A training step in lanes (slices of the batch, one thread each) computes what the step over the whole batch does.
@Suite("Training steps in lanes", .serialized)
struct LaneStepTests {
    /// Conv → BatchNorm (batch statistics) + ReLU6 → conv → BatchNorm → pooling → dense, seeded.
    static func makeModel() -> Sequential {
        let weights = WeightGenerator(seed: 11)
        return Sequential {
            Conv2D(32, kernelSize: 3, inChannels: 3, padding: .same, generator: weights)
            BatchNorm(channels: 32)
            ActivationLayer(.relu6)
            Conv2D(16, kernelSize: 3, inChannels: 32, stride: 2, padding: .same, generator: weights)
            BatchNorm(channels: 16)
            GlobalAveragePool2D()
            Dense(4, inFeatures: 16, generator: weights)
        }
    }

    static func step(lanes: Bool, batch: Batch) throws -> (loss: Float, state: [String: [Float]], usedLanes: Bool) {
        let model = makeModel()
        let trainer = Trainer(model: model, optimizer: SGD(learningRate: 0.1),
                              loss: .sparseCategoricalCrossEntropy(fromLogits: true), metrics: [])
        ComputeThreads.resetUsage()
        let loss = try ComputeThreads.withPolicy(.fixed(2)) {
            try ComputeThreads.$laneMode.withValue(lanes ? .always : .never) { try trainer.trainStep(batch) }
        }
        let usedLanes = ComputeThreads.usage.laneSecondsByCount[2] ?? 0 > 0
        return (loss, model.stateDictionary().mapValues(\.scalars), usedLanes)
    }

    @Test("losses, updated weights and running statistics match the whole-batch step, with an uneven split")
    func matchesWholeBatch() throws {
        var generator = SeededGenerator(seed: 5)
        let inputs = Tensor.normal([5, 3, 12, 12], generator: &generator)
        let batch = try Batch(inputs: inputs, targets: Tensor(shape: [5], scalars: [0, 1, 2, 3, 1]))
        let whole = try Self.step(lanes: false, batch: batch)
        let inLanes = try Self.step(lanes: true, batch: batch)
        #expect(inLanes.usedLanes, "the step ran in two lanes (slices of 3 and 2)")
        #expect(abs(inLanes.loss - whole.loss) <= 1e-5 * max(1, abs(whole.loss)))
        #expect(Set(inLanes.state.keys) == Set(whole.state.keys) && whole.state.count >= 10)
        for (key, expected) in whole.state {
            let actual = try #require(inLanes.state[key])
            let scale = max(1, expected.map { abs($0) }.max() ?? 0)
            let close = actual.count == expected.count && zip(actual, expected).allSatisfy { abs($0 - $1) <= 2e-5 * scale }
            #expect(close, "\(key) after one step in lanes")
        }
    }

    @Test("a model with state of its own beyond BatchNorm's steps on whole batches, so its state sees each batch once")
    func statefulLayerKeepsWholeBatches() throws {
        let model = Sequential {
            Dense(4, inFeatures: 2, generator: WeightGenerator(seed: 3))
            StepCounterLayer()
            BatchNorm(channels: 4)
            Dense(2, inFeatures: 4, generator: WeightGenerator(seed: 4))
        }
        #expect(model.keepsUnsharedState)
        #expect(!Self.makeModel().keepsUnsharedState, "BatchNorm's statistics are combined across lanes")
        let trainer = Trainer(model: model, optimizer: SGD(learningRate: 0.1),
                              loss: .sparseCategoricalCrossEntropy(fromLogits: true), metrics: [])
        let batch = try Batch(inputs: Tensor(shape: [4, 2], scalars: [1, 2, 3, 4, 5, 6, 7, 8]),
                              targets: Tensor(shape: [4], scalars: [0, 1, 0, 1]))
        ComputeThreads.resetUsage()
        _ = try ComputeThreads.withPolicy(.fixed(2)) {
            try ComputeThreads.$laneMode.withValue(.always) { try trainer.trainStep(batch) }
        }
        let counter = try #require(model.namedBuffers().first { $0.path.hasSuffix("count") }?.tensor)
        #expect(counter.scalars == [1], "the counter saw the batch once")
        #expect(ComputeThreads.usage.laneSecondsByCount[2] ?? 0 == 0)
    }

    @Test("a lane that fails stops the others waiting at the next exchange, and its own error is the one thrown")
    func failingLane() throws {
        let group = LaneGroup(sliceSizes: [2, 2])
        #expect(throws: TensorError.invalidArgument(op: "lane 1", message: "fails")) {
            try ComputeThreads.inLanes(2) { lane in
                do {
                    if lane == 1 { throw TensorError.invalidArgument(op: "lane 1", message: "fails") }
                    _ = try group.allGather([1], lane: lane)
                } catch {
                    group.abandon()
                    throw error
                }
            }
        }
    }

    @Test("lanes exchange values in lane order")
    func allGather() throws {
        let group = LaneGroup(sliceSizes: [3, 2, 1])
        let seen = UnsafeMutableBufferPointer<[[Double]]>.allocate(capacity: 3)
        seen.initialize(repeating: [])
        defer { seen.deinitialize().deallocate() }
        try ComputeThreads.inLanes(3) { lane in
            seen[lane] = try group.allGather([Double(lane), 10], lane: lane)
            seen[lane] += try group.allGather([Double(lane) * 2], lane: lane)
        }
        for lane in 0..<3 { #expect(seen[lane] == [[0, 10], [1, 10], [2, 10], [0], [2], [4]]) }
        #expect(group.batchSize == 6)
    }
}
