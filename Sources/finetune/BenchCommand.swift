import ArgumentParser
import FineTune
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Images/s and peak RSS of a model's inference and fine-tuning workloads, optionally beside PyTorch.",
        discussion: """
        Rows: inference, frozen_base, last2 and full at 224², 96² and 64² (batch 32), each in its own process so \
        its peak RSS is its own. With --pytorch-script (the reference bench_effnet_lite0.py for efficientnet-lite0, \
        bench_torchvision.py for vgg16, resnet50 and mobilenetv2 in either flavour) and --python (a Python with \
        torch), every row the script defines is also run in PyTorch right after ours, with as many threads as ours may use, and the \
        ratio is printed. Without --threads the rows run as `finetune train` does: on an adaptive team that gives up \
        threads while other processes keep the cores busy; --contend measures that.
        """
    )

    @Flag(help: "Print one JSON object keyed by configuration.") var json = false
    @Option(help: "The model (see `finetune models list`).") var model = "efficientnet-lite0"
    @Option(help: "Its weights (default: the ImageNet weights when the model has published ones, else random weights).")
    var weights: String?
    @Option(help: "Comma-separated configurations (e.g. inference_224,full_96); default: all twelve.") var only: String?
    @Option(help: "Compute threads, fixed (default: adaptive, up to all cores, fewer while other processes keep them busy).")
    var threads: Int?
    @Option(help: "Batch size.") var batchSize = 32
    @Option(help: "Minimum timed seconds per configuration.") var minSeconds = 10.0
    @Option(help: "The PyTorch reference benchmark script (bench_effnet_lite0.py) to run beside each row.") var pytorchScript: String?
    @Option(help: "The Python (with torch) that runs --pytorch-script.") var python = "python3"
    @Option(help: "An allocator to LD_PRELOAD into a second, tuned PyTorch run of each row (e.g. libtcmalloc_minimal.so.4).")
    var pytorchPreload: String?
    @Option(help: "Run every row again beside N competing processes (see --competitor) and print the slowdown.") var contend: Int?
    @Option(help: "What competes with --contend: busy (a process busy-looping on as many threads as the row may use) or bench (the same row again).")
    var competitor = Competitor.busy
    @Flag(help: "Start each --contend competitor in a session of its own (as from another terminal): with the kernel's autogroup scheduling, sessions rather than threads then share the cores.")
    var separateSession = false
    @Option(help: "With --contend, measure each row this many times, alone and beside the competitors in turn, and report the medians (the host's drift then falls on both sides of each ratio).")
    var rounds = 1
    /// A competitor started with `--separate-session` moves to a session of its own first (``OwnSession``).
    @Flag(help: .hidden) var ownSession = false
    @Option(help: .hidden) var child: String?
    @Option(help: .hidden) var spin: Int?
    /// Contended rows time a fixed window rather than a number of steps, so that runs side by side overlap.
    @Option(help: .hidden) var maxIterations = 40

    func validate() throws {
        if let contend, contend < 1 || contend > 16 { throw ValidationError("--contend must be in 1…16, got \(contend)") }
        if rounds < 1 || rounds > 20 { throw ValidationError("--rounds must be in 1…20, got \(rounds)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    func run() throws {
        if ownSession { try OwnSession.rerun(without: "--own-session") }
        if let spin { Contention.spin(threads: spin) }
        var benchmark = ThroughputBenchmark()
        benchmark.batchSize = batchSize
        benchmark.minimumSeconds = minSeconds
        benchmark.maximumIterations = maxIterations
        benchmark.model = model
        benchmark.weights = weights.map { .file($0) }
        if let child {
            if let threads { ComputeThreads.set(threads) }
            let result = try benchmark.run(try ThroughputBenchmark.Configuration(name: child))
            print("RESULT " + String(decoding: try JSONEncoder().encode(result), as: UTF8.self))
            return
        }
        let configurations = try only.map { try $0.split(separator: ",").map { try ThroughputBenchmark.Configuration(name: String($0)) } }
            ?? ThroughputBenchmark.Configuration.standard
        var rows: [BenchRow] = []
        let entry = try ModelRegistry.entry(named: model)    // an unknown name fails here, naming the known ones
        let weightsNote = weights.map { " (\($0))" }
            ?? (ThroughputBenchmark.defaultWeights(for: entry) == .none ? " (random weights: its ImageNet weights are not installed)" : "")
        let pytorch = try pytorchScript.map { try PyTorchReference(script: $0, python: python, preload: pytorchPreload, model: model,
                                                                    threads: maximumThreads, batchSize: batchSize, minSeconds: minSeconds) }
        let contention = contend.map {
            Contention(count: $0, competitor: competitor, threads: maximumThreads, separateSession: separateSession) {
                childArguments($0) + ["--max-iterations", "1000000"]
            }
        }
        if !json { print("Model: \(model)\(weightsNote); threads: \(threads.map { ThreadPolicy.fixed($0) } ?? ComputeThreads.policy)") }
        if !json { print(BenchRow.header(comparing: pytorch != nil)) }
        for configuration in configurations {
            var row = BenchRow(name: configuration.name, ours: try runChild(configuration.name))
            if let pytorch, PyTorchReference.resolutions.contains(configuration.resolution) {
                row.pytorch = try pytorch.runs(of: configuration.name)
            }
            if !json { print(row.line); fflush(nil) }
            rows.append(row)
        }
        var contended: [String: ContendedRow] = [:]
        if let contention {
            if !json {
                print("\nBeside \(contention.count) × \(contention.competitor.rawValue) (\(maximumThreads) threads each, "
                      + "\(separateSession ? "each in a session of its own" : "in this session")) on \(ProcessInfo.processInfo.activeProcessorCount) cores:")
                print(ContendedRow.header(comparing: pytorch != nil && contention.competitor == .busy, rounds: rounds))
            }
            for row in rows {
                // PyTorch beside busy loops only: its script starts its timed child seconds after a competing bench
                // has begun its window, so the two would hardly overlap.
                let comparesPyTorch = try contention.competitor == .busy
                    && PyTorchReference.resolutions.contains(try ThroughputBenchmark.Configuration(name: row.name).resolution)
                let measured = try (0..<rounds).map { _ -> ContentionRound in
                    let quiet = try runChild(row.name, windowed: true)
                    let (ours, competitors) = try contention.beside(row: row.name) { try runChild(row.name, windowed: true) }
                    var round = ContentionRound(quiet: quiet.imagesPerSecondMedian, contended: ours.imagesPerSecondMedian,
                                                threads: ours.meanThreads, laneShare: ours.laneShare, competitors: competitors)
                    if let pytorch, comparesPyTorch {
                        let quiet = try pytorch.windowedRun(of: row.name, contended: false)
                        let (run, _) = try contention.beside(row: row.name) { try pytorch.windowedRun(of: row.name, contended: true) }
                        (round.pytorchQuiet, round.pytorchContended) = (quiet?.imagesPerSecondMedian, run?.imagesPerSecondMedian)
                    }
                    return round
                }
                let result = ContendedRow(rounds: measured, fairSlowdown: contention.fairSlowdown)
                if !json { print(result.line(name: row.name)); fflush(nil) }    // each row as it is measured, also into a file
                contended[row.name] = result
            }
        }
        if json {
            var object: [String: Any] = [:]
            for row in rows {
                var entry = row.jsonObject
                if let result = contended[row.name] {
                    entry["contention"] = result.jsonObject
                }
                object[row.name] = entry
            }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }

    /// The most threads a row uses: `--threads`, or all the cores the adaptive team may grow to. PyTorch and the busy
    /// competitors get this many.
    private var maximumThreads: Int {
        if let threads { return threads }
        if case .adaptive(let maximum) = ComputeThreads.policy { return maximum }
        return ComputeThreads.current
    }

    /// The arguments of a `finetune bench --child` process running row `name`.
    private func childArguments(_ name: String) -> [String] {
        ["bench", "--child", name, "--batch-size", "\(batchSize)", "--min-seconds", "\(minSeconds)", "--model", model]
            + (weights.map { ["--weights", $0] } ?? []) + (threads.map { ["--threads", "\($0)"] } ?? [])
    }

    /// Runs one configuration in a fresh `finetune bench --child` process.
    /// With `windowed`, the row is timed for `--min-seconds` whatever its step count (see `--max-iterations`).
    private func runChild(_ name: String, windowed: Bool = false) throws -> ThroughputBenchmark.Result {
        let output = try Self.capture(URL(fileURLWithPath: "/proc/self/exe"),
                                      childArguments(name) + (windowed ? ["--max-iterations", "1000000"] : []))
        guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix("RESULT ") }) else {
            throw ValidationError("bench \(name) failed:\n\(output)")
        }
        return try JSONDecoder().decode(ThroughputBenchmark.Result.self, from: Data(line.dropFirst("RESULT ".count).utf8))
    }

    static func capture(_ executable: URL, _ arguments: [String]) throws -> String {
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
