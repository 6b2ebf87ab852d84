import Testing
import TuneCore
@testable import TuneData

/// Helpers shared by the transform and augmentation tests.
enum TransformTestError: Error { case emptyBuffer }

enum TransformFixtures {
    /// A `width`×`height` image with seeded random bytes.
    static func randomImage(width: Int, height: Int, channels: Int, seed: UInt64 = 1) throws -> PixelImage {
        var generator = SeededGenerator(seed: seed)
        let bytes = (0..<(width * height * channels)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return try PixelImage(width: width, height: height, channels: channels, pixels: bytes)
    }

    /// A grayscale image from rows of values.
    static func gray(_ rows: [[UInt8]]) throws -> PixelImage {
        try PixelImage(width: rows[0].count, height: rows.count, channels: 1, pixels: rows.flatMap { $0 })
    }

    /// Renders without augmentation.
    static func render(_ image: PixelImage, height: Int, width: Int, method: ResizeMethod = .bilinear,
                       centerCrop: Bool = false, normalization: Normalization = .identity) throws -> [Float] {
        let preprocessing = ImagePreprocessing(height: height, width: width, method: method, centerCrop: centerCrop,
                                                   normalization: normalization)
        var generator = SeededGenerator(seed: 0)
        return try preprocessing.render(image, generator: &generator)
    }

    /// Renders with fixed augmentation values.
    static func render(_ image: PixelImage, height: Int, width: Int, method: ResizeMethod = .bilinear,
                       normalization: Normalization = .identity, parameters: AugmentationParameters) throws -> [Float] {
        let preprocessing = ImagePreprocessing(height: height, width: width, method: method, normalization: normalization)
        return try render(image, with: preprocessing, parameters: parameters)
    }

    /// Renders through the pointer API with fixed augmentation values (NaN-filled first, so gaps show).
    static func render(_ image: PixelImage, with preprocessing: ImagePreprocessing,
                       parameters: AugmentationParameters = .identity) throws -> [Float] {
        var output = [Float](repeating: .nan, count: max(preprocessing.outputCount, 0))
        try withPointer(&output) { try preprocessing.render(image, into: $0, parameters: parameters) }
        return output
    }

    /// Runs `body` on the base address of `array` (which must not be empty).
    static func withPointer(_ array: inout [Float], _ body: (UnsafeMutablePointer<Float>) throws -> Void) throws {
        try array.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { throw TransformTestError.emptyBuffer }
            try body(base)
        }
    }

    /// Plane `plane` of a `[3, height, width]` output as rows.
    static func plane(_ output: [Float], _ plane: Int, height: Int, width: Int) -> [[Float]] {
        (0..<height).map { y in Array(output[(plane * height + y) * width ..< (plane * height + y + 1) * width]) }
    }

    /// The input as `[3, height, width]` floats (gray replicated), i.e. what an identity render must produce.
    static func planar(_ image: PixelImage) -> [Float] {
        var result: [Float] = []
        for c in 0..<3 {
            let channel = image.channels == 1 ? 0 : c
            for i in 0..<(image.width * image.height) { result.append(Float(image.pixels[i * image.channels + channel])) }
        }
        return result
    }

    static func close(_ a: [Float], _ b: [Float], tolerance: Float = 1e-4) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance }
    }

    static func close(_ a: [[Float]], _ b: [[Float]], tolerance: Float = 1e-4) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { close($0, $1, tolerance: tolerance) }
    }
}

@Suite("Image preprocessing: resizing, cropping, normalization")
struct TransformTests {
    typealias F = TransformFixtures

    @Test("a same-size render reproduces the input exactly, for every method and channel count",
          arguments: ResizeMethod.allCases)
    func identityResize(method: ResizeMethod) throws {
        for channels in [1, 3] {
            let image = try F.randomImage(width: 7, height: 5, channels: channels, seed: UInt64(channels))
            let output = try F.render(image, height: 5, width: 7, method: method)
            #expect(output == F.planar(image), "\(method), \(channels) channel(s)")
        }
    }

