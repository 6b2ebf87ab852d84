import Foundation
import TuneCore
import TuneData
import TuneModels
import TuneNN

/// Images per second of a model (EfficientNet-Lite0 by default) in the workloads of fine-tuning, defined as PyTorch's
/// reference benchmarks define them (batch 32, float32, random input from a fixed seed, dropout off):
///
/// - `inference`: the whole ImageNet model in inference mode, no tape;
/// - `frozen_base`: the base in inference mode without a tape → pooled features → a new dense head (10 classes),
///   cross-entropy, backward, Adam step;
/// - `last2`: blocks 14–15, the head convolution and its BatchNorm (batch statistics) and a new dense head train;
///   the rest is frozen (BatchNorm in inference mode);
/// - `full`: everything trains, BatchNorm on batch statistics.
///
/// A timed step is one forward pass (plus loss, backward and optimizer step when training). After `warmup`
/// untimed steps it runs at least `minimumIterations` steps and `minimumSeconds` seconds (at most
/// `maximumIterations`); images/s uses the fastest step, as the reference does.
public struct ThroughputBenchmark: Sendable {
    /// The workload.
    public enum Mode: String, Sendable, CaseIterable {
        case inference
        case frozenBase = "frozen_base"
        case last2
        case full
    }

    /// One configuration, named like the reference's `results.json` keys (`full_224`).
    public struct Configuration: Sendable, Hashable {
        public var mode: Mode
        public var resolution: Int
        public init(mode: Mode, resolution: Int) {
            self.mode = mode
            self.resolution = resolution
        }
        public var name: String { "\(mode.rawValue)_\(resolution)" }

        /// The rows `finetune bench` measures: each mode at 224², 96² and 64².
        public static let standard: [Configuration] = [224, 96, 64].flatMap { resolution in
            Mode.allCases.map { Configuration(mode: $0, resolution: resolution) }
        }

        /// Parses `full_224`.
        public init(name: String) throws {
            guard let separator = name.lastIndex(of: "_"), let resolution = Int(name[name.index(after: separator)...]),
                  let mode = Mode(rawValue: String(name[..<separator])), resolution >= 32 else {
                throw FineTuneError.invalidOption(name: "only", message: "unknown configuration \"\(name)\" (e.g. inference_224, full_96)")
            }
            self.init(mode: mode, resolution: resolution)
        }
    }

    /// What one configuration measured.
    public struct Result: Sendable, Codable, Equatable {
        public var iterations: Int
        public var bestSeconds: Double
        public var medianSeconds: Double
        public var imagesPerSecond: Double
        public var imagesPerSecondMedian: Double
        /// The process's peak resident set size (meaningful when the process ran this configuration alone).
        public var peakRSSMiB: Double
        /// Large buffers taken fresh from the OS per timed step (0 once the buffer pool serves every step).
        public var freshAllocationsPerStep: Double?
        /// The compute team's time-weighted mean size over the timed steps (``ComputeThreads/usage``).
        public var meanThreads: Double?
        /// The share of the timed steps' wall time spent in lanes (``ComputeThreads/inLanes(_:_:)``).
        public var laneShare: Double?
    }

    /// The registry name of the model timed.
    public var model = "efficientnet-lite0"
    /// Its weights; `nil` means the ImageNet weights when they are installed, else random weights (speed does not
    /// depend on the values; see ``defaultWeights``).
    public var weights: WeightsSource?
    public var batchSize = 32
    public var warmup = 2
    public var minimumIterations = 5
    public var minimumSeconds = 10.0
    public var maximumIterations = 40

    public init() {}

    /// Builds the configuration's model with ``weights`` and times it.
    public func run(_ configuration: Configuration) throws -> Result {
        ComputeThreads.flushDenormalsOnCurrentThread()
        let step = try makeStep(configuration)
        for _ in 0..<warmup { try step() }
        var times: [Double] = []
        let allocationsBefore = TensorMemory.freshLargeAllocations
        ComputeThreads.resetUsage()
        let start = Date()
        while times.count < maximumIterations {
            let begin = Date()
            try step()
            times.append(Date().timeIntervalSince(begin))
            if times.count >= minimumIterations && Date().timeIntervalSince(start) >= minimumSeconds { break }
        }
        times.sort()
        let best = times[0], median = times[times.count / 2]
        return Result(iterations: times.count, bestSeconds: best, medianSeconds: median,
                      imagesPerSecond: Double(batchSize) / best, imagesPerSecondMedian: Double(batchSize) / median,
                      peakRSSMiB: Self.peakRSSMiB(),
                      freshAllocationsPerStep: Double(TensorMemory.freshLargeAllocations - allocationsBefore) / Double(times.count),
                      meanThreads: ComputeThreads.usage.meanThreads, laneShare: ComputeThreads.usage.laneShare)
    }

    /// What a benchmark without `weights` uses for `entry`: its installed ImageNet weights, or random ones.
    public static func defaultWeights(for entry: ModelEntry) -> WeightsSource {
        (try? WeightCache().installedPath(for: entry, includeTop: true)) == nil ? .none : .imagenet
    }

    /// One step of the configuration's workload.
    private func makeStep(_ configuration: Configuration) throws -> () throws -> Void {
        var generator = SeededGenerator(seed: 0)
        let side = configuration.resolution
        let input = Tensor.normal([batchSize, 3, side, side], generator: &generator)
        let labels = try Tensor(shape: [batchSize], scalars: (0..<batchSize).map { _ in Float(generator.next() % 10) })
        let entry = try ModelRegistry.entry(named: model)
        let source = weights ?? Self.defaultWeights(for: entry)
        if configuration.mode == .inference {
            let model = try entry.build(weights: source, includeTop: true)
            return { _ = try withoutGradient { try model(input, context: .inference) } }
        }
        let base = try entry.build(weights: source, includeTop: false)
        let channels = base.featureShape(height: side, width: side)[0]
        let model = Sequential([base, GlobalAveragePool2D(), Dense(10, inFeatures: channels)])
        switch configuration.mode {
        case .inference, .full:
            base.isTrainable = true
        case .frozenBase:
            base.isTrainable = false
        case .last2:
            base.isTrainable = false
            base.blocks.suffix(2).forEach { $0.isTrainable = true }
            base.layersAfterBlocks.forEach { $0.isTrainable = true }
        }
        let trainer = Trainer(model: model, optimizer: Adam(learningRate: 1e-3),
                              loss: .sparseCategoricalCrossEntropy(fromLogits: true), metrics: [])
        let batch = try Batch(inputs: input, targets: labels)
        return { _ = try trainer.trainStep(batch) }
    }

    /// `getrusage`'s maximum resident set size of this process, in MiB.
    public static func peakRSSMiB() -> Double {
        var usage = rusage()
        guard getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage) == 0 else { return 0 }
        return Double(usage.ru_maxrss) / 1024
    }
}
