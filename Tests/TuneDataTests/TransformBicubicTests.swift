import Foundation
import Testing
import TuneCore
@testable import TuneData

/// Antialiased bicubic downscaling (PIL's `Image.resize(..., BICUBIC)`): the cubic kernel stretched by the scale.
@Suite("Bicubic resizing: PIL's antialiased cubic filter when downscaling")
struct TransformBicubicTests {
    typealias F = TransformFixtures

    /// The expected weights (source index → weight) of output position `o` of a resize of source positions
    /// `in0 ..< in1` (a box, edge coordinates) to `outputCount`. Downscaling with the centre inside the image:
    /// PIL's `precompute_coeffs`, transliterated (taps outside the image dropped, the rest renormalized).
    /// Otherwise (upscaling, or a centre outside the image) the same kernel with the taps outside the image folded
    /// onto the edge pixels.
    static func pilWeights(o: Int, outputCount: Int, in0: Double, in1: Double, sourceCount: Int) -> [Int: Double] {
        let scale = (in1 - in0) / Double(outputCount)
        let filterScale = max(scale, 1)
        let support = 2 * filterScale
        let center = in0 + (Double(o) + 0.5) * scale
        var raw: [Int: Double] = [:]
        var total = 0.0
        if scale > 1, center >= 0, center <= Double(sourceCount) {
            // xmin = (int)(center − support + 0.5), clamped to 0; xmax = (int)(center + support + 0.5), to inSize.
            let xmin = max(Int(center - support + 0.5), 0)
            let xmax = min(Int(center + support + 0.5), sourceCount)
            for x in xmin..<xmax {
                let w = ResizeMethod.cubic((Double(x) - center + 0.5) / filterScale)
                raw[x] = w
                total += w
            }
        } else {
            for x in (Int((center - support).rounded(.down)) - 1)...(Int((center + support).rounded(.up)) + 1) {
                let w = ResizeMethod.cubic((Double(x) - center + 0.5) / filterScale)
                raw[min(max(x, 0), sourceCount - 1), default: 0] += w
                total += w
            }
        }
        return raw.filter { $0.value != 0 }.mapValues { $0 / total }
    }

    /// Source index → weight of output position `o` in `table`.
    static func tableWeights(_ table: ResamplingTable, o: Int) -> [Int: Double] {
        var result: [Int: Double] = [:]
        for k in 0..<table.taps where table.weights[o * table.taps + k] != 0 {
            result[Int(table.starts[o]) + k, default: 0] += Double(table.weights[o * table.taps + k])
        }
        return result
    }

    static func same(_ a: [Int: Double], _ b: [Int: Double], tolerance: Double = 1e-6) -> Bool {
        Set(a.keys).union(b.keys).allSatisfy { abs((a[$0] ?? 0) - (b[$0] ?? 0)) <= tolerance }
    }

    @Test("downscaling keeps a constant image constant (3:1, 7:3, with crop and flip, both pass orders)")
    func constant() throws {
        let image = try PixelImage(width: 21, height: 14, channels: 3, pixels: [UInt8](repeating: 201, count: 21 * 14 * 3))
        for (h, w) in [(5, 7), (6, 9), (2, 3), (1, 1)] {
            let output = try F.render(image, height: h, width: w, method: .bicubic)
            #expect(output.allSatisfy { abs($0 - 201) < 1e-3 }, "\(w)×\(h)")
        }
        let preprocessing = ImagePreprocessing(height: 3, width: 3, method: .bicubic, normalization: .identity)
        let parameters = AugmentationParameters(crop: CropRegion(x: 2, y: 1, width: 9, height: 7), horizontalFlip: true)
        for order in [SeparableResampler.PassOrder.horizontalFirst, .verticalFirst] {
            var output = [Float](repeating: .nan, count: preprocessing.outputCount)
            try F.withPointer(&output) { try preprocessing.render(image, into: $0, parameters: parameters, passOrder: order) }
            #expect(output.allSatisfy { abs($0 - 201) < 1e-3 }, "\(order)")
        }
    }

    @Test("a 2× downscale of a ramp is the ramp at the output centres (away from the borders), on both axes")
    func ramp() throws {
        let ramp = (0..<32).map { UInt8(10 + 3 * $0) }
        let rows = try F.gray([ramp, ramp])
        let columns = try PixelImage(width: 1, height: 32, channels: 1, pixels: ramp)
        let horizontal = try F.render(rows, height: 1, width: 16, method: .bicubic)
        let vertical = try F.render(columns, height: 16, width: 1, method: .bicubic)
        // Output o is centred on source index 2·o + 0.5; its window (±4 source pixels) stays inside for 2…13.
        for o in 2...13 {
            let expected = 10 + 3 * (2 * Float(o) + 0.5)
            #expect(abs(horizontal[o] - expected) < 1e-3, "column \(o)")
            #expect(abs(vertical[o] - expected) < 1e-3, "row \(o)")
        }
    }

