import ArgumentParser
import FineTune
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Images/s and peak RSS of EfficientNet-Lite0 inference and fine-tuning workloads, optionally beside PyTorch.",
        discussion: """
        Rows: inference, frozen_base, last2 and full at 224², 96² and 64² (batch 32), each in its own process so \
        its peak RSS is its own. With --pytorch-script (the reference bench_effnet_lite0.py) and --python (a Python \
        with torch), every row is also run in PyTorch right after ours, with the same thread count, and the ratio \
        is printed.
        """
    )

    @Flag(help: "Print one JSON object keyed by configuration.") var json = false
    @Option(help: "Comma-separated configurations (e.g. inference_224,full_96); default: all twelve.") var only: String?
    @Option(help: "Compute threads.") var threads = 2
    @Option(help: "Batch size.") var batchSize = 32
    @Option(help: "Minimum timed seconds per configuration.") var minSeconds = 10.0
    @Option(help: "The PyTorch reference benchmark script (bench_effnet_lite0.py) to run beside each row.") var pytorchScript: String?
    @Option(help: "The Python (with torch) that runs --pytorch-script.") var python = "python3"
    @Option(help: .hidden) var child: String?

    func run() throws {
        var benchmark = ThroughputBenchmark()
        benchmark.batchSize = batchSize
        benchmark.minimumSeconds = minSeconds
        if let child {
            ComputeThreads.set(threads)
            let result = try benchmark.run(try ThroughputBenchmark.Configuration(name: child))
            print("RESULT " + String(decoding: try JSONEncoder().encode(result), as: UTF8.self))
            return
        }
        let configurations = try only.map { try $0.split(separator: ",").map { try ThroughputBenchmark.Configuration(name: String($0)) } }
            ?? ThroughputBenchmark.Configuration.standard
        var rows: [BenchRow] = []
        if !json { print(BenchRow.header(comparing: pytorchScript != nil)) }
        for configuration in configurations {
            var row = BenchRow(name: configuration.name, ours: try runChild(configuration.name))
            if let pytorchScript, Self.pytorchResolutions.contains(configuration.resolution) {
                row.pytorch = try runPyTorch(configuration.name, script: pytorchScript)
            }
            if !json { print(row.line) }
            rows.append(row)
        }
        if json {
            var object: [String: Any] = [:]
            for row in rows { object[row.name] = row.jsonObject }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }

    /// The resolutions the PyTorch reference script defines rows for.
    static let pytorchResolutions: Set<Int> = [224, 96]

    /// Runs one configuration in a fresh `finetune bench --child` process.
    private func runChild(_ name: String) throws -> ThroughputBenchmark.Result {
        let output = try Self.capture(URL(fileURLWithPath: "/proc/self/exe"),
                                      ["bench", "--child", name, "--threads", "\(threads)", "--batch-size", "\(batchSize)",
                                       "--min-seconds", "\(minSeconds)"])
        guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix("RESULT ") }) else {
            throw ValidationError("bench \(name) failed:\n\(output)")
        }
        return try JSONDecoder().decode(ThroughputBenchmark.Result.self, from: Data(line.dropFirst("RESULT ".count).utf8))
    }

    /// Runs one configuration of the PyTorch reference script; returns (images/s, peak RSS MiB), or `nil` when its
    /// results lack the row.
    private func runPyTorch(_ name: String, script: String) throws -> (imagesPerSecond: Double, peakRSSMiB: Double)? {
        let entry = try ModelRegistry.entry(named: "efficientnet-lite0")
        let weights = try WeightCache().installedPath(for: entry)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("finetune-bench-\(getpid())-\(name).json")
        defer { try? FileManager.default.removeItem(at: out) }
        let output = try Self.capture(URL(fileURLWithPath: "/usr/bin/env"),
                                      [python, script, "--weights", weights, "--only", name, "--out", out.path, "--threads", "\(threads)",
                                             "--batch", "\(batchSize)", "--min-seconds", "\(minSeconds)", "--python", python])
        guard let data = try? Data(contentsOf: out),
              let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let results = object["results"] as? [String: Any] else {
            throw ValidationError("the PyTorch run of \(name) wrote no results:\n\(output)")
        }
        guard let row = results[name] as? [String: Any] else { return nil }
        guard let speed = row["images_per_s_best"] as? Double, let rss = row["peak_rss_mib"] as? Double else {
            throw ValidationError("the PyTorch run of \(name) gave no result:\n\(output)")
        }
        return (speed, rss)
    }

    private static func capture(_ executable: URL, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}

/// One row of `finetune bench`: ours, and PyTorch's when compared.
struct BenchRow {
    let name: String
    let ours: ThroughputBenchmark.Result
    var pytorch: (imagesPerSecond: Double, peakRSSMiB: Double)?

    static func header(comparing: Bool) -> String {
        let base = "configuration".padding(toLength: 16, withPad: " ", startingAt: 0) + "  images/s  peak RSS MiB"
        return comparing ? base + "  PyTorch images/s  PyTorch RSS MiB  speed ratio  RSS ratio" : base
    }

    var line: String {
        var text = name.padding(toLength: 16, withPad: " ", startingAt: 0)
            + String(format: "  %8.1f  %12.0f", ours.imagesPerSecond, ours.peakRSSMiB)
        if let pytorch {
            text += String(format: "  %16.1f  %15.0f  %10.2f×  %9.2f", pytorch.imagesPerSecond, pytorch.peakRSSMiB,
                           ours.imagesPerSecond / pytorch.imagesPerSecond, ours.peakRSSMiB / pytorch.peakRSSMiB)
        }
        return text
    }

    var jsonObject: [String: Any] {
        var object: [String: Any] = ["images_per_s": ours.imagesPerSecond, "peak_rss_mib": ours.peakRSSMiB,
                                     "images_per_s_median": ours.imagesPerSecondMedian, "iterations": ours.iterations]
        if let pytorch {
            object["pytorch_images_per_s"] = pytorch.imagesPerSecond
            object["pytorch_peak_rss_mib"] = pytorch.peakRSSMiB
            object["speed_ratio"] = ours.imagesPerSecond / pytorch.imagesPerSecond
        }
        return object
    }
}
