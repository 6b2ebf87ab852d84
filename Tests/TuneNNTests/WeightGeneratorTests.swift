import Testing
import TuneCore
import TuneNN

@Suite("WeightGenerator")
struct WeightGeneratorTests {
    private func weights(_ layers: [Layer]) -> [[Float]] {
        layers.map { $0.namedParameters().flatMap(\.tensor.scalars) }
    }

    private func model(seed: UInt64) -> [Layer] {
        let generator = WeightGenerator(seed: seed)
        return [Conv2D(4, kernelSize: 3, inChannels: 2, generator: generator),
                DepthwiseConv2D(kernelSize: 3, inChannels: 4, generator: generator),
                Dense(4, inFeatures: 4, generator: generator),
                Dense(4, inFeatures: 4, generator: generator)]
    }

    @Test("the same seed gives the same weights; layers sharing a generator get distinct draws")
    func reproducibleAndDistinct() {
        let first = weights(model(seed: 5)), again = weights(model(seed: 5)), other = weights(model(seed: 6))
        #expect(first == again)
        #expect(first != other)
        #expect(first[2] != first[3], "two same-shaped layers sharing a generator must differ")
    }

    @Test("layers built without a generator start from a fixed seed")
    func defaultIsFixed() {
        #expect(weights([Dense(3, inFeatures: 2)]) == weights([Dense(3, inFeatures: 2)]))
        #expect(weights([Dense(3, inFeatures: 2)]) == weights([Dense(3, inFeatures: 2, generator: WeightGenerator(seed: 0))]))
    }

    @Test("a layer whose input size is learned on first use draws from its generator when it is built")
    func lazyLayersDrawAtBuild() throws {
        let generator = WeightGenerator(seed: 9)
        let lazy = Dense(3, generator: generator)
        let eager = Dense(3, inFeatures: 2, generator: WeightGenerator(seed: 9))
        _ = try lazy(Tensor(zeros: [1, 2]), context: ForwardContext(isTraining: false))
        #expect(weights([lazy]) == weights([eager]))
    }
}
