/// The depthwise weight gradient of ``DepthwiseWeightGradient`` for input and output gradient held channel-blocked
/// (`nChw8c` / `nChw16c`), where one position's channels of a block are adjacent: eight channels per vector.
///
/// Output-major: each output position's gradient vector is multiplied into the input vectors under the taps that land
/// inside the input, accumulating per tap in Float over one image and across images in Double — the same sums as the
/// row-major loops, each read once.
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
        let rows = (0..<outHeight).map {
            DepthwiseWeightGradient.validTaps(origin: $0 * strideY - top, kernel: kernelHeight, dilation: dilationY, size: height)
        }
        let columns = (0..<outWidth).map {
            DepthwiseWeightGradient.validTaps(origin: $0 * strideX - left, kernel: kernelWidth, dilation: dilationX, size: width)
        }
        let (x, dy) = (UnsafeRawPointer(input), UnsafeRawPointer(outputGradient))
        // One unit: eight channels of one block.
        Tensor.forEachChannel(blocks * groups, work: batch * channels * outHeight * outWidth * taps) { unit in
            let (channelBlock, group) = unit.quotientAndRemainder(dividingBy: groups)
            let firstChannel = channelBlock * block + group * 8
            guard firstChannel < channels else { return }
            var perImage = [SIMD8<Float>](repeating: .zero, count: taps)
            var low = [SIMD4<Double>](repeating: .zero, count: taps), high = low
            for n in 0..<batch {
                // Byte offsets of this unit's lanes at (n, block, 0, 0).
                let inputBase = (((n * blocks + channelBlock) * height * width) * block + group * 8) * 4
                let gradientBase = (((n * blocks + channelBlock) * outHeight * outWidth) * block + group * 8) * 4
                for t in 0..<taps { perImage[t] = .zero }
                perImage.withUnsafeMutableBufferPointer { sums in
                    for oy in 0..<outHeight {
                        let originY = oy * strideY - top
                        for ox in 0..<outWidth {
                            let g = dy.loadUnaligned(fromByteOffset: gradientBase + (oy * outWidth + ox) * block * 4,
                                                     as: SIMD8<Float>.self)
                            let originX = ox * strideX - left
                            for i in rows[oy] {
                                let rowOffset = inputBase + (originY + i * dilationY) * width * block * 4
                                for j in columns[ox] {
                                    let position = rowOffset + (originX + j * dilationX) * block * 4
                                    sums[i * kernelWidth + j] += g * x.loadUnaligned(fromByteOffset: position, as: SIMD8<Float>.self)
                                }
                            }
                        }
                    }
                }
                for t in 0..<taps {
                    low[t] += SIMD4<Double>(perImage[t].lowHalf)
                    high[t] += SIMD4<Double>(perImage[t].highHalf)
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
