import Testing
import TuneCore
import TuneData
@testable import TuneModels
import TuneNN

@Suite("MobileNetV2 architecture")
struct MobileNetV2ArchitectureTests {
    /// Keras's `count_params()` includes BatchNorm statistics.
    func kerasTotal(_ model: MobileNetV2) -> Int {
        model.parameterCount() + model.namedBuffers().reduce(0) { $0 + $1.tensor.elementCount }
    }

    @Test("every Keras width has Keras's parameter counts (with and without the top), torchvision's has 3,504,872",
          arguments: [(1.0, 3_538_984, 3_504_872, 2_257_984), (0.75, 2_663_064, 2_636_424, 1_382_064),
                      (0.5, 1_987_224, 1_968_680, 706_224), (0.35, 1_691_208, 1_677_128, 410_208)])
    func parameterCounts(width: Double, total: Int, trainable: Int, headless: Int) {
        let configuration = MobileNetV2Configuration(widthMultiplier: width)
        #expect(kerasTotal(MobileNetV2(configuration: configuration)) == total)
        #expect(MobileNetV2(configuration: configuration).parameterCount() == trainable)
        #expect(kerasTotal(MobileNetV2(configuration: configuration, includeTop: false)) == headless)
        if width == 1 { #expect(MobileNetV2(flavour: .torchvision).parameterCount() == 3_504_872) }
    }

    @Test("17 blocks, the stem and the head; a 1280-channel map at ⌈H/32⌉ for even and odd sizes in both flavours")
    func structure() throws {
        for flavour in ArchitectureFlavour.allCases {
            let model = MobileNetV2(flavour: flavour, includeTop: false)
            #expect(model.blocks.count == 17)
            #expect(model.featureStages.first?.name == "stem" && model.featureStages.last?.name == "head")
            #expect(try model(Tensor(zeros: [1, 3, 97, 64])).shape == [1, 1280, 4, 2])
            #expect(model.featureShape(height: 97, width: 64) == [1280, 4, 2])
        }
        #expect(MobileNetV2Configuration(widthMultiplier: 0.35).name == "mobilenetv2-0.35")
        #expect(MobileNetV2(flavour: .keras).preprocessing == .symmetric)
        #expect(MobileNetV2(flavour: .torchvision).preprocessing == .imageNet)
    }

    @Test("the key maps name every parameter from each source")
    func keyMaps() {
        let keras = MobileNetV2().checkpointKeyMap
        #expect(keras.modelPath(for: "expanded_conv_depthwise/0") == "block_0.depthwise.weight")
        #expect(keras.modelPath(for: "block_16_project_BN/3") == "block_16.project_bn.running_var")
        #expect(keras.modelPath(for: "Conv_1_bn/0") == "head_bn.weight")
        let torch = MobileNetV2(flavour: .torchvision).checkpointKeyMap
        #expect(torch.modelPath(for: "features.1.conv.1.weight") == "block_0.project.weight")
        #expect(torch.modelPath(for: "features.2.conv.1.0.weight") == "block_1.depthwise.weight")
        #expect(torch.modelPath(for: "features.18.1.running_var") == "head_bn.running_var")
        #expect(torch.modelPath(for: "classifier.1.weight") == "predictions.weight")
    }
}
