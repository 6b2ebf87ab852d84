import Foundation

/// The taps of a one-dimensional resampling, precomputed once per image and axis: output position `o` reads the
/// `taps` consecutive source positions starting at `starts[o]`, weighted by `weights[o · taps ..< (o + 1) · taps]`.
///
/// Taps that fall outside the source are folded onto the nearest edge pixel (edge clamp) — except for antialiased
/// (downscaling) bicubic with the centre inside the image, which drops them and renormalizes, like PIL — so every
/// window lies inside `0 ..< sourceCount` and the kernels need no bounds checks. Weights sum to 1.
struct ResamplingTable {
    /// Source positions read per output position (the same for all, padded with zero weights).
    let taps: Int
    /// First source position of each output position's window.
    let starts: [Int32]
    /// `outputCount · taps` weights.
    let weights: [Float]
    /// Whether output position `o` is exactly source position `starts[0] + o` (weight 1 on the first tap): a copy.
    let isUnitStep: Bool

    /// The table for `outputCount` positions sampling a source of `sourceCount` pixels, where output position `o`
    /// is centred on source index coordinate `scale · o + offset` (pixel `i` spans `[i − 0.5, i + 0.5]`).
    init(method: ResizeMethod, outputCount: Int, sourceCount: Int, scale: Double, offset: Double) {
        let n = sourceCount
        // Antialiased bicubic (downscaling) stretches the cubic kernel by the scale factor (PIL).
        let stretch = max(abs(scale), 1)
        let antialiased = method == .bicubic && stretch > 1
        // Widest window any method may need before padding; `area` needs ⌈|scale|⌉ + 1, antialiased bicubic
        // at most ⌊4 · stretch⌋ + 1 (the source pixels strictly within 2 · stretch of the centre).
        let maxTaps: Int
        switch method {
        case .bilinear: maxTaps = min(2, n)
        case .bicubic: maxTaps = antialiased ? min(n, Int((4 * min(stretch, Double(n))).rounded(.down)) + 2) : min(4, n)
        case .area: maxTaps = min(n, Int(min(abs(scale), Double(n)).rounded(.up)) + 2)
        }
        var rawStarts = [Int](repeating: 0, count: outputCount)
        var rawCounts = [Int](repeating: 0, count: outputCount)
        var raw = [Double](repeating: 0, count: outputCount * maxTaps)
        var taps = 1
        raw.withUnsafeMutableBufferPointer { rawBuffer in
            guard let raw = rawBuffer.baseAddress else { return }
            // `window` accumulates weights for source pixels `first ..< first + maxTaps` (indices already clamped).
            for o in 0..<outputCount {
                let window = raw + o * maxTaps
                let s = scale * Double(o) + offset
                var first = 0, last = 0
                switch method {
                case .bilinear:
                    let x = min(max(s, 0), Double(n - 1))
                    let i0 = Int(x.rounded(.down))
                    let f = x - Double(i0)
                    let i1 = min(i0 + 1, n - 1)
                    first = max(0, min(i0, n - maxTaps))
                    window[i0 - first] += 1 - f
                    window[i1 - first] += f
                    last = i1
                case .bicubic where antialiased:
                    // PIL's `precompute_coeffs`: centre (o + 0.5) · scale in edge coordinates is `s + 0.5`, so
                    // source pixel j (centre j + 0.5) weighs cubic((j − s) / stretch); normalized below.
                    let support = 2 * stretch
                    let invStretch = 1 / stretch
                    if s >= -0.5, s <= Double(n) - 0.5 {
                        // Centre inside the image (always, unless zoom or translation moves it out): like PIL,
                        // taps outside the image are dropped and the rest renormalized. The pixel under the centre
                        // weighs cubic(≤ 0.5 / stretch) > 0, so the window is never empty and its sum stays positive.
                        let lo = max(Int((s - support).rounded(.up)), 0)
                        let hi = min(Int((s + support).rounded(.down)), n - 1)
                        first = max(0, min(lo, n - maxTaps))
                        last = hi
                        for j in lo...hi { window[j - first] += ResizeMethod.cubic((Double(j) - s) * invStretch) }
                    } else {
                        // Centre outside the image: taps take the nearest edge pixel (Keras `fill_mode="nearest"`);
                        // beyond 2 · stretch outside, every tap is the edge pixel, so the centre clamps there.
                        let x = min(max(s, -support - 1), Double(n - 1) + support + 1)
                        let lo = Int((x - support).rounded(.up)), hi = Int((x + support).rounded(.down))
                        first = max(0, min(min(max(lo, 0), n - 1), n - maxTaps))
                        last = min(max(hi, 0), n - 1)
                        for j in lo...hi {
                            window[min(max(j, 0), n - 1) - first] += ResizeMethod.cubic((Double(j) - x) * invStretch)
                        }
                    }
                case .bicubic:
                    let x = min(max(s, -3), Double(n + 2))
                    let i0 = Int(x.rounded(.down))
                    let w = ResizeMethod.cubicWeights(Float(x - Double(i0)))
                    let lo = min(max(i0 - 1, 0), n - 1)
                    last = min(max(i0 + 2, 0), n - 1)
                    first = max(0, min(lo, n - maxTaps))
                    window[min(max(i0 - 1, 0), n - 1) - first] += Double(w.0)
                    window[min(max(i0, 0), n - 1) - first] += Double(w.1)
                    window[min(max(i0 + 1, 0), n - 1) - first] += Double(w.2)
                    window[min(max(i0 + 2, 0), n - 1) - first] += Double(w.3)
                case .area:
                    // The footprint [left, right] of the output pixel in continuous source coordinates, where
                    // pixel i covers [i, i + 1]; parts outside [0, n] belong to the edge pixels.
                    let half = abs(scale) / 2
                    let left = s + 0.5 - half, right = s + 0.5 + half
                    let span = right - left
                    let below = max(0, min(right, 0) - left)
                    let above = max(0, right - max(left, Double(n)))
                    let insideLeft = max(left, 0), insideRight = min(right, Double(n))
                    let hasInside = insideLeft < insideRight
                    var lo = Int.max, hi = Int.min
                    if below > 0 { lo = 0; hi = max(hi, 0) }
                    if above > 0 { lo = min(lo, n - 1); hi = n - 1 }
                    if hasInside {
                        lo = min(lo, min(n - 1, Int(insideLeft.rounded(.down))))
                        hi = max(hi, min(n - 1, Int(insideRight.rounded(.up)) - 1))
                    }
                    if lo > hi { lo = 0; hi = 0; window[0] = 1 }
                    first = max(0, min(lo, n - maxTaps))
                    last = hi
                    if below > 0 { window[0 - first] += below / span }
                    if above > 0 { window[n - 1 - first] += above / span }
                    if hasInside {
                        var i = lo
                        while i <= hi {
                            let overlap = min(Double(i + 1), insideRight) - max(Double(i), insideLeft)
                            if overlap > 0 { window[i - first] += overlap / span }
                            i += 1
                        }
                    }
                }
                // Trim zero weights at both ends (e.g. an exact sample has weights (1, 0)).
                var low = 0, high = last - first
                while low < high, window[low] == 0 { low += 1 }
                while high > low, window[high] == 0 { high -= 1 }
                if low > 0 {
                    for k in 0...(high - low) { window[k] = window[k + low] }
                    for k in (high - low + 1)...(high) { window[k] = 0 }
                }
                rawStarts[o] = first + low
                rawCounts[o] = high - low + 1
                taps = max(taps, high - low + 1)
            }
        }
        // Compact to the widest window actually used, and normalize: area weights may drift by rounding, and
        // antialiased bicubic weights sum to 1 only after normalization (PIL divides by their sum too).
        var starts = [Int32](repeating: 0, count: outputCount)
        var weights = [Float](repeating: 0, count: outputCount * taps)
        for o in 0..<outputCount {
            let start = min(rawStarts[o], n - taps)
            let shift = rawStarts[o] - start
            var total = 0.0
            for k in 0..<rawCounts[o] { total += raw[o * maxTaps + k] }
            let norm = total > 0 ? 1 / total : 1
            for k in 0..<rawCounts[o] where shift + k < taps {
                weights[o * taps + shift + k] = Float(raw[o * maxTaps + k] * norm)
            }
            starts[o] = Int32(start)
        }
        self.taps = taps
        self.starts = starts
        self.weights = weights
        isUnitStep = (0..<outputCount).allSatisfy { o in
            starts[o] == starts[0] + Int32(o) && weights[o * taps] == 1
                && (1..<taps).allSatisfy { weights[o * taps + $0] == 0 }
        }
    }

    /// The lowest and highest source positions any window touches.
    var sourceRange: ClosedRange<Int> {
        let low = starts.min().map(Int.init) ?? 0
        let high = (starts.max().map(Int.init) ?? 0) + taps - 1
        return low...high
    }
}
