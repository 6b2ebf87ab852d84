/// The weight gradient of a depthwise convolution (one filter per channel, no bias) computed directly.
///
/// oneDNN 2.6 has a JIT kernel for this only for 3×3 filters on maps that are not tiny; otherwise (EfficientNet's
/// 5×5 layers, and every layer at 2×2) it falls back to a GEMM formulation — ≈5 ms per 1,152-channel 5×5 layer at
/// 2×2, most of it multiplying padding, and ≈9 ms per 5×5 layer at 12×12. Two loops replace it:
/// - small maps (≤ ``maximumOutputPositions`` outputs): output-major, visiting only the taps inside the input;
/// - larger maps: tap-major, one vectorized dot product per (image, tap) over the outputs whose tap lands inside
///   the input, channels spread over the cores, image sums accumulated in Double.
/// Operands held channel-blocked go to ``BlockedDepthwiseWeightGradient`` instead, which vectorizes over channels.
enum DepthwiseWeightGradient {
    /// Up to this many output positions per channel, the output-major loop is used.
    static let maximumOutputPositions = 16

    /// Whether the direct loops are used: a depthwise convolution without bias, on a small map or with a filter
    /// larger than 3×3.
    static func applies(input: Shape, weight: Shape, groups: Int, hasBias: Bool, geometry: WindowGeometry) -> Bool {
        guard !hasBias, groups == input[1], weight[0] == groups, weight[1] == 1 else { return false }
        return geometry.output[0] * geometry.output[1] <= maximumOutputPositions || weight[2] * weight[3] > 9
    }

    /// `dW[c, i, j] = Σ_n Σ_(y, x) dY[n, c, y, x] · X[n, c, y·sh + i·dh − top, x·sw + j·dw − left]` over taps
    /// inside the input.
    static func compute(input: Tensor, outputGradient: Tensor, weightShape: Shape, geometry: WindowGeometry) -> Tensor {
        let sizes = Sizes(input: input.shape, weight: weightShape, geometry: geometry)
        if !input.hasPlainStorage, !outputGradient.hasPlainStorage, let x = input.native, let dy = outputGradient.native,
           let block = x.layout.channelBlock, dy.layout.channelBlock == block {
            return BlockedDepthwiseWeightGradient.compute(input: x.storage.pointer, outputGradient: dy.storage.pointer,
                                                          block: block, sizes: sizes)
        }
        if sizes.outHeight * sizes.outWidth > maximumOutputPositions {
            return tapMajor(input: input, outputGradient: outputGradient, sizes: sizes)
        }
        return outputMajor(input: input, outputGradient: outputGradient, sizes: sizes)
    }

    /// The output-major loop for small maps (see the type's notes).
    private static func outputMajor(input: Tensor, outputGradient: Tensor, sizes: Sizes) -> Tensor {
        let weightShape = sizes.weightShape
        let (batch, channels, height, width) = (sizes.batch, sizes.channels, sizes.height, sizes.width)
        let (kernelHeight, kernelWidth, outHeight, outWidth) = (sizes.kernelHeight, sizes.kernelWidth, sizes.outHeight, sizes.outWidth)
        let (strideY, strideX, dilationY, dilationX) = (sizes.strideY, sizes.strideX, sizes.dilationY, sizes.dilationX)
        let (top, left) = (sizes.top, sizes.left)
        let result = Tensor(zeros: weightShape)
        let x = input.storage.pointer
        let dy = outputGradient.storage.pointer
        let dw = result.storage.pointer
        let taps = kernelHeight * kernelWidth
        // The kernel rows (columns) that land inside the input for each output row (column).
        let rows = (0..<outHeight).map { validTaps(origin: $0 * strideY - top, kernel: kernelHeight, dilation: dilationY, size: height) }
        let columns = (0..<outWidth).map { validTaps(origin: $0 * strideX - left, kernel: kernelWidth, dilation: dilationX, size: width) }
        for n in 0..<batch {
            for c in 0..<channels {
                let inputPlane = x + (n * channels + c) * height * width
                let gradientPlane = dy + (n * channels + c) * outHeight * outWidth
                let filter = dw + c * taps
                for oy in 0..<outHeight {
                    let originY = oy * strideY - top
                    for ox in 0..<outWidth {
                        let g = gradientPlane[oy * outWidth + ox]
                        let originX = ox * strideX - left
                        for i in rows[oy] {
                            let row = inputPlane + (originY + i * dilationY) * width + originX
                            let filterRow = filter + i * kernelWidth
                            for j in columns[ox] { filterRow[j] += g * row[j * dilationX] }
                        }
                    }
                }
            }
        }
        return result
    }