    @Test("bilinear 2×2 → 4×4 matches hand-computed half-pixel values")
    func bilinearUpscale() throws {
        let image = try F.gray([[0, 100], [200, 40]])
        let output = try F.render(image, height: 4, width: 4, method: .bilinear)
        // Columns and rows sample source coordinates −0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1).
        let expected: [[Float]] = [
            [0, 25, 75, 100],
            [50, 58.75, 76.25, 85],
            [150, 126.25, 78.75, 55],
            [200, 160, 80, 40],
        ]
        for plane in 0..<3 {
            #expect(F.close(F.plane(output, plane, height: 4, width: 4), expected))
        }
    }

    @Test("bilinear downscaling by 2 averages pixel pairs (samples fall between them)")
    func bilinearDownscale() throws {
        let image = try F.gray([[0, 10, 20, 30]])
        let output = try F.render(image, height: 1, width: 2, method: .bilinear)
        #expect(F.close(Array(output[0..<2]), [5, 25]))
    }

    @Test("area 4×4 → 2×2 gives the block means")
    func areaBlockMeans() throws {
        let image = try F.gray([
            [0, 10, 100, 200],
            [20, 30, 50, 50],
            [1, 2, 3, 4],
            [5, 6, 7, 8],
        ])
        let output = try F.render(image, height: 2, width: 2, method: .area)
        #expect(F.close(F.plane(output, 0, height: 2, width: 2), [[15, 100], [3.5, 5.5]]))
    }

    @Test("area weights partial pixels by overlap when the factor is not an integer")
    func areaFractional() throws {
        let image = try F.gray([[0, 60, 120, 180, 240, 30]])
        let output = try F.render(image, height: 1, width: 4, method: .area)
        // Footprints [0, 1.5], [1.5, 3], [3, 4.5], [4.5, 6].
        #expect(F.close(Array(output[0..<4]), [20, 100, 200, 100]))
    }

    @Test("area upscaling blends only across source-pixel boundaries (like OpenCV INTER_AREA)")
    func areaUpscale() throws {
        let image = try F.gray([[0, 90]])
        #expect(F.close(Array(try F.render(image, height: 1, width: 4, method: .area)[0..<4]), [0, 0, 90, 90]))
        #expect(F.close(Array(try F.render(image, height: 1, width: 3, method: .area)[0..<3]), [0, 45, 90]))
    }

    @Test("bicubic keeps a constant image constant")
    func bicubicConstant() throws {
        let image = try PixelImage(width: 5, height: 3, channels: 3, pixels: [UInt8](repeating: 77, count: 45))
        for (h, w) in [(9, 13), (2, 2), (3, 5), (1, 1)] {
            let output = try F.render(image, height: h, width: w, method: .bicubic)
            #expect(output.allSatisfy { abs($0 - 77) < 1e-4 }, "\(w)×\(h)")
        }
    }

    @Test("bicubic reproduces a linear ramp away from the borders")
    func bicubicRamp() throws {
        let ramp = (0..<8).map { UInt8(10 + 20 * $0) }
        let image = try F.gray([ramp, ramp])
        let output = try F.render(image, height: 2, width: 16, method: .bicubic)
        for o in 3...12 {
            let s = (Float(o) + 0.5) / 2 - 0.5
            #expect(abs(output[o] - (10 + 20 * s)) < 1e-3, "column \(o)")
        }
        // Everything stays within 0…255 even where the kernel would overshoot.
        let edges = try F.gray([[0, 255, 0, 255], [255, 0, 255, 0]])
        let big = try F.render(edges, height: 9, width: 9, method: .bicubic)
        #expect(big.allSatisfy { (0...255).contains($0) })
        #expect(big.contains(0) && big.contains(255), "overshoot is clamped to the range, not avoided")
    }

