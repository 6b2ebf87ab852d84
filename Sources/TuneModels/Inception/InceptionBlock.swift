import TuneCore
import TuneNN

/// One branch of an ``InceptionBlock``: an optional pooling, a chain of ``InceptionConvolution``s, and optionally two
/// parallel convolutions whose outputs are concatenated (the 1×3 and 3×1 pairs of `mixed9` and `mixed10`).
struct InceptionBranch {
    let pool: Layer?
    let chain: [InceptionConvolution]
    let split: [InceptionConvolution]

    func callAsFunction(_ input: Tensor, context: ForwardContext) throws -> Tensor {
        var x = try pool.map { try $0(input, context: context) } ?? input
        for convolution in chain { x = try convolution(x, context: context) }
        guard !split.isEmpty else { return x }
        let parts = try split.map { try $0(x, context: context) }
        return try Tensor.concatenate(parts, axis: 1)
    }
}

/// An Inception block (`mixed0` … `mixed10`, torchvision's `Mixed_5b` … `Mixed_7c`): its branches run on the same
/// input and their outputs are concatenated along the channels, in the order both frameworks use. Children: the
/// convolutions under torchvision's names (`branch1x1`, `branch5x5_1`, …).
public final class InceptionBlock: Layer {
    let settings: InceptionBlockSettings
    let branches: [InceptionBranch]

    init(_ settings: InceptionBlockSettings, flavour: ArchitectureFlavour, generator: WeightGenerator) {
        self.settings = settings
        func convolutions(_ list: [InceptionConvolutionSettings], from channels: Int) -> [InceptionConvolution] {
            var channels = channels
            return list.map { convolution in
                defer { channels = convolution.filters }
                return InceptionConvolution(convolution, inChannels: channels, flavour: flavour, generator: generator)
            }
        }
        branches = settings.branches.map { branch in
            let chain = convolutions(branch.chain, from: settings.inChannels)
            let split = branch.split.map {
                InceptionConvolution($0, inChannels: branch.chain.last?.filters ?? settings.inChannels, flavour: flavour,
                                     generator: generator)
            }
            return InceptionBranch(pool: branch.pooling.layer(flavour: flavour), chain: chain, split: split)
        }
        super.init(kind: "InceptionBlock")
        for branch in branches {
            for convolution in branch.chain + branch.split { registerChild(convolution.settings.name, convolution) }
        }
        markBuilt()
    }

    /// The convolutions in the order Keras creates them: branch by branch, each chain then its split pair.
    var convolutions: [InceptionConvolution] { branches.flatMap { $0.chain + $0.split } }

    public override func forward(_ input: Tensor, context: ForwardContext) throws -> Tensor {
        try Tensor.concatenate(branches.map { try $0(input, context: context) }, axis: 1)
    }
}
