import Foundation
import Testing
import TuneCore
import TuneData
@testable import TuneModels
import TuneNN

@Suite("InceptionV3 architecture")
struct InceptionV3ArchitectureTests {
    /// Keras's `count_params()` includes BatchNorm statistics.
    func kerasTotal(_ model: InceptionV3) -> Int {
        model.parameterCount() + model.namedBuffers().reduce(0) { $0 + $1.tensor.elementCount }
    }

    @Test("parameters as each framework counts them: Keras 23,851,784 with BatchNorm statistics (21,802,784 without the top), torchvision 23,834,568 without AuxLogits")
    func parameterCounts() {
        #expect(kerasTotal(InceptionV3(flavour: .keras)) == 23_851_784)
        #expect(kerasTotal(InceptionV3(flavour: .keras, includeTop: false)) == 21_802_784)
        #expect(InceptionV3(flavour: .keras).parameterCount() == 23_817_352)    // Keras's trainable count
        #expect(InceptionV3(flavour: .torchvision).parameterCount() == 23_834_568)
    }

    @Test("94 convolutions, eleven blocks mixed0 … mixed10 of Keras's widths; a 2048-channel map, 8×8 at 299², 1×1 at 75²")
    func structure() throws {
        let keras = InceptionV3(flavour: .keras, includeTop: false)
        #expect(keras.convolutionsInKerasOrder.count == 94)
        #expect(keras.blocks.count == 11)
        let names = (0...10).map { "mixed\($0)" }
        #expect(keras.featureStages.map(\.name) == ["stem"] + names)
        #expect(keras.blockStageNames == names)
        #expect(keras.inceptionBlocks.map(\.settings.outChannels) == [256, 288, 288, 768, 768, 768, 768, 768, 1280, 2048, 2048])
        #expect(keras.featureShape(height: 299, width: 299) == [2048, 8, 8])
        #expect(keras.featureShape(height: 75, width: 160) == [2048, 1, 3])
        #expect(try keras(Tensor(zeros: [1, 3, 75, 80])).shape == [1, 2048, 1, 1])
        #expect(try InceptionV3(flavour: .torchvision, classCount: 5)(Tensor(zeros: [2, 3, 75, 75])).shape == [2, 5])
        #expect(keras.inputSize == 299 && keras.minimumInputSize == 75)
    }

    @Test("an input below 75² is refused with a clear error, in either dimension")
    func tooSmall() {
        let model = InceptionV3(flavour: .keras, includeTop: false)
        for shape: Shape in [[1, 3, 74, 74], [1, 3, 299, 74], [1, 3, 60, 100]] {
            do {
                _ = try model(Tensor(zeros: shape))
                Issue.record("\(shape) was accepted")
            } catch {
                #expect("\(error)".contains("at least 75"), "\(error)")
            }
        }
    }

    @Test("Keras: BatchNorm without γ, average pools without the padding; torchvision: γ, padding counted, input re-mapped")
    func flavourDetails() throws {
        let keras = InceptionV3(flavour: .keras)
        let torch = InceptionV3(flavour: .torchvision)
        #expect(!keras.stem[0].norm.hasScale && keras.stem[0].norm.epsilon == 1e-3)
        #expect(torch.stem[0].norm.hasScale && torch.stem[0].norm.epsilon == 1e-3)
        #expect(keras.namedParameters().allSatisfy { !$0.path.hasSuffix("bn.weight") })
        let kerasPool = try #require(keras.inceptionBlocks[0].branches[3].pool as? AveragePool2D)
        let torchPool = try #require(torch.inceptionBlocks[0].branches[3].pool as? AveragePool2D)
        #expect(!kerasPool.countIncludesPadding && torchPool.countIncludesPadding)
        #expect(keras.preprocessing == .symmetric && torch.preprocessing == .imageNet)
        #expect(!keras.transformsInput && torch.transformsInput)
        #expect(!InceptionV3(flavour: .torchvision, transformInput: false).transformsInput)
    }

    @Test("transform_input turns ImageNet-normalized pixels into x / 127.5 − 1, as torchvision's pretrained model sees them")
    func transformInput() throws {
        let pixels: [Float] = [0, 64, 128, 200, 255]
        let mean: [Float] = [0.485, 0.456, 0.406], deviation: [Float] = [0.229, 0.224, 0.225]
        var normalized: [Float] = []
        for channel in 0..<3 { normalized += pixels.map { ($0 / 255 - mean[channel]) / deviation[channel] } }
        let transformed = try InceptionV3.transformInput(Tensor(shape: [1, 3, 1, 5], scalars: normalized)).scalars
        let expected = (0..<3).flatMap { _ in pixels.map { $0 / 127.5 - 1 } }
        #expect(zip(transformed, expected).allSatisfy { abs($0 - $1) < 1e-5 }, "\(transformed)")
    }

