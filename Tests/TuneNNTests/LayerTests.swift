import Foundation
import Testing
import TuneCore
@testable import TuneNN

@Suite("DepthwiseConv2D")
struct DepthwiseConv2DTests {
    @Test("the weight is [C · multiplier, 1, kh, kw] under PyTorch names and each channel has its own filters")
    func shapesNamesAndValues() throws {
        let layer = DepthwiseConv2D(kernelSize: 3, inChannels: 2, padding: .same, depthMultiplier: 2)
        #expect(layer.namedParameters().map(\.path) == ["weight", "bias"])
        let weight = try #require(layer.weight)
        #expect(weight.shape == [4, 1, 3, 3])
        #expect(layer.bias?.shape == [4])
        // Output channel o filters input channel o / 2 with a kernel of all (o + 1).
        try weight.assign(tensor([4, 1, 3, 3], (0..<4).flatMap { o in [Float](repeating: Float(o + 1), count: 9) }))
        try #require(layer.bias).assign(tensor([4], [0, 0, 0, 10]))
        let input = try tensor([1, 2, 3, 3], (0..<9).map { _ in 1 } + (0..<9).map { _ in 2 })
        let output = try layer(input)
        #expect(output.shape == [1, 4, 3, 3])
        // The centre pixel sees a full 3×3 window: 9 · value · (o + 1) + bias.
        let centre = (0..<4).map { output.scalars[$0 * 9 + 4] }
        #expect(centre == [9, 18, 54, 82])
        // A corner sees a 2×2 window.
        #expect(output.scalars[0] == 4)
    }

    @Test("it builds lazily and rejects inputs with another channel count")
    func lazyBuildAndShapeErrors() throws {
        let layer = DepthwiseConv2D(kernelSize: (3, 3), stride: (2, 2), useBias: false, activation: .relu)
        #expect(!layer.isBuilt)
        let output = try layer(Tensor(repeating: 1, shape: [2, 3, 7, 7]))
        #expect(output.shape == [2, 3, 3, 3])
        #expect(layer.weight?.shape == [3, 1, 3, 3] && layer.bias == nil)
        #expect(output.scalars.allSatisfy { $0 >= 0 })
        #expect(throws: LayerError.shapeMismatch(layer: "DepthwiseConv2D", expected: "[N, 3, H, W]", got: [2, 4, 7, 7])) {
            try layer(Tensor(zeros: [2, 4, 7, 7]))
        }
        #expect(throws: LayerError.shapeMismatch(layer: "DepthwiseConv2D", expected: "[N, C, H, W]", got: [3, 7, 7])) {
            try DepthwiseConv2D(kernelSize: 3)(Tensor(zeros: [3, 7, 7]))
        }
        #expect(throws: LayerError.invalidConfiguration(layer: "DepthwiseConv2D", message: "depthMultiplier 0 must be positive")) {
            try DepthwiseConv2D(kernelSize: 3, inChannels: 2, depthMultiplier: 0)(Tensor(zeros: [1, 2, 5, 5]))
        }
    }
}

@Suite("Dropout")
struct DropoutTests {
    @Test("inference mode is the identity")
    func identityInInference() throws {
        let input = try tensor([2, 3], [1, 2, 3, 4, 5, 6])
        let output = try Dropout(rate: 0.5)(input, context: .inference)
        #expect(output.scalars == input.scalars)
    }

    @Test("training mode drops with the context's seeded generator and rescales the rest")
    func seededInTraining() throws {
        let input = Tensor(repeating: 1, shape: [1000])
        let layer = Dropout(rate: 0.25)
        let first = try layer(input, context: ForwardContext(isTraining: true, seed: 9))
        let again = try layer(input, context: ForwardContext(isTraining: true, seed: 9))
        let other = try layer(input, context: ForwardContext(isTraining: true, seed: 10))
        #expect(first.scalars == again.scalars)
        #expect(first.scalars != other.scalars)
        #expect(first.scalars.allSatisfy { $0 == 0 || abs($0 - 1 / 0.75) < 1e-6 })
        let dropped = first.scalars.filter { $0 == 0 }.count
        #expect((200...300).contains(dropped))
        // Same stream as the core op with a generator seeded alike.
        var generator = SeededGenerator(seed: 9)
        #expect(try input.dropout(rate: 0.25, generator: &generator).scalars == first.scalars)
    }

    @Test("successive calls in one context draw fresh masks, and freezing does not turn dropout off")
    func freshMasksAndFreezing() throws {
        let layer = Dropout(rate: 0.5)
        layer.isTrainable = false
        let context = ForwardContext(isTraining: true, seed: 1)
        let input = Tensor(repeating: 1, shape: [64])
        let a = try layer(input, context: context), b = try layer(input, context: context)
        #expect(a.scalars != b.scalars)
        #expect(a.scalars.contains(0))
    }

