import Foundation
import Testing
@testable import FineTune
@testable import TuneTraining

@Suite("Recipe and checkpoint formats")
struct RecipeFormatTests {
    @Test("a recipe round-trips through JSON with its task as kind and options")
    func recipeRoundTrips() throws {
        var image = ImageClassificationRecipe(imageSize: 96)
        image.resizeMethod = .bicubic
        image.augmentation.horizontalFlip = true
        var recipe = FineTuneRecipe(task: .imageClassification(image))
        recipe.unfreeze = .lastBlocks(3)
        let text = try JSONText.encode(recipe)
        #expect(text.contains("\"kind\":\"image-classification\""))
        #expect(try JSONText.decode(FineTuneRecipe.self, from: text, file: "recipe.json") == recipe)
    }

    @Test("a task this build does not know, or a resize method it does not know, is refused naming it")
    func unknownTaskAndResizeAreRefused() throws {
        let text = try JSONText.encode(FineTuneRecipe())
        let unknownTask = text.replacingOccurrences(of: "\"image-classification\"", with: "\"speech-recognition\"")
        #expect { try JSONText.decode(FineTuneRecipe.self, from: unknownTask, file: "recipe.json") } throws: {
            "\($0)".contains("speech-recognition") && "\($0)".contains("recipe.json")
        }
        let unknownResize = text.replacingOccurrences(of: "\"bilinear\"", with: "\"lanczos\"")
        #expect { try JSONText.decode(FineTuneRecipe.self, from: unknownResize, file: "recipe.json") } throws: {
            "\($0)".contains("lanczos")
        }
    }

    @Test("a checkpoint of an older format is refused naming its format; a file without FineTune metadata too")
    func oldCheckpointsAreRefused() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("finetune-format-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var state = StateDictionary()
        try state.append(name: "model.weight", tensor: Tensor(zeros: [2]))
        let old = folder.appendingPathComponent("old.safetensors").path
        try Safetensors.write(state, to: old, metadata: ["format": "finetune-checkpoint-1", "recipe": "{}", "data": "d",
                                                         "progress": "{}"])
        #expect { try RunCheckpoint.read(path: old) } throws: {
            "\($0)".contains("finetune-checkpoint-1") && "\($0)".contains(RunCheckpoint.formatName) && "\($0)".contains(old)
        }
        let foreign = folder.appendingPathComponent("foreign.safetensors").path
        try Safetensors.write(state, to: foreign)
        #expect { try RunCheckpoint.read(path: foreign) } throws: { "\($0)".contains("not a FineTune checkpoint") }
    }
}
