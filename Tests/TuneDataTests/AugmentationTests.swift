import Foundation
import Testing
import TuneCore
@testable import TuneData

@Suite("Image augmentation")
struct AugmentationTests {
    typealias F = TransformFixtures

    /// Renders `image` at its own size with `augmentation` and a generator seeded with `seed`.
    func render(_ image: PixelImage, _ augmentation: Augmentation, seed: UInt64, height: Int? = nil, width: Int? = nil,
                normalization: Normalization = .identity) throws -> [Float] {
        let preprocessing = ImagePreprocessing(height: height ?? image.height, width: width ?? image.width,
                                                   normalization: normalization)
        var generator = SeededGenerator(seed: seed)
        return try preprocessing.render(image, augmentation: augmentation, generator: &generator)
    }

    /// `output` mirrored left–right (`horizontal`) or top–bottom, plane by plane.
    func mirrored(_ output: [Float], height: Int, width: Int, horizontal: Bool) -> [Float] {
        (0..<3).flatMap { c in
            F.plane(output, c, height: height, width: width).let { rows in
                (horizontal ? rows.map { Array($0.reversed()) } : rows.reversed()).flatMap { $0 }
            }
        }
    }

    @Test("everything is off by default")
    func defaults() throws {
        #expect(!Augmentation.none.isEnabled)
        #expect(try Augmentation() == .none)
        #expect(try Augmentation(brightness: 0.1).isEnabled)
        var generator = SeededGenerator(seed: 5)
        let before = generator.next()
        generator = SeededGenerator(seed: 5)
        #expect(Augmentation.none.draw(sourceWidth: 10, sourceHeight: 10, using: &generator) == .identity)
        #expect(generator.next() == before, "a disabled augmentation draws no random numbers")
    }

    @Test("all augmentations off render exactly as no augmentation")
    func offIsIdentity() throws {
        let image = try F.randomImage(width: 13, height: 9, channels: 3)
        let plain = try F.render(image, height: 8, width: 8, normalization: .imageNet)
        let off = try render(image, .none, seed: 3, height: 8, width: 8, normalization: .imageNet)
        let zeroed = try render(image, try Augmentation(rotationDegrees: 0, zoom: 0, translation: 0, brightness: 0, contrast: 0),
                                seed: 4, height: 8, width: 8, normalization: .imageNet)
        #expect(plain == off)
        #expect(plain == zeroed)
        #expect(plain == (try F.render(image, height: 8, width: 8, normalization: .imageNet, parameters: .identity)))
    }

    @Test("flips mirror the output exactly", arguments: [1, 3])
    func flips(channels: Int) throws {
        let image = try F.randomImage(width: 6, height: 5, channels: channels)
        for method in ResizeMethod.allCases {
            let plain = try F.render(image, height: 4, width: 7, method: method)
            let h = try F.render(image, height: 4, width: 7, method: method, parameters: .init(horizontalFlip: true))
            let v = try F.render(image, height: 4, width: 7, method: method, parameters: .init(verticalFlip: true))
            let both = try F.render(image, height: 4, width: 7, method: method,
                                    parameters: .init(horizontalFlip: true, verticalFlip: true))
            #expect(F.close(h, mirrored(plain, height: 4, width: 7, horizontal: true)), "\(method)")
            #expect(F.close(v, mirrored(plain, height: 4, width: 7, horizontal: false)), "\(method)")
            #expect(F.close(both, mirrored(h, height: 4, width: 7, horizontal: false)), "\(method)")
        }
        // Same size: the mirror of the input itself, bit for bit.
        let same = try F.render(image, height: 5, width: 6, parameters: .init(horizontalFlip: true))
        #expect(same == mirrored(F.planar(image), height: 5, width: 6, horizontal: true))
    }

