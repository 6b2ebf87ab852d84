import Testing
import TuneCore
import TuneData
@testable import TuneModels
import TuneNN

@Suite("ResNet50 architecture")
struct ResNetArchitectureTests {
    @Test("parameters as each framework counts them: Keras 25,636,712 with BatchNorm statistics (23,587,712 without the top), torchvision 25,557,032")
    func parameterCounts() {
        func kerasTotal(_ model: ResNet) -> Int {
            model.parameterCount() + model.namedBuffers().reduce(0) { $0 + $1.tensor.elementCount }
        }
        #expect(kerasTotal(ResNet(flavour: .keras)) == 25_636_712)
        #expect(kerasTotal(ResNet(flavour: .keras, includeTop: false)) == 23_587_712)
        #expect(ResNet(flavour: .keras).parameterCount() == 25_583_592)    // Keras's trainable count
        #expect(ResNet(flavour: .torchvision).parameterCount() == 25_557_032)
    }

    @Test("16 bottlenecks in stages of 3, 4, 6, 3; Keras strides the first 1×1, torchvision the 3×3; a 2048-channel map at ⌈H/32⌉")
    func structure() throws {
        let keras = ResNet(flavour: .keras, includeTop: false)
        #expect(keras.blocks.count == 16)
        #expect(keras.featureStages.map(\.name).prefix(5) == ["stem", "conv2_block1", "conv2_block2", "conv2_block3", "conv3_block1"])
        let firstOfConv3 = keras.bottlenecks[3]
        #expect(firstOfConv3.conv1.stride.0 == 2 && firstOfConv3.conv2.stride.0 == 1)
        let torchFirstOfLayer2 = ResNet(flavour: .torchvision).bottlenecks[3]
        #expect(torchFirstOfLayer2.conv1.stride.0 == 1 && torchFirstOfLayer2.conv2.stride.0 == 2)
        #expect(keras.featureShape(height: 224, width: 224) == [2048, 7, 7])
        #expect(keras.featureShape(height: 100, width: 33) == [2048, 4, 2])
        #expect(try keras(Tensor(zeros: [1, 3, 100, 33])).shape == [1, 2048, 4, 2])
        #expect(try ResNet(flavour: .torchvision, classCount: 5)(Tensor(zeros: [2, 3, 64, 64])).shape == [2, 5])
        #expect(keras.bottlenecks.map(\.settings.hasProjection).filter { $0 }.count == 4)
    }

    @Test("BatchNorm ε is 1.001e-5 in Keras and 1e-5 in torchvision; preprocessing caffe and ImageNet")
    func flavourDetails() {
        #expect(ResNet(flavour: .keras).stemNorm.epsilon == 1.001e-5)
        #expect(ResNet(flavour: .torchvision).stemNorm.epsilon == 1e-5)
        #expect(ResNet(flavour: .keras).preprocessing == .caffe)
        #expect(ResNet(flavour: .torchvision).preprocessing == .imageNet)
    }

    @Test("the key maps name every parameter and statistic from each source")
    func keyMaps() {
        let keras = ResNet(flavour: .keras).checkpointKeyMap
        #expect(keras.modelPath(for: "conv2_block1_0_conv/0") == "conv2_block1.shortcut.weight")
        #expect(keras.modelPath(for: "conv5_block3_3_bn/3") == "conv5_block3.bn3.running_var")
        #expect(keras.modelPath(for: "conv1_conv/1") == "conv1.bias")
        #expect(ResNet(flavour: .keras, includeTop: false).checkpointKeyMap.modelPath(for: "predictions/0") == nil)
        let torch = ResNet(flavour: .torchvision).checkpointKeyMap
        #expect(torch.modelPath(for: "layer1.0.downsample.1.running_mean") == "conv2_block1.shortcut_bn.running_mean")
        #expect(torch.modelPath(for: "layer4.2.conv3.weight") == "conv5_block3.conv3.weight")
        #expect(torch.modelPath(for: "fc.weight") == "predictions.weight")
    }
}
