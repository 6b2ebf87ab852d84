import TuneCore

/// Applies an element-wise activation (Keras's `Activation` layer).
public final class ActivationLayer: Layer {
    /// The activation applied.
    public let activation: Tensor.Activation

    /// A layer applying `activation`.
    public init(_ activation: Tensor.Activation) {
        self.activation = activation
        super.init(kind: "Activation")
        markBuilt()
    }

    public override func forward(_ input: Tensor, context: ForwardContext) throws -> Tensor {
        try input.activated(activation)
    }
}
