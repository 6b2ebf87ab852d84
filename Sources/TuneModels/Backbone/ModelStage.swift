import TuneCore
import TuneNN

/// One step of a model that runs as a chain of steps (the stem, each block, the head …), so a caller can run any
/// contiguous range of them — for instance to compute a frozen prefix once and train only the rest.
public struct ModelStage {
    /// A short name for messages (`stem`, `block 3`, `head.2`).
    public let name: String
    /// The layers the stage runs, whose parameters and modes decide whether it is frozen.
    public let layers: [Layer]
    private let body: (Tensor, ForwardContext) throws -> Tensor

    /// A stage named `name` that runs `body` using `layers`.
    public init(name: String, layers: [Layer], body: @escaping (Tensor, ForwardContext) throws -> Tensor) {
        self.name = name
        self.layers = layers
        self.body = body
    }

    /// A stage running one layer.
    public init(name: String, layer: Layer) {
        self.init(name: name, layers: [layer]) { try layer($0, context: $1) }
    }

    /// Runs the stage.
    public func callAsFunction(_ input: Tensor, context: ForwardContext) throws -> Tensor {
        try body(input, context)
    }

    /// Whether, in `context`, the stage maps each sample on its own and records nothing for autodiff
    /// (``Layer/isSamplewiseWithoutGradient(in:)`` for each of its layers).
    public func isSamplewiseWithoutGradient(in context: ForwardContext) -> Bool {
        layers.allSatisfy { $0.isSamplewiseWithoutGradient(in: context) }
    }

    /// Whether, in training mode, the stage's output depends only on its input: no trainable parameter, no dropout
    /// (with a positive rate) and no BatchNorm using batch statistics anywhere inside.
    public var isFrozenAndDeterministic: Bool {
        let training = ForwardContext(isTraining: true)
        return layers.allSatisfy { $0.trainableParameters().isEmpty && !$0.mixesSamples(in: training) }
    }
}

extension Array where Element == ModelStage {
    /// Runs the stages in `range` one after another. The leading ones that map each sample on its own and need no
    /// gradient (a frozen prefix, or all of them in inference) run as slices of the batch, one per lane
    /// (``BatchLanes``); the rest run on the whole batch.
    public func run(_ input: Tensor, range: Range<Int>, context: ForwardContext) throws -> Tensor {
        // Lanes run only while other processes keep the cores busy (``ComputeThreads/laneCount``); ask that first.
        let lanesEnd = ComputeThreads.laneCount > 1 ? endOfSamplewisePrefix(range, input: input, context: context)
                                                    : range.lowerBound
        var x = input
        if lanesEnd > range.lowerBound {
            let prefix = self[range.lowerBound..<lanesEnd]
            x = try BatchLanes.map(x) { slice in try prefix.reduce(slice) { try $1($0, context: context) } }
        }
        return try self[lanesEnd..<range.upperBound].reduce(x) { try $1($0, context: context) }
    }

    /// Where the leading stages of `range` that can run in lanes end: those that map each sample on its own and
    /// record nothing for autodiff (none, when `input` itself is being differentiated).
    func endOfSamplewisePrefix(_ range: Range<Int>, input: Tensor, context: ForwardContext) -> Int {
        if input.requiresGradient && GradientMode.isRecording { return range.lowerBound }
        return self[range].firstIndex { !$0.isSamplewiseWithoutGradient(in: context) } ?? range.upperBound
    }

    /// The number of leading stages that are frozen and deterministic: the prefix whose output can be cached.
    public var frozenPrefixCount: Int {
        firstIndex { !$0.isFrozenAndDeterministic } ?? count
    }
}
