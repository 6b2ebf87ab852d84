import Foundation
import Testing
import TuneCore
@testable import TuneNN

@Suite("BatchNorm")
struct BatchNormTests {
    /// `[N=2, C=2, H=1, W=2]`: channel 0 holds {1, 2, 3, 6}, channel 1 holds {0, 0, −2, 2}.
    func sampleInput(requiresGradient: Bool = false) throws -> Tensor {
        try tensor([2, 2, 1, 2], [1, 2, 0, 0, 3, 6, -2, 2], requiresGradient: requiresGradient)
    }

    @Test("parameters and buffers use PyTorch's names and initial values")
    func namesAndInitialValues() throws {
        let model = Sequential { Dense(2, inFeatures: 2); BatchNorm(channels: 2) }
        #expect(model.namedParameters().map(\.path) == ["0.weight", "0.bias", "1.weight", "1.bias"])
        #expect(model.namedBuffers().map(\.path) == ["1.running_mean", "1.running_var"])
        let state = model.stateDictionary()
        #expect(state["1.weight"]?.scalars == [1, 1])
        #expect(state["1.bias"]?.scalars == [0, 0])
        #expect(state["1.running_mean"]?.scalars == [0, 0])
        #expect(state["1.running_var"]?.scalars == [1, 1])
        let layer = BatchNorm()
        #expect(layer.epsilon == 1e-3 && layer.momentum == 0.1)
    }

