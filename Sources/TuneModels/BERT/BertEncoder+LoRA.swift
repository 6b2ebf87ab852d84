import TuneCore
import TuneNN

extension BertEncoder {
    /// One adapter of an encoder: where it is and the layer that carries it.
    public struct Adapter {
        /// The transformer layer's index.
        public let layer: Int
        /// Which projection of that layer.
        public let projection: BertProjection
        /// The adapted projection.
        public let dense: LoRADense

        /// Its path in the encoder (`layers.3.attention.query`): its tensors are at `<path>.lora_A` and `<path>.lora_B`,
        /// the frozen base weight still at `<path>.weight`.
        public var path: String { "layers.\(layer).\(projection.path)" }
    }

    /// Puts a LoRA adapter (``LoRADense``) on `configuration`'s projections in every layer and freezes everything else:
    /// afterwards only the adapters train (set ``Layer/isTrainable`` on other parts to train them too; the wrapped
    /// weights never train).
    ///
    /// Parameter paths do not change: each ``LoRADense`` takes its projection's child name and registers the wrapped
    /// weight and bias under their old names, adding `lora_A` and `lora_B`. So pretrained weights load the same before
    /// or after (``loadCheckpoint(path:)`` leaves the adapters alone), and ``BertKeyMap`` still names every base weight.
    /// - Parameter generator: where the adapters' A matrices are drawn from (B starts at zero, so the encoder's output
    ///   does not change).
    /// - Throws: ``LoRAConfigurationError`` for settings out of range; ``LayerError`` when adapters are already on.
    public func applyLoRA(_ configuration: LoRAConfiguration, generator: WeightGenerator = WeightGenerator(seed: 0)) throws {
        try configuration.validate()
        if let present = loraConfiguration {
            throw LayerError.invalidConfiguration(
                layer: kind, message: "LoRA adapters (\(present)) are already applied; merge them (mergeLoRA()) before applying others")
        }
        var created: [(BertLayer, BertProjection, LoRADense)] = []
        for (index, layer) in layers.enumerated() {
            for projection in configuration.targets {
                guard let dense = layer.layer(projection) as? Dense else {
                    throw LayerError.invalidConfiguration(
                        layer: kind, message: "layers.\(index).\(projection.path) is a \(layer.layer(projection).kind), not a Dense")
                }
                created.append((layer, projection, try LoRADense(wrapping: dense, rank: configuration.rank, alpha: configuration.alpha,
                                                                 dropout: configuration.dropout, generator: generator)))
            }
        }
        for (layer, projection, adapter) in created { layer.replace(projection, with: adapter) }
        isTrainable = false
        for (_, _, adapter) in created { adapter.isTrainable = true }
        loraConfiguration = configuration
    }

    /// The adapters, layer by layer in ``BertProjection`` order; empty without LoRA.
    public var adapters: [Adapter] {
        layers.enumerated().flatMap { index, layer in
            BertProjection.allCases.compactMap { projection in
                (layer.layer(projection) as? LoRADense).map { Adapter(layer: index, projection: projection, dense: $0) }
            }
        }
    }

    /// The paths of the adapters' own tensors (`layers.3.attention.query.lora_A`, …).
    public var adapterPaths: [String] {
        adapters.flatMap { ["\($0.path).lora_A", "\($0.path).lora_B"] }
    }

    /// Folds every adapter into its projection's weight (``LoRADense/merged()``) and removes the adapters: the encoder
    /// computes the same in inference mode, at the plain encoder's cost. The merged projections keep their paths and
    /// take their layer's trainability.
    public func mergeLoRA() throws {
        for adapter in adapters {
            layers[adapter.layer].replace(adapter.projection, with: try adapter.dense.merged())
        }
        loraConfiguration = nil
    }
}
