/// The per-pixel photometric step fused into the resampling kernels: clamp the resampled value to
/// `low…high`, then write `value · scale[p] + bias[p]` to output plane `p` (plane 0 taking the red row, or with
/// `reversesChannels` the blue one).
///
/// Brightness and normalization fold into it exactly: `clamp(clamp(v, 0, 255) + δ, 0, 255)` normalized equals
/// `clamp(v, max(0, −δ), min(255, 255 − δ)) · s + (δ − mean) · s` with `s = 1 / std`.
struct PixelTransform {
    var low: Float
    var high: Float
    var scale: (Float, Float, Float)
    var bias: (Float, Float, Float)
    /// Whether output plane 0 takes the blue row and plane 2 the red one (BGR).
    var reversesChannels = false

    /// Clamp to 0…255 only, in `order`; the values stay in pixel units (the first pass when contrast needs the image
    /// mean).
    static func clampOnly(_ order: Normalization.ChannelOrder) -> PixelTransform {
        PixelTransform(low: 0, high: 255, scale: (1, 1, 1), bias: (0, 0, 0), reversesChannels: order == .bgr)
    }

    /// Brightness `delta` (pixel units) followed by `normalization`.
    init(brightnessDelta delta: Float, normalization: Normalization) {
        let (scale, bias) = normalization.affine
        low = max(0, -delta)
        high = min(255, 255 - delta)
        self.scale = (scale[0], scale[1], scale[2])
        self.bias = (bias[0] + delta * scale[0], bias[1] + delta * scale[1], bias[2] + delta * scale[2])
        reversesChannels = normalization.channelOrder == .bgr
    }

    init(low: Float, high: Float, scale: (Float, Float, Float), bias: (Float, Float, Float), reversesChannels: Bool = false) {
        self.low = low
        self.high = high
        self.scale = scale
        self.bias = bias
        self.reversesChannels = reversesChannels
    }

    /// Writes one output row from resampled values: `channels` is 1 (the row is replicated to the three planes)
    /// or 3 (`values` holds three consecutive rows of `count` values, R then G then B).
    @inline(__always)
    func writeRow(_ values: UnsafePointer<Float>, channels: Int, count: Int,
                  to destination: UnsafeMutablePointer<Float>, planeStride: Int) {
        let low = low, high = high
        let (s0, s1, s2) = scale
        let (b0, b1, b2) = bias
        let d0 = destination, d1 = destination + planeStride, d2 = destination + 2 * planeStride
        if channels == 1 {
            for i in 0..<count {
                let v = min(max(values[i], low), high)
                d0[i] = v * s0 + b0
                d1[i] = v * s1 + b1
                d2[i] = v * s2 + b2
            }
        } else {
            let g = values + count
            let (r, b) = reversesChannels ? (values + 2 * count, values) : (values, values + 2 * count)
            for i in 0..<count { d0[i] = min(max(r[i], low), high) * s0 + b0 }
            for i in 0..<count { d1[i] = min(max(g[i], low), high) * s1 + b1 }
            for i in 0..<count { d2[i] = min(max(b[i], low), high) * s2 + b2 }
        }
    }
}

/// Contrast (and brightness, and normalization) applied in place to a rendered `[3, count]` image whose values are
/// clamped pixel values: per plane `p` with mean `m`, `clamp((u − m) · factor + m + delta, 0, 255) · scale + bias`.
enum ContrastPass {
    static func apply(to image: UnsafeMutablePointer<Float>, planeCount: Int, factor: Float, delta: Float,
                      normalization: Normalization) {
        let (scale, bias) = normalization.affine
        for p in 0..<3 {
            let plane = image + p * planeCount
            let mean = Float(sum(plane, count: planeCount) / Double(max(planeCount, 1)))
            let offset = mean * (1 - factor) + delta
            let s = scale[p], b = bias[p]
            for j in 0..<planeCount {
                plane[j] = min(max(plane[j] * factor + offset, 0), 255) * s + b
            }
        }
    }

    /// The sum of `count` floats: eight-lane partial sums (so the loop is not bound by add latency), flushed to a
    /// `Double` every 1,024 values to keep rounding small.
    static func sum(_ values: UnsafePointer<Float>, count: Int) -> Double {
        let raw = UnsafeRawPointer(values)
        var total = 0.0
        var i = 0
        while i + 8 <= count {
            let end = min(count - (count - i) % 8, i + 1024)
            var lanes = SIMD8<Float>()
            while i < end {
                lanes += raw.loadUnaligned(fromByteOffset: i * MemoryLayout<Float>.stride, as: SIMD8<Float>.self)
                i += 8
            }
            total += Double(lanes.sum())
        }
        while i < count {
            total += Double(values[i])
            i += 1
        }
        return total
    }
}
