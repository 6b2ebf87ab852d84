import TuneCore

/// A fully connected layer: `activation(x · weightᵀ + bias)`, weight `[units, inFeatures]` (PyTorch layout).
///
/// The input size is learned on first use unless given.
public final class Dense: Layer {
    /// The number of outputs.
    public let units: Int
    /// The activation applied after the affine map, if any.
    public let activation: Tensor.Activation?
    public let useBias: Bool
    private let kernelInitializer: Initializer
    /// Draws the weight when it is created (in `init` or on first use).
    private let weightGenerator: WeightGenerator
    /// `[units, inFeatures]`, once built.
    public private(set) var weight: Tensor?
    /// `[units]`, when `useBias`.
    public private(set) var bias: Tensor?

    /// - Parameter inFeatures: give it to create the weights now; otherwise they are created on first use.
    /// - Parameter generator: where the initial weights are drawn from (see ``WeightGenerator``); share one across a
    ///   model for distinct, reproducible draws.
    public init(_ units: Int, inFeatures: Int? = nil, activation: Tensor.Activation? = nil, useBias: Bool = true,
                kernelInitializer: Initializer = .glorotUniform, generator: WeightGenerator = WeightGenerator(seed: 0)) {
        self.units = units
        self.activation = activation
        self.useBias = useBias
        self.kernelInitializer = kernelInitializer
        weightGenerator = generator
        super.init(kind: "Dense")
        if let inFeatures {
            createParameters(inFeatures)
            markBuilt()
        }
    }

    public override func build(inputShape: Shape) throws {
        guard inputShape.rank >= 1 else { throw LayerError.shapeMismatch(layer: kind, expected: "[…, features]", got: inputShape) }
        createParameters(inputShape[inputShape.rank - 1])
    }

    private func createParameters(_ features: Int) {
        var generator = weightGenerator.nextLayerGenerator()
        let weight = kernelInitializer.make([units, features], fanIn: features, fanOut: units, generator: &generator)
        registerParameter("weight", weight)
        self.weight = weight
        if useBias {
            let bias = Tensor(zeros: [units])
            registerParameter("bias", bias)
            self.bias = bias
        }
    }

    public override func forward(_ input: Tensor, context: ForwardContext) throws -> Tensor {
        guard let weight else { throw LayerError.notBuilt(layer: kind) }
        guard input.shape.rank >= 1, input.shape[input.shape.rank - 1] == weight.shape[1] else {
            throw LayerError.shapeMismatch(layer: kind, expected: "[…, \(weight.shape[1])]", got: input.shape)
        }
        let output = try Tensor.linear(input, weight: weight, bias: bias)
        return try activation.map { try output.activated($0) } ?? output
    }
}