    @Test("alternating 0/255 columns average out instead of aliasing; the rotation path still aliases")
    func antialiasing() throws {
        func stripes(width: Int) throws -> PixelImage {
            let row = (0..<width).map { UInt8($0 % 2 == 0 ? 0 : 255) }
            return try F.gray([row, row, row, row])
        }
        // 4:1: every window pairs a 0 with a 255 symmetrically about the centre, so the interior is exactly 127.5.
        let four = try F.render(try stripes(width: 64), height: 1, width: 16, method: .bicubic)
        for o in 2...13 { #expect(abs(four[o] - 127.5) < 1e-3, "4:1 column \(o)") }
        #expect(four[0..<16].allSatisfy { (0...255).contains($0) })
        // 3:1 and 5:1 centre on a source pixel: plain 4-tap sampling returns that pixel (0 or 255). Antialiased,
        // the residual is small (PIL's coefficients give 129.07 / 125.93 at 3:1 and 127.70 / 127.30 at 5:1).
        for (factor, residual) in [(3, Float(1.58)), (5, Float(0.21))] {
            let image = try stripes(width: 16 * factor)
            let output = try F.render(image, height: 1, width: 16, method: .bicubic)
            for o in 2...13 { #expect(abs(output[o] - 127.5) < residual, "\(factor):1 column \(o): \(output[o])") }
            // The same map through the rotation path (not antialiased) samples single pixels: full aliasing.
            let preprocessing = ImagePreprocessing(height: 1, width: 16, method: .bicubic, normalization: .identity)
            let map = preprocessing.samplingMap(sourceWidth: image.width, sourceHeight: 4, parameters: .identity)
            var general = [Float](repeating: .nan, count: preprocessing.outputCount)
            try F.withPointer(&general) { out in
                image.pixels.withUnsafeBufferPointer { bytes in
                    guard let source = bytes.baseAddress else { return }
                    AffineResampler.renderBicubic(source: source, sourceWidth: image.width, sourceHeight: 4, channels: 1,
                                                  map: .init(map), outputWidth: 16, outputHeight: 1,
                                                  pixel: .init(brightnessDelta: 0, normalization: .identity),
                                                  destination: out)
                }
            }
            #expect(general[0..<16].allSatisfy { abs($0) < 1e-3 || abs($0 - 255) < 1e-3 }, "\(factor):1 affine")
        }
    }

    @Test("8 → 3 pixels through a box matches PIL's coefficients and Pillow's float output")
    func pilCoefficients() throws {
        // Pillow 13: Image.new("F", (20, 1)) with pixel j = (37·j) mod 251, .resize((3, 1), BICUBIC,
        // box=(6, 0, 14, 1)) → [95.58988, 93.52714, 180.74797]; mode "L" gives [96, 94, 181].
        let row = (0..<20).map { UInt8((37 * $0) % 251) }
        let image = try F.gray([row])
        let output = try F.render(image, height: 1, width: 3, method: .bicubic,
                                  parameters: AugmentationParameters(crop: CropRegion(x: 6, y: 0, width: 8, height: 1)))
        let pillow: [Float] = [95.58988, 93.52714, 180.74797]
        for o in 0..<3 { #expect(abs(output[o] - pillow[o]) < 2e-3, "output \(o): \(output[o])") }
        // The coefficients, written out: output 1 is centred on source edge coordinate 6 + 1.5 · 8/3 = 10, so
        // pixel j (centre j + 0.5) weighs cubic((j + 0.5 − 10) · 3/8), j = 5…14, divided by their sum.
        let expected: [Int: Double] = [5: -0.0126274, 6: -0.0277803, 7: 0.0145560, 8: 0.1790339, 9: 0.3468179,
                                       10: 0.3468179, 11: 0.1790339, 12: 0.0145560, 13: -0.0277803, 14: -0.0126274]
        let table = ResamplingTable(method: .bicubic, outputCount: 3, sourceCount: 20, scale: 8.0 / 3, offset: 6 + 4.0 / 3 - 0.5)
        #expect(Self.same(Self.tableWeights(table, o: 1), expected, tolerance: 1e-6))
        for o in 0..<3 {
            let pil = Self.pilWeights(o: o, outputCount: 3, in0: 6, in1: 14, sourceCount: 20)
            #expect(Self.same(Self.tableWeights(table, o: o), pil), "output \(o)")
        }
        #expect(table.taps == 11)
    }

    @Test("whole-image downscales match Pillow at the borders too (taps outside the image dropped)")
    func pilBorders() throws {
        // Pillow 13, mode "F": the 8-pixel row (37·j) mod 251 resized to 3 → [33.169205, 136.3011, 144.56485].
        let row = try F.gray([(0..<8).map { UInt8((37 * $0) % 251) }])
        let output = try F.render(row, height: 1, width: 3, method: .bicubic)
        for (o, expected) in [Float(33.169205), 136.3011, 144.56485].enumerated() {
            #expect(abs(output[o] - expected) < 2e-3, "output \(o): \(output[o])")
        }
        // 7×5 with pixel (x, y) = (53x + 29y + 7xy) mod 256, resized to 3×2 (both axes downscale).
        var pixels: [UInt8] = []
        for y in 0..<5 {
            for x in 0..<7 { pixels.append(UInt8((53 * x + 29 * y + 7 * x * y) % 256)) }
        }
        let image = try PixelImage(width: 7, height: 5, channels: 1, pixels: pixels)
        let pillow: [Float] = [75.29470, 129.08026, 93.65567, 135.90341, 109.54250, 109.35167]
        let planar = try F.render(image, height: 2, width: 3, method: .bicubic)
        let plane = Array(planar[0..<6])
        #expect(F.close(plane, pillow, tolerance: 2e-3), "\(plane)")
    }

    @Test("tables follow PIL's formula for any scale; for scale ≤ 1 it is the plain 4-tap cubic, unchanged")
    func tablesMatchFormula() {
        var generator = SeededGenerator(seed: 77)
        for trial in 0..<200 {
            let n = Int.random(in: 1...40, using: &generator), m = Int.random(in: 1...40, using: &generator)
            let flip = trial % 5 == 4
            let in0 = Double.random(in: -3...Double(n), using: &generator)
            let span = Double.random(in: 0.2...Double(2 * n), using: &generator)
            let scale = span / Double(m)
            // Index coordinates: output o is centred on in0 + (o + 0.5) · scale − 0.5 (negated scale when flipped).
            let table = flip
                ? ResamplingTable(method: .bicubic, outputCount: m, sourceCount: n, scale: -scale,
                                  offset: in0 + span - 0.5 * scale - 0.5)
                : ResamplingTable(method: .bicubic, outputCount: m, sourceCount: n, scale: scale, offset: in0 + 0.5 * scale - 0.5)
            for o in 0..<m {
                let pil = Self.pilWeights(o: flip ? m - 1 - o : o, outputCount: m, in0: in0, in1: in0 + span, sourceCount: n)
                #expect(Self.same(Self.tableWeights(table, o: o), pil, tolerance: 1e-5),
                        "n=\(n) m=\(m) in0=\(in0) span=\(span) o=\(o) flip=\(flip)")
                if scale <= 1 {
                    // The 4-tap form used before antialiasing: taps ⌊x⌋ − 1 … ⌊x⌋ + 2 around x = scale · o + offset.
                    let x = min(max(in0 + (Double(flip ? m - 1 - o : o) + 0.5) * scale - 0.5, -3), Double(n + 2))
                    let i0 = Int(x.rounded(.down))
                    let w = ResizeMethod.cubicWeights(Float(x - Double(i0)))
                    var legacy: [Int: Double] = [:]
                    for (k, wk) in [(-1, w.0), (0, w.1), (1, w.2), (2, w.3)] {
                        legacy[min(max(i0 + k, 0), n - 1), default: 0] += Double(wk)
                    }
                    #expect(Self.same(Self.tableWeights(table, o: o), legacy.filter { $0.value != 0 }, tolerance: 1e-5))
                }
            }
        }
    }

    @Test("bicubic rendering matches a direct separable PIL-formula reference on random images")
    func directReference() throws {
        var generator = SeededGenerator(seed: 31)
        for trial in 0..<16 {
            let channels = trial % 2 == 0 ? 1 : 3
            let sw = Int.random(in: 1...40, using: &generator), sh = Int.random(in: 1...40, using: &generator)
            let ow = Int.random(in: 1...16, using: &generator), oh = Int.random(in: 1...16, using: &generator)
            let image = try F.randomImage(width: sw, height: sh, channels: channels, seed: UInt64(300 + trial))
            let output = try F.render(image, height: oh, width: ow, method: .bicubic)
            let columns = (0..<ow).map { Self.pilWeights(o: $0, outputCount: ow, in0: 0, in1: Double(sw), sourceCount: sw) }
            let rows = (0..<oh).map { Self.pilWeights(o: $0, outputCount: oh, in0: 0, in1: Double(sh), sourceCount: sh) }
            for plane in 0..<3 {
                let channel = channels == 1 ? 0 : plane
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        var sum = 0.0
                        for (y, wy) in rows[oy] {
                            for (x, wx) in columns[ox] {
                                sum += wy * wx * Double(image.pixels[(y * sw + x) * channels + channel])
                            }
                        }
                        let expected = min(max(sum, 0), 255)
                        let actual = Double(output[(plane * oh + oy) * ow + ox])
                        #expect(abs(actual - expected) < 2e-3, "\(sw)×\(sh) → \(ow)×\(oh) at (\(ox), \(oy))")
                    }
                }
            }
        }
    }
}

@Suite("Image cropping")
struct ImageCroppingTests {
    @Test("cropping copies the region's pixels and refuses regions outside the image")
    func cropsRegion() throws {
        let image = try PixelImage(width: 4, height: 3, channels: 1, pixels: Array(0..<12))
        let crop = try image.cropped(to: CropRegion(x: 1, y: 1, width: 2, height: 2))
        #expect(crop.width == 2 && crop.height == 2 && crop.pixels == [5, 6, 9, 10])
        #expect(throws: DataError.self) { try image.cropped(to: CropRegion(x: 3, y: 0, width: 2, height: 1)) }
    }
}
