import Foundation
import Testing
import TestFixtures
@testable import FineTune

@Suite("finetune train with the guide's models", .serialized, .requires(.finetuneBinary))
struct GuideModelsCommandTests {
    /// A headless VGG16's weights saved under its own parameter paths (a file the key map passes through unchanged).
    func vggWeights(in folder: URL) throws -> String {
        let path = folder.appendingPathComponent("vgg16-notop.safetensors").path
        let model = VGG(flavour: .keras, includeTop: false)
        try Safetensors.write(StateDictionary(model.stateDictionary().sorted { $0.key < $1.key }.map { ($0.key, $0.value) }), to: path)
        return path
    }

    @Test("--unfreeze last-layers:4 on vgg16 unfreezes what base_model.layers[-4:] names in Keras, with the guide's Flatten head")
    func lastLayers() throws {
        let data = SyntheticImages.temporaryFolder("guide-data")
        try SyntheticImages.write(to: data, trainPerClass: 4)
        let work = SyntheticImages.temporaryFolder("guide-work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let weights = try vggWeights(in: work)
        let common = ["train", data.path, "--model", "vgg16", "--weights", weights, "--image-size", "32", "--head-epochs", "1",
                      "--epochs", "1", "--batch-size", "4", "--threads", "1"]
        let (status, output) = try FineTuneBinary.run(common + ["--head", "flatten-dense-256", "--unfreeze", "last-layers:4",
                                                                "--preprocessing", "rescale", "--out", work.appendingPathComponent("run").path])
        #expect(status == 0, "\(output)")
        #expect(output.contains("unfreeze last-layers:4: block5_conv1, block5_conv2, block5_conv3, block5_pool"), "\(output)")
        // The three convolutions, 3 × (512 · 512 · 9 + 512) = 7,079,424, and the head on the 1×1×512 map of a 32² input,
        // 512 · 256 + 256 + 256 · 3 + 3 = 132,099.
        #expect(output.contains("trainable 7,211,523"), "\(output)")
        #expect(output.contains("normalization unit-range") && output.contains("WARNING: the vgg16 weights were trained with caffe BGR"),
                "\(output)")
        let config = try String(contentsOf: work.appendingPathComponent("run/config.json"), encoding: .utf8)
        #expect(config.contains("\"unit-range\""), "\(config)")
        let (tooMany, message) = try FineTuneBinary.run(common + ["--unfreeze", "last-layers:20", "--out", work.appendingPathComponent("r2").path])
        #expect(tooMany != 0 && message.contains("vgg16 has 19 layers, cannot unfreeze the last 20"), "\(message)")
        let (zero, zeroMessage) = try FineTuneBinary.run(common + ["--unfreeze", "last-layers:0", "--out", work.appendingPathComponent("r3").path])
        #expect(zero != 0 && zeroMessage.contains("last-layers:N"), "\(zeroMessage)")
    }

