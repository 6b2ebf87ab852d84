import Foundation
import Testing
import TuneCore
@testable import TuneNN

/// One parameter `w = [1, −2]` in a holder layer.
func makeHolder() throws -> (ParameterHolder, Tensor) {
    let parameter = try tensor([2], [1, -2])
    return (ParameterHolder([("w", parameter)]), parameter)
}

/// Takes `steps` steps with gradient `w` (from ½‖w‖²) and returns the parameter after each.
func trajectoryWithGradientEqualToParameter(_ optimizer: Optimizer, steps: Int = 2) throws -> [[Float]] {
    let (model, parameter) = try makeHolder()
    return try (0..<steps).map { _ in
        try backpropagateHalfSquaredNorm(model)
        try optimizer.step(model)
        return parameter.scalars
    }
}

/// Takes `steps` steps with the constant gradient `[0.5, −1]`.
func trajectoryWithConstantGradient(_ optimizer: Optimizer, steps: Int = 2) throws -> [[Float]] {
    let (model, parameter) = try makeHolder()
    return try (0..<steps).map { _ in
        try backpropagateConstantGradient(parameter, [0.5, -1])
        try optimizer.step(model)
        return parameter.scalars
    }
}

@Suite("SGD")
struct SGDTests {
    @Test("plain SGD subtracts lr · gradient")
    func plain() throws {
        let steps = try trajectoryWithConstantGradient(SGD(learningRate: 0.1))
        expectClose(steps[0], [0.95, -1.9])
        expectClose(steps[1], [0.9, -1.8])
    }

    @Test("momentum seeds the buffer with the first gradient, as PyTorch does")
    func momentum() throws {
        let steps = try trajectoryWithGradientEqualToParameter(SGD(learningRate: 0.1, momentum: 0.9))
        expectClose(steps[0], [0.9, -1.8])
        expectClose(steps[1], [0.72, -1.44])
    }

    @Test("Nesterov momentum steps along gradient + momentum · buffer")
    func nesterov() throws {
        let steps = try trajectoryWithGradientEqualToParameter(SGD(learningRate: 0.1, momentum: 0.9, nesterov: true))
        expectClose(steps[0], [0.81, -1.62])
        expectClose(steps[1], [0.5751, -1.1502])
    }

    @Test("weight decay adds weightDecay · w to the gradient")
    func weightDecay() throws {
        let steps = try trajectoryWithConstantGradient(SGD(learningRate: 0.1, weightDecay: 0.1))
        expectClose(steps[0], [0.94, -1.88])
        expectClose(steps[1], [0.8806, -1.7612])
    }

    @Test("parameters without a gradient are skipped and a shared parameter is updated once")
    func skipsAndDeduplicates() throws {
        let shared = try tensor([1], [1]), idle = try tensor([1], [5])
        let model = Sequential([ParameterHolder([("w", shared)]), ParameterHolder([("w", shared), ("idle", idle)])])
        #expect(model.trainableParameters().count == 3)
        try backpropagateConstantGradient(shared, [1])
        let optimizer = SGD(learningRate: 0.5)
        try optimizer.step(model)
        #expect(shared.scalars == [0.5])
        #expect(idle.scalars == [5])
        #expect(optimizer.iterations == 1)
    }

    @Test("invalid hyperparameters are reported and leave the parameters untouched")
    func invalidHyperparameters() throws {
        let (model, parameter) = try makeHolder()
        try backpropagateConstantGradient(parameter, [1, 1])
        let optimizer = SGD(learningRate: 0.1, nesterov: true)
        let error = #expect(throws: OptimizerError.self) { try optimizer.step(model) }
        #expect(error == .invalidHyperparameter(optimizer: "SGD", name: "nesterov", message: "Nesterov momentum needs momentum > 0"))
        #expect(error?.description == "SGD: nesterov: Nesterov momentum needs momentum > 0")
        #expect(parameter.scalars == [1, -2] && optimizer.iterations == 0)
        optimizer.nesterov = false
        optimizer.learningRate = -1
        #expect(throws: OptimizerError.invalidHyperparameter(optimizer: "SGD", name: "learningRate",
                                                             message: "must be finite and non-negative, got -1.0")) {
            try optimizer.step(model)
        }
    }

    @Test("changing the base learning rate takes effect at the next step")
    func settableLearningRate() throws {
        let (model, parameter) = try makeHolder()
        let optimizer = SGD(learningRate: 1)
        try backpropagateConstantGradient(parameter, [1, 1])
        try optimizer.step(model)
        optimizer.learningRate = 0.25
        try optimizer.step(model)
        expectClose(parameter.scalars, [-0.25, -3.25])
    }
}

