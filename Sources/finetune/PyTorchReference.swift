import ArgumentParser
import FineTune
import Foundation

/// Runs rows of PyTorch's reference benchmark script beside ours — `bench_effnet_lite0.py` for EfficientNet-Lite0,
/// `bench_torchvision.py` for torchvision's architectures — out of the box, in every memory layout the script
/// defines for the row, and — with an allocator to preload — tuned.
struct PyTorchReference {
    let script: String
    let python: String
    let preload: String?
    /// What tells the script which model to run: EfficientNet-Lite0's weight file, or torchvision's model name.
    let modelArguments: [String]
    let threads: Int
    let batchSize: Int
    let minSeconds: Double

    /// The resolutions the script defines rows for.
    static let resolutions: Set<Int> = [224, 96]
    /// Rows the script also runs in channels_last.
    static let channelsLastRows: Set<String> = ["inference_224", "full_224"]

    /// One PyTorch measurement of a row.
    struct Run {
        let layout: String
        let isTuned: Bool
        let imagesPerSecond: Double
        let imagesPerSecondMedian: Double
        let peakRSSMiB: Double
    }

    /// torchvision's name for the architecture of each FineTune model `bench_torchvision.py` can run.
    static let torchvisionNames: [String: String] = [
        "vgg16": "vgg16", "torchvision-vgg16": "vgg16", "resnet50": "resnet50", "torchvision-resnet50": "resnet50",
        "mobilenetv2": "mobilenet_v2", "torchvision-mobilenet-v2": "mobilenet_v2",
        "inceptionv3": "inception_v3", "torchvision-inception-v3": "inception_v3",
    ]

    init(script: String, python: String, preload: String?, model: String, threads: Int, batchSize: Int, minSeconds: Double) throws {
        guard FileManager.default.fileExists(atPath: script) else {
            throw ValidationError("--pytorch-script: \(script) does not exist")
        }
        if model == "efficientnet-lite0" {
            modelArguments = ["--weights", try WeightCache().installedPath(for: try ModelRegistry.entry(named: model), includeTop: true)]
        } else if let name = Self.torchvisionNames[model] {
            modelArguments = ["--model", name]
        } else {
            throw ValidationError("--pytorch-script: no PyTorch reference runs \(model) (efficientnet-lite0 with bench_effnet_lite0.py; "
                                  + "\(Self.torchvisionNames.keys.sorted().joined(separator: ", ")) with bench_torchvision.py)")
        }
        if let preload, !preload.contains("/") || !FileManager.default.fileExists(atPath: preload) {
            throw ValidationError("--pytorch-preload: give the path of an existing library (\(preload))")
        }
        (self.script, self.python, self.preload) = (script, python, preload)
        (self.threads, self.batchSize, self.minSeconds) = (threads, batchSize, minSeconds)
    }

    /// Every PyTorch run of row `name`: each layout out of the box, then each layout tuned.
    func runs(of name: String) throws -> [Run] {
        let layouts = Self.channelsLastRows.contains(name) ? ["nchw", "channels_last"] : ["nchw"]
        var runs: [Run] = []
        for tuned in preload == nil ? [false] : [false, true] {
            for layout in layouts {
                let variant = layout == "nchw" ? name : name + "_channels_last"
                if let run = try run(variant, layout: layout, tuned: tuned) { runs.append(run) }
            }
        }
        return runs
    }

    /// PyTorch's out-of-the-box NCHW run of row `name`, timed for `minSeconds` whatever its step count (so that it
    /// overlaps the processes beside it). `contended`: other processes are meant to be running, so the script's
    /// guard must not wait for a quiet machine (it would wait up to an hour) nor retry the run.
    func windowedRun(of name: String, contended: Bool) throws -> Run? {
        try run(name, layout: "nchw", tuned: false, windowed: true, contended: contended)
    }

