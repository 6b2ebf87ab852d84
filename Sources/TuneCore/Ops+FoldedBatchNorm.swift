/// Convolution followed by an inference-mode batch norm (and an activation), run as one oneDNN convolution.
extension Tensor {
    /// `activation(batchNorm(conv2d(input)))` with the batch norm's fixed statistics folded into the convolution:
    /// `w′ = w · γ / √(σ² + ε)` per output channel and `b′ = β + (b − μ) · γ / √(σ² + ε)`; the activation runs as the
    /// convolution's post-op. Forward only — nothing is recorded for autodiff, so use it where no gradient is needed.
    ///
    /// The arguments are those of ``conv2d(_:weight:bias:stride:padding:dilation:groups:)`` and
    /// ``batchNormInference(_:scale:shift:mean:variance:epsilon:)``.
    public static func conv2dBatchNormInference(_ input: Tensor, weight: Tensor, bias: Tensor? = nil,
                                                stride: (Int, Int) = (1, 1), padding: Padding = .valid,
                                                dilation: (Int, Int) = (1, 1), groups: Int = 1,
                                                scale: Tensor, shift: Tensor, mean: Tensor, variance: Tensor,
                                                epsilon: Float, activation: Activation? = nil) throws -> Tensor {
        let outputs = weight.shape.rank == 4 ? weight.shape[0] : 0
        for tensor in [scale, shift, mean, variance] where tensor.shape != [outputs] {
            throw TensorError.shapeMismatch(op: "conv2dBatchNormInference", shapes: [weight.shape, tensor.shape],
                                            message: "per-channel tensors must be [\(outputs)]")
        }
        guard epsilon > 0 else {
            throw TensorError.invalidArgument(op: "conv2dBatchNormInference", message: "epsilon must be positive")
        }
        let foldedWeight = Tensor.uninitialized(weight.shape), foldedBias = Tensor.uninitialized([outputs])
        let perOutput = weight.elementCount / max(outputs, 1)
        let w = weight.storage.pointer, fw = foldedWeight.storage.pointer, fb = foldedBias.storage.pointer
        let gamma = scale.storage.pointer, beta = shift.storage.pointer
        let mu = mean.storage.pointer, sigma2 = variance.storage.pointer
        let b = bias?.storage.pointer
        for o in 0..<outputs {
            let factor = gamma[o] / (sigma2[o] + epsilon).squareRoot()
            for i in o * perOutput..<(o + 1) * perOutput { fw[i] = w[i] * factor }
            fb[o] = beta[o] + ((b?[o] ?? 0) - mu[o]) * factor
        }
        let (plan, outShape, _) = try convolutionPlan(input, weight: foldedWeight, bias: foldedBias, stride: stride,
                                                      padding: padding, dilation: dilation, groups: groups)
        let forward = try plan.forward(inference: true, activation: activation)
        let result = forward.output(.destination, shape: outShape)
        try forward.execute(operands: [.source: .tensor(input), .weights: .tensor(foldedWeight),
                                       .bias: .tensor(foldedBias), .destination: .tensor(result)],
                            context: plan.context)
        return result
    }
}