    @Test("centre crop keeps the middle region with the output's aspect ratio")
    func centerCrop() throws {
        #expect(CropRegion.centered(width: 6, height: 4, targetWidth: 2, targetHeight: 2)
                == CropRegion(x: 1, y: 0, width: 4, height: 4))
        #expect(CropRegion.centered(width: 4, height: 10, targetWidth: 4, targetHeight: 2)
                == CropRegion(x: 0, y: 4, width: 4, height: 2))
        #expect(CropRegion.centered(width: 8, height: 6, targetWidth: 4, targetHeight: 3) == .full(width: 8, height: 6))
        let image = try F.gray([
            [255, 0, 10, 20, 30, 255],
            [255, 40, 50, 60, 70, 255],
            [255, 1, 2, 3, 4, 255],
            [255, 5, 6, 7, 8, 255],
        ])
        let cropped = try F.render(image, height: 2, width: 2, method: .area, centerCrop: true)
        #expect(F.close(F.plane(cropped, 0, height: 2, width: 2), [[25, 45], [3.5, 5.5]]))
        let stretched = try F.render(image, height: 2, width: 2, method: .area, centerCrop: false)
        #expect(!F.close(stretched, cropped), "without centre crop the borders are kept (stretched)")
    }

    @Test("a grayscale image becomes three identical planes")
    func grayToRGB() throws {
        let image = try F.randomImage(width: 9, height: 6, channels: 1)
        let output = try F.render(image, height: 4, width: 5)
        let planes = (0..<3).map { F.plane(output, $0, height: 4, width: 5) }
        #expect(planes[0] == planes[1] && planes[1] == planes[2])
        // With per-channel statistics each plane is normalized with its own channel's values.
        let normalized = try F.render(image, height: 4, width: 5, normalization: .imageNet)
        for c in 0..<3 {
            let expected = planes[0].flatMap { $0 }.map { ($0 - Normalization.imageNet.mean[c]) / Normalization.imageNet.standardDeviation[c] }
            #expect(F.close(F.plane(normalized, c, height: 4, width: 5).flatMap { $0 }, expected))
        }
    }

    @Test("each normalization preset applies its formula")
    func normalizationPresets() throws {
        let image = try PixelImage(width: 4, height: 1, channels: 3, pixels: [0, 255, 127, 10, 20, 30, 200, 100, 50, 1, 2, 3])
        let raw = F.planar(image)
        let formulas: [(Normalization, (Float, Int) -> Float)] = [
            (.symmetric127, { x, _ in (x - 127) / 128 }),
            (.unitRange, { x, _ in x / 255 }),
            (.imageNet, { x, c in (x / 255 - [0.485, 0.456, 0.406][c]) / [0.229, 0.224, 0.225][c] }),
            (.identity, { x, _ in x }),
        ]
        for (normalization, formula) in formulas {
            let output = try F.render(image, height: 1, width: 4, normalization: normalization)
            let expected = raw.enumerated().map { formula($0.element, $0.offset / 4) }
            #expect(F.close(output, expected, tolerance: 1e-5), "\(normalization)")
            for (i, value) in raw.enumerated() {
                #expect(abs(normalization.apply(value, channel: i / 4) - expected[i]) < 1e-5)
            }
        }
        #expect(try F.render(image, height: 1, width: 4, normalization: .identity) == raw, "identity is exact")
        #expect(Normalization.preset(named: "ImageNet") == .imageNet)
        #expect(Normalization.presets.map(\.name) == ["symmetric127", "unit-range", "imagenet", "caffe", "symmetric", "identity"])
        #expect(Normalization.symmetric127.description.hasPrefix("symmetric127"))
        let custom = try Normalization(name: "half", mean: 0, standardDeviation: 2)
        #expect(F.close(try F.render(image, height: 1, width: 4, normalization: custom), raw.map { $0 / 2 }))
    }

    @Test("caffe style reverses the channels to B, G, R and subtracts the means; symmetric is x / 127.5 − 1")
    func caffeAndSymmetric() throws {
        let image = try PixelImage(width: 2, height: 1, channels: 3, pixels: [200, 100, 50, 10, 20, 30])
        let caffe = try F.render(image, height: 1, width: 2, normalization: .caffe)
        // Plane 0 is blue, plane 2 red.
        let (blue, green, red): (Float, Float, Float) = (103.939, 116.779, 123.68)
        let expectedCaffe: [Float] = [50 - blue, 30 - blue, 100 - green, 20 - green, 200 - red, 10 - red]
        #expect(F.close(caffe, expectedCaffe, tolerance: 1e-5))
        #expect(Normalization.caffe.channelOrder == .bgr && Normalization.caffe.description.contains("BGR"))
        let symmetric = try F.render(image, height: 1, width: 2, normalization: .symmetric)
        #expect(F.close(symmetric, [200, 10, 100, 20, 50, 30].map { $0 / 127.5 - 1 }, tolerance: 1e-5))
        // A gray image is the same in either order; brightness and contrast (a second pass over the planes) keep the
        // reversed order.
        let gray = try PixelImage(width: 2, height: 1, channels: 1, pixels: [90, 30])
        let expectedGray: [Float] = [90 - blue, 30 - blue, 90 - green, 30 - green, 90 - red, 30 - red]
        #expect(F.close(try F.render(gray, height: 1, width: 2, normalization: .caffe), expectedGray, tolerance: 1e-5))
        let contrasted = try F.render(image, height: 1, width: 2, normalization: .caffe,
                                      parameters: AugmentationParameters(brightnessDelta: 5, contrastFactor: 2))
        // Per plane p with mean m: clamp((v − m)·2 + m + 5, 0, 255) − mean[p]; blue plane 50, 30 (m 40), red 200, 10 (m 105).
        let outerPlanes: [Float] = [contrasted[0], contrasted[1], contrasted[4], contrasted[5]]
        let expectedOuter: [Float] = [65 - blue, 25 - blue, 255 - red, 0 - red]
        #expect(F.close(outerPlanes, expectedOuter, tolerance: 1e-4), "\(contrasted)")
        let reversed = try Normalization(name: "mine", mean: [1, 2, 3], standardDeviation: [1, 1, 1], channelOrder: .bgr)
        #expect(reversed.channelOrder == .bgr)
    }

    @Test("invalid settings and images throw invalidArgument")
    func invalidSettings() throws {
        #expect(throws: DataError.self) { try ImagePreprocessing(height: -1, width: 4, normalization: .identity).validate() }
        #expect(throws: DataError.self) { try ImagePreprocessing(height: 4, width: 0, normalization: .identity).validate() }
        #expect(throws: DataError.self) { try ImagePreprocessing(height: 100_000, width: 4, normalization: .identity).validate() }
        var generator = SeededGenerator(seed: 1)
        let valid = try F.randomImage(width: 3, height: 3, channels: 1)
        #expect(throws: DataError.self) {
            try ImagePreprocessing(height: -2, width: 4, normalization: .identity).render(valid, generator: &generator)
        }
        #expect(throws: DataError.self) { try Normalization(mean: [1, 2], standardDeviation: [1, 1]) }
        #expect(throws: DataError.self) { try Normalization(mean: [1, 2, 3], standardDeviation: [1, 0, 1]) }
        #expect(throws: DataError.self) { try Normalization(mean: [.nan, 2, 3], standardDeviation: [1, 1, 1]) }
        #expect(throws: DataError.self) { try PixelImage(width: 2, height: 2, channels: 2, pixels: [UInt8](repeating: 0, count: 8)) }

        var preprocessing = ImagePreprocessing(height: 4, width: 4, normalization: .identity)
        var image = try F.randomImage(width: 3, height: 3, channels: 3)
        // Sizes changed after construction are checked when rendering.
        preprocessing.width = -4
        #expect(throws: DataError.self) { try F.render(image, with: preprocessing) }
        preprocessing.width = 4
        _ = try F.render(image, with: preprocessing)
        // An image whose byte count no longer matches its size.
        image.pixels.removeLast()
        #expect(throws: DataError.invalidArgument(message: "image 3×3×3 needs 27 bytes, has 26")) {
            try F.render(image, with: preprocessing)
        }
        #expect(throws: DataError.self) { try preprocessing.render(image, generator: &generator) }
    }

    @Test("outputShape and outputCount describe the planar RGB sample")
    func outputShape() throws {
        let preprocessing = ImagePreprocessing(height: 224, width: 160, normalization: .unitRange)
        #expect(preprocessing.outputShape == [3, 224, 160])
        #expect(preprocessing.outputCount == 3 * 224 * 160)
        #expect(preprocessing.method == .bilinear && !preprocessing.centerCrop)
    }

    @Test("the separable and general kernels agree on axis-aligned maps", arguments: [ResizeMethod.bilinear, .bicubic])
    func kernelsAgree(method: ResizeMethod) throws {
        // Both axes upscale here: when downscaling, separable bicubic is antialiased and the general one is not.
        for channels in [1, 3] {
            let image = try F.randomImage(width: 11, height: 7, channels: channels, seed: 9)
            let preprocessing = ImagePreprocessing(height: 10, width: 17, method: method, normalization: .symmetric127)
            let parameters = AugmentationParameters(crop: CropRegion(x: 1, y: 2, width: 9, height: 5), horizontalFlip: true,
                                                    zoom: 1.3, translationX: 0.1, translationY: -0.2)
            let separable = try F.render(image, with: preprocessing, parameters: parameters)
            let map = preprocessing.samplingMap(sourceWidth: 11, sourceHeight: 7, parameters: parameters)
            #expect(map.isAxisAligned)
            var general = [Float](repeating: .nan, count: preprocessing.outputCount)
            let pixel = PixelTransform(brightnessDelta: 0, normalization: .symmetric127)
            try F.withPointer(&general) { out in
                image.pixels.withUnsafeBufferPointer { bytes in
                    guard let source = bytes.baseAddress else { return }
                    if method == .bicubic {
                        AffineResampler.renderBicubic(source: source, sourceWidth: 11, sourceHeight: 7,
                                                      channels: channels, map: .init(map), outputWidth: 17, outputHeight: 10,
                                                      pixel: pixel, destination: out)
                    } else {
                        AffineResampler.renderBilinear(source: source, sourceWidth: 11, sourceHeight: 7,
                                                       channels: channels, map: .init(map), outputWidth: 17, outputHeight: 10,
                                                       pixel: pixel, destination: out)
                    }
                }
            }
            #expect(F.close(separable, general, tolerance: 1e-3), "\(method), \(channels) channel(s)")
        }
    }

    @Test("both separable pass orders give the same image", arguments: ResizeMethod.allCases)
    func passOrdersAgree(method: ResizeMethod) throws {
        var generator = SeededGenerator(seed: 21)
        for trial in 0..<24 {
            let channels = trial % 2 == 0 ? 1 : 3
            let sw = Int.random(in: 1...40, using: &generator), sh = Int.random(in: 1...40, using: &generator)
            let ow = Int.random(in: 1...30, using: &generator), oh = Int.random(in: 1...30, using: &generator)
            let image = try F.randomImage(width: sw, height: sh, channels: channels, seed: UInt64(trial))
            let preprocessing = ImagePreprocessing(height: oh, width: ow, method: method, centerCrop: trial % 3 == 0,
                                                   normalization: .imageNet)
            let parameters = AugmentationParameters(horizontalFlip: trial % 4 == 1, verticalFlip: trial % 5 == 2,
                                                    zoom: trial % 2 == 0 ? 1 : 0.8, translationX: trial % 3 == 1 ? 0.1 : 0,
                                                    brightnessDelta: Float(trial) - 12)
            var outputs: [[Float]] = []
            for order in [SeparableResampler.PassOrder.horizontalFirst, .verticalFirst] {
                var output = [Float](repeating: .nan, count: preprocessing.outputCount)
                try F.withPointer(&output) { try preprocessing.render(image, into: $0, parameters: parameters, passOrder: order) }
                outputs.append(output)
            }
            #expect(F.close(outputs[0], outputs[1], tolerance: 1e-3), "\(sw)×\(sh) → \(ow)×\(oh), \(channels) channel(s)")
            #expect(F.close(try F.render(image, with: preprocessing, parameters: parameters), outputs[0], tolerance: 1e-3))
        }
    }

    @Test("bilinear and area resizing match a direct per-pixel reference")
    func directReference() throws {
        var generator = SeededGenerator(seed: 5)
        for trial in 0..<20 {
            let sw = Int.random(in: 1...25, using: &generator), sh = Int.random(in: 1...25, using: &generator)
            let ow = Int.random(in: 1...25, using: &generator), oh = Int.random(in: 1...25, using: &generator)
            let image = try F.randomImage(width: sw, height: sh, channels: 1, seed: UInt64(100 + trial))
            func pixel(_ x: Int, _ y: Int) -> Double { Double(image.pixels[min(max(y, 0), sh - 1) * sw + min(max(x, 0), sw - 1)]) }
            // Bilinear: sample ((o + 0.5)·scale − 0.5), clamped to the image.
            let bilinear = try F.render(image, height: oh, width: ow, method: .bilinear)
            // Area: the mean over the footprint [o·scale, (o + 1)·scale], from interval overlaps.
            let area = try F.render(image, height: oh, width: ow, method: .area)
            func overlap(_ i: Int, _ low: Double, _ high: Double) -> Double {
                max(0, min(Double(i + 1), high) - max(Double(i), low))
            }
            let sx = Double(sw) / Double(ow), sy = Double(sh) / Double(oh)
            for oy in 0..<oh {
                for ox in 0..<ow {
                    let x = min(max((Double(ox) + 0.5) * sx - 0.5, 0), Double(sw - 1))
                    let y = min(max((Double(oy) + 0.5) * sy - 0.5, 0), Double(sh - 1))
                    let x0 = Int(x), y0 = Int(y), fx = x - Double(x0), fy = y - Double(y0)
                    let expected = (pixel(x0, y0) * (1 - fx) + pixel(x0 + 1, y0) * fx) * (1 - fy)
                        + (pixel(x0, y0 + 1) * (1 - fx) + pixel(x0 + 1, y0 + 1) * fx) * fy
                    #expect(abs(Double(bilinear[oy * ow + ox]) - expected) < 1e-3)
                    var sum = 0.0
                    for j in 0..<sh {
                        let wy = overlap(j, Double(oy) * sy, Double(oy + 1) * sy)
                        if wy == 0 { continue }
                        for i in 0..<sw { sum += wy * overlap(i, Double(ox) * sx, Double(ox + 1) * sx) * pixel(i, j) }
                    }
                    #expect(abs(Double(area[oy * ow + ox]) - sum / (sx * sy)) < 1e-3,
                            "area \(sw)×\(sh) → \(ow)×\(oh) at (\(ox), \(oy))")
                }
            }
        }
    }

    @Test("resampling tables keep every window inside the source and weights summing to 1")
    func tables() {
        for method in ResizeMethod.allCases {
            for (n, m, scale, offset) in [(1, 5, 0.2, -0.4), (2, 7, 0.3, -0.2), (3, 3, 1.0, 0.0), (28, 224, 0.125, -0.4375),
                                          (500, 224, 500.0 / 224, 0.6), (10, 4, -2.5, 8.75), (5, 6, 1.0, 40.0), (5, 6, 1.0, -40.0)] {
                let table = ResamplingTable(method: method, outputCount: m, sourceCount: n, scale: scale, offset: offset)
                #expect(table.taps >= 1 && table.taps <= n)
                #expect(table.sourceRange.lowerBound >= 0 && table.sourceRange.upperBound < n)
                for o in 0..<m {
                    let sum = table.weights[(o * table.taps)..<((o + 1) * table.taps)].reduce(0, +)
                    #expect(abs(sum - 1) < 1e-5, "\(method) n=\(n) o=\(o)")
                }
            }
        }
    }
}
