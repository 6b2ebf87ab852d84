import Foundation

/// Batch normalization on oneDNN primitives, in training mode (batch statistics) and inference mode (given
/// statistics).
extension Tensor {
    /// Normalizes `x` (`[N, C, H, W]` or `[N, C]`) with its own batch statistics, then scales and shifts per channel,
    /// then applies `activation` if given.
    ///
    /// Returns the output and the batch mean and biased variance (`[C]`), which the caller folds into running
    /// statistics. Gradients flow to `x`, `scale` and `shift`.
    ///
    /// With an activation (ReLU, ReLU6, sigmoid, tanh) the normalized values are activated in place and only the
    /// output is kept for backward, whose rule reads the output: one activation-sized tensor per layer less than
    /// batch norm followed by a separate activation op.
    ///
    /// Inside a lane (``LaneContext/current``) `x` is one slice of the batch: the statistics, and the gradient through
    /// them, are those of the whole batch, combined with the other lanes' (see `Ops+BatchNormLanes.swift`).
    ///
    /// The batch statistics are computed here in Double, two-pass; oneDNN then normalizes with them (forward) and
    /// differentiates through them (backward). oneDNN 2.6's own Float statistics over the 25 088 values per
    /// channel of an early EfficientNet layer (batch 2 at 112²) were ~1e-5 off in mean and variance; amplified
    /// through the blocks that follow, that was the dominant float32 error of a Lite0 training step.
    public static func batchNormTraining(_ x: Tensor, scale: Tensor, shift: Tensor, epsilon: Float,
                                         activation: Activation? = nil) throws -> (output: Tensor, mean: Tensor, variance: Tensor) {
        let op = "batchNormTraining"
        try validateBatchNorm(x, perChannel: [scale, shift], op: op, epsilon: epsilon)
        let plan = try BatchNormPlan(x, epsilon: epsilon)
        if let lane = LaneContext.current, lane.group.sliceSizes.count > 1 {
            let (mean, variance) = try batchStatistics(x, across: lane)
            let output = try plan.normalized(x, scale: scale, shift: shift, mean: mean, variance: variance,
                                             through: .lanes(lane), activation: activation, op: op)
            return (output, mean, variance)
        }
        let (mean, variance) = batchStatistics(x)
        let output = try plan.normalized(x, scale: scale, shift: shift, mean: mean, variance: variance,
                                         through: .batch, activation: activation, op: op)
        return (output, mean, variance)
    }

    /// Normalizes `x` with fixed `mean` and `variance` (inference mode, or a frozen layer), then applies `activation`
    /// if given (fused as in ``batchNormTraining(_:scale:shift:epsilon:activation:)``).
    public static func batchNormInference(_ x: Tensor, scale: Tensor, shift: Tensor, mean: Tensor, variance: Tensor,
                                          epsilon: Float, activation: Activation? = nil) throws -> Tensor {
        let op = "batchNormInference"
        try validateBatchNorm(x, perChannel: [scale, shift, mean, variance], op: op, epsilon: epsilon)
        let plan = try BatchNormPlan(x, epsilon: epsilon)
        return try plan.normalized(x, scale: scale, shift: shift, mean: mean, variance: variance,
                                   through: .fixed, activation: activation, op: op)
    }

    /// Per-channel batch mean and biased variance of `[N, C, …]`, in Double (two passes), stored as Float.
    static func batchStatistics(_ x: Tensor) -> (mean: Tensor, variance: Tensor) {
        if !x.hasPlainStorage, let native = x.native, let block = native.layout.channelBlock {
            return BlockedBatchStatistics.compute(native.storage.pointer, shape: x.shape, block: block)
        }
        let count = x.shape[0], channels = x.shape[1]
        let spatial = x.elementCount / max(count * channels, 1)
        let values = Double(count * spatial)
        let mean = Tensor.uninitialized([channels]), variance = Tensor.uninitialized([channels])
        let xp = x.storage.pointer, meanP = mean.storage.pointer, varianceP = variance.storage.pointer
        forEachChannel(channels, work: x.elementCount) { c in
            var sum = 0.0
            for b in 0..<count { sum += DoubleReduction.sum(xp + (b * channels + c) * spatial, count: spatial) }
            let channelMean = sum / values
            var squares = 0.0
            for b in 0..<count {
                squares += DoubleReduction.squaredDeviations(xp + (b * channels + c) * spatial, count: spatial, from: channelMean)
            }
            meanP[c] = Float(channelMean)
            varianceP[c] = Float(squares / values)
        }
        return (mean, variance)
    }