    @Test("the guide's recipe runs on ResNet50, MobileNet, MobileNetV2 and InceptionV3, unfreezing Keras's last four layers",
          arguments: [("resnet50", "conv5_block3_3_conv, conv5_block3_3_bn, conv5_block3_add, conv5_block3_out", 32),
                      ("mobilenet", "conv_dw_13_relu, conv_pw_13, conv_pw_13_bn, conv_pw_13_relu", 32),
                      ("mobilenetv2", "block_16_project_BN, Conv_1, Conv_1_bn, out_relu", 32),
                      ("inceptionv3", "mixed9_1, concatenate_1, activation_93, mixed10", 75)])
    func guideOnOtherFamilies(model: String, lastFour: String, imageSize: Int) throws {
        let data = SyntheticImages.temporaryFolder("guide-data")
        try SyntheticImages.write(to: data, trainPerClass: 4)
        let work = SyntheticImages.temporaryFolder("guide-work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let base = try ModelRegistry.entry(named: model).build(includeTop: false)
        let weights = work.appendingPathComponent("\(model).safetensors").path
        try Safetensors.write(StateDictionary(base.stateDictionary().sorted { $0.key < $1.key }.map { ($0.key, $0.value) }), to: weights)
        let (status, output) = try FineTuneBinary.run(["train", data.path, "--model", model, "--weights", weights, "--image-size", "\(imageSize)",
                                                      "--head-epochs", "1", "--epochs", "1", "--batch-size", "4", "--threads", "1",
                                                      "--head", "flatten-dense-256", "--unfreeze", "last-layers:4",
                                                      "--preprocessing", "rescale", "--out", work.appendingPathComponent("run").path])
        #expect(status == 0, "\(output)")
        #expect(output.contains("unfreeze last-layers:4: \(lastFour)"), "\(output)")
        #expect(output.contains("Validation accuracy"), "\(output)")
    }

    @Test("bench --model times another architecture (random weights when it has no published ones) and refuses what it cannot compare")
    func benchModel() throws {
        let (status, output) = try FineTuneBinary.run(["bench", "--model", "mobilenetv2", "--only", "inference_64,full_64",
                                                      "--min-seconds", "0.2", "--batch-size", "4", "--threads", "1", "--json"])
        #expect(status == 0, "\(output)")
        let object = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: [String: Any]]
        #expect((object?["full_64"]?["images_per_s"] as? Double ?? 0) > 0, "\(output)")
        let (unknown, unknownMessage) = try FineTuneBinary.run(["bench", "--model", "alexnet", "--only", "inference_64"])
        #expect(unknown != 0 && unknownMessage.contains("unknown model 'alexnet'"), "\(unknownMessage)")
        let script = SyntheticImages.temporaryFolder("bench-script").appendingPathComponent("bench.py")
        try FileManager.default.createDirectory(at: script.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("print()\n".utf8).write(to: script)
        let (noReference, message) = try FineTuneBinary.run(["bench", "--model", "mobilenet-0.5", "--only", "inference_64",
                                                            "--pytorch-script", script.path])
        #expect(noReference != 0 && message.contains("no PyTorch reference runs mobilenet-0.5"), "\(message)")
    }

    @Test("predict --model NAME --weights FILE prints ImageNet labels; models fetch, import and predict say what is wrong and install nothing")
    func predictAndWeightCommands() throws {
        let work = SyntheticImages.temporaryFolder("weights-commands")
        try SyntheticImages.write(to: work.appendingPathComponent("data"), trainPerClass: 1, validationPerClass: 0)
        defer { try? FileManager.default.removeItem(at: work) }
        let image = work.appendingPathComponent("data/train/checks/0.png").path
        let model = try ModelRegistry.entry(named: "mobilenet-0.25").build(includeTop: true)
        let weights = work.appendingPathComponent("mobilenet.safetensors").path
        try Safetensors.write(StateDictionary(model.stateDictionary().sorted { $0.key < $1.key }.map { ($0.key, $0.value) }), to: weights)
        let (status, output) = try FineTuneBinary.run(["predict", "--model", "mobilenet-0.25", "--weights", weights, "--top", "3", "--json", image])
        #expect(status == 0, "\(output)")
        let predictions = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]]
        let labels = (predictions?.first?["top"] as? [[String: Any]])?.compactMap { $0["label"] as? String } ?? []
        #expect(labels.count == 3 && labels.allSatisfy(ImageNetLabels.names.contains), "\(output)")

        let environment = ["FINETUNE_HOME": work.appendingPathComponent("home").path,
                           "KERAS_HOME": work.appendingPathComponent("keras").path]
        let (imported, importMessage) = try FineTuneBinary.run(["models", "import", "mobilenet-0.25", weights], environment: environment)
        #expect(imported != 0 && importMessage.contains("mobilenet.safetensors is not a weight file of mobilenet-0.25")
            && importMessage.contains("it is a safetensors file"), "\(importMessage)")
        let (fetched, fetchMessage) = try FineTuneBinary.run(["models", "fetch", "vgg16", "--mirror", "http://127.0.0.1:1/"], environment: environment)
        #expect(fetched != 0 && fetchMessage.contains("http://127.0.0.1:1/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5: the download failed"),
                "\(fetchMessage)")
        let installed = (try? FileManager.default.contentsOfDirectory(atPath: work.appendingPathComponent("home/weights").path)) ?? []
        #expect(installed.isEmpty, "\(installed)")
        let (predicted, predictMessage) = try FineTuneBinary.run(["predict", "--model", "vgg16", image], environment: environment)
        #expect(predicted != 0 && predictMessage.contains("finetune models fetch vgg16")
            && predictMessage.contains(work.appendingPathComponent("keras/models").path), "\(predictMessage)")
        let (listed, list) = try FineTuneBinary.run(["models", "list", "--json"], environment: environment)
        let entries = try JSONSerialization.jsonObject(with: Data(list.utf8)) as? [[String: Any]]
        let vgg16 = entries?.first { $0["name"] as? String == "vgg16" }
        #expect(listed == 0 && vgg16?["weights_present"] as? Bool == false, "\(list)")
        #expect((vgg16?["weights"] as? [[String: Any]])?.map { $0["includes_top"] as? Bool } == [false, true], "\(list)")
    }
}
