import TuneCore

/// Max pooling over NCHW input. The stride defaults to the pool size (Keras).
public final class MaxPool2D: Layer {
    /// The window `(height, width)`.
    public let poolSize: (Int, Int)
    /// The step between windows.
    public let stride: (Int, Int)
    /// How the input is padded.
    public let padding: Padding

    /// A `poolSize` window moved by `stride` (the pool size when `nil`).
    public init(poolSize: (Int, Int), stride: (Int, Int)? = nil, padding: Padding = .valid) {
        self.poolSize = poolSize
        self.stride = stride ?? poolSize
        self.padding = padding
        super.init(kind: "MaxPool2D")
        markBuilt()
    }

    /// A square window, 2×2 by default.
    public convenience init(poolSize: Int = 2, stride: Int? = nil, padding: Padding = .valid) {
        self.init(poolSize: (poolSize, poolSize), stride: stride.map { ($0, $0) }, padding: padding)
    }

    public override func forward(_ input: Tensor, context: ForwardContext) throws -> Tensor {
        guard input.shape.rank == 4 else { throw LayerError.shapeMismatch(layer: kind, expected: "[N, C, H, W]", got: input.shape) }
        return try input.maxPool2d(kernel: poolSize, stride: stride, padding: padding)
    }
}
