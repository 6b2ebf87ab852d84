import TuneCore

/// A depthwise 2-D convolution over NCHW input: each input channel is convolved with its own
/// `depthMultiplier` filters. Weight `[C · depthMultiplier, 1, kh, kw]` with groups = C (PyTorch layout),
/// optional bias `[C · depthMultiplier]` and fused activation.
public final class DepthwiseConv2D: Layer {
    /// The window `(kh, kw)`.
    public let kernelSize: (Int, Int)
    /// The step between windows `(vertical, horizontal)`.
    public let stride: (Int, Int)
    /// How the input is padded.
    public let padding: Padding
    /// The spacing between kernel taps.
    public let dilation: (Int, Int)
    /// Output channels per input channel.
    public let depthMultiplier: Int
    /// Whether the layer adds a bias per output channel.
    public let useBias: Bool
    /// The activation applied after the convolution, if any.
    public let activation: Tensor.Activation?
    private let kernelInitializer: Initializer
    /// Draws the weights when they are created (in `init` or on first use).
    private let weightGenerator: WeightGenerator
    /// The number of input channels (the group count), once known.
    public private(set) var inChannels: Int?
    /// The kernel, once built.
    public private(set) var weight: Tensor?
    /// The bias, when `useBias`.
    public private(set) var bias: Tensor?

    /// - Parameter inChannels: give it to create the weights now; otherwise they are created on first use.
    /// - Parameter generator: where the initial weights are drawn from (see ``WeightGenerator``); share one across a
    ///   model for distinct, reproducible draws.
    public init(kernelSize: (Int, Int), inChannels: Int? = nil, stride: (Int, Int) = (1, 1), padding: Padding = .valid,
                depthMultiplier: Int = 1, dilation: (Int, Int) = (1, 1), useBias: Bool = true,
                activation: Tensor.Activation? = nil, kernelInitializer: Initializer = .glorotUniform,
                generator: WeightGenerator = WeightGenerator(seed: 0)) {
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.depthMultiplier = depthMultiplier
        self.useBias = useBias
        self.activation = activation
        self.kernelInitializer = kernelInitializer
        weightGenerator = generator
        super.init(kind: "DepthwiseConv2D")
        if let inChannels, inChannels > 0, depthMultiplier > 0 {
            createParameters(inChannels)
            markBuilt()
        }
    }

    /// A square-kernel depthwise convolution.
    public convenience init(kernelSize: Int, inChannels: Int? = nil, stride: Int = 1, padding: Padding = .valid,
                            depthMultiplier: Int = 1, useBias: Bool = true, activation: Tensor.Activation? = nil,
                            kernelInitializer: Initializer = .glorotUniform,
                            generator: WeightGenerator = WeightGenerator(seed: 0)) {
        self.init(kernelSize: (kernelSize, kernelSize), inChannels: inChannels, stride: (stride, stride),
                  padding: padding, depthMultiplier: depthMultiplier, useBias: useBias, activation: activation,
                  kernelInitializer: kernelInitializer, generator: generator)
    }

    public override func build(inputShape: Shape) throws {
        guard inputShape.rank == 4 else { throw LayerError.shapeMismatch(layer: kind, expected: "[N, C, H, W]", got: inputShape) }
        try validateConfiguration(channels: inputShape[1])
        createParameters(inputShape[1])
    }

    private func validateConfiguration(channels: Int) throws {
        guard depthMultiplier > 0 else {
            throw LayerError.invalidConfiguration(layer: kind, message: "depthMultiplier \(depthMultiplier) must be positive")
        }
        guard channels > 0 else {
            throw LayerError.invalidConfiguration(layer: kind, message: "input channels \(channels) must be positive")
        }
    }

    private func createParameters(_ channels: Int) {
        inChannels = channels
        var generator = weightGenerator.nextLayerGenerator()
        let receptive = kernelSize.0 * kernelSize.1
        let outChannels = channels * depthMultiplier
        let weight = kernelInitializer.make([outChannels, 1, kernelSize.0, kernelSize.1], fanIn: receptive,
                                            fanOut: depthMultiplier * receptive, generator: &generator)
        registerParameter("weight", weight)
        self.weight = weight
        if useBias {
            let bias = Tensor(zeros: [outChannels])
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
        guard let weight, let inChannels else { throw LayerError.notBuilt(layer: kind) }
        guard input.shape.rank == 4, input.shape[1] == inChannels else {
            throw LayerError.shapeMismatch(layer: kind, expected: "[N, \(inChannels), H, W]", got: input.shape)
        }
        return ConvolutionArguments(weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation,
                                    groups: inChannels)
    }
}
