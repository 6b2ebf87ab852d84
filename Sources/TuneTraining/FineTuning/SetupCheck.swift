import Foundation
import TuneModels
import TuneNN

/// The short pre-training check: the task's lines (data, classes, input, model), then what trains and what is frozen
/// in each phase, with the optimizer, rate and BatchNorm modes, then the task's loss and augmentation.
struct SetupCheck {
    let recipe: FineTuneRecipe
    let task: any FineTuneTask

    func text(duplicates: Int) -> String {
        var lines = ["Setup check"]
        func add(_ key: String, _ value: String) { lines.append("  " + key.padding(toLength: 12, withPad: " ", startingAt: 0) + value) }
        task.setupFacts(duplicatesBetweenSplits: duplicates).forEach { add($0.key, $0.value) }
        let total = task.model.parameterCount()
        for (phase, epochs) in recipe.phases {
            task.configure(phase: phase)
            let trainable = task.model.parameterCount(trainableOnly: true)
            let what = phase == .head ? "head only; base frozen" : "unfreeze \(recipe.unfreeze): \(task.unfrozenDescription)"
            add("\(phase)", "\(epochs.count) epoch\(epochs.count == 1 ? "" : "s"), \(recipe.optimizer.rawValue) lr \(String(format: "%g", recipe.learningRate(for: phase))), batch \(recipe.batchSize): "
                + "\(what); trainable \(trainable.formatted()) of \(total.formatted()) parameters; \(batchNormDescription)")
        }
        task.trainingFacts.forEach { add($0.key, $0.value) }
        return lines.joined(separator: "\n")
    }

    /// The BatchNorm modes while training the current configuration.
    private var batchNormDescription: String {
        let norms = task.model.descendants().compactMap { $0.layer as? BatchNorm }
        let training = ForwardContext(isTraining: true)
        let batchStatistics = norms.filter { $0.usesBatchStatistics(in: training) }.count
        let frozen = norms.filter { !$0.isTrainable }.count
        return "BatchNorm: \(frozen) frozen (inference mode), \(norms.count - frozen - batchStatistics) trainable in inference mode, "
            + "\(batchStatistics) with batch statistics"
    }
}
