import TuneCore

/// Batch normalization over the channel axis of `[N, C, H, W]` or `[N, C]` input, with PyTorch's parameter names:
/// `weight` (γ, ones) and `bias` (β, zeros), buffers `running_mean` (zeros) and `running_var` (ones). Without a scale
/// (Keras's `BatchNormalization(scale=False)`) there is no `weight`: the normalized values are only shifted by β.
///
/// Mode rule (Keras): the layer normalizes with batch statistics and updates its running statistics only when
/// `context.isTraining && isTrainable`. Otherwise it runs in inference mode with the running statistics, so a
/// frozen BatchNorm stays in inference mode while the rest of the model trains.
///
/// Running statistics follow PyTorch: `running = (1 − momentum)·running + momentum·batch`, and `running_var`
/// folds in the unbiased batch variance (`n / (n − 1)` times the biased one, n = N·H·W).
public final class BatchNorm: Layer {
    /// The number of channels, once known.
    public private(set) var channels: Int?
    /// Added to the variance before the square root.
    public let epsilon: Float
    /// The weight of the new batch statistics in the running averages (PyTorch's convention).
    public let momentum: Float
    /// Whether the layer has γ (Keras's `scale`); without it γ is 1 and not a parameter.
    public let hasScale: Bool
    /// γ, `[C]`, once built; `nil` without a scale.
    public private(set) var weight: Tensor?
    /// The constant γ = 1 used without a scale (not a parameter).
    private var unitScale: Tensor?
    /// β, `[C]`, once built.
    public private(set) var bias: Tensor?
    /// The running mean, `[C]`, once built.
    public private(set) var runningMean: Tensor?
    /// The running (unbiased) variance, `[C]`, once built.
    public private(set) var runningVariance: Tensor?

    /// - Parameter channels: give it to create the parameters now; otherwise they are created on first use.
    /// - Parameter scale: whether to learn γ (`false`: Keras's `scale=False`, no `weight` parameter).
    public init(channels: Int? = nil, epsilon: Float = 1e-3, momentum: Float = 0.1, scale: Bool = true) {
        self.epsilon = epsilon
        self.momentum = momentum
        hasScale = scale
        super.init(kind: "BatchNorm")
        if let channels {
            createParameters(channels)
            markBuilt()
        }
    }

    public override func build(inputShape: Shape) throws {
        guard inputShape.rank == 4 || inputShape.rank == 2 else {
            throw LayerError.shapeMismatch(layer: kind, expected: "[N, C, H, W] or [N, C]", got: inputShape)
        }
        createParameters(inputShape[1])
    }

    private func createParameters(_ channels: Int) {
        self.channels = channels
        let weight = Tensor(repeating: 1, shape: [channels])
        let bias = Tensor(zeros: [channels])
        let runningMean = Tensor(zeros: [channels])
        let runningVariance = Tensor(repeating: 1, shape: [channels])
        if hasScale {
            registerParameter("weight", weight)
            self.weight = weight
        } else {
            unitScale = weight
        }
        registerParameter("bias", bias)
        registerBuffer("running_mean", runningMean)
        registerBuffer("running_var", runningVariance)
        self.bias = bias
        self.runningMean = runningMean
        self.runningVariance = runningVariance
    }

    /// γ as the normalization applies it: ``weight``, or the constant ones without a scale; `nil` until built.
    public var effectiveScale: Tensor? { hasScale ? weight : unitScale }

    /// When `true`, the layer always normalizes with its running statistics, even in training mode while γ and β
    /// train — Keras's `base(x, training=False)` in its fine-tuning guide. Default `false`.
    public var usesRunningStatistics = false

    /// Whether a forward pass in `context` uses batch statistics (and updates the running ones).
    public func usesBatchStatistics(in context: ForwardContext) -> Bool {
        context.isTraining && isTrainable && !usesRunningStatistics
    }

    public override func forward(_ input: Tensor, context: ForwardContext) throws -> Tensor {
        try normalize(input, activation: nil, context: context)
    }

    /// `activation(self(input))` as one fused op: in training only the activated output is kept for backward.
    public func callAsFunction(_ input: Tensor, activation: Tensor.Activation?, context: ForwardContext) throws -> Tensor {
        guard effectiveScale != nil else {
            let output = try self(input, context: context)
            return try activation.map { try output.activated($0) } ?? output
        }
        return try normalize(input, activation: activation, context: context)
    }

    private func normalize(_ input: Tensor, activation: Tensor.Activation?, context: ForwardContext) throws -> Tensor {
        guard let weight = effectiveScale, let bias, let runningMean, let runningVariance, let channels else {
            throw LayerError.notBuilt(layer: kind)
        }
        guard epsilon > 0, epsilon.isFinite else {
            throw LayerError.invalidConfiguration(layer: kind, message: "epsilon \(epsilon) must be positive")
        }
        guard momentum >= 0, momentum <= 1 else {
            throw LayerError.invalidConfiguration(layer: kind, message: "momentum \(momentum) must be in [0, 1]")
        }
        let shape = input.shape
        guard shape.rank == 4 || shape.rank == 2, shape[1] == channels else {
            let expected = shape.rank == 2 ? "[N, \(channels)]" : "[N, \(channels), H, W]"
            throw LayerError.shapeMismatch(layer: kind, expected: expected, got: shape)
        }
        guard usesBatchStatistics(in: context) else {
            return try Tensor.batchNormInference(input, scale: weight, shift: bias, mean: runningMean,
                                                 variance: runningVariance, epsilon: epsilon, activation: activation)
        }
        // In lanes (``LaneContext``) the input is a slice; the statistics are the whole batch's.
        let lane = LaneContext.current
        let valuesPerChannel = shape.elementCount / max(channels, 1) / max(shape[0], 1) * (lane?.group.batchSize ?? shape[0])
        guard valuesPerChannel > 1 else {
            throw LayerError.shapeMismatch(layer: kind, expected: "more than one value per channel in training mode",
                                           got: shape)
        }
        let (output, batchMean, batchVariance) = try Tensor.batchNormTraining(input, scale: weight, shift: bias,
                                                                               epsilon: epsilon, activation: activation)
        // Every lane holds the same whole-batch statistics; the first one folds them into the running ones, once.
        guard lane.map({ $0.lane == 0 }) ?? true else { return output }
        let correction = Float(valuesPerChannel) / Float(valuesPerChannel - 1)
        let keep = 1 - momentum
        let rate = momentum
        // Plain in-place arithmetic on buffers: nothing is recorded on the tape.
        batchMean.withUnsafeBufferPointer { mean in
            runningMean.withUnsafeMutableBufferPointer { running in
                for c in running.indices { running[c] = keep * running[c] + rate * mean[c] }
            }
        }
        batchVariance.withUnsafeBufferPointer { variance in
            runningVariance.withUnsafeMutableBufferPointer { running in
                for c in running.indices { running[c] = keep * running[c] + rate * variance[c] * correction }
            }
        }
        return output
    }
}
