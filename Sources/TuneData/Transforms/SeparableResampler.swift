/// Resampling along an axis-aligned map (any crop, zoom, translation or flip, no rotation) as two 1-D passes
/// driven by precomputed ``ResamplingTable``s, then clamping, adjustment and normalization straight into the
/// planar output, one row at a time.
///
/// Two pass orders, chosen per image by estimated cost (the horizontal pass gathers through the column table and
/// is scalar; the vertical pass runs over contiguous memory and vectorizes):
/// - **horizontal first** (upscaling): each needed source row is resampled horizontally once into a small ring
///   of rows; each output row blends the ring rows its vertical window covers. The ring holds as many rows as
///   the window is tall; windows move monotonically (down, or up when flipped), so each source row is resampled
///   at most once.
/// - **vertical first** (downscaling): each output row blends the source rows of its window (bytes → floats, over
///   the needed columns only), then resamples that one row horizontally.
enum SeparableResampler {
    /// The order of the two 1-D passes.
    enum PassOrder {
        case horizontalFirst, verticalFirst
    }

    /// Relative cost of one gathered tap against one contiguous (vectorizable) tap, for choosing the pass order.
    private static let gatherCost = 4

    /// Raw views of the two tables for the kernels.
    private struct Tables {
        let xStarts: UnsafePointer<Int32>, xWeights: UnsafePointer<Float>, xTaps: Int, xUnitStep: Bool
        let yStarts: UnsafePointer<Int32>, yWeights: UnsafePointer<Float>, yTaps: Int
    }

    /// Renders `[3, rows.count, columns.count]` planar floats into `destination`.
    /// - Parameters:
    ///   - source: `sourceHeight · sourceWidth · channels` interleaved bytes.
    ///   - channels: 1 (replicated to three planes) or 3.
    ///   - order: the pass order; by default the one with the lower estimated cost (tests force each).
    static func render(source: UnsafePointer<UInt8>, sourceWidth: Int, channels: Int,
                       columns: ResamplingTable, rows: ResamplingTable, outputWidth: Int, outputHeight: Int,
                       pixel: PixelTransform, destination: UnsafeMutablePointer<Float>, order: PassOrder? = nil) {
        let c = channels, ow = outputWidth, oh = outputHeight
        let span = columns.sourceRange.count
        let distinctRows = min(rows.sourceRange.count, oh * rows.taps)
        let horizontalFirstCost = distinctRows * ow * c * columns.taps * gatherCost + distinctRows * span * c
            + oh * ow * c * rows.taps
        let verticalFirstCost = oh * span * c * rows.taps + oh * ow * c * columns.taps * gatherCost
        columns.starts.withUnsafeBufferPointer { xStarts in
            columns.weights.withUnsafeBufferPointer { xWeights in
                rows.starts.withUnsafeBufferPointer { yStarts in
                    rows.weights.withUnsafeBufferPointer { yWeights in
                        guard let xs = xStarts.baseAddress, let xw = xWeights.baseAddress,
                              let ys = yStarts.baseAddress, let yw = yWeights.baseAddress else { return }
                        let tables = Tables(xStarts: xs, xWeights: xw, xTaps: columns.taps, xUnitStep: columns.isUnitStep,
                                            yStarts: ys, yWeights: yw, yTaps: rows.taps)
                        let chosen = order ?? (horizontalFirstCost <= verticalFirstCost ? .horizontalFirst : .verticalFirst)
                        if chosen == .horizontalFirst {
                            renderHorizontalFirst(source: source, sourceWidth: sourceWidth, channels: c,
                                                  columnRange: columns.sourceRange, tables: tables, outputWidth: ow,
                                                  outputHeight: oh, pixel: pixel, destination: destination)
                        } else {
                            renderVerticalFirst(source: source, sourceWidth: sourceWidth, channels: c,
                                                columnRange: columns.sourceRange, tables: tables, outputWidth: ow,
                                                outputHeight: oh, pixel: pixel, destination: destination)
                        }
                    }
                }
            }
        }
    }

