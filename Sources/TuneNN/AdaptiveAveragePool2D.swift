import TuneCore

/// Average pooling to a fixed output size whatever the input's, as PyTorch's `AdaptiveAvgPool2d`: output cell
/// `(i, j)` averages input rows `⌊i·H/h⌋ ..< ⌈(i+1)·H/h⌉` and the columns likewise (windows overlap when the input is
/// smaller than the output). An input already of the output size passes through unchanged.
///
/// It runs as a product with a fixed `[h·w, H·W]` averaging matrix, so its gradient is the product's.
public final class AdaptiveAveragePool2D: Layer {
    /// The output `(height, width)`.
    public let outputSize: (Int, Int)

    /// Pools to `outputSize`.
    public init(outputSize: (Int, Int)) {
        self.outputSize = outputSize
        super.init(kind: "AdaptiveAveragePool2D")
        markBuilt()
    }

    public override func forward(_ input: Tensor, context: ForwardContext) throws -> Tensor {
        guard input.shape.rank == 4 else { throw LayerError.shapeMismatch(layer: kind, expected: "[N, C, H, W]", got: input.shape) }
        let (batch, channels, height, width) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (outHeight, outWidth) = outputSize
        if height == outHeight, width == outWidth { return input }
        let weights = try Self.averagingMatrix(from: (height, width), to: outputSize)
        return try input.reshaped(to: [batch * channels, height * width]).matmul(weights)
            .reshaped(to: [batch, channels, outHeight, outWidth])
    }

    /// The `[H·W, h·w]` matrix whose column `i·w + j` averages output cell `(i, j)`'s window.
    static func averagingMatrix(from input: (Int, Int), to output: (Int, Int)) throws -> Tensor {
        func windows(_ size: Int, _ count: Int) -> [Range<Int>] {
            (0..<count).map { index in (index * size / count)..<(((index + 1) * size + count - 1) / count) }
        }
        let rows = windows(input.0, output.0), columns = windows(input.1, output.1)
        var values = [Float](repeating: 0, count: input.0 * input.1 * output.0 * output.1)
        let outputCount = output.0 * output.1
        for (i, rowWindow) in rows.enumerated() {
            for (j, columnWindow) in columns.enumerated() {
                let weight = 1 / Float(rowWindow.count * columnWindow.count)
                for row in rowWindow {
                    for column in columnWindow { values[(row * input.1 + column) * outputCount + i * output.1 + j] = weight }
                }
            }
        }
        return try Tensor(shape: [input.0 * input.1, outputCount], scalars: values)
    }
}
