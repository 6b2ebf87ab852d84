/// The depthwise weight gradient of ``DepthwiseWeightGradient`` for input and output gradient held channel-blocked
/// (`nChw8c` / `nChw16c`), where one position's channels of a block are adjacent: one vector per block.
///
/// Tap-major: for each tap, one vector accumulator runs over the output positions whose tap lands inside the input
/// (a register, no memory traffic for the sum), per image in Float and across images in Double — the same sums as the
/// row-major loops.
enum BlockedDepthwiseWeightGradient {
    static func compute(input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>, block: Int,
                        sizes: DepthwiseWeightGradient.Sizes) -> Tensor {
        let result = Tensor.uninitialized(sizes.weightShape)
        if block == 16 {
            run(SIMD16<Float>.self, input, outputGradient, sizes: sizes, into: result.storage.pointer)
        } else {
            run(SIMD8<Float>.self, input, outputGradient, sizes: sizes, into: result.storage.pointer)
        }
        return result
    }

    /// The loop for blocks of `Lanes.scalarCount` channels, one block per unit of work.
    @inline(__always)
    private static func run<Lanes: SIMD>(_: Lanes.Type, _ input: UnsafePointer<Float>, _ outputGradient: UnsafePointer<Float>,
                                         sizes: DepthwiseWeightGradient.Sizes, into dw: UnsafeMutablePointer<Float>)
    where Lanes.Scalar == Float {
        let block = Lanes.scalarCount
        let (batch, channels, height, width) = (sizes.batch, sizes.channels, sizes.height, sizes.width)
        let (kernelHeight, kernelWidth, outHeight, outWidth) = (sizes.kernelHeight, sizes.kernelWidth, sizes.outHeight, sizes.outWidth)
        let (strideY, strideX, dilationY, dilationX) = (sizes.strideY, sizes.strideX, sizes.dilationY, sizes.dilationX)
        let (top, left) = (sizes.top, sizes.left)
        let taps = kernelHeight * kernelWidth
        let blocks = (channels + block - 1) / block
        // For each kernel row (column), the output rows (columns) whose tap lands inside the input.
        let rows = (0..<kernelHeight).map {
            DepthwiseWeightGradient.validOutputs(offset: $0 * dilationY - top, stride: strideY, size: height, outputs: outHeight)
        }
        let columns = (0..<kernelWidth).map {
            DepthwiseWeightGradient.validOutputs(offset: $0 * dilationX - left, stride: strideX, size: width, outputs: outWidth)
        }
        let (x, dy) = (UnsafeRawPointer(input), UnsafeRawPointer(outputGradient))
        let (inputStep, gradientStep) = (strideX * block * 4, block * 4)
        Tensor.forEachChannel(blocks, work: batch * channels * outHeight * outWidth * taps) { channelBlock in
            var totals = [Double](repeating: 0, count: taps * block)
            for n in 0..<batch {
                // Byte offsets of this block at (n, 0, 0).
                let inputBase = ((n * blocks + channelBlock) * height * width) * block * 4
                let gradientBase = ((n * blocks + channelBlock) * outHeight * outWidth) * block * 4
                for i in 0..<kernelHeight {
                    for j in 0..<kernelWidth {
                        let (outRows, outColumns) = (rows[i], columns[j])
                        var sum = Lanes()
                        for oy in outRows {
                            let iy = oy * strideY + i * dilationY - top
                            var g = gradientBase + (oy * outWidth + outColumns.lowerBound) * block * 4
                            var position = inputBase + (iy * width + outColumns.lowerBound * strideX + j * dilationX - left) * block * 4
                            for _ in outColumns {
                                sum += dy.loadUnaligned(fromByteOffset: g, as: Lanes.self)
                                    * x.loadUnaligned(fromByteOffset: position, as: Lanes.self)
                                g += gradientStep
                                position += inputStep
                            }
                        }
                        let t = i * kernelWidth + j
                        for lane in 0..<block { totals[t * block + lane] += Double(sum[lane]) }
                    }
                }
            }
            for lane in 0..<min(block, channels - channelBlock * block) {
                for t in 0..<taps { dw[(channelBlock * block + lane) * taps + t] = Float(totals[t * block + lane]) }
            }
        }
    }
}