    @Test("random flips happen about half the time and otherwise leave the image alone")
    func randomFlips() throws {
        let image = try F.randomImage(width: 5, height: 4, channels: 3)
        let plain = F.planar(image)
        let flipped = mirrored(plain, height: 4, width: 5, horizontal: true)
        var flips = 0
        for seed in 0..<200 as Range<UInt64> {
            let output = try render(image, try Augmentation(horizontalFlip: true), seed: seed)
            #expect(output == plain || output == flipped)
            if output == flipped { flips += 1 }
        }
        #expect((70...130).contains(flips))
    }

    @Test("brightness adds the delta and clamps to 0…255 before normalization")
    func brightness() throws {
        let image = try F.gray([[0, 10, 250, 128]])
        let up = try F.render(image, height: 1, width: 4, parameters: .init(brightnessDelta: 20))
        #expect(F.close(Array(up[0..<4]), [20, 30, 255, 148]))
        let down = try F.render(image, height: 1, width: 4, normalization: .symmetric127, parameters: .init(brightnessDelta: -15))
        #expect(F.close(Array(down[0..<4]), [0, 0, 235, 113].map { ($0 - 127) / 128 }))
        // Random deltas stay within ±brightness·255 and shift every pixel by the same amount.
        let flat = try PixelImage(width: 3, height: 3, channels: 1, pixels: [UInt8](repeating: 128, count: 9))
        var deltas: Set<Float> = []
        for seed in 0..<50 as Range<UInt64> {
            let output = try render(flat, try Augmentation(brightness: 0.2), seed: seed)
            #expect(Set(output).count == 1)
            let delta = output[0] - 128
            #expect(abs(delta) <= 0.2 * 255 + 1e-3)
            deltas.insert(delta)
        }
        #expect(deltas.count > 40)
    }

    @Test("contrast scales each channel around its mean, then brightness shifts, then it clamps")
    func contrast() throws {
        let image = try PixelImage(width: 4, height: 1, channels: 3,
                                   pixels: [0, 100, 10, 100, 100, 20, 200, 100, 30, 100, 100, 40])
        // Channel means: R 100, G 100, B 25.
        let half = try F.render(image, height: 1, width: 4, parameters: .init(contrastFactor: 0.5))
        #expect(F.close(half, [50, 100, 150, 100, 100, 100, 100, 100, 17.5, 22.5, 27.5, 32.5]))
        let strong = try F.render(image, height: 1, width: 4, normalization: .unitRange,
                                  parameters: .init(brightnessDelta: 10, contrastFactor: 2))
        let expected: [Float] = [0, 110, 255, 110, 110, 110, 110, 110, 5, 25, 45, 65]
        #expect(F.close(strong, expected.map { $0 / 255 }, tolerance: 1e-5))
        // Random factors keep the mean (no clamping here) and stay within [1 − c, 1 + c].
        let mid = try PixelImage(width: 2, height: 1, channels: 1, pixels: [100, 140])
        for seed in 0..<30 as Range<UInt64> {
            let output = try render(mid, try Augmentation(contrast: 0.4), seed: seed)
            #expect(abs((output[0] + output[1]) / 2 - 120) < 1e-3)
            let factor = (output[1] - output[0]) / 40
            #expect(factor >= 0.6 - 1e-4 && factor <= 1.4 + 1e-4)
        }
    }

