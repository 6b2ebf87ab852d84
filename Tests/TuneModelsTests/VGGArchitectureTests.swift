import Foundation
import Testing
import TuneCore
import TuneData
@testable import TuneModels
import TuneNN

@Suite("VGG16 architecture")
struct VGGArchitectureTests {
    @Test("parameters as Keras and torchvision count them: 138,357,544 with the top, 14,714,688 without")
    func parameterCounts() {
        #expect(VGG(flavour: .keras).parameterCount() == 138_357_544)
        #expect(VGG(flavour: .torchvision).parameterCount() == 138_357_544)
        #expect(VGG(includeTop: false).parameterCount() == 14_714_688)
        #expect(VGG(includeTop: true, classCount: 10).parameterCount() == 138_357_544 - 4096 * 990 - 990)
    }

    @Test("five blocks of 2, 2, 3, 3, 3 convolutions named block<b>.conv<i>, and a 512-channel map at a 32nd of the input")
    func structure() throws {
        let model = VGG(includeTop: false)
        #expect(model.blocks.count == 5)
        #expect(model.vggBlocks.map(\.convolutions.count) == [2, 2, 3, 3, 3])
        #expect(model.namedParameters().map(\.path).prefix(4) == ["block1.conv1.weight", "block1.conv1.bias",
                                                                   "block1.conv2.weight", "block1.conv2.bias"])
        #expect(model.featureShape(height: 224, width: 224) == [512, 7, 7])
        #expect(model.featureShape(height: 100, width: 64) == [512, 3, 2])
        let output = try model(Tensor(zeros: [1, 3, 100, 64]))
        #expect(output.shape == [1, 512, 3, 2])
        #expect(model.featureStages.map(\.name) == ["block1", "block2", "block3", "block4", "block5"])
    }

    @Test("Keras's top needs the 7×7 map of a 224² input; torchvision's pools any map to 7×7")
    func topSizes() throws {
        #expect(throws: LayerError.self) { try VGG(flavour: .keras, classCount: 3)(Tensor(zeros: [1, 3, 96, 96])) }
        let logits = try VGG(flavour: .torchvision, classCount: 3)(Tensor(zeros: [1, 3, 96, 96]))
        #expect(logits.shape == [1, 3])
    }

    @Test("each flavour expects its framework's preprocessing: Keras caffe (BGR, means), torchvision ImageNet")
    func preprocessing() {
        #expect(VGG(flavour: .keras).preprocessing == .caffe)
        #expect(VGG(flavour: .keras).preprocessing.channelOrder == .bgr)
        #expect(VGG(flavour: .torchvision).preprocessing == .imageNet)
    }

    @Test("the key maps name every parameter from each source, and a headless model leaves the file's top out")
    func keyMaps() {
        let keras = VGG(flavour: .keras, includeTop: true).checkpointKeyMap
        #expect(keras.modelPath(for: "block5_conv3/0") == "block5.conv3.weight")
        #expect(keras.modelPath(for: "predictions/1") == "predictions.bias")
        #expect(VGG(flavour: .keras, includeTop: false).checkpointKeyMap.modelPath(for: "fc1/0") == nil)
        let torch = VGG(flavour: .torchvision, includeTop: true).checkpointKeyMap
        #expect(torch.modelPath(for: "features.0.weight") == "block1.conv1.weight")
        #expect(torch.modelPath(for: "features.28.bias") == "block5.conv3.bias")
        #expect(torch.modelPath(for: "classifier.6.weight") == "predictions.weight")
    }
}

