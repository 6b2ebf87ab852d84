import Foundation
import TuneCore
import TuneData
import TuneFormats
import TuneModels
import TuneNN

/// The end of a run: writes the run folder's files from the trained model and the task's evaluation —
/// `model.safetensors`, `config.json` (the task's saved-model keys plus recipe, seed, versions, data and metrics),
/// `history.csv` and `report.html`.
struct RunOutputs {
    let recipe: FineTuneRecipe
    let dataRoot: String
    let folder: RunFolder
    let history: [EpochRecord]
    /// The thread policy and the time at each team size in this process.
    let threads: (policy: ThreadPolicy, usage: ThreadUsage)

    func write(model: Layer, task: any FineTuneTask, evaluation: TaskEvaluation, seconds: Double) throws {
        var state = StateDictionary()
        for (name, tensor) in model.namedParameters() + model.namedBuffers() {
            try state.append(name: name, tensor: tensor)
        }
        try Safetensors.write(state, to: folder.modelPath, metadata: ["format": "finetune-model-1"])
        try folder.writeHistory(history)
        try writeConfiguration(evaluation: evaluation, seconds: seconds)
        let rows = history.map {
            RunReport.EpochRow(phase: $0.phase.rawValue, epoch: $0.epoch, loss: Double($0.metrics[.loss] ?? .nan),
                               accuracy: $0.metrics[.accuracy].map(Double.init),
                               validationLoss: $0.metrics[.validationLoss].map(Double.init),
                               validationAccuracy: $0.metrics[.validationAccuracy].map(Double.init))
        }
        let report = RunReport(title: "FineTune run \((folder.path as NSString).lastPathComponent)",
                               facts: task.reportFacts + facts(seconds: seconds), history: rows,
                               evaluation: evaluation.classification, mistakes: evaluation.mistakes)
        try report.write(to: folder.reportPath)
    }

    /// The run's task-independent facts for the report, in order.
    private func facts(seconds: Double) -> [(key: String, value: String)] {
        [
            ("Recipe", "phase 1: \(recipe.headEpochs) epochs at lr \(String(format: "%g", recipe.learningRate)); phase 2: \(recipe.phaseTwoEpochs) epochs, "
                + "unfreeze \(recipe.unfreeze), lr \(String(format: "%g", recipe.effectiveFineTuneLearningRate)); \(recipe.optimizer.rawValue), batch \(recipe.batchSize)"),
            ("Seed", "\(recipe.seed)"),
            ("Threads", "\(threads.policy): \(threads.usage)"),
            ("Time", String(format: "%.0f s", seconds)),
            ("FineTune", "\(FineTuneVersion.string) (oneDNN \(ComputeLibraries.oneDNNVersion))"),
        ]
    }

    /// `config.json`: what the saved model needs, plus the recipe, data folder, metrics and versions.
    private func writeConfiguration(evaluation: TaskEvaluation, seconds: Double) throws {
        var object = evaluation.savedConfiguration
        object["task"] = recipe.task.kind
        object["recipe"] = try JSONText.object(recipe, file: folder.configurationPath)
        object["seed"] = recipe.seed
        let usage = threads.usage
        object["threads"] = ["policy": "\(threads.policy)",
                             "seconds_by_count": Dictionary(uniqueKeysWithValues: usage.secondsByCount.map { ("\($0.key)", $0.value) }),
                             "lane_seconds_by_count": Dictionary(uniqueKeysWithValues: usage.laneSecondsByCount.map { ("\($0.key)", $0.value) })]
        object["versions"] = ["finetune": FineTuneVersion.string, "onednn": ComputeLibraries.oneDNNVersion,
                              "openblas": ComputeLibraries.openBLASDescription]
        var data = object["data"] as? [String: Any] ?? [:]
        data["root"] = dataRoot
        object["data"] = data
        var metrics: [String: Any] = evaluation.metrics.merging(["training_seconds": seconds]) { $1 }
        if let last = history.last {
            for (name, value) in last.metrics where value.isFinite { metrics[name.rawValue] = Double(value) }
        }
        object["metrics"] = metrics
        let json = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try writeFileAtomically(Array(json), to: folder.configurationPath)
    }
}