    @Test("rotation by 0 is the identity; by 90° it turns the image counter-clockwise")
    func rotation() throws {
        let image = try F.gray([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
        let zero = try F.render(image, height: 3, width: 3, parameters: .init(rotationDegrees: 0))
        #expect(zero == F.planar(image))
        let quarter = try F.render(image, height: 3, width: 3, parameters: .init(rotationDegrees: 90))
        #expect(F.plane(quarter, 0, height: 3, width: 3) == [[3, 6, 9], [2, 5, 8], [1, 4, 7]])
        let clockwise = try F.render(image, height: 3, width: 3, parameters: .init(rotationDegrees: -90))
        #expect(F.plane(clockwise, 0, height: 3, width: 3) == [[7, 4, 1], [8, 5, 2], [9, 6, 3]])
        let half = try F.render(image, height: 3, width: 3, parameters: .init(rotationDegrees: 180))
        let flippedBoth = try F.render(image, height: 3, width: 3, parameters: .init(horizontalFlip: true, verticalFlip: true))
        #expect(half == flippedBoth)
        // RGB and bicubic take the general path too.
        let rgb = try F.randomImage(width: 4, height: 4, channels: 3)
        for method in ResizeMethod.allCases {
            let turned = try F.render(rgb, height: 4, width: 4, method: method, parameters: .init(rotationDegrees: 90))
            for c in 0..<3 {
                let source = F.plane(F.planar(rgb), c, height: 4, width: 4)
                let expected = (0..<4).map { y in (0..<4).map { x in source[x][3 - y] } }
                #expect(F.close(F.plane(turned, c, height: 4, width: 4), expected, tolerance: 1e-3), "\(method)")
            }
        }
        // Pixels rotated in from outside take the nearest edge value: a constant image stays constant.
        let flat = try PixelImage(width: 6, height: 4, channels: 3, pixels: [UInt8](repeating: 42, count: 72))
        for degrees: Float in [13, -37, 45] {
            for method in ResizeMethod.allCases {
                let output = try F.render(flat, height: 5, width: 5, method: method, parameters: .init(rotationDegrees: degrees))
                #expect(output.allSatisfy { abs($0 - 42) < 1e-3 })
            }
        }
    }

    @Test("rotated, zoomed and translated renders match a direct per-pixel reference")
    func affineReference() throws {
        var generator = SeededGenerator(seed: 77)
        for trial in 0..<12 {
            let sw = Int.random(in: 2...20, using: &generator), sh = Int.random(in: 2...20, using: &generator)
            let ow = Int.random(in: 2...20, using: &generator), oh = Int.random(in: 2...20, using: &generator)
            let degrees = Float.random(in: -170...170, using: &generator)
            let zoom = Float.random(in: 0.6...1.4, using: &generator)
            let tx = Float.random(in: -0.2...0.2, using: &generator), ty = Float.random(in: -0.2...0.2, using: &generator)
            let image = try F.randomImage(width: sw, height: sh, channels: 1, seed: UInt64(trial))
            let output = try F.render(image, height: oh, width: ow, parameters: .init(rotationDegrees: degrees, zoom: zoom,
                                                                                   translationX: tx, translationY: ty))
            func pixel(_ x: Int, _ y: Int) -> Double { Double(image.pixels[y * sw + x]) }
            let radians = Double(degrees) * .pi / 180
            for oy in 0..<oh {
                for ox in 0..<ow {
                    // Undo translation and zoom, then rotate back (counter-clockwise as displayed), in output pixels.
                    let qx = (Double(ox) + 0.5 - Double(ow) / 2 - Double(tx) * Double(ow)) * Double(zoom)
                    let qy = (Double(oy) + 0.5 - Double(oh) / 2 - Double(ty) * Double(oh)) * Double(zoom)
                    let rx = cos(radians) * qx - sin(radians) * qy + Double(ow) / 2
                    let ry = sin(radians) * qx + cos(radians) * qy + Double(oh) / 2
                    let x = min(max(rx * Double(sw) / Double(ow) - 0.5, 0), Double(sw - 1))
                    let y = min(max(ry * Double(sh) / Double(oh) - 0.5, 0), Double(sh - 1))
                    let x0 = min(Int(x), sw - 2), y0 = min(Int(y), sh - 2)
                    let fx = x - Double(x0), fy = y - Double(y0)
                    let expected = (pixel(x0, y0) * (1 - fx) + pixel(x0 + 1, y0) * fx) * (1 - fy)
                        + (pixel(x0, y0 + 1) * (1 - fx) + pixel(x0 + 1, y0 + 1) * fx) * fy
                    #expect(abs(Double(output[oy * ow + ox]) - expected) < 0.05, "trial \(trial) at (\(ox), \(oy))")
                }
            }
        }
    }

    @Test("zoom scales about the centre: a factor below 1 zooms in")
    func zoom() throws {
        let ramp = try F.gray([[0, 10, 20, 30], [0, 10, 20, 30]])
        let zoomedIn = try F.render(ramp, height: 2, width: 4, parameters: .init(zoom: 0.5))
        // Columns sample 0.75, 1.25, 1.75, 2.25.
        #expect(F.close(Array(zoomedIn[0..<4]), [7.5, 12.5, 17.5, 22.5]))
        let zoomedOut = try F.render(ramp, height: 2, width: 4, parameters: .init(zoom: 2))
        // Columns sample −1.5, 0.5, 2.5, 4.5; outside the image the edge value.
        #expect(F.close(Array(zoomedOut[0..<4]), [0, 5, 25, 30]))
    }

    @Test("translation shifts by a fraction of the output size, filling with the edge")
    func translation() throws {
        let image = try F.gray([[10, 20, 30, 40], [50, 60, 70, 80]])
        let right = try F.render(image, height: 2, width: 4, parameters: .init(translationX: 0.25))
        #expect(F.plane(right, 0, height: 2, width: 4) == [[10, 10, 20, 30], [50, 50, 60, 70]])
        let up = try F.render(image, height: 2, width: 4, parameters: .init(translationY: -0.5))
        #expect(F.plane(up, 0, height: 2, width: 4) == [[50, 60, 70, 80], [50, 60, 70, 80]])
    }

    @Test("random-resized-crop regions stay inside the image and follow the seed")
    func randomResizedCrop() throws {
        let crop = RandomResizedCrop.standard
        for (w, h) in [(224, 224), (640, 480), (28, 28), (3, 50), (1, 1)] {
            for seed in 0..<200 as Range<UInt64> {
                var generator = SeededGenerator(seed: seed)
                let region = crop.sample(width: w, height: h, using: &generator)
                #expect(region.isInside(width: w, height: h), "\(region) in \(w)×\(h)")
            }
        }
        var a = SeededGenerator(seed: 7), b = SeededGenerator(seed: 7), c = SeededGenerator(seed: 8)
        let first = (0..<5).map { _ in crop.sample(width: 300, height: 200, using: &a) }
        #expect(first == (0..<5).map { _ in crop.sample(width: 300, height: 200, using: &b) })
        #expect(first != (0..<5).map { _ in crop.sample(width: 300, height: 200, using: &c) })
        // Areas follow the scale range (up to rounding).
        var generator = SeededGenerator(seed: 1)
        for _ in 0..<100 {
            let region = crop.sample(width: 400, height: 400, using: &generator)
            let fraction = Double(region.width * region.height) / 160_000
            #expect(fraction >= 0.07 && fraction <= 1)
        }
        // Rendering is deterministic per seed.
        let image = try F.randomImage(width: 40, height: 30, channels: 3)
        let augmentation = try Augmentation(horizontalFlip: true, randomResizedCrop: .standard, rotationDegrees: 15)
        let once = try render(image, augmentation, seed: 11, height: 16, width: 16)
        #expect(once == (try render(image, augmentation, seed: 11, height: 16, width: 16)))
        #expect(once != (try render(image, augmentation, seed: 12, height: 16, width: 16)))
        #expect(once.allSatisfy { $0.isFinite && (0...255).contains($0) })
    }

    @Test("an augmentation describes itself as --augment spells it")
    func describesItself() throws {
        #expect(Augmentation.none.description == "none")
        #expect(try Augmentation(horizontalFlip: true, randomResizedCrop: .standard, rotationDegrees: 15).description
                == "flip, crop (scale 0.08–1, aspect 0.75–1.33), rotate:15")
        #expect(try Augmentation(verticalFlip: true, zoom: 0.1, brightness: 0.2).description == "vflip, zoom:0.1, brightness:0.2")
    }

    @Test("random-resized-crop falls back to a centred crop with the ratio clamped to the range")
    func randomResizedCropFallback() throws {
        let wide = try RandomResizedCrop(scale: 0.5...1, aspectRatio: 10...20)
        var generator = SeededGenerator(seed: 3)
        #expect(wide.sample(width: 100, height: 100, using: &generator) == CropRegion(x: 0, y: 45, width: 100, height: 10))
        let tall = try RandomResizedCrop(scale: 0.9...1, aspectRatio: 0.05...0.1)
        #expect(tall.sample(width: 100, height: 100, using: &generator) == CropRegion(x: 45, y: 0, width: 10, height: 100))
    }

    @Test("a fixed crop resizes exactly that region")
    func fixedCrop() throws {
        let image = try F.randomImage(width: 10, height: 8, channels: 3)
        let region = CropRegion(x: 3, y: 2, width: 4, height: 5)
        let output = try F.render(image, height: 5, width: 4, parameters: .init(crop: region))
        for c in 0..<3 {
            let source = F.plane(F.planar(image), c, height: 8, width: 10)
            let expected = (2..<7).map { y in Array(source[y][3..<7]) }
            #expect(F.plane(output, c, height: 5, width: 4) == expected)
        }
        #expect(throws: DataError.self) {
            try F.render(image, height: 5, width: 4, parameters: .init(crop: CropRegion(x: 8, y: 0, width: 4, height: 4)))
        }
    }

