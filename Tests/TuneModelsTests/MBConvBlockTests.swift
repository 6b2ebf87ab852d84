import Testing
import TuneCore
import TuneNN
@testable import TuneModels

@Suite("MBConv block")
struct MBConvBlockTests {
    /// Zeroes the projection BN's γ and β so the block's own branch outputs exactly zero.
    func silenceBranch(_ block: MBConvBlock) throws {
        try block.projectNorm.weight!.assign(Tensor(zeros: block.projectNorm.weight!.shape))
        try block.projectNorm.bias!.assign(Tensor(zeros: block.projectNorm.bias!.shape))
    }

    @Test("a residual block adds its input")
    func residual() throws {
        let block = MBConvBlock(.init(index: 0, stage: 1, expandRatio: 6, kernelSize: 3, stride: 1, inChannels: 8,
                                      outChannels: 8))
        #expect(block.hasResidual)
        try silenceBranch(block)
        let wide = try Tensor(shape: [1, 8, 5, 5], scalars: (0..<200).map { Float($0 % 13) - 6 })
        #expect(try block(wide).scalars == wide.scalars)
    }

    @Test("a stride-2 block has no residual and halves the size with SAME padding (ceil)")
    func noResidual() throws {
        let block = MBConvBlock(.init(index: 1, stage: 1, expandRatio: 6, kernelSize: 5, stride: 2, inChannels: 8,
                                      outChannels: 8))
        #expect(!block.hasResidual)
        try silenceBranch(block)
        let input = try Tensor(shape: [1, 8, 7, 7], scalars: (0..<392).map { Float($0 % 5) })
        let output = try block(input)
        #expect(output.shape == [1, 8, 4, 4])
        #expect(output.scalars.allSatisfy { $0 == 0 })
    }

    @Test("expand ratio 1 has no expand convolution; others name their children like lukemelas")
    func childNames() {
        let plain = MBConvBlock(.init(index: 0, stage: 0, expandRatio: 1, kernelSize: 3, stride: 1, inChannels: 32,
                                      outChannels: 16))
        #expect(plain.children.map(\.name) == ["_depthwise_conv", "_bn1", "_project_conv", "_bn2"])
        #expect(plain.expandConv == nil)
        let expanded = MBConvBlock(.init(index: 1, stage: 1, expandRatio: 6, kernelSize: 3, stride: 2, inChannels: 16,
                                         outChannels: 24))
        #expect(expanded.children.map(\.name) == ["_expand_conv", "_bn0", "_depthwise_conv", "_bn1", "_project_conv", "_bn2"])
        #expect(expanded.namedBuffers().map(\.path).contains("_bn0.running_mean"))
        #expect(expanded.namedParameters().allSatisfy { !$0.path.hasSuffix(".bias") || $0.path.contains("_bn") })
    }

    @Test("gradients reach the unfrozen head only")
    func gradientsThroughFrozenBase() throws {
        let model = EfficientNetLite(variant: .lite0, classCount: 3)
        model.isTrainable = false
        model.blocks.suffix(1).forEach { $0.isTrainable = true }
        model.headConv.isTrainable = true
        model.headNorm.isTrainable = true
        model.classifier?.isTrainable = true
        let logits = try model(testInput(batch: 2, side: 32), context: ForwardContext(isTraining: true))
        try logits.squared().sum().backward()
        #expect(model.classifier?.weight?.gradient != nil)
        #expect(model.headConv.weight?.gradient != nil)
        #expect(model.mbConvBlocks[15].depthwiseConv.weight?.gradient != nil)
        #expect(model.mbConvBlocks[14].depthwiseConv.weight?.gradient == nil)
        #expect(model.stemConv.weight?.gradient == nil)
    }
}
