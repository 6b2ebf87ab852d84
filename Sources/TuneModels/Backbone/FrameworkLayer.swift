import TuneNN

/// One layer of a backbone as the framework its weights come from lists it — Keras's `base_model.layers`, or the
/// children of a torchvision model — with the FineTune layers that hold its weights (none for an input, padding,
/// pooling, activation or addition layer). `--unfreeze last-layers:N` counts these.
public struct FrameworkLayer {
    /// The framework's name for it (`block5_conv1`, `conv5_block3_out`, `features.28`).
    public let name: String
    /// The FineTune layers that hold its weights.
    public let layers: [Layer]

    public init(_ name: String, _ layers: [Layer] = []) {
        self.name = name
        self.layers = layers
    }
}

extension Backbone {
    /// By default, every innermost layer that holds parameters, named by its path, in order.
    public var frameworkLayers: [FrameworkLayer] {
        descendants().filter { $0.layer.children.isEmpty && !$0.layer.namedParameters().isEmpty }
            .map { FrameworkLayer($0.path, [$0.layer]) }
    }
}
