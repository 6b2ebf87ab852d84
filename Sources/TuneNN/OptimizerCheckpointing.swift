import TuneCore

/// An optimizer whose step count and per-parameter state can be saved and put back, so an interrupted run resumes
/// exactly where it stopped.
///
/// State is named by the dotted path of its parameter in `model` (`"adam.m.head.1.weight"`), never by tensor
/// identity, so it can be restored into a freshly built model with the same architecture.
public protocol CheckpointableOptimizer: Optimizer {
    /// The optimizer's state for the parameters of `model` that have any, as named tensors.
    func stateTensors(for model: Layer) throws -> [(name: String, tensor: Tensor)]
    /// Restores the step count and the per-parameter state saved by ``stateTensors(for:)`` into this optimizer.
    func restoreState(_ tensors: [String: Tensor], iterations: Int, for model: Layer) throws
}

extension Adam: CheckpointableOptimizer {
    public func stateTensors(for model: Layer) throws -> [(name: String, tensor: Tensor)] {
        var result: [(name: String, tensor: Tensor)] = []
        for (path, parameter) in model.namedParameters() {
            guard let state = moments.existingState(for: parameter) else { continue }
            result.append(("adam.m.\(path)", try Tensor(shape: parameter.shape, scalars: state.first)))
            result.append(("adam.v.\(path)", try Tensor(shape: parameter.shape, scalars: state.second)))
            result.append(("adam.steps.\(path)", try Tensor(shape: [1], scalars: [Float(state.steps)])))
        }
        return result
    }

    public func restoreState(_ tensors: [String: Tensor], iterations: Int, for model: Layer) throws {
        for (path, parameter) in model.namedParameters() {
            guard let first = tensors["adam.m.\(path)"] else { continue }
            guard let second = tensors["adam.v.\(path)"], let steps = tensors["adam.steps.\(path)"] else {
                throw OptimizerError.invalidState(optimizer: "Adam", message: "incomplete state for \(path)")
            }
            guard first.shape == parameter.shape, second.shape == parameter.shape, steps.elementCount == 1 else {
                throw OptimizerError.invalidState(optimizer: "Adam",
                                                  message: "state for \(path) has shape \(first.shape), the parameter \(parameter.shape)")
            }
            let state = moments.state(for: parameter) { AdamMoments(count: parameter.elementCount) }
            state.first = first.scalars
            state.second = second.scalars
            state.steps = Int(try steps.scalar())
        }
        self.iterations = iterations
    }
}

extension SGD: CheckpointableOptimizer {
    public func stateTensors(for model: Layer) throws -> [(name: String, tensor: Tensor)] {
        try model.namedParameters().compactMap { path, parameter in
            guard let velocity = velocities.existingState(for: parameter), velocity.isInitialized else { return nil }
            return ("sgd.velocity.\(path)", try Tensor(shape: parameter.shape, scalars: velocity.values))
        }
    }

    public func restoreState(_ tensors: [String: Tensor], iterations: Int, for model: Layer) throws {
        for (path, parameter) in model.namedParameters() {
            guard let saved = tensors["sgd.velocity.\(path)"] else { continue }
            guard saved.shape == parameter.shape else {
                throw OptimizerError.invalidState(optimizer: "SGD",
                                                  message: "state for \(path) has shape \(saved.shape), the parameter \(parameter.shape)")
            }
            let velocity = velocities.state(for: parameter) { ParameterBuffer(count: parameter.elementCount) }
            velocity.values = saved.scalars
            velocity.isInitialized = true
        }
        self.iterations = iterations
    }
}
