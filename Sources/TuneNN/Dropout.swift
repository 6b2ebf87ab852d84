import TuneCore

/// Inverted dropout: in training mode each element is zeroed with probability `rate` and the rest are scaled by
/// `1 / (1 − rate)`, drawing from `context.generator`; in inference mode it is the identity.
///
/// Like Keras, it depends only on the mode, not on ``Layer/isTrainable`` (it has no weights).
public final class Dropout: Layer {
    /// The probability of dropping an element, in `[0, 1)`.
    public let rate: Float

    /// - Parameter rate: the drop probability; a rate outside `[0, 1)` is reported on the first forward pass.
    public init(rate: Float) {
        self.rate = rate
        super.init(kind: "Dropout")
        markBuilt()
    }

    public override func forward(_ input: Tensor, context: ForwardContext) throws -> Tensor {
        guard rate >= 0, rate < 1 else {
            throw LayerError.invalidConfiguration(layer: kind, message: "rate \(rate) must be in [0, 1)")
        }
        guard context.isTraining, rate > 0 else { return input }
        return try input.dropout(rate: rate, generator: &context.generator)
    }
}
