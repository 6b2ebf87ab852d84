import TuneCore
import TuneNN

extension Tensor {
    /// Inverted dropout at `rate` in training while `layer` has trainable weights; unchanged otherwise (inference, or a
    /// frozen layer, which runs as in inference).
    func droppedOut(rate: Float, by layer: Layer, context: ForwardContext) throws -> Tensor {
        guard context.isTraining, rate > 0, !layer.trainableParameters().isEmpty else { return self }
        return try dropout(rate: rate, generator: &context.generator)
    }
}