    private static func renderHorizontalFirst(source: UnsafePointer<UInt8>, sourceWidth: Int, channels c: Int,
                                              columnRange: ClosedRange<Int>, tables t: Tables, outputWidth ow: Int,
                                              outputHeight oh: Int, pixel: PixelTransform,
                                              destination: UnsafeMutablePointer<Float>) {
        let rowFloats = c * ow
        let ringCount = t.yTaps
        let planeStride = ow * oh
        let sourceRowBytes = sourceWidth * c
        // Only the columns some window touches are converted to floats.
        let firstByte = columnRange.lowerBound * c, spanBytes = columnRange.count * c
        withUnsafeTemporaryAllocation(of: Float.self, capacity: (ringCount + 1) * rowFloats + spanBytes) { scratch in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: ringCount) { tags in
                guard let ring = scratch.baseAddress, let tag = tags.baseAddress else { return }
                let accumulator = ring + ringCount * rowFloats
                let converted = accumulator + rowFloats
                // `converted[i]` holds byte `firstByte + i` of the current row, so `floats[j]` is byte j.
                let floats = UnsafePointer(converted - firstByte)
                for k in 0..<ringCount { tag[k] = -1 }
                for oy in 0..<oh {
                    let start = Int(t.yStarts[oy])
                    // Resample the rows of this window not already in the ring.
                    for k in 0..<ringCount {
                        let row = start + k
                        let slot = row % ringCount
                        if tag[slot] != row {
                            let bytes = source + row * sourceRowBytes + firstByte
                            for i in 0..<spanBytes { converted[i] = Float(bytes[i]) }
                            horizontal(floats, channels: c, tables: t, count: ow, into: ring + slot * rowFloats)
                            tag[slot] = row
                        }
                    }
                    let weights = t.yWeights + oy * ringCount
                    var values = UnsafePointer(ring + (start % ringCount) * rowFloats)
                    if ringCount > 1, !isSingleTap(weights, count: ringCount) {
                        blendRing(ring, ringCount: ringCount, start: start, weights: weights, count: rowFloats,
                                  into: accumulator)
                        values = UnsafePointer(accumulator)
                    }
                    pixel.writeRow(values, channels: c, count: ow, to: destination + oy * ow, planeStride: planeStride)
                }
            }
        }
    }

    private static func renderVerticalFirst(source: UnsafePointer<UInt8>, sourceWidth: Int, channels c: Int,
                                            columnRange: ClosedRange<Int>, tables t: Tables, outputWidth ow: Int,
                                            outputHeight oh: Int, pixel: PixelTransform,
                                            destination: UnsafeMutablePointer<Float>) {
        let planeStride = ow * oh
        let sourceRowBytes = sourceWidth * c
        let firstByte = columnRange.lowerBound * c, spanBytes = columnRange.count * c
        let taps = t.yTaps
        withUnsafeTemporaryAllocation(of: Float.self, capacity: c * ow + spanBytes) { scratch in
            guard let values = scratch.baseAddress else { return }
            let blended = values + c * ow
            let floats = UnsafePointer(blended - firstByte)
            for oy in 0..<oh {
                let weights = t.yWeights + oy * taps
                let first = source + Int(t.yStarts[oy]) * sourceRowBytes + firstByte
                // Blend the window's source rows (bytes) into one float row, two rows per pass, skipping zero
                // weights.
                var initialized = false
                var pending: (row: UnsafePointer<UInt8>, weight: Float)?
                for k in 0..<taps where weights[k] != 0 {
                    let row = first + k * sourceRowBytes, w = weights[k]
                    guard let (previous, pw) = pending else {
                        pending = (row, w)
                        continue
                    }
                    pending = nil
                    if initialized {
                        for i in 0..<spanBytes { blended[i] += pw * Float(previous[i]) + w * Float(row[i]) }
                    } else {
                        for i in 0..<spanBytes { blended[i] = pw * Float(previous[i]) + w * Float(row[i]) }
                        initialized = true
                    }
                }
                if let (row, w) = pending {
                    if initialized {
                        for i in 0..<spanBytes { blended[i] += w * Float(row[i]) }
                    } else if w == 1 {
                        for i in 0..<spanBytes { blended[i] = Float(row[i]) }
                    } else {
                        for i in 0..<spanBytes { blended[i] = w * Float(row[i]) }
                    }
                } else if !initialized {
                    for i in 0..<spanBytes { blended[i] = 0 }
                }
                horizontal(floats, channels: c, tables: t, count: ow, into: values)
                pixel.writeRow(values, channels: c, count: ow, to: destination + oy * ow, planeStride: planeStride)
            }
        }
    }

    /// Whether the window's weights are a single 1 at the first tap (and zeros).
    @inline(__always)
    private static func isSingleTap(_ weights: UnsafePointer<Float>, count: Int) -> Bool {
        guard weights[0] == 1 else { return false }
        for k in 1..<count where weights[k] != 0 { return false }
        return true
    }

    /// `out[i] = Σₖ weights[k] · ring[slot(start + k)][i]` over `count` floats, skipping zero weights.
    @inline(__always)
    private static func blendRing(_ ring: UnsafeMutablePointer<Float>, ringCount: Int, start: Int,
                                  weights: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float>) {
        if ringCount == 2 {
            let a = ring + (start % 2) * count, b = ring + ((start + 1) % 2) * count
            let wa = weights[0], wb = weights[1]
            for i in 0..<count { out[i] = wa * a[i] + wb * b[i] }
            return
        }
        let first = ring + (start % ringCount) * count
        let w0 = weights[0]
        for i in 0..<count { out[i] = w0 * first[i] }
        for k in 1..<ringCount {
            let w = weights[k]
            if w == 0 { continue }
            let row = ring + ((start + k) % ringCount) * count
            for i in 0..<count { out[i] += w * row[i] }
        }
    }

    /// Resamples one interleaved source row (as floats, indexed by byte position) into planar
    /// `[channels, count]` floats through the column table.
    @inline(__always)
    private static func horizontal(_ row: UnsafePointer<Float>, channels: Int, tables t: Tables, count: Int,
                                   into out: UnsafeMutablePointer<Float>) {
        let starts = t.xStarts, weights = t.xWeights, taps = t.xTaps
        if t.xUnitStep {
            // Output column o is source column starts[0] + o: a copy (de-interleaved for RGB).
            let p = row + Int(starts[0]) * channels
            if channels == 1 {
                for o in 0..<count { out[o] = p[o] }
            } else {
                let r = out, g = out + count, b = out + 2 * count
                for o in 0..<count {
                    r[o] = p[3 * o]
                    g[o] = p[3 * o + 1]
                    b[o] = p[3 * o + 2]
                }
            }
            return
        }
        if channels == 1 {
            if taps == 2 {
                for o in 0..<count {
                    let p = row + Int(starts[o])
                    out[o] = weights[2 * o] * p[0] + weights[2 * o + 1] * p[1]
                }
            } else {
                for o in 0..<count {
                    let p = row + Int(starts[o])
                    let w = weights + o * taps
                    var sum: Float = 0
                    for k in 0..<taps { sum += w[k] * p[k] }
                    out[o] = sum
                }
            }
        } else {
            let r = out, g = out + count, b = out + 2 * count
            if taps == 2 {
                for o in 0..<count {
                    let p = row + 3 * Int(starts[o])
                    let w0 = weights[2 * o], w1 = weights[2 * o + 1]
                    r[o] = w0 * p[0] + w1 * p[3]
                    g[o] = w0 * p[1] + w1 * p[4]
                    b[o] = w0 * p[2] + w1 * p[5]
                }
            } else {
                for o in 0..<count {
                    let p = row + 3 * Int(starts[o])
                    let w = weights + o * taps
                    var sr: Float = 0, sg: Float = 0, sb: Float = 0
                    for k in 0..<taps {
                        let wk = w[k], q = p + 3 * k
                        sr += wk * q[0]
                        sg += wk * q[1]
                        sb += wk * q[2]
                    }
                    r[o] = sr
                    g[o] = sg
                    b[o] = sb
                }
            }
        }
    }
}
