import TuneCore

/// The operands of one convolution, as a convolution layer resolves them for an input.
struct ConvolutionArguments {
    let weight: Tensor
    let bias: Tensor?
    let stride: (Int, Int)
    let padding: Padding
    let dilation: (Int, Int)
    let groups: Int

    func convolve(_ input: Tensor) throws -> Tensor {
        try Tensor.conv2d(input, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation,
                          groups: groups)
    }

    /// `activation(norm(conv(input)))`: one convolution with `norm` folded in when `norm` uses its running statistics
    /// and nothing needs a gradient; otherwise the three steps, recorded as usual.
    func convolve(_ input: Tensor, normalizedBy norm: BatchNorm, activation: Tensor.Activation?,
                  context: ForwardContext) throws -> Tensor {
        if !norm.usesBatchStatistics(in: context), let scale = norm.effectiveScale, let shift = norm.bias,
           let mean = norm.runningMean, let variance = norm.runningVariance,
           !GradientMode.isRecording || ![input, weight, bias, scale, shift].contains(where: { $0?.requiresGradient == true }) {
            return try Tensor.conv2dBatchNormInference(input, weight: weight, bias: bias, stride: stride, padding: padding,
                                                       dilation: dilation, groups: groups, scale: scale, shift: shift,
                                                       mean: mean, variance: variance, epsilon: norm.epsilon,
                                                       activation: activation)
        }
        return try norm(convolve(input), activation: activation, context: context)
    }
}

/// Conv → BatchNorm → activation through a convolution layer: folded when its operands are known and it has no
/// activation of its own, else as three layer calls.
private func convolveNormalized(_ input: Tensor, layer: Layer, arguments: (Tensor) throws -> ConvolutionArguments,
                                isFoldable: Bool, norm: BatchNorm, activation: Tensor.Activation?,
                                context: ForwardContext) throws -> Tensor {
    if isFoldable {
        return try arguments(input).convolve(input, normalizedBy: norm, activation: activation, context: context)
    }
    return try norm(layer(input, context: context), activation: activation, context: context)
}

extension Conv2D {
    /// `activation(norm(self(input)))`. When `norm` uses its running statistics (inference, frozen, or
    /// ``BatchNorm/usesRunningStatistics``) and nothing needs a gradient, the batch norm is folded into this
    /// convolution and the activation applied by it, in one oneDNN primitive.
    public func callAsFunction(_ input: Tensor, normalizedBy norm: BatchNorm, activation: Tensor.Activation?,
                               context: ForwardContext) throws -> Tensor {
        try convolveNormalized(input, layer: self, arguments: convolutionArguments(for:),
                               isFoldable: weight != nil && self.activation == nil, norm: norm, activation: activation,
                               context: context)
    }
}

extension DepthwiseConv2D {
    /// `activation(norm(self(input)))`, folded into one convolution like
    /// ``Conv2D/callAsFunction(_:normalizedBy:activation:context:)``.
    public func callAsFunction(_ input: Tensor, normalizedBy norm: BatchNorm, activation: Tensor.Activation?,
                               context: ForwardContext) throws -> Tensor {
        try convolveNormalized(input, layer: self, arguments: convolutionArguments(for:),
                               isFoldable: weight != nil && self.activation == nil, norm: norm, activation: activation,
                               context: context)
    }
}
