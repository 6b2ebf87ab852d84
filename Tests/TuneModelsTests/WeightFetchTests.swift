import Foundation
import Testing
import TestFixtures
import TuneFormats
@testable import TuneModels

/// Where published weights come from: framework caches, a download (against a server on 127.0.0.1), a file the user
/// brings; each verified before it enters the cache, atomically.
@Suite("Fetching and importing published weights", .serialized)
struct WeightFetchTests {
    /// A fresh cache folder and empty framework caches, removed afterwards.
    struct Scratch {
        let folder: URL
        let cache: WeightCache
        var kerasFolder: String { folder.appendingPathComponent("keras-models").path }
        var torchFolder: String { folder.appendingPathComponent("torch-checkpoints").path }

        init() throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("finetune-fetch-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            cache = WeightCache(root: folder.appendingPathComponent("home").path,
                                frameworkCaches: FrameworkCaches(keras: [folder.appendingPathComponent("keras-models").path],
                                                                 torchvision: [folder.appendingPathComponent("torch-checkpoints").path]))
        }

        /// Every file in the cache's weights folder, hidden partial files included.
        var cachedFiles: [String] { (try? FileManager.default.contentsOfDirectory(atPath: cache.weightsFolder)) ?? [] }

        func remove() { try? FileManager.default.removeItem(at: folder) }
    }

    /// 3 MB of deterministic bytes, several pieces of any transfer.
    static let payload = Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) })

    /// An entry whose one published file is `url` with `digest` (a small MobileNet, never built for a digest check).
    static func entry(url: URL, digest: PublishedDigest, origin: (String) -> PretrainedWeights.Origin = { .keras(url: $0) }) -> ModelEntry {
        ModelEntry(name: "download-test", family: "MobileNet", inputSize: 224, preprocessing: .symmetric,
                   weights: [PretrainedWeights(origin: origin(url.absoluteString), digest: digest)]) { includeTop, classCount in
            MobileNet(configuration: MobileNetConfiguration(widthMultiplier: 0.25), includeTop: includeTop, classCount: classCount)
        }
    }

    @Test("SHA-256 and MD5 come from swift-crypto and match the standard test vectors")
    func digests() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let path = scratch.folder.appendingPathComponent("abc").path
        try Data("abc".utf8).write(to: URL(fileURLWithPath: path))
        let digests = try FileDigests.of(file: path)
        #expect(digests.sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(digests.md5 == "900150983cd24fb0d6963f7d28e17f72")
        #expect(PublishedDigest.sha256Prefix("BA7816BF").isMatched(by: digests))
        #expect(!PublishedDigest.sha256Prefix("").isMatched(by: digests))
        #expect(!PublishedDigest.md5("900150983cd24fb0d6963f7d28e17f73").isMatched(by: digests))
        #expect { try FileDigests.of(file: scratch.folder.appendingPathComponent("absent").path) } throws: {
            "\($0)".contains("absent") && "\($0)".contains("cannot be read")
        }
    }

    @Test("the guide's models name the files keras.applications and torchvision download, with their published digests")
    func publishedFiles() throws {
        let vgg16 = try ModelRegistry.entry(named: "vgg16")
        #expect(vgg16.publishedFiles(includeTop: false).map(\.fileName)
            == ["vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5", "vgg16_weights_tf_dim_ordering_tf_kernels.h5"])
        #expect(vgg16.publishedFiles(includeTop: true).map(\.digest) == [.md5("64373286793e3c8b2b4e3219cbf3544b")])
        #expect(vgg16.weights.first?.publishedLocation
            == "https://storage.googleapis.com/tensorflow/keras-applications/vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5")
        let resnet = try ModelRegistry.entry(named: "torchvision-resnet50")
        #expect(resnet.weights.map(\.digest) == [.sha256Prefix("11ad3fa6"), .sha256Prefix("0676ba61")])
        #expect(resnet.weights.first?.origin == .torchvision(url: "https://download.pytorch.org/models/resnet50-11ad3fa6.pth"))
        #expect(try ModelRegistry.entry(named: "mobilenet-0.75").weights.map(\.fileName)
            == ["mobilenet_7_5_224_tf_no_top.h5", "mobilenet_7_5_224_tf.h5"])
        #expect(try ModelRegistry.entry(named: "mobilenet-0.25").weights.first?.fileName == "mobilenet_2_5_224_tf_no_top.h5")
        #expect(try ModelRegistry.entry(named: "mobilenetv2-0.35").weights.map(\.fileName)
            == ["mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5",
                "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224.h5"])
        #expect(try ModelRegistry.entry(named: "mobilenetv2").weights.allSatisfy { $0.digest == .unpublished })
        for entry in ModelRegistry.builtIn where entry.flavour != nil {
            #expect(!entry.weights.isEmpty, "\(entry.name) names no published weights")
        }
    }

    @Test("a download that arrives whole and matches its digest is installed; the next fetch needs no network")
    func download() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let server = try LoopbackHTTPServer(routes: ["w/file.h5": .body(Self.payload)])
        let digests = try FileDigests.of(data: Self.payload, in: scratch.folder)
        let entry = Self.entry(url: server.url("w/file.h5"), digest: .md5(digests.md5))
        let path = try scratch.cache.fetch(entry)
        #expect(path == scratch.cache.weightsFolder + "/file.h5")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Self.payload)
        #expect(scratch.cachedFiles == ["file.h5"])
        server.stop()
        let lines = LogLines()
        #expect(try scratch.cache.fetch(entry, log: lines.append) == path)
        #expect(lines.all.contains { $0.contains("already installed") })
        #expect(try scratch.cache.installedPath(for: entry, includeTop: true) == path)
    }

    @Test("a mirror serves the published file name", arguments: [false, true])
    func mirror(torchvision: Bool) throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let server = try LoopbackHTTPServer(routes: ["mirror/resnet50-0676ba61.pth": .body(Self.payload)])
        let digests = try FileDigests.of(data: Self.payload, in: scratch.folder)
        let published = URL(string: "https://download.pytorch.org/models/resnet50-0676ba61.pth")!
        let entry = Self.entry(url: published, digest: .sha256Prefix(String(digests.sha256.prefix(8))),
                               origin: torchvision ? { .torchvision(url: $0) } : { .keras(url: $0) })
        let path = try scratch.cache.fetch(entry, mirror: server.url("mirror"))
        #expect(server.requestedPaths == ["mirror/resnet50-0676ba61.pth"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Self.payload)
    }

    enum Failure: String, CaseIterable { case digestMismatch, notFound, truncated, serverGone }

    @Test("a wrong digest, a 404, a truncated transfer and a server gone mid-file are clear errors, and the cache holds nothing",
          arguments: Failure.allCases)
    func downloadFailures(_ failure: Failure) throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let digests = try FileDigests.of(data: Self.payload, in: scratch.folder)
        let reply: LoopbackHTTPServer.Reply
        switch failure {
        case .digestMismatch: reply = .body(Self.payload.dropLast(1) + Data([0]))
        case .notFound: reply = .notFound
        case .truncated: reply = .truncated(Self.payload, sending: 1_000_000)
        case .serverGone: reply = .diesMidFile(Self.payload, sending: 2_000_000)
        }
        let server = try LoopbackHTTPServer(routes: ["file.h5": reply])
        defer { server.stop() }
        let url = server.url("file.h5")
        let entry = Self.entry(url: url, digest: .md5(digests.md5))
        #expect { try scratch.cache.fetch(entry) } throws: { error in
            let message = "\(error)"
            switch failure {
            case .digestMismatch: return message.contains(url.absoluteString) && message.contains("MD5 \(digests.md5)")
            case .notFound: return error as? WeightCacheError == .httpStatus(url: url.absoluteString, status: 404)
            case .truncated, .serverGone:
                return message.contains(url.absoluteString)
                    && (error as? WeightCacheError == .truncated(url: url.absoluteString, received: failure == .truncated ? 1_000_000 : 2_000_000,
                                                                 expected: Int64(Self.payload.count))
                        || message.contains("the download failed"))
            }
        }
        #expect(scratch.cachedFiles.isEmpty, "\(failure): \(scratch.cachedFiles)")
        #expect { try scratch.cache.installedPath(for: entry, includeTop: true) } throws: { "\($0)".contains("not installed") }
    }

    @Test("a file already in Keras's or torch's cache is verified and copied, with no download; a damaged one is refused")
    func frameworkCaches() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let digests = try FileDigests.of(data: Self.payload, in: scratch.folder)
        let unreachable = URL(string: "http://127.0.0.1:9/resnet50-0676ba61.pth")!
        try FileManager.default.createDirectory(atPath: scratch.torchFolder, withIntermediateDirectories: true)
        let inTorch = scratch.torchFolder + "/resnet50-0676ba61.pth"
        try (Self.payload.dropLast(1) + Data([1])).write(to: URL(fileURLWithPath: inTorch))
        let entry = Self.entry(url: unreachable, digest: .sha256Prefix(String(digests.sha256.prefix(8))), origin: { .torchvision(url: $0) })
        #expect { try scratch.cache.fetch(entry) } throws: { "\($0)".contains(inTorch) && "\($0)".contains("SHA-256 starting") }
        #expect(scratch.cachedFiles.isEmpty)
        try Self.payload.write(to: URL(fileURLWithPath: inTorch))
        let lines = LogLines()
        let path = try scratch.cache.fetch(entry, log: lines.append)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Self.payload)
        #expect(lines.all.contains { $0.contains("found \(inTorch)") })
        #expect(FileManager.default.fileExists(atPath: inTorch), "the framework's own copy stays")
    }

    @Test("importing a file: a match is installed under the published name; another file names itself and every published digest")
    func importing() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let digests = try FileDigests.of(data: Self.payload, in: scratch.folder)
        let entry = Self.entry(url: URL(string: "https://example.invalid/models/published.h5")!, digest: .md5(digests.md5))
        let mine = scratch.folder.appendingPathComponent("downloaded-by-hand.h5").path
        try Self.payload.write(to: URL(fileURLWithPath: mine))
        #expect(try scratch.cache.importFile(mine, as: entry) == scratch.cache.weightsFolder + "/published.h5")
        let other = scratch.folder.appendingPathComponent("other.h5").path
        try Data("something else".utf8).write(to: URL(fileURLWithPath: other))
        #expect { try scratch.cache.importFile(other, as: entry) } throws: {
            "\($0)".contains(other) && "\($0)".contains("MD5 \(digests.md5)")
        }
        #expect(scratch.cachedFiles == ["published.h5"])
    }

    @Test("a file published without a digest is accepted only when it loads strictly: Keras's MobileNet",
          .requires(.applicationsReference("mobilenet")))
    func importingWithoutDigest() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let genuine = scratch.folder.appendingPathComponent("my-mobilenet.h5").path
        try ApplicationsReference.load("mobilenet").writeKerasFile(ApplicationsReference.load("mobilenet").keras.legacy_h5, to: genuine)
        let entry = try ModelRegistry.entry(named: "mobilenet")
        #expect(try scratch.cache.importFile(genuine, as: entry) == scratch.cache.weightsFolder + "/mobilenet_1_0_224_tf.h5")
        #expect(try scratch.cache.installedPath(for: entry, includeTop: false) == scratch.cache.weightsFolder + "/mobilenet_1_0_224_tf.h5")
        let tiny = ReferenceFormula.applicationsFolder.appendingPathComponent("keras_tiny.h5").path
        #expect { try scratch.cache.importFile(tiny, as: entry) } throws: {
            "\($0)".contains("keras_tiny.h5 is not a weight file of mobilenet") && "\($0)".contains("conv1")
        }
        let ownKeys = scratch.folder.appendingPathComponent("mobilenet.safetensors").path
        let model = MobileNet(includeTop: true)
        try Safetensors.write(StateDictionary(model.stateDictionary().sorted { $0.key < $1.key }.map { ($0.key, $0.value) }), to: ownKeys)
        #expect { try scratch.cache.importFile(ownKeys, as: entry) } throws: { "\($0)".contains("it is a safetensors file") }
        #expect(scratch.cachedFiles == ["mobilenet_1_0_224_tf.h5"])
    }

    @Test("weights that are nowhere: one message says where to put them and how to fetch or import them")
    func notInstalled() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let entry = try ModelRegistry.entry(named: "vgg16")
        #expect { try scratch.cache.installedPath(for: entry, includeTop: false) } throws: { error in
            let message = "\(error)"
            return message.contains("finetune models fetch vgg16") && message.contains("finetune models import vgg16 FILE")
                && message.contains(scratch.kerasFolder) && message.contains("vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5")
                && message.contains("https://storage.googleapis.com/tensorflow/keras-applications/vgg16/")
        }
        #expect { try VGG16(weights: .imagenet, includeTop: false) } throws: { "\($0)".contains("finetune models fetch vgg16") }
    }
}

/// Collects log lines from any thread.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    var all: [String] { lock.withLock { lines } }
    var append: @Sendable (String) -> Void { { [self] line in lock.withLock { lines.append(line) } } }
}

extension FileDigests {
    /// The digests of `data`, through a file in `folder`.
    static func of(data: Data, in folder: URL) throws -> FileDigests {
        let path = folder.appendingPathComponent("digest-\(UUID().uuidString)").path
        try data.write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try of(file: path)
    }
}
