import Testing
import TuneCore
import TuneNN
@testable import TuneModels

@Suite("EfficientNet-Lite freezing for fine-tuning")
struct FineTuningFreezeTests {
    @Test("freezing the model then unfreezing the last 2 blocks trains exactly those blocks")
    func unfreezeLastTwoBlocks() {
        let model = EfficientNetLite(variant: .lite0, includeTop: false)
        model.isTrainable = false
        #expect(model.trainableParameters().isEmpty)
        model.blocks.suffix(2).forEach { $0.isTrainable = true }

        let expected = model.blocks.suffix(2).flatMap { $0.namedParameters().map(\.tensor) }
        let trainable = model.trainableParameters()
        #expect(trainable.count == expected.count)
        #expect(zip(trainable, expected).allSatisfy { $0 === $1 })
        #expect(model.parameterCount(trainableOnly: true) == expected.reduce(0) { $0 + $1.elementCount })
        for (path, tensor) in model.namedParameters() {
            let inLastTwo = path.hasPrefix("_blocks.14.") || path.hasPrefix("_blocks.15.")
            #expect(tensor.requiresGradient == inLastTwo, "\(path)")
        }

        let training = ForwardContext(isTraining: true)
        for (path, layer) in model.descendants() {
            guard let norm = layer as? BatchNorm else { continue }
            let inLastTwo = path.hasPrefix("_blocks.14.") || path.hasPrefix("_blocks.15.")
            #expect(norm.usesBatchStatistics(in: training) == inLastTwo, "\(path)")
            #expect(!norm.usesBatchStatistics(in: .inference))
        }
    }

    @Test("a training step through a frozen base leaves frozen BN running statistics alone")
    func frozenRunningStatistics() throws {
        let model = EfficientNetLite(variant: .lite0, classCount: 3)
        model.isTrainable = false
        model.blocks.suffix(1).forEach { $0.isTrainable = true }
        let stemMean = model.stemNorm.runningMean!.scalars
        let lastMean = try #require(model.mbConvBlocks.last?.projectNorm.runningMean).scalars
        _ = try model(testInput(batch: 2, side: 32), context: ForwardContext(isTraining: true))
        #expect(model.stemNorm.runningMean!.scalars == stemMean)
        #expect(try #require(model.mbConvBlocks.last?.projectNorm.runningMean).scalars != lastMean)
    }
}
