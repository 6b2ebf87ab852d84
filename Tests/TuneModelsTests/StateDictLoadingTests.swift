import Testing
import TuneCore
import TuneNN
@testable import TuneModels

@Suite("strict state-dictionary loading")
struct StateDictLoadingTests {
    /// A state dictionary for `model` with distinct values everywhere (fresh tensors, not the model's own).
    func distinctState(for model: Layer, offset: Float = 0.5) throws -> [String: Tensor] {
        var state: [String: Tensor] = [:]
        for (index, (path, tensor)) in (model.namedParameters() + model.namedBuffers()).enumerated() {
            let base = Float(index) + offset
            state[path] = try Tensor(shape: tensor.shape,
                                     scalars: (0..<tensor.elementCount).map { base + Float($0 % 7) * 0.001 })
        }
        return state
    }

    @Test("a state dictionary made from the model itself loads")
    func selfStateLoads() throws {
        let model = EfficientNetLite(variant: .lite0)
        let before = model.stemConv.weight!.scalars
        try model.load(model.stateDictionary())
        #expect(model.stemConv.weight!.scalars == before)
    }

    @Test("loaded values land in the parameters and buffers, in place")
    func valuesLand() throws {
        let model = EfficientNetLite(variant: .lite0, classCount: 10)
        let stemWeight = try #require(model.stemConv.weight)
        let depthwise = try #require(model.mbConvBlocks[3].depthwiseConv.weight)
        let runningVariance = try #require(model.mbConvBlocks[15].projectNorm.runningVariance)
        var state = try distinctState(for: model)
        state["_bn0.num_batches_tracked"] = Tensor(scalar: 1234)
        state["_blocks.7._bn1.num_batches_tracked"] = Tensor(scalar: 1234)
        let (missing, unexpected) = try model.load(state)
        #expect(missing.isEmpty && unexpected.isEmpty)
        for (path, tensor) in model.namedParameters() + model.namedBuffers() {
            #expect(tensor.scalars == state[path]?.scalars, "\(path)")
            #expect(tensor !== state[path], "\(path) must be copied, not replaced")
        }
        // The layers still hold the same tensors, now with the new values.
        #expect(model.stemConv.weight === stemWeight)
        #expect(model.mbConvBlocks[3].depthwiseConv.weight === depthwise)
        #expect(model.mbConvBlocks[15].projectNorm.runningVariance === runningVariance)
        #expect(stemWeight.scalars == state["_conv_stem.weight"]?.scalars)
        #expect(runningVariance.scalars == state["_blocks.15._bn2.running_var"]?.scalars)
        // The loaded weights are used by the forward pass.
        #expect(try model(testInput(side: 32)).isFinite)
    }

    @Test("a missing key, an extra key and a wrong shape throw one error naming all three, and load nothing")
    func allProblemsInOneError() throws {
        let model = EfficientNetLite(variant: .lite0)
        var state = try distinctState(for: model)
        state["_blocks.4._bn1.running_mean"] = nil
        state["_blocks.4._se_reduce.weight"] = Tensor(zeros: [10, 240, 1, 1])
        state["_fc.weight"] = Tensor(zeros: [10, 1280])
        let stemBefore = model.stemConv.weight!.scalars

        let error = try #require(throws: LoadError.self) { try model.load(state) }
        #expect(error.missingKeys == ["_blocks.4._bn1.running_mean"])
        #expect(error.unexpectedKeys == ["_blocks.4._se_reduce.weight"])
        #expect(error.shapeMismatches == [.init(key: "_fc.weight", expected: [1000, 1280], got: [10, 1280])])
        #expect(error.unbuiltLayers.isEmpty)
        let text = error.description
        #expect(text.contains("_blocks.4._bn1.running_mean"))
        #expect(text.contains("_blocks.4._se_reduce.weight"))
        #expect(text.contains("_fc.weight: model has [1000, 1280], state dictionary has [10, 1280]"))
        // Nothing was written.
        #expect(model.stemConv.weight!.scalars == stemBefore)
    }

    @Test("non-strict loading skips missing and unexpected keys but not shape mismatches")
    func nonStrict() throws {
        let model = EfficientNetLite(variant: .lite0, includeTop: false)
        let donor = EfficientNetLite(variant: .lite0, classCount: 7)
        var state = try distinctState(for: donor)
        state["_conv_head.weight"] = nil
        let (missing, unexpected) = try model.load(state, strict: false)
        #expect(missing == ["_conv_head.weight"])
        #expect(Set(unexpected) == ["_fc.weight", "_fc.bias"])
        #expect(model.stemConv.weight!.scalars == state["_conv_stem.weight"]?.scalars)

        let classifier = EfficientNetLite(variant: .lite0, classCount: 3)
        let error = try #require(throws: LoadError.self) { try classifier.load(state, strict: false) }
        #expect(error.shapeMismatches.map(\.key) == ["_fc.weight", "_fc.bias"])
        #expect(error.missingKeys.isEmpty && error.unexpectedKeys.isEmpty)
    }

    @Test("ignoring: a custom list replaces num_batches_tracked")
    func customIgnoring() throws {
        let model = Sequential([Dense(2, inFeatures: 3), BatchNorm(channels: 2)])
        var state = model.stateDictionary()
        state["1.num_batches_tracked"] = Tensor(scalar: 3)
        try model.load(state)
        let error = try #require(throws: LoadError.self) { try model.load(state, ignoring: []) }
        #expect(error.unexpectedKeys == ["1.num_batches_tracked"])
        state["1.num_batches_tracked"] = nil
        state["1.running_var"] = nil
        try model.load(state, ignoring: ["running_var"])
    }

    @Test("unbuilt lazy layers are named in the error")
    func unbuiltLayers() throws {
        let model = Sequential([Dense(4), Dense(2, inFeatures: 4)])
        let error = try #require(throws: LoadError.self) {
            try model.load(["0.weight": Tensor(zeros: [4, 3]), "1.weight": Tensor(zeros: [2, 4]), "1.bias": Tensor(zeros: [2])])
        }
        #expect(error.unexpectedKeys == ["0.weight"])
        #expect(error.unbuiltLayers == ["0"])
        #expect(error.description.contains("not built"))
    }
}