@Suite("Checkpoint key-map conversions")
struct TensorConversionTests {
    @Test("a Keras HWIO kernel becomes OIHW, a depthwise kernel [C·M, 1, kh, kw], a dense kernel [out, in]")
    func layouts() throws {
        // kernel[h, w, i, o] = 1000h + 100w + 10i + o
        var values: [Float] = []
        for h in 0..<2 { for w in 0..<3 { for i in 0..<2 { for o in 0..<4 { values.append(Float(1000 * h + 100 * w + 10 * i + o)) } } } }
        let hwio = try Tensor(shape: [2, 3, 2, 4], scalars: values)
        let oihw = try TensorConversion.kerasConvolutionKernel.apply(to: hwio)
        #expect(oihw.shape == [4, 2, 2, 3])
        let probe: Float = 1213    // kernel[h 1, w 2, i 1, o 3]
        let oihwIndex = ((3 * 2 + 1) * 2 + 1) * 3 + 2    // [o 3, i 1, h 1, w 2]
        #expect(oihw.scalars[oihwIndex] == probe)
        // Depthwise: channels 2 (the "i" axis), multiplier 4: output channel c·4 + m.
        let depthwise = try TensorConversion.kerasDepthwiseKernel.apply(to: hwio)
        #expect(depthwise.shape == [8, 1, 2, 3])
        let depthwiseIndex = (1 * 4 + 3) * 6 + 1 * 3 + 2    // [c 1 · 4 + m 3, 0, h 1, w 2]
        #expect(depthwise.scalars[depthwiseIndex] == probe)
        let dense = try TensorConversion.kerasDenseKernel.apply(to: Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]))
        #expect(dense.shape == [3, 2] && dense.scalars == [1, 4, 2, 5, 3, 6])
        #expect(throws: TensorError.self) { try TensorConversion.kerasConvolutionKernel.apply(to: Tensor(zeros: [3, 3])) }
    }

    @Test("a dense kernel after Keras's channels-last flatten reads the channels-first flatten's order")
    func afterFlatten() throws {
        // A 2×2×3 (h, w, c) map flattened by Keras: row (h·2 + w)·3 + c. Two units; unit u weight = row index + 100u.
        let rows = 12
        let kernel = try Tensor(shape: [rows, 2], scalars: (0..<rows).flatMap { [Float($0), Float($0 + 100)] })
        let converted = try TensorConversion.kerasDenseKernelAfterFlatten(channels: 3, height: 2, width: 2).apply(to: kernel)
        #expect(converted.shape == [2, 12])
        // Channels-first column c·4 + h·2 + w holds Keras row (h·2 + w)·3 + c.
        let scalars = converted.scalars
        for c in 0..<3 { for h in 0..<2 { for w in 0..<2 {
            let column = c * 4 + h * 2 + w
            let kerasRow = Float((h * 2 + w) * 3 + c)
            #expect(scalars[column] == kerasRow)
            #expect(scalars[12 + column] == kerasRow + 100)
        } } }
        #expect(throws: TensorError.self) {
            try TensorConversion.kerasDenseKernelAfterFlatten(channels: 5, height: 2, width: 2).apply(to: kernel)
        }
    }

    @Test("a tensor of the wrong rank for its conversion is a load error naming the file and key")
    func failureNamesKey() throws {
        let map = CheckpointKeyMap(table: ["conv/0": .init("conv.weight", .kerasConvolutionKernel)])
        do {
            _ = try map.apply(to: ["conv/0": Tensor(zeros: [3])], file: "model.h5")
            Issue.record("a rank-1 kernel was converted")
        } catch let error as LoadError {
            #expect(error.conversionFailures.count == 1)
            #expect("\(error)".contains("model.h5: conv/0 → conv.weight"), "\(error)")
        }
    }
}

@Suite("Saved preprocessing")
struct SavedPreprocessingTests {
    @Test("a BGR normalization is saved with its channel order and read back; a record without one reads as RGB")
    func channelOrder() throws {
        let record = SavedModelConfiguration.Preprocessing(ImagePreprocessing(height: 224, width: 224, normalization: .caffe))
        let data = try JSONEncoder().encode(record)
        #expect(String(decoding: data, as: UTF8.self).contains("\"channelOrder\":\"bgr\""))
        let back = try JSONDecoder().decode(SavedModelConfiguration.Preprocessing.self, from: data)
        #expect(back.normalization == .caffe)
        let old = #"{"height":64,"width":64,"resize":"bilinear","centerCrop":false,"normalization":"imagenet","mean":[1,2,3],"standardDeviation":[1,1,1]}"#
        let decoded = try JSONDecoder().decode(SavedModelConfiguration.Preprocessing.self, from: Data(old.utf8))
        #expect(decoded.normalization.channelOrder == .rgb)
    }
}