    private func run(_ variant: String, layout: String, tuned: Bool, windowed: Bool = false, contended: Bool = false) throws -> Run? {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("finetune-bench-\(getpid())-\(variant).json")
        defer { try? FileManager.default.removeItem(at: out) }
        var arguments = [python, script] + modelArguments + ["--only", variant, "--out", out.path,
                         "--threads", "\(threads)", "--batch", "\(batchSize)", "--min-seconds", "\(minSeconds)",
                         "--python", python]
        if tuned, let preload { arguments += ["--preload-lib", preload, "--preload-only"] }
        if windowed { arguments += ["--max-iters", "1000000"] }
        if contended { arguments += ["--quiet-timeout", "0", "--retries", "0", "--max-background", "1000"] }
        let output = try BenchCommand.capture(URL(fileURLWithPath: "/usr/bin/env"), arguments)
        guard let data = try? Data(contentsOf: out),
              let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let results = object["results"] as? [String: Any] else {
            throw ValidationError("the PyTorch run of \(variant) wrote no results:\n\(output)")
        }
        // One configuration ran; its key carries a "+allocator" suffix when preloaded.
        guard let row = results.values.first as? [String: Any] else { return nil }
        guard let speed = row["images_per_s_best"] as? Double, let median = row["images_per_s_median"] as? Double,
              let rss = row["peak_rss_mib"] as? Double else {
            throw ValidationError("the PyTorch run of \(variant) gave no result:\n\(output)")
        }
        return Run(layout: layout, isTuned: tuned, imagesPerSecond: speed, imagesPerSecondMedian: median, peakRSSMiB: rss)
    }
}

/// One row of `finetune bench`: ours, and PyTorch's runs when compared.
struct BenchRow {
    let name: String
    let ours: ThroughputBenchmark.Result
    var pytorch: [PyTorchReference.Run] = []

    /// PyTorch's fastest run out of the box (any layout), and its fastest tuned run.
    var bestOutOfTheBox: PyTorchReference.Run? { pytorch.filter { !$0.isTuned }.max { $0.imagesPerSecond < $1.imagesPerSecond } }
    var bestTuned: PyTorchReference.Run? { pytorch.filter(\.isTuned).max { $0.imagesPerSecond < $1.imagesPerSecond } }

    static func header(comparing: Bool) -> String {
        let base = "configuration".padding(toLength: 16, withPad: " ", startingAt: 0) + "  images/s  peak RSS MiB  new blocks/step"
        return comparing
            ? base + "  PyTorch images/s (layout)  RSS MiB  speed ratio  RSS ratio  tuned PyTorch images/s (layout)  ratio"
            : base
    }

    var line: String {
        var text = name.padding(toLength: 16, withPad: " ", startingAt: 0)
            + String(format: "  %8.1f  %12.0f  %15.1f", ours.imagesPerSecond, ours.peakRSSMiB, ours.freshAllocationsPerStep ?? .nan)
        func layout(_ run: PyTorchReference.Run) -> String {
            "(\(run.layout))".padding(toLength: 16, withPad: " ", startingAt: 0)
        }
        if let base = bestOutOfTheBox {
            text += String(format: "  %8.1f ", base.imagesPerSecond) + layout(base)
                + String(format: "  %7.0f  %10.2f×  %9.2f", base.peakRSSMiB, ours.imagesPerSecond / base.imagesPerSecond,
                         ours.peakRSSMiB / base.peakRSSMiB)
        }
        if let tuned = bestTuned {
            text += String(format: "  %13.1f ", tuned.imagesPerSecond) + layout(tuned)
                + String(format: "  %5.2f×", ours.imagesPerSecond / tuned.imagesPerSecond)
        }
        return text
    }

    var jsonObject: [String: Any] {
        var object: [String: Any] = ["images_per_s": ours.imagesPerSecond, "peak_rss_mib": ours.peakRSSMiB,
                                     "images_per_s_median": ours.imagesPerSecondMedian, "iterations": ours.iterations,
                                     "fresh_allocations_per_step": ours.freshAllocationsPerStep ?? 0]
        if let threads = ours.meanThreads { object["mean_threads"] = threads }
        if let base = bestOutOfTheBox {
            object["pytorch_images_per_s"] = base.imagesPerSecond
            object["pytorch_peak_rss_mib"] = base.peakRSSMiB
            object["pytorch_layout"] = base.layout
            object["speed_ratio"] = ours.imagesPerSecond / base.imagesPerSecond
        }
        if let tuned = bestTuned {
            object["pytorch_tuned_images_per_s"] = tuned.imagesPerSecond
            object["pytorch_tuned_layout"] = tuned.layout
            object["tuned_speed_ratio"] = ours.imagesPerSecond / tuned.imagesPerSecond
        }
        return object
    }
}