    @Test("combined augmentations keep outputs finite and within the normalized range")
    func combined() throws {
        let augmentation = try Augmentation(horizontalFlip: true, verticalFlip: true, randomResizedCrop: .standard,
                                            rotationDegrees: 30, zoom: 0.2, translation: 0.1, brightness: 0.2, contrast: 0.3)
        let bound: ClosedRange<Float> = Normalization.symmetric127.apply(0, channel: 0)...Normalization.symmetric127.apply(255, channel: 0)
        for channels in [1, 3] {
            let image = try F.randomImage(width: 37, height: 23, channels: channels)
            for method in ResizeMethod.allCases {
                let preprocessing = ImagePreprocessing(height: 19, width: 21, method: method, centerCrop: true,
                                                           normalization: .symmetric127)
                for seed in 0..<20 as Range<UInt64> {
                    var generator = SeededGenerator(seed: seed)
                    let output = try preprocessing.render(image, augmentation: augmentation, generator: &generator)
                    #expect(output.allSatisfy { $0.isFinite && bound.contains($0) })
                }
            }
        }
    }

    @Test("out-of-range augmentation settings throw")
    func validation() throws {
        #expect(throws: DataError.self) { try Augmentation(rotationDegrees: -5) }
        #expect(throws: DataError.self) { try Augmentation(rotationDegrees: 200) }
        #expect(throws: DataError.self) { try Augmentation(rotationDegrees: .nan) }
        #expect(throws: DataError.self) { try Augmentation(zoom: 1) }
        #expect(throws: DataError.self) { try Augmentation(zoom: -0.1) }
        #expect(throws: DataError.self) { try Augmentation(translation: 1.5) }
        #expect(throws: DataError.self) { try Augmentation(brightness: 2) }
        #expect(throws: DataError.self) { try Augmentation(contrast: -0.5) }
        #expect(throws: DataError.self) { try RandomResizedCrop(scale: 0...1) }
        #expect(throws: DataError.self) { try RandomResizedCrop(scale: 0.5...1.5) }
        #expect(throws: DataError.self) { try RandomResizedCrop(aspectRatio: 0...1) }
        // Values changed after construction are checked when rendering.
        var augmentation = Augmentation.none
        augmentation.brightness = 3
        let image = try F.randomImage(width: 4, height: 4, channels: 1)
        #expect(throws: DataError.self) { try render(image, augmentation, seed: 0) }
        #expect(throws: DataError.self) { try F.render(image, height: 4, width: 4, parameters: .init(zoom: 0)) }
        #expect(throws: DataError.self) { try F.render(image, height: 4, width: 4, parameters: .init(contrastFactor: -1)) }
        #expect(throws: DataError.self) { try F.render(image, height: 4, width: 4, parameters: .init(rotationDegrees: .infinity)) }
    }
}

private extension Array {
    /// Applies `body` to the array (for chaining).
    func `let`<T>(_ body: ([Element]) -> T) -> T { body(self) }
}
