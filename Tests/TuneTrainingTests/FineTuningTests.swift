import Foundation
import Testing
import TestFixtures
@testable import FineTune
@testable import TuneTraining

@Suite("Fine-tuning recipe", .serialized, .requires(.lite0Weights))
struct FineTuningTests {
    /// Runs `recipe` on fresh synthetic data into a fresh run folder, quietly.
    func run(_ recipe: FineTuneRecipe, data: URL? = nil) throws -> (FineTuneResult, URL) {
        let root = data ?? SyntheticImages.temporaryFolder("data")
        if data == nil { try SyntheticImages.write(to: root) }
        let out = SyntheticImages.temporaryFolder("run")
        let tuner = FineTuner(recipe: recipe, dataRoot: root.path, runFolder: out.path)
        tuner.log = { _ in }
        return (try tuner.run(), out)
    }

    func weights(_ folder: URL) throws -> [String: Tensor] {
        try Safetensors.read(path: folder.appendingPathComponent("model.safetensors").path).tensors
    }

    @Test("both phases run; the run folder holds config.json, model.safetensors, history.csv and report.html, and reloads")
    func runFolderIsComplete() throws {
        let (result, out) = try run(.tiny())
        #expect(result.history.map(\.phase) == [.head, .fineTune])
        #expect(result.history.map(\.epoch) == [1, 2])
        for file in ["config.json", "model.safetensors", "history.csv", "report.html"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), "\(file)")
        }
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("checkpoint.safetensors").path))
        let history = try String(contentsOf: out.appendingPathComponent("history.csv"), encoding: .utf8)
        #expect(history.hasPrefix("epoch,phase,loss,accuracy,val_loss,val_accuracy,learning_rate,seconds"))
        #expect(history.split(separator: "\n").count == 3)

        let saved = try SavedClassifier(folder: out.path)
        #expect(saved.model.classNames == SyntheticImages.classNames)
        #expect(saved.preprocessing.height == 32)
        // The result names the folder the test chose; history.csv has a row per epoch of its history (epoch, phase).
        #expect(result.folder.path == out.path)
        #expect(history.split(separator: "\n").dropFirst().map { $0.split(separator: ",").prefix(2).joined(separator: ",") }
            == ["1,1", "2,2"])
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("config.json"))) as? [String: Any]
        for key in ["architecture", "preprocessing", "class_names", "recipe", "seed", "versions", "data", "metrics"] {
            #expect(json?[key] != nil, "config.json lacks \(key)")
        }
    }

    @Test("phase 1 trains only the head; phase 2 also the last blocks and the head conv; the rest never changes")
    func phasesFreezeWhatTheyShould() throws {
        let recipe = FineTuneRecipe.tiny()
        let setup = try ImageClassificationTask(recipe: recipe, dataRoot: try syntheticData().path)
        setup.configure(phase: .head)
        #expect(setup.model.trainableParameters().count == 2)
        setup.configure(phase: .fineTune)
        let trainable = Set(setup.model.namedParameters().filter { $0.tensor.requiresGradient }.map(\.path))
        #expect(trainable.contains("base._blocks.15._project_conv.weight"))
        #expect(trainable.contains("base._blocks.14._depthwise_conv.weight"))
        #expect(!trainable.contains("base._blocks.13._depthwise_conv.weight"))
        #expect(trainable.contains("base._conv_head.weight"))
        #expect(!trainable.contains("base._conv_stem.weight"))

        let pretrained = try EfficientNetLite(variant: .lite0, weights: .imagenet, includeTop: false).stateDictionary()
        let (_, out) = try run(recipe)
        let trained = try weights(out)
        #expect(trained["base._conv_stem.weight"]?.scalars == pretrained["_conv_stem.weight"]?.scalars)
        #expect(trained["base._blocks.13._bn2.running_mean"]?.scalars == pretrained["_blocks.13._bn2.running_mean"]?.scalars)
        #expect(trained["base._blocks.15._project_conv.weight"]?.scalars != pretrained["_blocks.15._project_conv.weight"]?.scalars)
        // BatchNorm of unfrozen blocks stays in inference mode by default (Keras guide): running statistics unchanged.
        #expect(trained["base._blocks.15._bn2.running_var"]?.scalars == pretrained["_blocks.15._bn2.running_var"]?.scalars)
    }

    @Test("training from the feature cache equals training through the whole model")
    func cacheMatchesNoCache() throws {
        let data = try syntheticData()
        var cached = FineTuneRecipe.tiny(headEpochs: 2, epochs: 2)
        cached.featureCache = .auto
        var uncached = cached
        uncached.featureCache = .off
        let cacheFolder = SyntheticImages.temporaryFolder("run")
        let tuner = FineTuner(recipe: cached, dataRoot: data.path, runFolder: cacheFolder.path)
        var messages: [String] = []
        tuner.log = { messages.append($0) }
        let withCache = try tuner.run()
        #expect(messages.filter { $0.hasPrefix("Phase") && $0.hasSuffix("from cached features") }.count == 2, "\(messages)")
        let (withoutCache, plainFolder) = try run(uncached, data: data)
        let a = try weights(cacheFolder)
        let b = try weights(plainFolder)
        #expect(Set(a.keys) == Set(b.keys))
        var worst: Float = 0
        for (key, tensor) in a {
            let other = try #require(b[key])
            for (x, y) in zip(tensor.scalars, other.scalars) { worst = max(worst, abs(x - y) / max(1, abs(y))) }
        }
        #expect(worst < 1e-3, "largest relative weight difference \(worst)")
        for (x, y) in zip(withCache.history, withoutCache.history) {
            let lossX = try #require(x.metrics["val_loss"])
            let lossY = try #require(y.metrics["val_loss"])
            #expect(abs(lossX - lossY) <= 1e-3 * max(1, abs(lossY)))
        }
        #expect(withCache.evaluation?.confusionMatrix == withoutCache.evaluation?.confusionMatrix)
    }

    @Test("the feature cache spills to a Float16 file when it exceeds its memory budget, with the same results")
    func cacheSpillsToDisk() throws {
        let data = try syntheticData()
        var memory = FineTuneRecipe.tiny()
        memory.featureCacheMemoryMiB = 1024
        var disk = memory
        disk.featureCacheMemoryMiB = 0
        var messages: [String] = []
        let out = SyntheticImages.temporaryFolder("run")
        let tuner = FineTuner(recipe: disk, dataRoot: data.path, runFolder: out.path)
        tuner.log = { messages.append($0) }
        let onDisk = try tuner.run()
        #expect(messages.contains { $0.contains("Float16 files") })
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("cache").path))
        let (inMemory, _) = try run(memory, data: data)
        for (x, y) in zip(onDisk.history, inMemory.history) {
            let lossX = try #require(x.metrics["val_loss"])
            let lossY = try #require(y.metrics["val_loss"])
            #expect(abs(lossX - lossY) <= 2e-2 * max(1, abs(lossY)))
        }
    }

    @Test("augmentation turns the feature cache off: both phases train through the whole model")
    func augmentationDisablesCache() throws {
        var image = ImageClassificationRecipe(imageSize: 32)
        image.augmentation.horizontalFlip = true
        image.augmentation.rotationDegrees = 10
        var recipe = FineTuneRecipe.tiny()
        recipe.task = .imageClassification(image)
        let tuner = FineTuner(recipe: recipe, dataRoot: try syntheticData().path, runFolder: SyntheticImages.temporaryFolder("run").path)
        var messages: [String] = []
        tuner.log = { messages.append($0) }
        let result = try tuner.run()
        #expect(result.history.count == 2)
        #expect(messages.contains { $0.hasPrefix("Feature cache: off") })
        #expect(!messages.contains { $0.hasSuffix("from cached features") })
    }

    @Test("a NaN loss stops the run with a message; the last good checkpoint is intact and readable")
    func nanStopsAndKeepsCheckpoint() throws {
        var recipe = FineTuneRecipe.tiny(headEpochs: 1, epochs: 2)
        recipe.fineTuneLearningRate = 1e38
        let data = try syntheticData()
        let out = SyntheticImages.temporaryFolder("run")
        let tuner = FineTuner(recipe: recipe, dataRoot: data.path, runFolder: out.path)
        tuner.log = { _ in }
        do {
            try tuner.run()
            Issue.record("a learning rate of 1e38 should make the loss non-finite")
        } catch let error as FineTuneError {
            guard case .nonFiniteLoss(let message, let checkpoint) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(message.contains("epoch 2"))
            let path = try #require(checkpoint)
            let saved = try RunCheckpoint.read(path: path)
            #expect(saved.progress.completedEpochs == 1)
            #expect(saved.modelState.values.allSatisfy { $0.scalars.allSatisfy(\.isFinite) })
            #expect("\(error)".contains("last good checkpoint"))
        }
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("model.safetensors").path))
    }

    @Test("a failed checkpoint write leaves the previous checkpoint intact and no temporary file")
    func checkpointWritesAreAtomic() throws {
        let folder = SyntheticImages.temporaryFolder("atomic")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("checkpoint.safetensors").path
        let model = Dense(3, inFeatures: 2)
        let optimizer = Adam()
        let progress = RunProgress(completedEpochs: 1, globalStep: 5, optimizerIterations: 5, learningRate: 1e-3, history: [])
        try RunCheckpoint.write(to: path, recipe: .tiny(), dataRoot: "data", progress: progress, model: model, optimizer: optimizer)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        // The temporary file's name is taken by a folder: the write must fail without touching the old file.
        let blocker = path + ".tmp-\(getpid())"
        try FileManager.default.createDirectory(atPath: blocker, withIntermediateDirectories: false)
        var later = progress
        later.completedEpochs = 2
        #expect(throws: (any Error).self) {
            try RunCheckpoint.write(to: path, recipe: .tiny(), dataRoot: "data", progress: later, model: model, optimizer: optimizer)
        }
        try FileManager.default.removeItem(atPath: blocker)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(try RunCheckpoint.read(path: path).progress.completedEpochs == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["checkpoint.safetensors"])
    }

    @Test("Adam's state survives a checkpoint round trip into a fresh model")
    func optimizerStateRoundTrips() throws {
        let first = Dense(2, inFeatures: 3)
        let optimizer = Adam(learningRate: 0.1)
        for _ in 0..<3 {
            first.zeroGradients()
            let loss = try first(Tensor(shape: [1, 3], scalars: [1, 2, 3])).sum()
            try loss.backward()
            try optimizer.step(first)
        }
        let second = Dense(2, inFeatures: 3)
        try second.load(first.stateDictionary())
        let restored = Adam(learningRate: 0.1)
        let state = Dictionary(uniqueKeysWithValues: try optimizer.stateTensors(for: first).map { ($0.name, $0.tensor) })
        try restored.restoreState(state, iterations: optimizer.iterations, for: second)
        for (model, opt) in [(first, optimizer), (second, restored)] {
            model.zeroGradients()
            try model(Tensor(shape: [1, 3], scalars: [1, 2, 3])).sum().backward()
            try opt.step(model)
        }
        #expect(first.weight?.scalars == second.weight?.scalars)
        #expect(restored.iterations == 4)
    }

    @Test("bad data: a missing folder, an empty class folder and a single class are refused, naming the folder")
    func badDataIsRefused() throws {
        let missing = SyntheticImages.temporaryFolder("missing")
        #expect { try ImageClassificationTask(recipe: .tiny(), dataRoot: missing.path) } throws: { "\($0)".contains(missing.path) }

        let single = SyntheticImages.temporaryFolder("single")
        try SyntheticImages.write(to: single, classes: ["only"])
        #expect { try ImageClassificationTask(recipe: .tiny(), dataRoot: single.path) } throws: { "\($0)".contains("class") }

        let empty = SyntheticImages.temporaryFolder("empty")
        try SyntheticImages.write(to: empty)
        let emptyClass = empty.appendingPathComponent("train/zebra")
        try FileManager.default.createDirectory(at: emptyClass, withIntermediateDirectories: true)
        #expect { try ImageClassificationTask(recipe: .tiny(), dataRoot: empty.path) } throws: { "\($0)".contains("zebra") }
    }

    @Test("a corrupt image is skipped with a warning and the run still finishes")
    func corruptImageIsSkipped() throws {
        let data = try syntheticData()
        try Data("not a png".utf8).write(to: data.appendingPathComponent("train/checks/broken.png"))
        let (result, _) = try run(.tiny(), data: data)
        #expect(result.evaluation?.sampleCount == 12)
    }

    @Test("invalid recipe values are refused, naming the option")
    func invalidOptionsAreNamed() throws {
        var recipe = FineTuneRecipe.tiny()
        recipe.unfreeze = .lastBlocks(40)
        #expect { try ImageClassificationTask(recipe: recipe, dataRoot: try syntheticData().path) } throws: { "\($0)".contains("--unfreeze") }
        recipe = .tiny()
        recipe.batchSize = 0
        #expect { try recipe.validate() } throws: { "\($0)".contains("--batch-size") }
        #expect { try UnfreezePolicy(parsing: "last-blocks:x") } throws: { "\($0)".contains("last-blocks:N") }
    }

    @Test("a damaged run folder fails naming the file or key: no weights, a key missing from config.json, weights of another shape")
    func damagedRunFolder() throws {
        let (_, out) = try run(.tiny())
        let configuration = out.appendingPathComponent("config.json")
        let weights = out.appendingPathComponent("model.safetensors")
        let original = try Data(contentsOf: configuration)

        var object = try #require(try JSONSerialization.jsonObject(with: original) as? [String: Any])
        var architecture = try #require(object["architecture"] as? [String: Any])
        architecture.removeValue(forKey: "image_size")
        object["architecture"] = architecture
        try JSONSerialization.data(withJSONObject: object).write(to: configuration)
        #expect { try SavedClassifier(folder: out.path) } throws: { "\($0)".contains("architecture.image_size") }

        architecture["image_size"] = 64                                     // a 2×2 map: the flatten head would not fit…
        architecture["head"] = "flatten-dense-256"                          // …and the dense shapes differ
        object["architecture"] = architecture
        try JSONSerialization.data(withJSONObject: object).write(to: configuration)
        #expect { try SavedClassifier(folder: out.path) } throws: { "\($0)".contains("head.1.weight") }

        try original.write(to: configuration)
        try FileManager.default.removeItem(at: weights)
        #expect { try SavedClassifier(folder: out.path) } throws: { "\($0)".contains("model.safetensors") }
    }

    @Test("starting a new run in a folder that holds one is refused")
    func existingRunIsRefused() throws {
        let data = try syntheticData()
        let (_, out) = try run(.tiny(), data: data)
        let tuner = FineTuner(recipe: .tiny(), dataRoot: data.path, runFolder: out.path)
        tuner.log = { _ in }
        #expect { try tuner.run() } throws: { "\($0)".contains("already holds a run") }
    }

    func syntheticData() throws -> URL {
        let root = SyntheticImages.temporaryFolder("data")
        try SyntheticImages.write(to: root)
        return root
    }
}