    /// Runs `body` for every channel, spread over the compute threads when the tensor is large enough to pay for it.
    /// Each channel must read its own slices and write disjoint elements.
    static func forEachChannel(_ channels: Int, work: Int, _ body: (Int) -> Void) {
        guard work >= 1 << 15 else {
            for c in 0..<channels { body(c) }
            return
        }
        ComputeThreads.parallelFor(channels, body)
    }

    private static func validateBatchNorm(_ x: Tensor, perChannel: [Tensor], op: String, epsilon: Float) throws {
        guard x.shape.rank == 4 || x.shape.rank == 2 else {
            throw TensorError.shapeMismatch(op: op, shapes: [x.shape], message: "expected [N, C, H, W] or [N, C]")
        }
        let channels = x.shape[1]
        for tensor in perChannel where tensor.shape != [channels] {
            throw TensorError.shapeMismatch(op: op, shapes: [x.shape, tensor.shape], message: "per-channel tensors must be [\(channels)]")
        }
        guard x.shape[0] > 0 else { throw TensorError.emptyBatch(op: op) }
        guard epsilon > 0 else { throw TensorError.invalidArgument(op: op, message: "epsilon must be positive") }
    }
}

/// The cached oneDNN primitives of one batch-norm shape: forward with given statistics, and backward either through
/// the statistics (training mode) or with them held fixed (inference mode).
struct BatchNormPlan {
    let context: DNNLContext
    /// The layout the primitives run in: the input's native layout, or plain.
    let data: MemoryDescriptor
    /// Row-major `[N, C, H, W]`.
    let plain: MemoryDescriptor
    let channel: MemoryDescriptor
    let key: String
    let epsilon: Float
    let channels: Int

    /// Plans for `x`'s shape, in the layout `x` holds when it is a 4-D oneDNN layout.
    init(_ x: Tensor, epsilon: Float) throws {
        let shape = x.shape
        channels = shape[1]
        let dims = shape.rank == 4 ? shape.dimensions : [shape[0], shape[1], 1, 1]
        context = try DNNLContext.shared()
        plain = try .plain(dims)
        let layout = x.nativeLayout.flatMap { $0.descriptor.dimensions == dims ? $0 : nil }
        data = layout?.descriptor ?? plain
        channel = try .plain([channels])
        key = "bnorm\(dims)e\(epsilon)\(layout?.key ?? "")"
        self.epsilon = epsilon
    }

    /// A forward primitive descriptor; with `givenStatistics` it normalizes with the mean and variance passed in.
    private func forward(givenStatistics: Bool) throws -> DNNLPrimitive {
        return try context.primitive("\(key)|fwd|given\(givenStatistics)") {
            let statistics: [DNNLArgument] = givenStatistics
                ? [.input(.mean, channel), .input(.variance, channel)]
                : [.output(.mean, channel), .output(.variance, channel)]
            return try .batchNormForward(data: data, epsilon: epsilon, givenStatistics: givenStatistics, arguments: [
                .input(.source, plain), .output(.destination, plain), .input(.scale, channel), .input(.shift, channel),
            ] + statistics, context: context)
        }
    }

