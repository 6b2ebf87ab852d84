/// The depthwise weight gradient of ``DepthwiseWeightGradient`` for input and output gradient held channel-blocked
/// (`nChw8c` / `nChw16c`), where one position's channels of a block are adjacent: eight channels per vector.
///
/// Tap-major: for each tap, one vector accumulator runs over the output positions whose tap lands inside the input
/// (a register, no memory traffic for the sum), per image in Float and across images in Double — the same sums as the
/// row-major loops.
enum BlockedDepthwiseWeightGradient {
    static func compute(input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>, block: Int,
                        sizes: DepthwiseWeightGradient.Sizes) -> Tensor {
        let (batch, channels, height, width) = (sizes.batch, sizes.channels, sizes.height, sizes.width)
        let (kernelHeight, kernelWidth, outHeight, outWidth) = (sizes.kernelHeight, sizes.kernelWidth, sizes.outHeight, sizes.outWidth)
        let (strideY, strideX, dilationY, dilationX) = (sizes.strideY, sizes.strideX, sizes.dilationY, sizes.dilationX)
        let (top, left) = (sizes.top, sizes.left)
        let taps = kernelHeight * kernelWidth
        let blocks = (channels + block - 1) / block
        let groups = block / 8
        let result = Tensor.uninitialized(sizes.weightShape)
        let dw = result.storage.pointer
        // For each kernel row (column), the output rows (columns) whose tap lands inside the input.
        let rows = (0..<kernelHeight).map {
            DepthwiseWeightGradient.validOutputs(offset: $0 * dilationY - top, stride: strideY, size: height, outputs: outHeight)
        }
        let columns = (0..<kernelWidth).map {
            DepthwiseWeightGradient.validOutputs(offset: $0 * dilationX - left, stride: strideX, size: width, outputs: outWidth)
        }
        let (x, dy) = (UnsafeRawPointer(input), UnsafeRawPointer(outputGradient))
        let (inputStep, gradientStep) = (strideX * block * 4, block * 4)
        // One unit: eight channels of one block.
        Tensor.forEachChannel(blocks * groups, work: batch * channels * outHeight * outWidth * taps) { unit in
            let (channelBlock, group) = unit.quotientAndRemainder(dividingBy: groups)
            let firstChannel = channelBlock * block + group * 8
            guard firstChannel < channels else { return }
            var low = [SIMD4<Double>](repeating: .zero, count: taps), high = low
            for n in 0..<batch {
                // Byte offsets of this unit's lanes at (n, block, 0, 0).
                let inputBase = (((n * blocks + channelBlock) * height * width) * block + group * 8) * 4
                let gradientBase = (((n * blocks + channelBlock) * outHeight * outWidth) * block + group * 8) * 4
                for i in 0..<kernelHeight {
                    for j in 0..<kernelWidth {
                        let (outRows, outColumns) = (rows[i], columns[j])
                        var sum = SIMD8<Float>.zero
                        for oy in outRows {
                            let iy = oy * strideY + i * dilationY - top
                            var g = gradientBase + (oy * outWidth + outColumns.lowerBound) * block * 4
                            var position = inputBase + (iy * width + outColumns.lowerBound * strideX + j * dilationX - left) * block * 4
                            for _ in outColumns {
                                sum += dy.loadUnaligned(fromByteOffset: g, as: SIMD8<Float>.self)
                                    * x.loadUnaligned(fromByteOffset: position, as: SIMD8<Float>.self)
                                g += gradientStep
                                position += inputStep
                            }
                        }
                        let t = i * kernelWidth + j
                        low[t] += SIMD4<Double>(sum.lowHalf)
                        high[t] += SIMD4<Double>(sum.highHalf)
                    }
                }
            }
            for lane in 0..<min(8, channels - firstChannel) {
                for t in 0..<taps {
                    dw[(firstChannel + lane) * taps + t] = Float(lane < 4 ? low[t][lane] : high[t][lane - 4])
                }
            }
        }
        return result
    }
}
