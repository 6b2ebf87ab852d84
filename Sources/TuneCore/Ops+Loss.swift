import Foundation

/// Fused, numerically stable loss kernels, forward and backward side by side.
extension Tensor {
    /// Element-wise binary cross-entropy of `logits` against `labels` (same shape), in the stable form
    /// `max(x, 0) − x·y + log(1 + e^−|x|)`.
    ///
    /// The gradient with respect to the logits is `σ(x) − y` everywhere (including x = 0, where composing
    /// `relu` and `absolute` would give a wrong subgradient); the gradient with respect to the labels is `−x`.
    public static func sigmoidCrossEntropy(logits: Tensor, labels: Tensor) throws -> Tensor {
        guard logits.shape == labels.shape else {
            throw TensorError.shapeMismatch(op: "sigmoidCrossEntropy", shapes: [logits.shape, labels.shape],
                                            message: "logits and labels must have the same shape")
        }
        let count = logits.elementCount
        let result = Tensor.uninitialized(logits.shape)
        let x = logits.storage.pointer, y = labels.storage.pointer, r = result.storage.pointer
        for i in 0..<count {
            let value = x[i]
            r[i] = Swift.max(value, 0) - value * y[i] + log1pf(expf(-Swift.abs(value)))
        }
        return record(result, op: "sigmoidCrossEntropy", inputs: [logits, labels]) { gradient in
            let g = gradient.storage.pointer
            var logitGradient: Tensor?
            var labelGradient: Tensor?
            if logits.requiresGradient {
                let out = Tensor.uninitialized(logits.shape)
                let d = out.storage.pointer
                for i in 0..<count {
                    let value = x[i]
                    let e = expf(-Swift.abs(value))
                    let sigmoid = value >= 0 ? 1 / (1 + e) : e / (1 + e)
                    d[i] = g[i] * (sigmoid - y[i])
                }
                logitGradient = out
            }
            if labels.requiresGradient {
                let out = Tensor.uninitialized(labels.shape)
                let d = out.storage.pointer
                for i in 0..<count { d[i] = -g[i] * x[i] }
                labelGradient = out
            }
            return [logitGradient, labelGradient]
        }
    }
}
