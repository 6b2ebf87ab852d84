import TuneCore

/// A 2-D convolution over NCHW input, weight `[filters, inChannels / groups, kh, kw]` (PyTorch layout),
/// with an optional fused activation.
public final class Conv2D: Layer {
    public let filters: Int
    public let kernelSize: (Int, Int)
    public let stride: (Int, Int)
    public let padding: Padding
    public let dilation: (Int, Int)
    public let groups: Int
    public let useBias: Bool
    public let activation: Tensor.Activation?
    private let kernelInitializer: Initializer
    /// Draws the weights when they are created (in `init` or on first use).
    private let weightGenerator: WeightGenerator
    /// The kernel, once built.
    public private(set) var weight: Tensor?
    /// The bias, when `useBias`.
    public private(set) var bias: Tensor?

    /// - Parameter inChannels: give it to create the weights now; otherwise they are created on first use.
    /// - Parameter generator: where the initial weights are drawn from (see ``WeightGenerator``); share one across a
    ///   model for distinct, reproducible draws.
    public init(_ filters: Int, kernelSize: (Int, Int), inChannels: Int? = nil, stride: (Int, Int) = (1, 1),
                padding: Padding = .valid, dilation: (Int, Int) = (1, 1), groups: Int = 1, useBias: Bool = true,
                activation: Tensor.Activation? = nil, kernelInitializer: Initializer = .glorotUniform,
                generator: WeightGenerator = WeightGenerator(seed: 0)) {
        self.filters = filters
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        self.useBias = useBias
        self.activation = activation
        self.kernelInitializer = kernelInitializer
        weightGenerator = generator
        super.init(kind: "Conv2D")
        if let inChannels {
            createParameters(inChannels)
            markBuilt()
        }
    }

    /// A square-kernel convolution.
    public convenience init(_ filters: Int, kernelSize: Int, inChannels: Int? = nil, stride: Int = 1,
                            padding: Padding = .valid, groups: Int = 1, useBias: Bool = true,
                            activation: Tensor.Activation? = nil, kernelInitializer: Initializer = .glorotUniform,
                            generator: WeightGenerator = WeightGenerator(seed: 0)) {
        self.init(filters, kernelSize: (kernelSize, kernelSize), inChannels: inChannels, stride: (stride, stride),
                  padding: padding, groups: groups, useBias: useBias, activation: activation,
                  kernelInitializer: kernelInitializer, generator: generator)
    }

    public override func build(inputShape: Shape) throws {
        guard inputShape.rank == 4 else { throw LayerError.shapeMismatch(layer: kind, expected: "[N, C, H, W]", got: inputShape) }
        guard inputShape[1] % groups == 0, filters % groups == 0 else {
            throw LayerError.invalidConfiguration(layer: kind, message: "channels \(inputShape[1]) → \(filters) do not split into \(groups) groups")
        }
        createParameters(inputShape[1])
    }

    private func createParameters(_ inChannels: Int) {
        var generator = weightGenerator.nextLayerGenerator()
        let perGroup = inChannels / max(groups, 1)
        let receptive = kernelSize.0 * kernelSize.1
        let weight = kernelInitializer.make([filters, perGroup, kernelSize.0, kernelSize.1], fanIn: perGroup * receptive,
                                            fanOut: filters / max(groups, 1) * receptive, generator: &generator)
        registerParameter("weight", weight)
        self.weight = weight
        if useBias {
            let bias = Tensor(zeros: [filters])
            registerParameter("bias", bias)
            self.bias = bias
        }
    }

    public override func forward(_ input: Tensor, context: ForwardContext) throws -> Tensor {
        let output = try convolutionArguments(for: input).convolve(input)
        return try activation.map { try output.activated($0) } ?? output
    }

    /// The convolution's operands for `input`, after checking its shape.
    func convolutionArguments(for input: Tensor) throws -> ConvolutionArguments {
        guard let weight else { throw LayerError.notBuilt(layer: kind) }
        guard input.shape.rank == 4, input.shape[1] == weight.shape[1] * groups else {
            throw LayerError.shapeMismatch(layer: kind, expected: "[N, \(weight.shape[1] * groups), H, W]", got: input.shape)
        }
        return ConvolutionArguments(weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation,
                                    groups: groups)
    }
}