    @Test("without a scale (Keras's scale=False) there is no weight: γ is 1, β, the statistics and gradients work as with it")
    func withoutScale() throws {
        let plain = BatchNorm(channels: 2, scale: false)
        #expect(!plain.hasScale && plain.weight == nil)
        #expect(plain.namedParameters().map(\.path) == ["bias"])
        #expect(plain.namedBuffers().map(\.path) == ["running_mean", "running_var"])
        let scaled = BatchNorm(channels: 2)
        try #require(plain.bias).assign(tensor([2], [0.5, -1]))
        try #require(scaled.bias).assign(tensor([2], [0.5, -1]))
        for context in [ForwardContext(isTraining: true), .inference] {
            let x = try sampleInput(requiresGradient: true)
            let y = try plain(x, activation: .relu, context: context)
            expectClose(y.scalars, try scaled(sampleInput(), activation: .relu, context: context).scalars, tolerance: 1e-6)
            try (y * y).sum().backward()
            #expect(plain.bias?.gradient != nil && x.gradient != nil)
        }
        expectClose(try #require(plain.runningMean).scalars, try #require(scaled.runningMean).scalars)
        // Built on first use, too.
        let lazy = BatchNorm(scale: false)
        _ = try lazy(sampleInput(), context: .inference)
        #expect(lazy.namedParameters().map(\.path) == ["bias"] && lazy.channels == 2)
    }

    @Test("training updates running statistics with momentum and the unbiased batch variance")
    func runningStatisticsMatchHandComputation() throws {
        let layer = BatchNorm(channels: 2)
        let context = ForwardContext(isTraining: true)
        let output = try layer(sampleInput(), context: context)
        // Channel 0: mean 3, biased variance 3.5, unbiased 14/3. Channel 1: mean 0, biased 2, unbiased 8/3.
        expectClose(try #require(layer.runningMean).scalars, [0.3, 0])
        expectClose(try #require(layer.runningVariance).scalars, [0.9 + 0.1 * 14 / 3, 0.9 + 0.1 * 8 / 3])
        // The output is normalized with the biased batch variance.
        let scale0 = 1 / (3.5 + 1e-3 as Float).squareRoot(), scale1 = 1 / (2 + 1e-3 as Float).squareRoot()
        expectClose(output.scalars, [-2 * scale0, -1 * scale0, 0, 0, 0, 3 * scale0, -2 * scale1, 2 * scale1], tolerance: 1e-4)

        _ = try layer(sampleInput(), context: context)
        expectClose(try #require(layer.runningMean).scalars, [0.57, 0])
        expectClose(try #require(layer.runningVariance).scalars, [1.6966667, 1.3166667])
    }

    @Test("[N, C] input uses per-column statistics")
    func twoDimensionalInput() throws {
        let layer = BatchNorm(channels: 2, momentum: 0.5)
        _ = try layer(tensor([2, 2], [1, 10, 3, 20]), context: ForwardContext(isTraining: true))
        expectClose(try #require(layer.runningMean).scalars, [1, 7.5])
        // Unbiased variances 2 and 50.
        expectClose(try #require(layer.runningVariance).scalars, [1.5, 25.5])
    }

    @Test("inference mode uses the running statistics and leaves them unchanged")
    func inferenceUsesRunningStatistics() throws {
        let layer = BatchNorm(channels: 2)
        try #require(layer.runningMean).assign(tensor([2], [1, -1]))
        try #require(layer.runningVariance).assign(tensor([2], [4, 0.25]))
        let output = try layer(sampleInput(), context: .inference)
        let s0 = 1 / (4 + 1e-3 as Float).squareRoot(), s1 = 1 / (0.25 + 1e-3 as Float).squareRoot()
        expectClose(output.scalars, [0, s0, s1, s1, 2 * s0, 5 * s0, -1 * s1, 3 * s1], tolerance: 1e-4)
        #expect(try #require(layer.runningMean).scalars == [1, -1])
        #expect(try #require(layer.runningVariance).scalars == [4, 0.25])
    }

    @Test("a frozen BatchNorm runs in inference mode in a training context and gets no gradient")
    func frozenLayerUsesRunningStatisticsAndGetsNoGradient() throws {
        let layer = BatchNorm(channels: 2)
        try #require(layer.weight).assign(tensor([2], [2, 3]))
        try #require(layer.bias).assign(tensor([2], [1, 0]))
        try #require(layer.runningMean).assign(tensor([2], [1, -1]))
        try #require(layer.runningVariance).assign(tensor([2], [4, 0.25]))
        layer.isTrainable = false
        let context = ForwardContext(isTraining: true)
        #expect(!layer.usesBatchStatistics(in: context))

        let input = try sampleInput(requiresGradient: true)
        let output = try layer(input, context: context)
        let s0 = 2 / (4 + 1e-3 as Float).squareRoot(), s1 = 3 / (0.25 + 1e-3 as Float).squareRoot()
        expectClose(output.scalars, [1, 1 + s0, s1, s1, 1 + 2 * s0, 1 + 5 * s0, -1 * s1, 3 * s1], tolerance: 1e-4)
        #expect(try #require(layer.runningMean).scalars == [1, -1])
        #expect(try #require(layer.runningVariance).scalars == [4, 0.25])

        try output.sum().backward()
        #expect(layer.weight?.gradient == nil)
        #expect(layer.bias?.gradient == nil)
        #expect(layer.trainableParameters().isEmpty)
        // The input still receives the gradient of the fixed affine map.
        expectClose(try #require(input.gradient).scalars, [s0, s0, s1, s1, s0, s0, s1, s1], tolerance: 1e-4)
    }

    @Test("a trainable BatchNorm in training gets gradients for weight and bias")
    func trainableLayerGetsGradients() throws {
        let layer = BatchNorm(channels: 2)
        let output = try layer(sampleInput(), context: ForwardContext(isTraining: true))
        try (output * tensor([2, 2, 1, 2], [1, 2, 3, 4, 5, 6, 7, 8])).sum().backward()
        #expect(layer.weight?.gradient?.shape == [2])
        // dL/dβ is the sum of the upstream gradient per channel.
        expectClose(try #require(layer.bias?.gradient).scalars, [1 + 2 + 5 + 6, 3 + 4 + 7 + 8], tolerance: 1e-4)
    }

    @Test("the layer builds lazily from its first input")
    func lazyBuild() throws {
        let layer = BatchNorm()
        #expect(!layer.isBuilt && layer.namedParameters().isEmpty)
        _ = try layer(Tensor(zeros: [2, 3, 2, 2]), context: .inference)
        #expect(layer.channels == 3)
        #expect(layer.namedParameters().map(\.tensor.shape) == [[3], [3]])
    }

    @Test("wrong shapes and one value per channel in training are reported naming the layer")
    func shapeErrors() throws {
        let layer = BatchNorm(channels: 3)
        #expect(throws: LayerError.shapeMismatch(layer: "BatchNorm", expected: "[N, 3, H, W]", got: [2, 4, 5, 5])) {
            try layer(Tensor(zeros: [2, 4, 5, 5]))
        }
        let error = #expect(throws: LayerError.self) { try BatchNorm()(Tensor(zeros: [2, 3, 4])) }
        #expect(error?.description == "BatchNorm: expected input [N, C, H, W] or [N, C], got [2, 3, 4]")
        #expect(throws: LayerError.shapeMismatch(layer: "BatchNorm", expected: "more than one value per channel in training mode",
                                                 got: [1, 3])) {
            try layer(Tensor(zeros: [1, 3]), context: ForwardContext(isTraining: true))
        }
        #expect(throws: LayerError.invalidConfiguration(layer: "BatchNorm", message: "momentum 1.5 must be in [0, 1]")) {
            try BatchNorm(channels: 3, momentum: 1.5)(Tensor(zeros: [2, 3]))
        }
    }
}
