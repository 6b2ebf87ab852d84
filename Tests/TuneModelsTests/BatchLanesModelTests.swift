import Testing
import TuneCore
import TuneNN
@testable import TuneModels

/// Frozen prefixes (and whole models in inference) run as slices of the batch in lanes, one thread each.
@Suite("A model's frozen prefix in lanes", .serialized)
struct BatchLanesModelTests {
    /// Runs `body` with the compute threads fixed at `count`, in `count` lanes, and puts the previous policy back.
    static func withThreads<R>(_ count: Int, _ body: () throws -> R) rethrows -> R {
        try ComputeThreads.withPolicy(.fixed(count)) { try ComputeThreads.$laneMode.withValue(.always) { try body() } }
    }

    /// Lite0 without its top, frozen but for the last two blocks and the head convolution (as `last2` trains it).
    static func lastTwoTrainable() -> EfficientNetLite {
        let model = EfficientNetLite(variant: .lite0, includeTop: false)
        model.isTrainable = false
        model.blocks.suffix(2).forEach { $0.isTrainable = true }
        model.layersAfterBlocks.forEach { $0.isTrainable = true }
        return model
    }

    @Test("the stages up to the first trainable one run in lanes; in inference, all of them")
    func prefixInLanes() throws {
        let model = Self.lastTwoTrainable()
        let stages = model.featureStages
        let input = try testInput(batch: 2, side: 32)
        let training = ForwardContext(isTraining: true)
        #expect(stages.endOfSamplewisePrefix(0..<stages.count, input: input, context: training) == stages.count - 3)
        #expect(withoutGradient { stages.endOfSamplewisePrefix(0..<stages.count, input: input, context: .inference) }
                == stages.count)
        model.isTrainable = true
        #expect(stages.endOfSamplewisePrefix(0..<stages.count, input: input, context: training) == 0,
                "a trainable stem: nothing runs in lanes")
    }

    @Test("two lanes give the feature map and the trainable blocks' gradients of one thread")
    func lanesMatchOneThread() throws {
        let model = Self.lastTwoTrainable()
        let input = try testInput(batch: 3, side: 64)
        let training = ForwardContext(isTraining: true)
        // Inference first: training updates the trainable BatchNorms' running statistics, which inference reads.
        let inference = try [1, 2].map { threads in
            try Self.withThreads(threads) { try withoutGradient { try model.featureMap(input, context: .inference).scalars } }
        }
        func train() throws -> (features: [Float], gradients: [[Float]]) {
            model.zeroGradients()
            let features = try model.featureMap(input, context: training)
            try features.sum().backward()
            return (features.scalars, model.trainableParameters().map { $0.gradient?.scalars ?? [] })
        }
        let one = try Self.withThreads(1) { try train() }
        ComputeThreads.resetUsage()
        let two = try Self.withThreads(2) { try train() }
        #expect(ComputeThreads.usage.laneSecondsByCount[2] ?? 0 > 0, "two threads ran the prefix in two lanes")
        func close(_ a: [Float], _ b: [Float]) -> Bool {
            let scale = max(1, b.map { abs($0) }.max() ?? 0)
            return a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= 1e-4 * scale }
        }
        let sameInference = close(inference[1], inference[0]), sameFeatures = close(two.features, one.features)
        #expect(sameInference, "inference: two lanes against one thread")
        #expect(sameFeatures, "training-mode feature map: two lanes against one thread")
        #expect(one.gradients.count == two.gradients.count && !one.gradients.isEmpty)
        for (index, (a, b)) in zip(two.gradients, one.gradients).enumerated() {
            let same = close(a, b)
            #expect(same, "gradient of trainable parameter \(index)")
        }
    }
}
