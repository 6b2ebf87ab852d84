import Foundation
import TuneFormats
import TuneNN

/// Records each finished epoch of a run and makes it durable: the history CSV, then the resumable checkpoint, both
/// replaced atomically, so a run killed at any moment resumes from its last finished epoch.
final class EpochRecorder: Callback {
    private(set) var progress: RunProgress
    private let phase: TrainingPhase
    private let phaseEnd: Int
    private let folder: RunFolder
    private let recipe: FineTuneRecipe
    private let dataRoot: String
    /// The full model (the trainer may hold only its trainable suffix).
    private let model: Layer
    private let optimizer: any CheckpointableOptimizer
    private let observer: ((EpochRecord) -> Void)?
    private var epochStart = Date()

    init(progress: RunProgress, phase: TrainingPhase, phaseEnd: Int, folder: RunFolder, recipe: FineTuneRecipe, dataRoot: String,
         model: Layer, optimizer: any CheckpointableOptimizer, observer: ((EpochRecord) -> Void)?) {
        self.observer = observer
        self.progress = progress
        self.phase = phase
        self.phaseEnd = phaseEnd
        self.folder = folder
        self.recipe = recipe
        self.dataRoot = dataRoot
        self.model = model
        self.optimizer = optimizer
    }

    func epochDidBegin(_ epoch: Int, trainer: Trainer) throws { epochStart = Date() }

    func epochDidEnd(_ epoch: Int, logs: [MetricName: Float], trainer: Trainer) throws {
        progress.history.append(EpochRecord(phase: phase, epoch: epoch + 1, metrics: logs, learningRate: optimizer.learningRate,
                                            seconds: Date().timeIntervalSince(epochStart)))
        // A phase stopped early (EarlyStopping) counts as finished, so a resumed run goes on with the next phase.
        progress.completedEpochs = trainer.stopTraining ? phaseEnd : epoch + 1
        progress.globalStep = trainer.globalStep
        progress.optimizerIterations = optimizer.iterations
        progress.learningRate = optimizer.learningRate
        try folder.writeHistory(progress.history)
        try RunCheckpoint.write(to: folder.checkpointPath, recipe: recipe, dataRoot: dataRoot, progress: progress,
                                model: model, optimizer: optimizer)
        if let record = progress.history.last { observer?(record) }
    }
}
