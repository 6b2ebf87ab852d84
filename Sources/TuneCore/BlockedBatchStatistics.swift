/// Per-channel batch mean and biased variance of a 4-D tensor held channel-blocked (`nChw8c` or `nChw16c`): one vector
/// holds one position's channels of a block.
///
/// In the blocked layout element `(n, c, s)` sits at `((n · ⌈C/b⌉ + c / b) · HW + s) · b + c % b`. One pass
/// accumulates `Σ d` and `Σ d²` of `d = x − k`, with `k` each channel's first value: shifting by a value near the mean
/// keeps `Σ d² / n − (Σ d / n)²` free of cancellation, and reading the activations once instead of twice matters
/// because this loop is memory-bound. Runs of 64 positions are summed in Float, their totals in Double.
enum BlockedBatchStatistics {
    static func compute(_ x: UnsafePointer<Float>, shape: Shape, block: Int) -> (mean: Tensor, variance: Tensor) {
        let mean = Tensor.uninitialized([shape[1]]), variance = Tensor.uninitialized([shape[1]])
        let output = (mean: mean.storage.pointer, variance: variance.storage.pointer)
        if block == 16 {
            run(SIMD16<Float>.self, x, shape: shape, output: output)
        } else {
            run(SIMD8<Float>.self, x, shape: shape, output: output)
        }
        return (mean, variance)
    }

    /// The loop for blocks of `Lanes.scalarCount` channels, one block per unit of work.
    @inline(__always)
    private static func run<Lanes: SIMD>(_: Lanes.Type, _ x: UnsafePointer<Float>, shape: Shape,
                                         output: (mean: UnsafeMutablePointer<Float>, variance: UnsafeMutablePointer<Float>))
    where Lanes.Scalar == Float {
        let block = Lanes.scalarCount
        let (count, channels, spatial) = (shape[0], shape[1], shape[2] * shape[3])
        let blocks = (channels + block - 1) / block
        let values = Double(count * spatial)
        let raw = UnsafeRawPointer(x)
        // Units of work are (block, run of images), so a layer with one or two blocks still uses every thread; the
        // partial sums are added in a fixed order afterwards, so the result does not depend on the thread count.
        let imageRuns = min(count, 4)
        var partial = [Double](repeating: 0, count: blocks * imageRuns * block * 2)
        partial.withUnsafeMutableBufferPointer { partial in
            let partial = partial
            Tensor.forEachChannel(blocks * imageRuns, work: shape.elementCount) { unit in
                let (channelBlock, imageRun) = unit.quotientAndRemainder(dividingBy: imageRuns)
                let blockOffset = channelBlock * spatial * block * 4
                let shift = raw.loadUnaligned(fromByteOffset: blockOffset, as: Lanes.self)
                var sums = [Double](repeating: 0, count: block), squares = sums
                for image in stride(from: imageRun * count / imageRuns, to: (imageRun + 1) * count / imageRuns, by: 1) {
                    var offset = image * blocks * spatial * block * 4 + blockOffset
                    var position = 0
                    while position < spatial {
                        let run = min(64, spatial - position)
                        var (sum, square) = (Lanes(), Lanes())
                        for _ in 0..<run {
                            let d = raw.loadUnaligned(fromByteOffset: offset, as: Lanes.self) - shift
                            sum += d
                            square += d * d
                            offset += block * 4
                        }
                        for lane in 0..<block {
                            sums[lane] += Double(sum[lane])
                            squares[lane] += Double(square[lane])
                        }
                        position += run
                    }
                }
                for lane in 0..<block {
                    partial[unit * block * 2 + lane] = sums[lane]
                    partial[unit * block * 2 + block + lane] = squares[lane]
                }
            }
        }
        for channel in 0..<channels {
            let (channelBlock, lane) = channel.quotientAndRemainder(dividingBy: block)
            var (sum, square) = (0.0, 0.0)
            for imageRun in 0..<imageRuns {
                let base = ((channelBlock * imageRuns + imageRun) * 2) * block
                sum += partial[base + lane]
                square += partial[base + block + lane]
            }
            let deviation = sum / values
            let shift = Double(x[channelBlock * spatial * block + lane])
            output.mean[channel] = Float(shift + deviation)
            output.variance[channel] = Float(max(square / values - deviation * deviation, 0))
        }
    }
}
