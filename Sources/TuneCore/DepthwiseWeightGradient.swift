/// The weight gradient of a depthwise convolution (one filter per channel, no bias) computed directly.
///
/// oneDNN 2.6 has no JIT kernel for this on small feature maps (such as EfficientNet's last blocks at 2×2) and
/// falls back to a GEMM formulation that costs ≈5 ms per 1,152-channel 5×5 layer; most of its work multiplies
/// padding. This loop visits only the kernel taps that land inside the input — for 2×2 maps and 5×5 kernels,
/// 4 of 25 — and takes a fraction of a millisecond.
enum DepthwiseWeightGradient {
    /// Whether the direct loop is used: a depthwise convolution without bias whose output has at most this many
    /// positions per channel.
    static let maximumOutputPositions = 16

    static func applies(input: Shape, weight: Shape, groups: Int, hasBias: Bool, geometry: WindowGeometry) -> Bool {
        !hasBias && groups == input[1] && weight[0] == groups && weight[1] == 1
            && geometry.output[0] * geometry.output[1] <= maximumOutputPositions
    }

    /// `dW[c, i, j] = Σ_n Σ_(y, x) dY[n, c, y, x] · X[n, c, y·sh + i·dh − top, x·sw + j·dw − left]` over taps
    /// inside the input.
    static func compute(input: Tensor, outputGradient: Tensor, weightShape: Shape, geometry: WindowGeometry) -> Tensor {
        let (batch, channels, height, width) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (kernelHeight, kernelWidth) = (weightShape[2], weightShape[3])
        let (outHeight, outWidth) = (geometry.output[0], geometry.output[1])
        let (strideY, strideX) = (geometry.stride[0], geometry.stride[1])
        let (dilationY, dilationX) = (geometry.dilation[0], geometry.dilation[1])
        let (top, left) = (geometry.padBefore[0], geometry.padBefore[1])
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

    /// The kernel indices `k` with `0 ≤ origin + k·dilation < size`.
    private static func validTaps(origin: Int, kernel: Int, dilation: Int, size: Int) -> Range<Int> {
        let low = origin >= 0 ? 0 : (-origin + dilation - 1) / dilation
        let high = min(kernel, origin >= size ? 0 : (size - 1 - origin) / dilation + 1)
        return low..<max(low, high)
    }
}
