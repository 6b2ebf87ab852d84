import Testing
import TuneCore
import TuneNN
@testable import TuneModels

@Suite("EfficientNet-Lite forward shapes")
struct EfficientNetLiteForwardTests {
    @Test("Lite0 at 224: logits [1, 1000], finite")
    func logitsAt224() throws {
        let logits = try EfficientNetLite(variant: .lite0)(testInput(side: 224))
        #expect(logits.shape == [1, 1000])
        #expect(logits.isFinite)
    }

    @Test("includeTop false: [N, 1280, ⌈H/32⌉, ⌈W/32⌉] for any input size (TF SAME padding)")
    func featureMapSizes() throws {
        let model = EfficientNetLite(variant: .lite0, includeTop: false)
        #expect(try model(testInput(side: 224)).shape == [1, 1280, 7, 7])
        #expect(try model(testInput(side: 96)).shape == [1, 1280, 3, 3])
        #expect(try model(testInput(batch: 2, side: 64)).shape == [2, 1280, 2, 2])
        #expect(try model(testInput(side: 32)).shape == [1, 1280, 1, 1])
        let odd = try model(testInput(side: 33))
        #expect(odd.shape == [1, 1280, 2, 2])
        #expect(odd.isFinite)
    }

    @Test("stride-2 convolutions at 224 pad as the manifest says (TF SAME: extra pixel after)")
    func samePaddingAt224() {
        var side = 224
        var pads: [Int: (Int, Int)] = [:]
        let stem = Padding.same.amounts(height: side, width: side, kernel: (3, 3), stride: (2, 2))
        side = (side + 1) / 2
        for block in EfficientNetLiteVariant.lite0.blockConfigurations where block.stride == 2 {
            let amounts = Padding.same.amounts(height: side, width: side, kernel: (block.kernelSize, block.kernelSize),
                                               stride: (2, 2))
            pads[block.index] = (amounts.top, amounts.bottom)
            side = (side + 1) / 2
        }
        #expect(stem.top == 0 && stem.bottom == 1 && stem.left == 0 && stem.right == 1)
        #expect(pads.keys.sorted() == [1, 3, 5, 11])
        #expect(pads[1]! == (0, 1) && pads[3]! == (1, 2) && pads[5]! == (0, 1) && pads[11]! == (1, 2))
        #expect(side == 7)
    }

    @Test("features pool the feature map to [N, 1280]")
    func pooledFeatures() throws {
        let model = EfficientNetLite(variant: .lite0)
        let input = try testInput(batch: 2, side: 64)
        let features = try model.features(input)
        #expect(features.shape == [2, 1280])
        let map = try model.featureMap(input)
        #expect(map.shape == [2, 1280, 2, 2])
        let pooled = try map.globalAveragePool2d().scalars
        #expect(zip(features.scalars, pooled).allSatisfy { abs($0 - $1) <= 1e-6 })
        // After ReLU6 every feature lies in 0…6.
        #expect(features.scalars.allSatisfy { $0 >= 0 && $0 <= 6 })
    }

    @Test("training mode runs and gives the classifier shape")
    func trainingForward() throws {
        let model = EfficientNetLite(variant: .lite0, classCount: 4)
        let logits = try model(testInput(batch: 2, side: 32), context: ForwardContext(isTraining: true, seed: 1))
        #expect(logits.shape == [2, 4])
        #expect(logits.isFinite)
    }

    @Test("Lite1…Lite4 build and run headless at 64", arguments: [
        (EfficientNetLiteVariant.lite1, 21, 320, 192 * 6),
        (EfficientNetLiteVariant.lite2, 21, 352, 208 * 6),
        (EfficientNetLiteVariant.lite3, 24, 384, 232 * 6),
        (EfficientNetLiteVariant.lite4, 30, 448, 272 * 6),
    ])
    func largerVariants(variant: EfficientNetLiteVariant, blockCount: Int, lastChannels: Int, lastExpanded: Int) throws {
        let model = EfficientNetLite(variant: variant, includeTop: false)
        #expect(model.blocks.count == blockCount)
        let shapes = parameterShapes(model)
        #expect(shapes["_conv_stem.weight"] == [32, 3, 3, 3])
        #expect(shapes["_blocks.0._depthwise_conv.weight"] == [32, 1, 3, 3])
        #expect(shapes["_blocks.\(blockCount - 1)._project_conv.weight"] == [lastChannels, lastExpanded, 1, 1])
        #expect(shapes["_conv_head.weight"] == [1280, lastChannels, 1, 1])
        #expect(shapes["_blocks.\(blockCount)._bn2.weight"] == nil)
        #expect(try model(testInput(side: 64)).shape == [1, 1280, 2, 2])
    }
}
