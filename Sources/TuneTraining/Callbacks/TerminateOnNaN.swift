/// Stops training cleanly when a batch reports a NaN or infinite loss, like Keras's `TerminateOnNaN`.
///
/// How this relates to the trainer: ``Trainer/trainStep(_:epoch:index:trackers:)`` already refuses non-finite values
/// inside a step — the loss functions reject NaN/infinite predictions (``TrainingError/nonFiniteValues(epoch:batch:reason:)``)
/// and a non-finite batch loss throws ``TrainingError/nonFiniteLoss(epoch:batch:value:)`` — before the optimizer step,
/// so the weights are never updated from a NaN gradient and `fit` ends with that error (naming epoch and batch). This callback covers what reaches
/// the logs instead — the running `loss` passed to ``Callback/batchDidEnd(_:logs:trainer:)`` (which can still
/// overflow, or come from a custom loop calling the callbacks) — and ends `fit` without an error: it sets
/// ``Trainer/stopTraining`` (training stops after the current batch; `trainingDidEnd` still runs) and records
/// ``message``, which names the epoch and batch.
public final class TerminateOnNaN: Callback {
    /// Why training was stopped, or `nil` while every loss was finite. Epochs and batches are counted from 1.
    public private(set) var message: String?
    /// The (0-based) epoch and batch at which training was stopped.
    public private(set) var terminatedAt: (epoch: Int, batch: Int)?
    private let report: (String) -> Void
    private var epoch = 0

    /// - Parameter report: receives the message when training is stopped; defaults to printing it.
    public init(report: ((String) -> Void)? = nil) {
        self.report = report ?? { print($0) }
    }

    public func trainingDidBegin(_ trainer: Trainer) throws {
        message = nil
        terminatedAt = nil
        epoch = 0
    }

    public func epochDidBegin(_ epoch: Int, trainer: Trainer) throws {
        self.epoch = epoch
    }

    public func batchDidEnd(_ batch: Int, logs: [MetricName: Float], trainer: Trainer) throws {
        guard let loss = logs[.loss], !loss.isFinite else { return }
        let text = "TerminateOnNaN: the loss became \(loss) at epoch \(epoch + 1), batch \(batch + 1); stopping training"
        message = text
        terminatedAt = (epoch, batch)
        trainer.stopTraining = true
        report(text)
    }
}
