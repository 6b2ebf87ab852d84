import Testing
import TuneCore
import TuneData
import TuneNN
@testable import TuneModels

@Suite("EfficientNet-Lite architecture")
struct EfficientNetLiteArchitectureTests {
    @Test("Lite0 with top has 4,652,008 parameters, as the PyTorch checkpoint")
    func lite0ParameterCount() {
        #expect(sharedLite0.parameterCount() == 4_652_008)
        #expect(sharedLite0.parameterCount(trainableOnly: true) == 4_652_008)
    }

    @Test("Lite0 state dictionary: 296 entries minus the 49 BN counters, lukemelas names and PyTorch shapes")
    func lite0KeysAndShapes() {
        let state = sharedLite0.stateDictionary()
        // 49 BatchNorms × 5 entries (incl. num_batches_tracked) + 3 conv/fc… the checkpoint has 296 with counters.
        let batchNormCount = sharedLite0.descendants().filter { $0.layer is BatchNorm }.count
        #expect(batchNormCount == 49)
        #expect(state.count + batchNormCount == 296)
        let shapes = state.mapValues(\.shape)
        #expect(shapes["_conv_stem.weight"] == [32, 3, 3, 3])
        #expect(shapes["_conv_stem.bias"] == nil)
        #expect(shapes["_bn0.weight"] == [32])
        #expect(shapes["_bn0.bias"] == [32])
        #expect(shapes["_bn0.running_mean"] == [32])
        #expect(shapes["_bn0.running_var"] == [32])
        #expect(shapes["_blocks.0._depthwise_conv.weight"] == [32, 1, 3, 3])
        #expect(shapes["_blocks.0._expand_conv.weight"] == nil)
        #expect(shapes["_blocks.0._bn0.weight"] == nil)
        #expect(shapes["_blocks.0._project_conv.weight"] == [16, 32, 1, 1])
        #expect(shapes["_blocks.0._bn2.running_var"] == [16])
        #expect(shapes["_blocks.1._expand_conv.weight"] == [96, 16, 1, 1])
        #expect(shapes["_blocks.1._bn0.running_mean"] == [96])
        #expect(shapes["_blocks.3._depthwise_conv.weight"] == [144, 1, 5, 5])
        #expect(shapes["_blocks.15._project_conv.weight"] == [320, 1152, 1, 1])
        #expect(shapes["_blocks.16._project_conv.weight"] == nil)
        #expect(shapes["_conv_head.weight"] == [1280, 320, 1, 1])
        #expect(shapes["_bn1.running_var"] == [1280])
        #expect(shapes["_fc.weight"] == [1000, 1280])
        #expect(shapes["_fc.bias"] == [1000])
        #expect(state.keys.allSatisfy { !$0.contains("dropout") })
    }

    @Test("Lite0 has 16 blocks, exposed in order as blocks and _blocks.N")
    func lite0Blocks() {
        #expect(sharedLite0.blocks.count == 16)
        #expect(sharedLite0.blockConfigurations.count == 16)
        let paths = Dictionary(sharedLite0.descendants().map { ($0.path, $0.layer) }, uniquingKeysWith: { a, _ in a })
        for (index, block) in sharedLite0.blocks.enumerated() {
            #expect(paths["_blocks.\(index)"] === block)
            #expect((block as? MBConvBlock)?.configuration.index == index)
        }
    }

    @Test("residual blocks follow from the table: stride 1 and in == out")
    func residualBlocks() {
        let expected = [2, 4, 6, 7, 9, 10, 12, 13, 14]
        #expect(EfficientNetLiteVariant.lite0.blockConfigurations.filter(\.hasResidual).map(\.index) == expected)
        #expect(sharedLite0.residualBlockIndices == expected)
        #expect(sharedLite0.mbConvBlocks.filter(\.hasResidual).map(\.configuration.index) == expected)
    }

