import Foundation
import Testing
import TestFixtures
@testable import FineTune
@testable import TuneTraining

/// Small labelled image folders written by the tests: each class is a distinct pattern (stripes of a different
/// orientation and a different brightness) plus seeded noise, so a fine-tuned model can learn them quickly.
enum SyntheticImages {
    static let classNames = ["checks", "horizontal", "vertical"]

    /// Writes `root/train/<class>/i.png` and `root/validation/<class>/i.png`.
    static func write(to root: URL, classes: [String] = classNames, trainPerClass: Int = 10, validationPerClass: Int = 4,
                      side: Int = 32) throws {
        var generator = SeededGenerator(seed: 7)
        for (split, count) in [("train", trainPerClass), ("validation", validationPerClass)] {
            for (classIndex, name) in classes.enumerated() {
                let folder = root.appendingPathComponent(split).appendingPathComponent(name)
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                for index in 0..<count {
                    let image = try pattern(classIndex, side: side, generator: &generator)
                    let bytes = try ImageCodec.encodePNG(image)
                    try Data(bytes).write(to: folder.appendingPathComponent("\(index).png"))
                }
            }
        }
    }

    static func pattern(_ kind: Int, side: Int, generator: inout SeededGenerator) throws -> PixelImage {
        var pixels = [UInt8](repeating: 0, count: side * side)
        let phase = Int(generator.next() % 4)
        for y in 0..<side {
            for x in 0..<side {
                let on: Bool
                switch kind % 3 {
                case 0: on = ((x + phase) / 4 + (y / 4)) % 2 == 0
                case 1: on = ((y + phase) / 4) % 2 == 0
                default: on = ((x + phase) / 4) % 2 == 0
                }
                let noise = Int(generator.next() % 40)
                pixels[y * side + x] = UInt8(clamping: (on ? 200 : 40) + noise - 20 + 10 * (kind / 3))
            }
        }
        return try PixelImage(width: side, height: side, channels: 1, pixels: pixels)
    }

    /// A fresh temporary folder.
    static func temporaryFolder(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("finetune-\(name)-\(UUID().uuidString)")
    }
}

extension Fixture {
    /// The EfficientNet-Lite0 ImageNet weights in the weight cache.
    static let lite0Weights = Fixture("the EfficientNet-Lite0 ImageNet weights in \(WeightCache.defaultRoot)/weights",
                                      remedy: "run `finetune models fetch efficientnet-lite0` (scripts/test.sh does)") {
        guard let entry = try? ModelRegistry.entry(named: "efficientnet-lite0") else { return false }
        return (try? WeightCache().installedPath(for: entry, includeTop: true)) != nil
    }

    /// The `finetune` binary next to the test runner.
    static let finetuneBinary = Fixture("the finetune binary at \(FineTuneBinary.url.path)",
                                        remedy: "build it with the tests: `swift build --build-tests` (scripts/test.sh does)") {
        FineTuneBinary.isBuilt
    }

    /// The real Fashion-MNIST training files where ``FashionMNIST/directory`` points.
    static let fashionMNIST = Fixture("Fashion-MNIST in \(FashionMNIST.directory)",
                                      remedy: "install Debian's dataset-fashion-mnist (scripts/setup.sh does) or set FINETUNE_FASHION_MNIST_DIR") {
        FileManager.default.fileExists(atPath: FashionMNIST.files(split: .train).images)
    }
}

extension ImageClassificationTask {
    /// The task of an image-classification `recipe`, set up on `dataRoot` as a run would.
    convenience init(recipe: FineTuneRecipe, dataRoot: String) throws {
        guard case .imageClassification(let options) = recipe.task else {
            throw FineTuneError.invalidOption(name: "task", message: "not an image-classification recipe")
        }
        try self.init(recipe: recipe, options: options, dataRoot: dataRoot)
    }
}

extension FineTuneRecipe {
    /// A recipe small enough for tests: 32² inputs, one epoch per phase, the last two blocks unfrozen, one thread.
    static func tiny(headEpochs: Int = 1, epochs: Int = 1) -> FineTuneRecipe {
        var recipe = FineTuneRecipe(task: .imageClassification(ImageClassificationRecipe(imageSize: 32)))
        recipe.headEpochs = headEpochs
        recipe.fineTuneEpochs = epochs
        recipe.unfreeze = .lastBlocks(2)
        recipe.batchSize = 8
        recipe.threads = 1
        recipe.seed = 3
        return recipe
    }
}