    @Test("the key maps name every parameter from each source: Keras by creation order, torchvision by module, AuxLogits left out")
    func keyMaps() {
        let keras = InceptionV3().checkpointKeyMap
        #expect(keras.modelPath(for: "conv2d/0") == "Conv2d_1a_3x3.conv.weight")
        #expect(keras.modelPath(for: "batch_normalization/0") == "Conv2d_1a_3x3.bn.bias")
        #expect(keras.modelPath(for: "conv2d_5/0") == "mixed0.branch1x1.conv.weight")
        #expect(keras.modelPath(for: "batch_normalization_93/2") == "mixed10.branch_pool.bn.running_var")
        #expect(keras.modelPath(for: "conv2d_92/0") == "mixed10.branch3x3dbl_3b.conv.weight")
        #expect(keras.modelPath(for: "predictions/0") == "predictions.weight")
        #expect(InceptionV3(includeTop: false).checkpointKeyMap.modelPath(for: "predictions/1") == nil)
        let torch = InceptionV3(flavour: .torchvision).checkpointKeyMap
        #expect(torch.modelPath(for: "Conv2d_4a_3x3.bn.weight") == "Conv2d_4a_3x3.bn.weight")
        #expect(torch.modelPath(for: "Mixed_7c.branch3x3dbl_3b.bn.running_mean") == "mixed10.branch3x3dbl_3b.bn.running_mean")
        #expect(torch.modelPath(for: "Mixed_6a.branch3x3.conv.weight") == "mixed3.branch3x3.conv.weight")
        #expect(torch.modelPath(for: "fc.bias") == "predictions.bias")
        #expect(torch.modelPath(for: "AuxLogits.conv1.conv.weight") == nil)
        #expect(torch.modelPath(for: "AuxLogits.fc.bias") == nil)
        #expect(torch.modelPath(for: "AuxLogits.conv2.conv.weight") == "AuxLogits.conv2.conv.weight")    // not torchvision's
    }

    @Test("a Keras file numbered from 1 (Keras 2's download) or after other models is renumbered from its first layer")
    func kerasRenumbering() {
        let renamed = InceptionV3.renumberKerasLayers(["conv2d_1/0", "conv2d_10/0", "conv2d_2/0", "batch_normalization_5/1",
                                                       "batch_normalization_7/0", "predictions/0", "conv2d_x/0"])
        #expect(renamed == ["conv2d_1/0": "conv2d/0", "conv2d_2/0": "conv2d_1/0", "conv2d_10/0": "conv2d_2/0",
                            "batch_normalization_5/1": "batch_normalization/1", "batch_normalization_7/0": "batch_normalization_1/0"])
        #expect(InceptionV3.renumberKerasLayers(["conv2d/0", "conv2d_1/0"]) == ["conv2d/0": "conv2d/0", "conv2d_1/0": "conv2d_1/0"])
    }

    @Test("training at 75² sends a gradient to every parameter, through the concatenations, pools and split branches",
          arguments: ArchitectureFlavour.allCases)
    func gradientsReachEveryParameter(flavour: ArchitectureFlavour) throws {
        let model = InceptionV3(flavour: flavour, classCount: 3)
        let count = 2 * 3 * 75 * 75
        let input = try Tensor(shape: [2, 3, 75, 75], scalars: (0..<count).map { Float(sin(0.01 * Double($0))) })
        let logits = try model(input, context: ForwardContext(isTraining: true))
        try (logits * logits).sum().backward()
        let missing = model.namedParameters().filter { $0.tensor.gradient == nil }.map(\.path)
        #expect(missing.isEmpty, "no gradient for \(missing)")
    }

    @Test("the registry builds both flavours at 299² with their preprocessing")
    func registry() throws {
        let keras = try ModelRegistry.entry(named: "inceptionv3")
        #expect(keras.inputSize == 299 && keras.preprocessing == .symmetric && keras.flavour == .keras && keras.family == "InceptionV3")
        let torch = try ModelRegistry.entry(named: "torchvision-inception-v3")
        #expect(torch.inputSize == 299 && torch.preprocessing == .imageNet && torch.flavour == .torchvision)
        #expect((torch.build(includeTop: false) as? InceptionV3)?.transformsInput == true)
    }
}
