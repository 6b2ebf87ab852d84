import Foundation
import Testing
import TestFixtures
import TuneCore
import TuneData
import TuneFormats
@testable import TuneModels

/// Ordinary photos from scikit-image's wheel (fetched by `scripts/fetch-test-photos.sh` into `$FINETUNE_HOME/test-data`).
enum TestPhotos {
    static var wheel: String? {
        let folder = URL(fileURLWithPath: WeightCache.defaultRoot).appendingPathComponent("test-data")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.first { $0.hasPrefix("scikit_image-") && $0.hasSuffix(".whl") }.map { folder.appendingPathComponent($0).path }
    }

    /// Extracts `skimage/data/<name>` into `folder`.
    static func extract(_ name: String, into folder: URL) throws -> String {
        let destination = folder.appendingPathComponent(name).path
        try ZipExtraction.extract(member: "skimage/data/\(name)", archive: try #require(wheel), to: destination)
        return destination
    }
}

@Suite("Photo prediction", .serialized, .requires(.lite0Checkpoint, .testPhotos))
struct PhotoPredictionTests {
    /// Photo → ImageNet classes any of which counts as right among the top 3.
    static let expectations: [(String, Set<Int>)] = [
        ("chelsea.png", [281, 282, 283, 284, 285]),   // tabby, tiger cat, Persian, Siamese, Egyptian cat
        ("coffee.png", [967, 968]),                   // espresso, cup
        ("rocket.jpg", [657, 744]),                   // missile, projectile
        ("motorcycle_left.png", [665, 670]),          // moped, motor scooter
    ]

    @Test("EfficientNet-Lite0 names the expected class for ordinary photos")
    func namesExpectedClasses() throws {
        let model = try EfficientNetLite(variant: .lite0, weights: .file(try #require(Lite0Checkpoint.path)))
        let classifier = ImageClassifier(model: model, labels: ImageNetLabels.names, inputSize: 224,
                                         normalization: model.preprocessing)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("photos-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for (name, expected) in Self.expectations {
            let path = try TestPhotos.extract(name, into: folder)
            let top = try classifier.predict(files: [path], top: 3)[0].top
            print("\(name): " + top.map { "\($0.label) \(String(format: "%.1f", $0.probability * 100))%" }.joined(separator: ", "))
            #expect(top.contains { expected.contains($0.index) }, "\(name)")
        }
    }
}