    @Test("a rate outside [0, 1) is reported")
    func invalidRate() throws {
        let error = #expect(throws: LayerError.self) { try Dropout(rate: 1)(Tensor(zeros: [2])) }
        #expect(error?.description == "Dropout: rate 1.0 must be in [0, 1)")
    }
}

@Suite("Flatten")
struct FlattenTests {
    @Test("it keeps the batch axis and passes gradients back in the input's shape")
    func flattensAndBackpropagates() throws {
        let input = Tensor(repeating: 1, shape: [2, 3, 4, 5], requiresGradient: true)
        let output = try Flatten()(input)
        #expect(output.shape == [2, 60])
        try output.sum().backward()
        #expect(input.gradient?.shape == [2, 3, 4, 5])
        #expect(try Flatten()(Tensor(zeros: [4])).shape == [4, 1])
        #expect(throws: LayerError.shapeMismatch(layer: "Flatten", expected: "[N, …]", got: [])) {
            try Flatten()(Tensor(scalar: 1))
        }
    }
}

@Suite("MaxPool2D")
struct MaxPool2DTests {
    @Test("2×2 pooling keeps the maximum of each window")
    func pools() throws {
        let input = try tensor([1, 1, 4, 4], (0..<16).map(Float.init))
        #expect(try MaxPool2D()(input).scalars == [5, 7, 13, 15])
        #expect(try MaxPool2D(poolSize: (2, 2), stride: (1, 1))(input).shape == [1, 1, 3, 3])
        #expect(try MaxPool2D(poolSize: 3, stride: 2, padding: .same)(input).shape == [1, 1, 2, 2])
        #expect(throws: LayerError.shapeMismatch(layer: "MaxPool2D", expected: "[N, C, H, W]", got: [2, 3])) {
            try MaxPool2D()(Tensor(zeros: [2, 3]))
        }
    }
}

@Suite("AveragePool2D")
struct AveragePool2DTests {
    @Test("2×2 pooling averages each window")
    func pools() throws {
        let input = try tensor([1, 1, 4, 4], (0..<16).map(Float.init))
        #expect(try AveragePool2D()(input).scalars == [2.5, 4.5, 10.5, 12.5])
        #expect(throws: LayerError.shapeMismatch(layer: "AveragePool2D", expected: "[N, C, H, W]", got: [16])) {
            try AveragePool2D()(Tensor(zeros: [16]))
        }
    }

    @Test("same padding excludes padded cells unless asked to count them")
    func paddingCount() throws {
        let input = Tensor(repeating: 4, shape: [1, 1, 3, 3])
        #expect(try AveragePool2D(poolSize: 2, padding: .same)(input).scalars == [4, 4, 4, 4])
        let counted = try AveragePool2D(poolSize: 2, padding: .same, countIncludesPadding: true)(input).scalars
        #expect(counted == [4, 2, 2, 1])
    }
}

@Suite("GlobalAveragePool2D")
struct GlobalAveragePool2DTests {
    @Test("it averages over height and width, optionally keeping the axes")
    func averages() throws {
        let input = try tensor([1, 2, 2, 2], [1, 2, 3, 4, 10, 20, 30, 40])
        let output = try GlobalAveragePool2D()(input)
        #expect(output.shape == [1, 2] && output.scalars == [2.5, 25])
        #expect(try GlobalAveragePool2D(keepingDimensions: true)(input).shape == [1, 2, 1, 1])
        #expect(throws: LayerError.shapeMismatch(layer: "GlobalAveragePool2D", expected: "[N, C, H, W] with H, W > 0",
                                                 got: [1, 2])) {
            try GlobalAveragePool2D()(Tensor(zeros: [1, 2]))
        }
    }
}

@Suite("ActivationLayer")
struct ActivationLayerTests {
    @Test("it applies its activation element-wise")
    func applies() throws {
        let input = try tensor([4], [-1, 0, 2, 8])
        #expect(try ActivationLayer(.relu)(input).scalars == [0, 0, 2, 8])
        #expect(try ActivationLayer(.relu6)(input).scalars == [0, 0, 2, 6])
        #expect(ActivationLayer(.tanh).kind == "Activation")
    }
}