    /// The tap-major loop for larger maps (see the type's notes).
    private static func tapMajor(input: Tensor, outputGradient: Tensor, sizes: Sizes) -> Tensor {
        let weightShape = sizes.weightShape
        let (batch, channels, height, width) = (sizes.batch, sizes.channels, sizes.height, sizes.width)
        let (kernelHeight, kernelWidth, outHeight, outWidth) = (sizes.kernelHeight, sizes.kernelWidth, sizes.outHeight, sizes.outWidth)
        let (strideY, strideX, dilationY, dilationX) = (sizes.strideY, sizes.strideX, sizes.dilationY, sizes.dilationX)
        let (top, left) = (sizes.top, sizes.left)
        let result = Tensor.uninitialized(weightShape)
        let x = input.storage.pointer, dy = outputGradient.storage.pointer, dw = result.storage.pointer
        // For each kernel row (column), the output rows (columns) whose tap lands inside the input.
        let rows = (0..<kernelHeight).map {
            validOutputs(offset: $0 * dilationY - top, stride: strideY, size: height, outputs: outHeight)
        }
        let columns = (0..<kernelWidth).map {
            validOutputs(offset: $0 * dilationX - left, stride: strideX, size: width, outputs: outWidth)
        }
        Tensor.forEachChannel(channels, work: outputGradient.elementCount * kernelHeight * kernelWidth) { c in
            for i in 0..<kernelHeight {
                for j in 0..<kernelWidth {
                    let (outRows, outColumns) = (rows[i], columns[j])
                    var total = 0.0
                    for n in 0..<batch where !outRows.isEmpty && !outColumns.isEmpty {
                        let inputPlane = x + (n * channels + c) * height * width
                        let gradientPlane = dy + (n * channels + c) * outHeight * outWidth
                        var planeSum: Float = 0
                        for oy in outRows {
                            let gradientRow = gradientPlane + oy * outWidth + outColumns.lowerBound
                            let inputRow = inputPlane + (oy * strideY + i * dilationY - top) * width
                                + outColumns.lowerBound * strideX + j * dilationX - left
                            planeSum += dot(gradientRow, inputRow, count: outColumns.count, inputStride: strideX)
                        }
                        total += Double(planeSum)
                    }
                    dw[(c * kernelHeight + i) * kernelWidth + j] = Float(total)
                }
            }
        }
        return result
    }

    /// `Σ g[k] · x[k · inputStride]`, eight lanes at a time when the input is contiguous.
    @inline(__always)
    private static func dot(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, count: Int, inputStride: Int) -> Float {
        var k = 0
        var total: Float = 0
        if inputStride == 1 {
            var lanes = SIMD8<Float>(repeating: 0)
            let (gRaw, xRaw) = (UnsafeRawPointer(g), UnsafeRawPointer(x))
            while k + 8 <= count {
                lanes += gRaw.loadUnaligned(fromByteOffset: k * 4, as: SIMD8<Float>.self)
                    * xRaw.loadUnaligned(fromByteOffset: k * 4, as: SIMD8<Float>.self)
                k += 8
            }
            total = lanes.sum()
        }
        while k < count {
            total += g[k] * x[k * inputStride]
            k += 1
        }
        return total
    }

    /// The outputs `o` in `0..<outputs` with `0 ≤ o·stride + offset < size`.
    static func validOutputs(offset: Int, stride: Int, size: Int, outputs: Int) -> Range<Int> {
        let low = offset >= 0 ? 0 : (-offset + stride - 1) / stride
        let high = size - 1 - offset < 0 ? 0 : min(outputs, (size - 1 - offset) / stride + 1)
        return low..<max(low, high)
    }

    /// The sizes both loops work from: input `[N, C, H, W]`, filter `kh × kw`, output `oh × ow`, strides,
    /// dilations and the padding before each axis.
    struct Sizes {
        let weightShape: Shape
        let batch, channels, height, width: Int
        let kernelHeight, kernelWidth, outHeight, outWidth: Int
        let strideY, strideX, dilationY, dilationX, top, left: Int

        init(input: Shape, weight: Shape, geometry: WindowGeometry) {
            weightShape = weight
            (batch, channels, height, width) = (input[0], input[1], input[2], input[3])
            (kernelHeight, kernelWidth) = (weight[2], weight[3])
            (outHeight, outWidth) = (geometry.output[0], geometry.output[1])
            (strideY, strideX) = (geometry.stride[0], geometry.stride[1])
            (dilationY, dilationX) = (geometry.dilation[0], geometry.dilation[1])
            (top, left) = (geometry.padBefore[0], geometry.padBefore[1])
        }
    }

    /// The kernel indices `k` with `0 ≤ origin + k·dilation < size`.
    static func validTaps(origin: Int, kernel: Int, dilation: Int, size: Int) -> Range<Int> {
        let low = origin >= 0 ? 0 : (-origin + dilation - 1) / dilation
        let high = min(kernel, origin >= size ? 0 : (size - 1 - origin) / dilation + 1)
        return low..<max(low, high)
    }
}