@Suite("Adam")
struct AdamTests {
    @Test("the first two bias-corrected steps match hand computation")
    func firstTwoSteps() throws {
        let optimizer = Adam(learningRate: 0.1)
        #expect(optimizer.beta1 == 0.9 && optimizer.beta2 == 0.999 && optimizer.epsilon == 1e-7 && optimizer.weightDecay == 0)
        let steps = try trajectoryWithGradientEqualToParameter(optimizer)
        // Step 1: m̂ = g, v̂ = g², so each weight moves by lr in the gradient's direction.
        expectClose(steps[0], [0.9, -1.9], tolerance: 1e-6)
        // Step 2: m = [0.18, −0.37], v = [0.001809, 0.007606], corrections 0.19 and 0.001999.
        expectClose(steps[1], [0.80041225, -1.8001665], tolerance: 1e-6)
        #expect(optimizer.iterations == 2)
    }

    @Test("coupled weight decay adds weightDecay · w to the gradient before the moments")
    func coupledWeightDecay() throws {
        let steps = try trajectoryWithConstantGradient(Adam(learningRate: 0.1, weightDecay: 0.1))
        expectClose(steps[0], [0.9, -1.9], tolerance: 1e-6)
        expectClose(steps[1], [0.80004737, -1.8000227], tolerance: 1e-6)
    }

    @Test("invalid betas are reported naming the optimizer")
    func invalidBeta() throws {
        let (model, _) = try makeHolder()
        #expect(throws: OptimizerError.invalidHyperparameter(optimizer: "Adam", name: "beta1", message: "must be in [0, 1), got 1.0")) {
            try Adam(beta1: 1).step(model)
        }
    }
}

@Suite("AdamW")
struct AdamWTests {
    @Test("decoupled weight decay shrinks the weights by lr · weightDecay before the Adam step")
    func firstTwoSteps() throws {
        #expect(AdamW().weightDecay == 0.01 && AdamW().learningRate == 1e-3)
        let steps = try trajectoryWithGradientEqualToParameter(AdamW(learningRate: 0.1, weightDecay: 0.1))
        expectClose(steps[0], [0.89, -1.88], tolerance: 1e-6)
        expectClose(steps[1], [0.78157188, -1.761409], tolerance: 1e-6)
    }

    @Test("a layer unfrozen later starts its own bias correction")
    func perParameterStepCount() throws {
        let early = try tensor([1], [1]), late = try tensor([1], [1])
        let earlyHolder = ParameterHolder([("w", early)]), lateHolder = ParameterHolder([("w", late)])
        let model = Sequential([earlyHolder, lateHolder])
        lateHolder.isTrainable = false
        let optimizer = AdamW(learningRate: 0.1, weightDecay: 0)
        for _ in 0..<5 {
            try backpropagateConstantGradient(early, [1])
            try optimizer.step(model)
        }
        lateHolder.isTrainable = true
        try backpropagateConstantGradient(late, [1])
        try optimizer.step(model)
        // Its first update is a full lr step, as for a fresh optimizer.
        expectClose(late.scalars, [0.9], tolerance: 1e-6)
    }
}

@Suite("Gradient clipping")
struct GradientClippingTests {
    @Test("gradients above the global norm are scaled down to it, across parameters")
    func clipsGlobalNorm() throws {
        let a = try tensor([1], [0]), b = try tensor([1], [0])
        let model = ParameterHolder([("a", a), ("b", b)])
        try backpropagateConstantGradient(a, [3])
        try backpropagateConstantGradient(b, [4])
        try SGD(learningRate: 1, clipGradientNorm: 1).step(model)
        expectClose(a.scalars + b.scalars, [-0.6, -0.8])
        // The stored gradients are left as they were.
        #expect(a.gradient?.scalars == [3] && b.gradient?.scalars == [4])
    }

