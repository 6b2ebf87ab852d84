import Foundation
import Testing
import TestFixtures
@testable import FineTune

/// Runs the built `finetune` binary, which SwiftPM places next to the test runner.
enum FineTuneBinary {
    static var url: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("finetune")
    }

    static var isBuilt: Bool { FileManager.default.isExecutableFile(atPath: url.path) }

    /// Runs `finetune arguments` with `environment` added to this process's environment.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

@Suite("finetune command line", .requires(.finetuneBinary))
struct CommandLineTests {
    @Test("--help lists the subcommands")
    func helpListsSubcommands() throws {
        let (status, output) = try FineTuneBinary.run(["--help"])
        #expect(status == 0)
        #expect(output.contains("USAGE: finetune"))
        #expect(output.contains("version"))
        #expect(output.contains("fashion-mnist-cnn"))
    }

    @Test("version prints the version and the compute libraries")
    func versionPrintsLibraries() throws {
        let (status, output) = try FineTuneBinary.run(["version"])
        #expect(status == 0)
        #expect(output.contains("finetune \(FineTuneVersion.string)"))
        #expect(output.contains("oneDNN 2."))
        #expect(output.contains("OpenBLAS"))
        // What the shared thread team and its adaptive size rely on: oneDNN on OpenMP, and no fixed size by default.
        #expect(output.contains("(OpenMP)"), "\(output)")
        let maximum = ProcessInfo.processInfo.environment["OMP_NUM_THREADS"].flatMap { Int($0) }
            ?? ProcessInfo.processInfo.activeProcessorCount
        #expect(output.contains("threads: adaptive, up to \(maximum) thread"), "\(output)")
    }

    @Test("a bad argument fails with a message naming it")
    func badArgumentIsNamed() throws {
        let (status, output) = try FineTuneBinary.run(["fashion-mnist-cnn", "--batch-size", "0"])
        #expect(status != 0)
        #expect(output.contains("--batch-size must be positive"))
    }

