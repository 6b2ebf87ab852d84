import Foundation
import Testing
import TuneCore
@testable import TuneFormats

/// Truncated and bit-flipped weight files must throw a ``FormatError`` or read successfully, never crash.
@Suite("Weight-file fuzzing")
struct FuzzTests {
    typealias F = Fixtures

    /// SplitMix64, so failures reproduce.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
    }

    /// Flips per format: 500, or `FINETUNE_FUZZ_ROUNDS` for a longer local run.
    static let rounds = ProcessInfo.processInfo.environment["FINETUNE_FUZZ_ROUNDS"].flatMap(Int.init) ?? 500

    static func samples() throws -> [(String, [UInt8])] {
        let state = try F.smallState()
        return [
            ("legacy", F.legacyCheckpoint([
                .init(name: "w", storage: [1, 2, 3, 4, 5, 6], shape: [2, 3]),
                .init(name: "t", dtype: .float16, storage: [1, 2, 3, 4], shape: [2, 2], stride: [1, 2]),
                .init(name: "n", dtype: .int64, storage: [3], shape: []),
            ])),
            ("zip", try PyTorchZipWriter.encode(state, file: "fuzz")),
            ("safetensors", Safetensors.encode(state, metadata: ["format": "pt"])),
        ]
    }

    /// Reads `bytes`, recording an issue for any error that is not a FormatError.
    static func probe(_ bytes: [UInt8], _ label: String) {
        do {
            _ = try bytes.withUnsafeBytes { try WeightFile.read(bytes: $0, file: "fuzz") }
        } catch is FormatError {
        } catch {
            Issue.record("\(label): unexpected error \(error)")
        }
    }

    @Test("every truncated prefix of each format fails cleanly", arguments: ["legacy", "zip", "safetensors"])
    func prefixes(format: String) throws {
        let bytes = try #require(try Self.samples().first { $0.0 == format }?.1)
        #expect(throws: Never.self) { _ = try bytes.withUnsafeBytes { try WeightFile.read(bytes: $0, file: "fuzz") } }
        for length in 0..<bytes.count {
            Self.probe(Array(bytes[..<length]), "\(format) prefix \(length)")
        }
    }

    @Test("500 random byte flips of each format fail cleanly or read", arguments: ["legacy", "zip", "safetensors"])
    func flips(format: String) throws {
        let bytes = try #require(try Self.samples().first { $0.0 == format }?.1)
        var generator = Generator(state: 0xF1E7_0000 &+ UInt64(format.count))
        for round in 0..<Self.rounds {
            var copy = bytes
            let flips = 1 + Int(generator.next() % 3)
            for _ in 0..<flips {
                let at = Int(generator.next() % UInt64(copy.count))
                copy[at] = UInt8(truncatingIfNeeded: generator.next())
            }
            Self.probe(copy, "\(format) round \(round)")
        }
    }

    @Test("500 random byte flips of a zip's data.pkl, re-zipped with valid CRCs, fail cleanly or read")
    func pickleFlips() throws {
        let good = try PyTorchZipWriter.encode(try F.smallState(), file: "fuzz")
        let (pickle, storages) = try F.with(good) { buffer -> ([UInt8], [(String, [UInt8])]) in
            let zip = try ZipArchive(buffer, file: "x")
            let pickle = try zip.withContents(of: try #require(zip.entry(named: "archive/data.pkl"))) { Array($0) }
            let storages = try zip.entries.filter { $0.name.hasPrefix("archive/data/") }.map { entry in
                (entry.name, try zip.withContents(of: entry) { Array($0) })
            }
            return (pickle, storages)
        }
        var generator = Generator(state: 42)
        for round in 0..<Self.rounds {
            var copy = pickle
            let at = 2 + Int(generator.next() % UInt64(copy.count - 2))
            copy[at] = UInt8(truncatingIfNeeded: generator.next())
            var zip = ZipWriter(file: "fuzz")
            try zip.add("archive/data.pkl", copy)
            for (name, data) in storages { try zip.add(name, data) }
            Self.probe(try zip.finish(), "data.pkl round \(round)")
        }
    }
}