    @Test("gradients within the norm are unchanged")
    func leavesSmallGradients() throws {
        let (model, parameter) = try makeHolder()
        try backpropagateConstantGradient(parameter, [3, 4])
        try SGD(learningRate: 1, clipGradientNorm: 10).step(model)
        expectClose(parameter.scalars, [-2, -6])
    }

    @Test("clipping applies before Adam's moments and a non-finite norm is reported")
    func clippingWithAdamAndNonFiniteNorm() throws {
        let (model, parameter) = try makeHolder()
        try backpropagateConstantGradient(parameter, [300, 400])
        let optimizer = Adam(learningRate: 0.1, clipGradientNorm: 5)
        try optimizer.step(model)
        expectClose(parameter.scalars, [0.9, -2.1], tolerance: 1e-6)
        // Clipped to [3, 4], the first gradient equals the second one, so step 2 is again exactly lr per weight
        // (unclipped moments would give a step of about 0.068).
        try backpropagateConstantGradient(parameter, [3, 4])
        try optimizer.step(model)
        expectClose(parameter.scalars, [0.8, -2.2], tolerance: 1e-6)
        try backpropagateConstantGradient(parameter, [.infinity, 1])
        let error = #expect(throws: OptimizerError.self) { try optimizer.step(model) }
        #expect(error == .nonFiniteGradientNorm(optimizer: "Adam"))
        #expect(optimizer.iterations == 2)
    }
}

@Suite("Optimizer state")
struct OptimizerStateTests {
    @Test("per-parameter state follows the tensor's identity and the state of freed tensors is pruned")
    func keyedByIdentity() {
        var states = ParameterStates<ParameterBuffer>()
        let kept = Tensor(zeros: [2])
        let state = states.state(for: kept) { ParameterBuffer(count: 2) }
        #expect(states.state(for: kept) { ParameterBuffer(count: 2) } === state)
        for _ in 0..<200 {
            // Each temporary is freed at the end of the iteration; a later one may reuse its address.
            let temporary = Tensor(zeros: [1])
            let fresh = states.state(for: temporary) { ParameterBuffer(count: 1) }
            #expect(fresh.values.count == 1 && !fresh.isInitialized)
        }
        #expect(states.count < 200)
        #expect(states.state(for: kept) { ParameterBuffer(count: 2) } === state)
    }
}

@Suite("Adam's vectorized update")
struct AdamUpdateTests {
    @Test("sixteen lanes at a time, large parameters in parallel chunks, give exactly the scalar loop's bits", arguments: [1, 16, 37, 1000, 70_001])
    func matchesScalarLoop(count: Int) {
        var generator = SeededGenerator(seed: UInt64(count))
        func values(_ low: Float, _ high: Float) -> [Float] {
            (0..<count).map { _ in low + (high - low) * generator.nextUniform() }
        }
        let g = values(-1e-3, 1e-3)
        var (p, m, v) = (values(-1, 1), values(-1e-4, 1e-4), values(0, 1e-6))
        var (ps, ms, vs) = (p, m, v)
        let update = AdamUpdate(rate: 1e-3, scale: 0.5, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, correction1: 0.19,
                                correction2: 0.002, shrink: 1, l2: 1e-4)
        p.withUnsafeMutableBufferPointer { pb in
            g.withUnsafeBufferPointer { gb in
                m.withUnsafeMutableBufferPointer { mb in
                    v.withUnsafeMutableBufferPointer { vb in update.apply(pb, gb, mb, vb, count: count) }
                }
            }
        }
        for i in 0..<count {
            let gradient = g[i] * update.scale + update.l2 * ps[i]
            ms[i] = update.beta1 * ms[i] + (1 - update.beta1) * gradient
            vs[i] = update.beta2 * vs[i] + (1 - update.beta2) * gradient * gradient
            let denominator = (vs[i] / update.correction2).squareRoot() + update.epsilon
            ps[i] = ps[i] * update.shrink - update.rate * (ms[i] / update.correction1) / denominator
        }
        #expect(p.map(\.bitPattern) == ps.map(\.bitPattern))
        #expect(m.map(\.bitPattern) == ms.map(\.bitPattern))
        #expect(v.map(\.bitPattern) == vs.map(\.bitPattern))
    }
}
