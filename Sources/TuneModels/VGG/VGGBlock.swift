import TuneCore
import TuneNN

/// One VGG block: 3×3 convolutions with bias and ReLU (`conv1`, `conv2`, …, Keras's `block<b>_conv<i>`), then a 2×2
/// max pool of stride 2 (`block<b>_pool`).
public final class VGGBlock: Layer {
    /// The convolutions in order, weight `[out, in, 3, 3]`.
    public let convolutions: [Conv2D]
    /// The closing max pool.
    public let pool: MaxPool2D

    init(inChannels: Int, width: Int, convolutionCount: Int, generator: WeightGenerator) {
        convolutions = (0..<convolutionCount).map { index in
            Conv2D(width, kernelSize: (3, 3), inChannels: index == 0 ? inChannels : width, padding: .same,
                   activation: .relu, kernelInitializer: .glorotUniform, generator: generator)
        }
        pool = MaxPool2D(poolSize: 2, stride: 2)
        super.init(kind: "VGGBlock")
        for (index, convolution) in convolutions.enumerated() { registerChild("conv\(index + 1)", convolution) }
        registerChild("pool", pool)
        markBuilt()
    }

    public override func forward(_ input: Tensor, context: ForwardContext) throws -> Tensor {
        let convolved = try convolutions.reduce(input) { try $1($0, context: context) }
        return try pool(convolved, context: context)
    }
}