@Suite("Softmax")
struct SoftmaxTests {
    @Test("rows become probabilities along the chosen axis")
    func normalizes() throws {
        let input = try tensor([2, 3], [1, 2, 3, 0, 0, 0])
        let output = try Softmax()(input)
        let e = [Float(M_E), Float(M_E * M_E), Float(M_E * M_E * M_E)]
        let total = e.reduce(0, +)
        expectClose(Array(output.scalars[0..<3]), e.map { $0 / total })
        expectClose(Array(output.scalars[3..<6]), [1, 1, 1].map { $0 / 3 })
        let columns = try Softmax(axis: 0)(input)
        expectClose([columns.scalars[0] + columns.scalars[3]], [1])
        #expect(throws: LayerError.shapeMismatch(layer: "Softmax", expected: "a tensor with axis 2", got: [2, 3])) {
            try Softmax(axis: 2)(input)
        }
    }
}

@Suite("Layer trainability")
struct TrainabilityTests {
    func makeModel() -> Sequential {
        let weights = WeightGenerator(seed: 3)
        return Sequential {
            Dense(3, inFeatures: 2, activation: .tanh, generator: weights)
            BatchNorm(channels: 3)
            Dense(1, inFeatures: 3, generator: weights)
        }
    }

    func trainStep(_ model: Sequential, _ optimizer: any Optimizer) throws {
        model.zeroGradients()
        let input = try tensor([4, 2], [1, 2, -1, 0.5, 0.3, -2, 2, 1])
        let output = try model(input, context: ForwardContext(isTraining: true))
        try output.squared().mean().backward()
        try optimizer.step(model)
    }

    func values(_ layer: Layer) -> [Float] { layer.namedParameters().flatMap(\.tensor.scalars) }

    @Test("freezing the model recurses into every layer and leaves nothing to train")
    func freezingRecurses() throws {
        let model = makeModel()
        #expect(model.trainableParameters().count == 6)
        model.isTrainable = false
        #expect(model.descendants().allSatisfy { !$0.layer.isTrainable })
        #expect(model.trainableParameters().isEmpty)
        #expect(model.parameterCount(trainableOnly: true) == 0)
        #expect(model.parameterCount() == 9 + 6 + 4)
        #expect(model.namedParameters().allSatisfy { !$0.tensor.requiresGradient })
    }

    @Test("unfreezing one child after the optimizer exists makes the next step update it, never the frozen ones")
    func unfreezingTakesEffectAtNextStep() throws {
        let model = makeModel()
        let optimizer = SGD(learningRate: 0.1, momentum: 0.9)
        model.isTrainable = false
        let (first, norm, last) = (model.layers[0], model.layers[1], model.layers[2])
        last.isTrainable = true
        let frozenFirst = values(first), frozenNorm = values(norm), before = values(last)
        try trainStep(model, optimizer)
        #expect(values(last) != before)
        #expect(values(first) == frozenFirst)
        #expect(values(norm) == frozenNorm)
        // The frozen BatchNorm kept its running statistics (inference mode).
        #expect(norm.namedBuffers().map(\.tensor.scalars) == [[0, 0, 0], [1, 1, 1]])

        first.isTrainable = true
        let afterOne = values(last)
        try trainStep(model, optimizer)
        #expect(values(first) != frozenFirst)
        #expect(values(last) != afterOne)
        #expect(values(norm) == frozenNorm)
        #expect(optimizer.iterations == 2)
    }

    @Test("a frozen parameter is counted and saved but never trains, whatever isTrainable says")
    func frozenParameter() throws {
        let frozen = try tensor([2], [1, 2]), trained = try tensor([2], [3, 4])
        let layer = ParameterHolder([])
        layer.registerParameter("frozen", frozen, frozen: true)
        layer.registerParameter("trained", trained)
        #expect(layer.namedParameters().map(\.path) == ["frozen", "trained"])
        #expect(layer.parameterCount() == 4)
        #expect(layer.trainableParameters().count == 1 && layer.trainableParameters()[0] === trained)
        #expect(!frozen.requiresGradient && trained.requiresGradient)
        layer.isTrainable = false
        layer.isTrainable = true
        #expect(!frozen.requiresGradient && trained.requiresGradient)
        #expect(layer.parameterCount(trainableOnly: true) == 2)
        #expect(Set(layer.stateDictionary().keys) == ["frozen", "trained"])
    }

    @Test("registering a child name again replaces that child in place, keeping its position and paths")
    func replacingAChild() throws {
        let model = Layer(kind: "Container")
        for (name, units) in [("first", 3), ("second", 2)] { model.registerChild(name, Dense(units, inFeatures: 2)) }
        let replacement = Dense(4, inFeatures: 2, useBias: false)
        model.isTrainable = false
        model.registerChild("first", replacement)
        #expect(model.children.map(\.name) == ["first", "second"])
        #expect(model.children[0].layer === replacement)
        #expect(!replacement.isTrainable)
        #expect(model.namedParameters().map(\.path) == ["first.weight", "second.weight", "second.bias"])
    }
}