    @Test("a missing data folder fails with a message naming the file")
    func missingDataIsNamed() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("finetune-missing-\(UUID().uuidString)")
        let (status, output) = try FineTuneBinary.run(["fashion-mnist-cnn", "--data-directory", folder.path])
        #expect(status != 0)
        #expect(output.contains(folder.appendingPathComponent("train-images-idx3-ubyte.gz").path))
    }

    @Test("datasets fashion-mnist writes class folders and datasets inspect --json describes them",
          .requires(.fashionMNIST))
    func datasetsCommands() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("finetune-datasets-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let written = try FineTuneBinary.run(["datasets", "fashion-mnist", "--out", folder.path, "--train-limit", "20",
                                              "--validation-limit", "10", "--classes", "Sneaker,Ankle_boot"])
        #expect(written.status == 0)
        #expect(written.output.contains("Wrote 20 training and 10 validation images"))
        let inspected = try FineTuneBinary.run(["datasets", "inspect", folder.path, "--json"])
        #expect(inspected.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(inspected.output.utf8)) as? [String: Any])
        #expect(json["classNames"] as? [String] == ["Ankle_boot", "Sneaker"])
        let splits = try #require(json["splits"] as? [[String: Any]])
        #expect(splits.map { ($0["counts"] as? [Int])?.reduce(0, +) } == [20, 10])
        let unknown = try FineTuneBinary.run(["datasets", "fashion-mnist", "--out", folder.path, "--classes", "Boots"])
        #expect(unknown.status != 0)
        #expect(unknown.output.contains("unknown Fashion-MNIST class 'Boots'"))
        let missing = try FineTuneBinary.run(["datasets", "inspect", folder.appendingPathComponent("nope").path])
        #expect(missing.status != 0)
        #expect(missing.output.contains("nope: folder not found"))
    }

    @Test("models list shows the registry; weights inspect --json describes a weight file; bad names are named")
    func modelsAndWeightsCommands() throws {
        let listed = try FineTuneBinary.run(["models", "list"])
        #expect(listed.status == 0)
        #expect(listed.output.contains("efficientnet-lite0"), "\(listed.output)")
        #expect(listed.output.contains("EfficientNet-Lite"))
        #expect(listed.output.contains("4652008  224²   (x − 127) / 128"), "\(listed.output)")
        #expect(listed.output.contains("efficientnet-lite4"))
        #expect(listed.output.contains("vgg16") && listed.output.contains("torchvision-vgg16"))
        let listedJSON = try FineTuneBinary.run(["models", "list", "--json"])
        let models = try #require(try JSONSerialization.jsonObject(with: Data(listedJSON.output.utf8)) as? [[String: Any]])
        let resnet = try #require(models.first { $0["name"] as? String == "torchvision-resnet50" }, "\(listedJSON.output)")
        #expect(resnet["family"] as? String == "ResNet" && resnet["flavour"] as? String == "torchvision")
        #expect(resnet["parameters"] as? Int == 25_557_032 && resnet["input_size"] as? Int == 224)
        #expect(resnet["preprocessing"] as? String == "imagenet" && resnet["weights_present"] as? Bool == false)
        let unknown = try FineTuneBinary.run(["models", "fetch", "alexnet"])
        #expect(unknown.status != 0 && unknown.output.contains("unknown model 'alexnet'"))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("finetune-weights-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("tiny.safetensors").path
        let state = try StateDictionary([("layer.weight", try Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])),
                                         ("layer.bias", try Tensor(shape: [2], scalars: [0, 1]))])
        try Safetensors.write(state, to: file)
        let inspected = try FineTuneBinary.run(["weights", "inspect", file, "--json"])
        #expect(inspected.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(inspected.output.utf8)) as? [String: Any])
        #expect(json["parameterCount"] as? Int == 8)
        let broken = try FineTuneBinary.run(["weights", "inspect", folder.appendingPathComponent("absent.pth").path])
        #expect(broken.status != 0 && broken.output.contains("absent.pth: file not found"))
        // A genuine Keras .h5: keys <layer>/<index> with Keras's own names beside them; BatchNorm statistics are no parameters.
        let keras = ReferenceFormula.applicationsFolder.appendingPathComponent("keras_tiny.h5").path
        let kerasText = try FineTuneBinary.run(["weights", "inspect", keras])
        #expect(kerasText.status == 0, "\(kerasText.output)")
        #expect(kerasText.output.contains("conv1_bn/2") && kerasText.output.contains("moving_mean"), "\(kerasText.output)")
        let kerasJSON = try FineTuneBinary.run(["weights", "inspect", keras, "--json"])
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(kerasJSON.output.utf8)) as? [String: Any])
        // conv1 3·3·3·4 + 4, conv1_bn 4 + 4 (+ 8 statistics), conv_dw 3·3·4, conv_dw_bn 4 (+ 8), predictions 4·3 + 3.
        #expect(summary["parameterCount"] as? Int == 112 + 8 + 36 + 4 + 15, "\(kerasJSON.output)")
    }

    @Test("predict classifies an image with the cached ImageNet weights and prints JSON in the documented shape",
          .requires(.lite0Weights))
    func predictCommand() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("finetune-predict-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("gray.png").path
        let image = try PixelImage(width: 40, height: 30, channels: 1, pixels: (0..<1200).map { UInt8($0 % 200) })
        try Data(ImageCodec.encodePNG(image)).write(to: URL(fileURLWithPath: file))
        let result = try FineTuneBinary.run(["predict", "--model", "efficientnet-lite0", "--top", "2", "--json", file])
        #expect(result.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [[String: Any]])
        #expect(json.count == 1 && json[0]["file"] as? String == file)
        let top = try #require(json[0]["top"] as? [[String: Any]])
        #expect(top.count == 2 && top.allSatisfy { $0["index"] is Int && $0["label"] is String && $0["probability"] is Double })
        let missing = try FineTuneBinary.run(["predict", folder.appendingPathComponent("nope.jpg").path])
        #expect(missing.status != 0 && missing.output.contains("nope.jpg"))
    }
}
