/// Resampling along a general affine map (with rotation): each output pixel maps to a source coordinate, sampled
/// once, bilinearly or bicubically, with edge clamping (Keras `fill_mode="nearest"`), then clamped, adjusted and
/// normalized straight into the planar output.
enum AffineResampler {
    /// The map from output pixel indices to source index coordinates, in `Float` for the inner loops.
    struct Map {
        var xx: Float, xy: Float, tx: Double
        var yx: Float, yy: Float, ty: Double

        init(_ map: AffineMap) {
            xx = Float(map.xx)
            xy = Float(map.xy)
            tx = map.tx
            yx = Float(map.yx)
            yy = Float(map.yy)
            ty = map.ty
        }
    }

    /// Renders `[3, outputHeight, outputWidth]` planar floats into `destination` with bilinear interpolation.
    ///
    /// Each output row takes two passes: the first computes, for every pixel, the column and row of its top-left
    /// neighbour, the steps to the right and lower neighbours (0 at the clamped edges) and the two fractions — plain
    /// arithmetic the compiler vectorizes; the second gathers the four neighbours and blends them.
    static func renderBilinear(source: UnsafePointer<UInt8>, sourceWidth: Int, sourceHeight: Int, channels: Int,
                               map: Map, outputWidth: Int, outputHeight: Int,
                               pixel: PixelTransform, destination: UnsafeMutablePointer<Float>) {
        let ow = outputWidth, c = channels
        let planeStride = outputWidth * outputHeight
        let maxX = Float(sourceWidth - 1), maxY = Float(sourceHeight - 1)
        let lastColumn = Int32(sourceWidth - 1), lastRow = Int32(sourceHeight - 1)
        let pixelStep = Int32(channels), rowStep = Int32(sourceWidth * channels)
        let sourceRowBytes = sourceWidth * channels
        let xx = map.xx, yx = map.yx
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 5 * ow) { floats in
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: 4 * ow) { ints in
                guard let values = floats.baseAddress, let columns = ints.baseAddress else { return }
                let fxs = values + 3 * ow, fys = values + 4 * ow
                let rows = columns + ow, dxs = columns + 2 * ow, dys = columns + 3 * ow
                for oy in 0..<outputHeight {
                    let baseX = Float(Double(map.xy) * Double(oy) + map.tx)
                    let baseY = Float(Double(map.yy) * Double(oy) + map.ty)
                    for ox in 0..<ow {
                        let fox = Float(ox)
                        let x = min(max(baseX + xx * fox, 0), maxX)
                        let y = min(max(baseY + yx * fox, 0), maxY)
                        let ix = floorOfNonNegative(x), iy = floorOfNonNegative(y)
                        fxs[ox] = x - Float(ix)
                        fys[ox] = y - Float(iy)
                        dxs[ox] = ix < lastColumn ? pixelStep : 0
                        dys[ox] = iy < lastRow ? rowStep : 0
                        columns[ox] = ix
                        rows[ox] = iy
                    }
                    if c == 1 {
                        for ox in 0..<ow {
                            let p = source + Int(rows[ox]) * sourceRowBytes + Int(columns[ox]) * c
                            let dx = Int(dxs[ox]), dy = Int(dys[ox])
                            let p00 = Float(p[0]), p01 = Float(p[dx]), p10 = Float(p[dy]), p11 = Float(p[dy + dx])
                            let fx = fxs[ox]
                            let top = p00 + fx * (p01 - p00)
                            let bottom = p10 + fx * (p11 - p10)
                            values[ox] = top + fys[ox] * (bottom - top)
                        }
                    } else {
                        let g = values + ow, b = values + 2 * ow
                        for ox in 0..<ow {
                            let p = source + Int(rows[ox]) * sourceRowBytes + Int(columns[ox]) * c
                            let dx = Int(dxs[ox]), dy = Int(dys[ox])
                            let q01 = p + dx, q10 = p + dy, q11 = p + dy + dx
                            let fx = fxs[ox], fy = fys[ox]
                            @inline(__always) func blend(_ channel: Int) -> Float {
                                let p00 = Float(p[channel]), p01 = Float(q01[channel])
                                let p10 = Float(q10[channel]), p11 = Float(q11[channel])
                                let top = p00 + fx * (p01 - p00)
                                let bottom = p10 + fx * (p11 - p10)
                                return top + fy * (bottom - top)
                            }
                            values[ox] = blend(0)
                            g[ox] = blend(1)
                            b[ox] = blend(2)
                        }
                    }
                    pixel.writeRow(values, channels: c, count: ow, to: destination + oy * ow, planeStride: planeStride)
                }
            }
        }
    }

    /// `⌊x⌋` for `0 ≤ x < 2²¹` without a trapping conversion, so loops using it vectorize: adding 1.5 · 2²³ rounds
    /// `x − 0.5` to the nearest integer, held in the low mantissa bits. At exact integers it may return `x − 1`
    /// (ties round to even), which bilinear sampling tolerates: the fraction is then 1 and the right or lower
    /// neighbour, which exists, gets all the weight.
    @inline(__always)
    static func floorOfNonNegative(_ x: Float) -> Int32 {
        Int32(bitPattern: ((x - 0.5) + 12_582_912).bitPattern & 0x7F_FFFF) &- 0x40_0000
    }

    /// Renders `[3, outputHeight, outputWidth]` planar floats into `destination` with Keys bicubic interpolation
    /// (a = −0.5) over the 4×4 neighbourhood, edge-clamped. Like ``renderBilinear``, a vectorizable first pass per
    /// row finds each pixel's integer position and fractions; the second computes the weights and gathers.
    ///
    /// Not antialiased: unlike the separable path (``ResamplingTable``, PIL's stretched kernel), the kernel is not
    /// widened when the map shrinks, so a rotated downscale samples like TF's `antialias=False`. On axis-aligned
    /// maps the two agree only when neither axis downscales.
    static func renderBicubic(source: UnsafePointer<UInt8>, sourceWidth: Int, sourceHeight: Int, channels: Int,
                              map: Map, outputWidth: Int, outputHeight: Int,
                              pixel: PixelTransform, destination: UnsafeMutablePointer<Float>) {
        let ow = outputWidth, w = sourceWidth, h = sourceHeight, c = channels
        let rowStep = sourceWidth * channels
        let planeStride = outputWidth * outputHeight
        // Beyond 2 pixels outside the image every tap is the edge pixel, so coordinates clamp there.
        let lowX: Float = -3, highX = Float(w + 2), lowY: Float = -3, highY = Float(h + 2)
        let xx = map.xx, yx = map.yx
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 5 * ow) { floats in
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: 2 * ow) { ints in
                guard let values = floats.baseAddress, let columns = ints.baseAddress else { return }
                let txs = values + 3 * ow, tys = values + 4 * ow
                let rows = columns + ow
                for oy in 0..<outputHeight {
                    let baseX = Float(Double(map.xy) * Double(oy) + map.tx)
                    let baseY = Float(Double(map.yy) * Double(oy) + map.ty)
                    for ox in 0..<ow {
                        let fox = Float(ox)
                        let x = min(max(baseX + xx * fox, lowX), highX)
                        let y = min(max(baseY + yx * fox, lowY), highY)
                        // ⌊x + 4⌋ − 4, exact but for integers, where the weights (0, 0, 1, 0) still pick pixel x.
                        let ix = floorOfNonNegative(x + 4) &- 4, iy = floorOfNonNegative(y + 4) &- 4
                        txs[ox] = x - Float(ix)
                        tys[ox] = y - Float(iy)
                        columns[ox] = ix
                        rows[ox] = iy
                    }
                    for ox in 0..<ow {
                        let ix = Int(columns[ox]), iy = Int(rows[ox])
                        let wx = ResizeMethod.cubicWeights(txs[ox]), wy = ResizeMethod.cubicWeights(tys[ox])
                        // Byte offsets of the four clamped columns and rows.
                        let c0 = min(max(ix - 1, 0), w - 1) * c, c1 = min(max(ix, 0), w - 1) * c
                        let c2 = min(max(ix + 1, 0), w - 1) * c, c3 = min(max(ix + 2, 0), w - 1) * c
                        let r0 = source + min(max(iy - 1, 0), h - 1) * rowStep
                        let r1 = source + min(max(iy, 0), h - 1) * rowStep
                        let r2 = source + min(max(iy + 1, 0), h - 1) * rowStep
                        let r3 = source + min(max(iy + 2, 0), h - 1) * rowStep
                        for channel in 0..<c {
                            let a = r0 + channel, b = r1 + channel, d = r2 + channel, e = r3 + channel
                            let s0 = wx.0 * Float(a[c0]) + wx.1 * Float(a[c1]) + wx.2 * Float(a[c2]) + wx.3 * Float(a[c3])
                            let s1 = wx.0 * Float(b[c0]) + wx.1 * Float(b[c1]) + wx.2 * Float(b[c2]) + wx.3 * Float(b[c3])
                            let s2 = wx.0 * Float(d[c0]) + wx.1 * Float(d[c1]) + wx.2 * Float(d[c2]) + wx.3 * Float(d[c3])
                            let s3 = wx.0 * Float(e[c0]) + wx.1 * Float(e[c1]) + wx.2 * Float(e[c2]) + wx.3 * Float(e[c3])
                            values[channel * ow + ox] = wy.0 * s0 + wy.1 * s1 + wy.2 * s2 + wy.3 * s3
                        }
                    }
                    pixel.writeRow(values, channels: c, count: ow, to: destination + oy * ow, planeStride: planeStride)
                }
            }
        }
    }
}
