import TuneCore

/// Average pooling over NCHW input. The stride defaults to the pool size; padded cells are excluded from the
/// average unless `countIncludesPadding` (Keras excludes them, PyTorch's default includes them).
public final class AveragePool2D: Layer {
    /// The window `(height, width)`.
    public let poolSize: (Int, Int)
    /// The step between windows.
    public let stride: (Int, Int)
    /// How the input is padded.
    public let padding: Padding
    /// Whether padded cells count in the average (PyTorch's `count_include_pad`).
    public let countIncludesPadding: Bool

    /// A `poolSize` window moved by `stride` (the pool size when `nil`).
    public init(poolSize: (Int, Int), stride: (Int, Int)? = nil, padding: Padding = .valid,
                countIncludesPadding: Bool = false) {
        self.poolSize = poolSize
        self.stride = stride ?? poolSize
        self.padding = padding
        self.countIncludesPadding = countIncludesPadding
        super.init(kind: "AveragePool2D")
        markBuilt()
    }

    /// A square window, 2×2 by default.
    public convenience init(poolSize: Int = 2, stride: Int? = nil, padding: Padding = .valid,
                            countIncludesPadding: Bool = false) {
        self.init(poolSize: (poolSize, poolSize), stride: stride.map { ($0, $0) }, padding: padding,
                  countIncludesPadding: countIncludesPadding)
    }

    public override func forward(_ input: Tensor, context: ForwardContext) throws -> Tensor {
        guard input.shape.rank == 4 else { throw LayerError.shapeMismatch(layer: kind, expected: "[N, C, H, W]", got: input.shape) }
        return try input.averagePool2d(kernel: poolSize, stride: stride, padding: padding,
                                       countIncludesPadding: countIncludesPadding)
    }
}
