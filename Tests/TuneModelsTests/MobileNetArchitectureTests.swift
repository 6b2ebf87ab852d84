import Testing
import TuneCore
import TuneData
@testable import TuneModels
import TuneNN

@Suite("MobileNet (v1) architecture")
struct MobileNetArchitectureTests {
    @Test("every Keras width has Keras's parameter counts with and without the top",
          arguments: [(1.0, 4_253_864, 4_231_976, 3_228_864), (0.75, 2_601_976, 2_585_560, 1_832_976),
                      (0.5, 1_342_536, 1_331_592, 829_536), (0.25, 475_544, 470_072, 218_544)])
    func parameterCounts(width: Double, total: Int, trainable: Int, headless: Int) {
        func kerasTotal(_ model: MobileNet) -> Int {
            model.parameterCount() + model.namedBuffers().reduce(0) { $0 + $1.tensor.elementCount }
        }
        let configuration = MobileNetConfiguration(widthMultiplier: width)
        #expect(kerasTotal(MobileNet(configuration: configuration)) == total)
        #expect(MobileNet(configuration: configuration).parameterCount() == trainable)
        #expect(kerasTotal(MobileNet(configuration: configuration, includeTop: false)) == headless)
    }

    @Test("13 blocks; a stride-2 block pads one pixel after the input, so a 100² input gives a 3×3 map as in Keras")
    func structure() throws {
        let model = MobileNet(includeTop: false)
        #expect(model.blocks.count == 13)
        #expect(model.featureShape(height: 224, width: 224) == [1024, 7, 7])
        #expect(model.featureShape(height: 100, width: 100) == [1024, 3, 3])
        #expect(try model(Tensor(zeros: [1, 3, 100, 100])).shape == [1, 1024, 3, 3])
        #expect(MobileNetConfiguration(widthMultiplier: 0.25).name == "mobilenet-0.25")
        #expect(model.preprocessing == .symmetric)
    }

    @Test("the key map reads Keras's names, the classifier's 1×1 convolution kernel as a dense weight")
    func keyMap() throws {
        let map = MobileNet().checkpointKeyMap
        #expect(map.modelPath(for: "conv_dw_13_bn/2") == "block_13.depthwise_bn.running_mean")
        #expect(map.modelPath(for: "conv_pw_1/0") == "block_1.pointwise.weight")
        #expect(map.modelPath(for: "conv_preds/0") == "predictions.weight")
        #expect(MobileNet(includeTop: false).checkpointKeyMap.modelPath(for: "conv_preds/1") == nil)
        let kernel = try Tensor(shape: [1, 1, 2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let dense = try TensorConversion.kerasPointwiseKernelAsDense.apply(to: kernel)
        #expect(dense.shape == [3, 2] && dense.scalars == [1, 4, 2, 5, 3, 6])
        #expect(throws: TensorError.self) { try TensorConversion.kerasPointwiseKernelAsDense.apply(to: Tensor(zeros: [3, 3, 2, 2])) }
    }
}
