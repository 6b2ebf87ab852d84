import TuneData
import TuneModels
import TuneNN

/// The task-specific half of a fine-tuning run: its data, model, loss and metrics, and what it writes at the end.
/// ``FineTuner`` runs everything task-independent around it — the phases, the feature cache, checkpoints and resuming,
/// callbacks, the run folder and the report's skeleton. Image classification is one task; each new task (text
/// classification, language modelling) is a new folder with a type conforming to this protocol.
protocol FineTuneTask: AnyObject {
    /// The whole network that trains and is saved in `model.safetensors`.
    var model: Layer { get }
    /// ``model`` as a chain of stages, so a frozen prefix can be computed once and the rest trained alone.
    var stages: [ModelStage] { get }
    /// The loss both phases minimize.
    var loss: Loss { get }
    /// The metrics reported besides the loss.
    var metrics: [TrainingMetric] { get }
    /// Why the inputs differ from epoch to epoch (so no prefix output can be cached), or `nil`.
    var uncacheableReason: String? { get }

    /// Makes trainable exactly what `phase` trains: the head in phase 1, and what the recipe unfreezes in phase 2.
    func configure(phase: TrainingPhase)
    /// What phase 2 unfreezes, in the architecture's terms (`blocks 12–15 and the head conv`).
    var unfrozenDescription: String { get }

    /// The batches of `split`: training batches shuffled per epoch from the seed (and augmented), validation batches
    /// in order.
    func batches(_ split: DataSplit) throws -> any BatchSource
    /// `split` in order, unaugmented, with the same targets as ``batches(_:)`` and one path per sample: what a
    /// feature cache is filled from, so that replaying the cache reproduces ``batches(_:)``.
    func cachingBatches(_ split: DataSplit) throws -> any BatchSource
    /// The samples in `split`.
    func sampleCount(_ split: DataSplit) -> Int

    /// The setup check's lines about the data, the input and the model, shown before the phases.
    func setupFacts(duplicatesBetweenSplits duplicates: Int) -> [(key: String, value: String)]
    /// The setup check's lines about what training optimizes (loss, augmentation), shown after the phases.
    var trainingFacts: [(key: String, value: String)] { get }
    /// Samples found in both splits (by content), reported in the setup check.
    func duplicatesBetweenSplits() throws -> Int
    /// The report's facts about the data and the model.
    var reportFacts: [(key: String, value: String)] { get }

    /// Evaluates `trainedModel` (the whole model, or the suffix that reads `validation`'s cached features) on
    /// `validation` and returns what the run folder keeps of it.
    func evaluate(trainedModel: Layer, validation: any BatchSource) throws -> TaskEvaluation
}

/// What a task's final evaluation gives the run folder.
struct TaskEvaluation {
    /// The `config.json` keys a saved model is rebuilt from (architecture, preprocessing, class names …).
    var savedConfiguration: [String: Any]
    /// Final scores for `config.json`'s `metrics`.
    var metrics: [String: Double]
    /// One line for the end of the log (`Validation accuracy: 90.63% on 10000 images`).
    var summary: String
    /// The per-class evaluation, for classification tasks.
    var classification: ClassificationReport?
    /// The most confident mistakes, for the report.
    var mistakes: [RunReport.Mistake]
}