    @Test("Lite0 block table matches the reference manifest")
    func lite0BlockTable() {
        // (expand, kernel, stride, in, out) for blocks 0…15, from the shared reference manifest.json.
        let manifest: [(Int, Int, Int, Int, Int)] = [
            (1, 3, 1, 32, 16), (6, 3, 2, 16, 24), (6, 3, 1, 24, 24), (6, 5, 2, 24, 40), (6, 5, 1, 40, 40),
            (6, 3, 2, 40, 80), (6, 3, 1, 80, 80), (6, 3, 1, 80, 80), (6, 5, 1, 80, 112), (6, 5, 1, 112, 112),
            (6, 5, 1, 112, 112), (6, 5, 2, 112, 192), (6, 5, 1, 192, 192), (6, 5, 1, 192, 192), (6, 5, 1, 192, 192),
            (6, 3, 1, 192, 320),
        ]
        let table = EfficientNetLiteVariant.lite0.blockConfigurations
        #expect(table.count == manifest.count)
        for (row, expected) in zip(table, manifest) {
            #expect(row.expandRatio == expected.0 && row.kernelSize == expected.1 && row.stride == expected.2
                    && row.inChannels == expected.3 && row.outChannels == expected.4, "\(row)")
        }
    }

    @Test("BatchNorm everywhere uses ε 1e-3 and PyTorch momentum 0.01")
    func batchNormSettings() {
        let norms = sharedLite0.descendants().compactMap { $0.layer as? BatchNorm }
        #expect(!norms.isEmpty)
        #expect(norms.allSatisfy { $0.epsilon == 1e-3 && $0.momentum == 0.01 })
    }

    @Test("variant table: TF efficientnet_lite_builder values")
    func variantTable() {
        let rows = EfficientNetLiteVariant.all.map { ($0.widthMultiplier, $0.depthMultiplier, $0.inputSize, $0.dropoutRate) }
        let expected: [(Double, Double, Int, Float)] = [
            (1.0, 1.0, 224, 0.2), (1.0, 1.1, 240, 0.2), (1.1, 1.2, 260, 0.3), (1.2, 1.4, 280, 0.3), (1.4, 1.8, 300, 0.3),
        ]
        #expect(rows.count == expected.count)
        for (row, want) in zip(rows, expected) {
            #expect(row.0 == want.0 && row.1 == want.1 && row.2 == want.2 && row.3 == want.3)
        }
        #expect(EfficientNetLiteVariant.named("lite3") == .lite3)
        #expect(EfficientNetLiteVariant.named("EfficientNet-Lite4") == .lite4)
        #expect(EfficientNetLiteVariant.named("b0") == nil)
    }

    @Test("round_filters: multiples of 8, never 10 % below the scaled width")
    func roundFilters() {
        #expect(EfficientNetLiteVariant.lite0.roundFilters(320) == 320)
        #expect(EfficientNetLiteVariant.lite2.roundFilters(112) == 120)
        #expect(EfficientNetLiteVariant.lite3.roundFilters(16) == 24)  // 19.2 → 16 is > 10 % low, so 24
        #expect(EfficientNetLiteVariant.lite4.roundFilters(24) == 32)
        #expect(EfficientNetLiteVariant.lite4.roundFilters(320) == 448)
    }

    /// Block counts from the depth multiplier: first and last stage kept at 1, the others `ceil(d · repeats)`
    /// of (2, 2, 3, 3, 4); stage widths from `round_filters` of (16, 24, 40, 80, 112, 192, 320).
    @Test("Lite1…Lite4 block counts and stage widths", arguments: [
        (EfficientNetLiteVariant.lite1, 21, [16, 24, 40, 80, 112, 192, 320]),
        (EfficientNetLiteVariant.lite2, 21, [16, 24, 48, 88, 120, 208, 352]),
        (EfficientNetLiteVariant.lite3, 24, [24, 32, 48, 96, 136, 232, 384]),
        (EfficientNetLiteVariant.lite4, 30, [24, 32, 56, 112, 160, 272, 448]),
    ])
    func variantTables(variant: EfficientNetLiteVariant, blockCount: Int, stageWidths: [Int]) {
        let table = variant.blockConfigurations
        #expect(table.count == blockCount)
        var widths: [Int] = []
        for row in table where row.stage == widths.count { widths.append(row.outChannels) }
        #expect(widths == stageWidths)
        #expect(table.first?.inChannels == 32)  // the stem is not scaled
        #expect(table.filter { $0.stage == 0 }.count == 1)
        #expect(table.filter { $0.stage == 6 }.count == 1)
        #expect(table.filter { $0.stride == 2 }.count == 4)
        for (previous, next) in zip(table, table.dropFirst()) { #expect(previous.outChannels == next.inChannels) }
    }

    /// Exact counts from this table; rounded to 0.01 M they are the published sizes of timm's
    /// `tf_efficientnet_lite1…4` (5.42 M, 6.09 M, 8.20 M, 13.01 M), an independent check of widths and depths.
    @Test("Lite1…Lite4 parameter counts with top", arguments: [
        (EfficientNetLiteVariant.lite1, 5_416_680, 542), (EfficientNetLiteVariant.lite2, 6_092_072, 609),
        (EfficientNetLiteVariant.lite3, 8_197_096, 820), (EfficientNetLiteVariant.lite4, 13_006_568, 1301),
    ])
    func variantParameterCounts(variant: EfficientNetLiteVariant, count: Int, hundredthsOfMillions: Int) {
        let actual = EfficientNetLite(variant: variant).parameterCount()
        #expect(actual == count)
        #expect(Int((Double(actual) / 10_000).rounded()) == hundredthsOfMillions)
    }

    @Test("preprocessing and input size")
    func preprocessingAndInputSize() {
        #expect(sharedLite0.preprocessing == .symmetric127)
        #expect(sharedLite0.inputSize == 224)
        #expect(sharedLite0.featureChannels == 1280)
    }

    @Test("includeTop false has no _fc and no classifier parameters")
    func headless() {
        let model = EfficientNetLite(variant: .lite0, includeTop: false)
        let shapes = parameterShapes(model)
        #expect(shapes["_fc.weight"] == nil)
        #expect(model.parameterCount() == 4_652_008 - 1000 * 1280 - 1000)
    }

    @Test("classCount sets the classifier width")
    func classCount() {
        let model = EfficientNetLite(variant: .lite0, classCount: 5)
        #expect(parameterShapes(model)["_fc.weight"] == [5, 1280])
        #expect(parameterShapes(model)["_fc.bias"] == [5])
    }
}