    /// `scale · (x − mean) / √(variance + ε) + shift`.
    func normalize(_ x: Tensor, scale: Tensor, shift: Tensor, mean: Tensor, variance: Tensor) throws -> Tensor {
        let forward = try forward(givenStatistics: true)
        let output = forward.output(.destination, shape: x.shape)
        try forward.execute(operands: [
            .source: .tensor(x), .destination: .tensor(output), .scale: .tensor(scale),
            .shift: .tensor(shift), .mean: .tensor(mean), .variance: .tensor(variance),
        ], context: context)
        return output
    }

    /// What the statistics a batch norm normalized with depend on, which decides its backward.
    enum Statistics {
        /// Given (running statistics): held fixed.
        case fixed
        /// The batch's own: differentiated through.
        case batch
        /// The whole batch's, of which this lane holds a slice: differentiated through, with the other lanes.
        case lanes(LaneContext)
    }

    /// The normalized (and activated) output, recorded for autodiff.
    func normalized(_ x: Tensor, scale: Tensor, shift: Tensor, mean: Tensor, variance: Tensor, through statistics: Statistics,
                    activation: Tensor.Activation?, op: String) throws -> Tensor {
        let output = try normalize(x, scale: scale, shift: shift, mean: mean, variance: variance)
        let backward = { (gradient: Tensor) -> [Tensor?] in
            switch statistics {
            case .fixed:
                return try self.backward(gradient, x: x, scale: scale, shift: shift, mean: mean, variance: variance,
                                         throughStatistics: false)
            case .batch:
                return try self.backward(gradient, x: x, scale: scale, shift: shift, mean: mean, variance: variance,
                                         throughStatistics: true)
            case .lanes(let lane):
                return try self.backwardAcrossLanes(gradient, x: x, scale: scale, shift: shift, mean: mean,
                                                    variance: variance, lane: lane)
            }
        }
        guard let activation else { return Tensor.record(output, op: op, inputs: [x, scale, shift], backward: backward) }
        guard let activationBackward = try output.activateInPlace(activation) else {
            return try Tensor.record(output, op: op, inputs: [x, scale, shift], backward: backward).activated(activation)
        }
        // The backward needs the output's values, not the tensor (which would own its own closure: a cycle).
        let values = output.detached()
        return Tensor.record(output, op: "\(op)+\(activation.rawValue)", inputs: [x, scale, shift]) { gradient in
            try backward(activationBackward(gradient, values))
        }
    }

    /// Gradients for `x`, `scale` and `shift`; `throughStatistics` differentiates the batch mean and variance too.
    func backward(_ gradient: Tensor, x: Tensor, scale: Tensor, shift: Tensor, mean: Tensor, variance: Tensor,
                  throughStatistics: Bool) throws -> [Tensor?] {
        let hint = try forward(givenStatistics: !throughStatistics)
        let backward = try context.primitive("\(key)|bwd|through\(throughStatistics)") {
            // oneDNN 2.6 counts SHIFT as a backward input whenever it uses a shift (it is not read),
            // and rejects the execution with `invalid_arguments` if it is not bound.
            return try .batchNormBackward(data: data, epsilon: epsilon, givenStatistics: !throughStatistics, hint: hint,
                                          arguments: [
                .input(.source, plain), .input(.diffDestination, plain), .input(.scale, channel),
                .input(.shift, channel), .input(.mean, channel), .input(.variance, channel),
                .output(.diffSource, plain), .output(.diffScale, channel),
                .output(.diffShift, channel),
            ], context: context)
        }
        let gx = backward.output(.diffSource, shape: x.shape)
        let gScale = Tensor.uninitialized([channels]), gShift = Tensor.uninitialized([channels])
        try backward.execute(operands: [
            .source: .tensor(x), .diffDestination: .tensor(gradient), .scale: .tensor(scale),
            .shift: .tensor(shift), .mean: .tensor(mean), .variance: .tensor(variance),
            .diffSource: .tensor(gx), .diffScale: .tensor(gScale), .diffShift: .tensor(gShift),
        ], context: context)
        return [gx, gScale, gShift]
    }
}
