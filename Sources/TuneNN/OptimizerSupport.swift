import TuneCore

/// A parameter to update and its gradient.
struct ParameterGradient {
    let parameter: Tensor
    let gradient: Tensor
}

/// What one optimizer step works from: the parameters with gradients, the clip factor and the rate.
struct StepInputs {
    let items: [ParameterGradient]
    /// Multiplies every gradient (1 unless clipping).
    let gradientScale: Float
    /// The effective learning rate of this step.
    let learningRate: Float
}

/// The bookkeeping every optimizer shares.
enum OptimizerSupport {
    /// Validates the shared settings and gathers the trainable parameters of `model` that have a gradient.
    static func prepare(optimizer: String, model: Layer, learningRate: Float, iteration: Int,
                        schedule: LearningRateSchedule?, clipGradientNorm: Float?) throws -> StepInputs {
        try require(learningRate.isFinite && learningRate >= 0, optimizer, "learningRate",
                    "must be finite and non-negative, got \(learningRate)")
        if let clipGradientNorm {
            try require(clipGradientNorm.isFinite && clipGradientNorm > 0, optimizer, "clipGradientNorm",
                        "must be finite and positive, got \(clipGradientNorm)")
        }
        var rate = learningRate
        if let schedule {
            if let problem = schedule.problem { throw OptimizerError.invalidSchedule(optimizer: optimizer, message: problem) }
            rate = schedule.rate(base: learningRate, step: iteration)
            guard rate.isFinite, rate >= 0 else {
                throw OptimizerError.invalidSchedule(optimizer: optimizer,
                                                     message: "rate \(rate) at step \(iteration) is not a finite non-negative number")
            }
        }
        var seen = Set<ObjectIdentifier>()
        var items: [ParameterGradient] = []
        for parameter in model.trainableParameters() where seen.insert(ObjectIdentifier(parameter)).inserted {
            guard let gradient = parameter.gradient else { continue }
            guard gradient.shape == parameter.shape else {
                throw OptimizerError.gradientShapeMismatch(optimizer: optimizer, parameter: parameter.shape, gradient: gradient.shape)
            }
            items.append(ParameterGradient(parameter: parameter, gradient: gradient))
        }
        var scale: Float = 1
        if let clipGradientNorm {
            let norm = globalNorm(items.map(\.gradient))
            guard norm.isFinite else { throw OptimizerError.nonFiniteGradientNorm(optimizer: optimizer) }
            if norm > Double(clipGradientNorm) { scale = Float(Double(clipGradientNorm) / norm) }
        }
        return StepInputs(items: items, gradientScale: scale, learningRate: rate)
    }

    /// The L2 norm of all elements of `tensors` together, accumulated in `Double`.
    static func globalNorm(_ tensors: [Tensor]) -> Double {
        var total: Double = 0
        for tensor in tensors {
            tensor.withUnsafeBufferPointer { values in
                for value in values { total += Double(value) * Double(value) }
            }
        }
        return total.squareRoot()
    }

    /// Throws ``OptimizerError/invalidHyperparameter(optimizer:name:message:)`` unless `condition` holds.
    static func require(_ condition: Bool, _ optimizer: String, _ name: String, _ message: @autoclosure () -> String) throws {
        guard condition else { throw OptimizerError.invalidHyperparameter(optimizer: optimizer, name: name, message: message()) }
    }
}

/// Per-parameter optimizer state keyed by the `ObjectIdentifier` of the parameter tensor.
///
/// Each entry also holds the tensor weakly, so state left by a freed tensor is never handed to a new tensor that
/// happens to reuse its address.
struct ParameterStates<State: AnyObject> {
    private struct Entry {
        weak var owner: Tensor?
        let state: State
    }

    private var entries: [ObjectIdentifier: Entry] = [:]
    /// Entries of freed tensors are dropped when the table reaches this size (then it doubles): amortized O(1).
    private var pruneThreshold = 64

    /// The state of `parameter`, created by `make` on first use.
    mutating func state(for parameter: Tensor, make: () -> State) -> State {
        let key = ObjectIdentifier(parameter)
        if let entry = entries[key], entry.owner === parameter { return entry.state }
        if entries.count >= pruneThreshold {
            entries = entries.filter { $0.value.owner != nil }
            pruneThreshold = max(64, 2 * entries.count)
        }
        let state = make()
        entries[key] = Entry(owner: parameter, state: state)
        return state
    }

    /// The state of `parameter` if it has one.
    func existingState(for parameter: Tensor) -> State? {
        guard let entry = entries[ObjectIdentifier(parameter)], entry.owner === parameter else { return nil }
        return entry.state
    }

    /// The number of entries, live or not yet pruned.
    var count: Int { entries.count }
}
