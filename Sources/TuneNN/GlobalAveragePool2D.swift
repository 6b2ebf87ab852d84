import TuneCore

/// The mean over H and W of NCHW input: `[N, C, H, W] → [N, C]`, or `[N, C, 1, 1]` when `keepingDimensions`.
public final class GlobalAveragePool2D: Layer {
    /// Whether the output keeps H and W as size-1 axes.
    public let keepingDimensions: Bool

    /// A global average pool, `[N, C]` output unless `keepingDimensions`.
    public init(keepingDimensions: Bool = false) {
        self.keepingDimensions = keepingDimensions
        super.init(kind: "GlobalAveragePool2D")
        markBuilt()
    }

    public override func forward(_ input: Tensor, context: ForwardContext) throws -> Tensor {
        guard input.shape.rank == 4, input.shape[2] > 0, input.shape[3] > 0 else {
            throw LayerError.shapeMismatch(layer: kind, expected: "[N, C, H, W] with H, W > 0", got: input.shape)
        }
        return keepingDimensions ? try input.mean(axes: [2, 3], keepingDimensions: true) : try input.globalAveragePool2d()
    }
}
