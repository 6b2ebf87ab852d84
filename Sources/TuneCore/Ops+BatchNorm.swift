import CDNNL

/// Batch normalization on oneDNN, in training mode (batch statistics) and inference mode (given statistics).
extension Tensor {
    /// Normalizes `x` (`[N, C, H, W]` or `[N, C]`) with its own batch statistics, then scales and shifts per channel.
    ///
    /// Returns the output and the batch mean and biased variance (`[C]`), which the caller folds into running
    /// statistics. Gradients flow to `x`, `scale` and `shift`.
    public static func batchNormTraining(_ x: Tensor, scale: Tensor, shift: Tensor,
                                         epsilon: Float) throws -> (output: Tensor, mean: Tensor, variance: Tensor) {
        try batchNorm(x, scale: scale, shift: shift, statistics: nil, epsilon: epsilon)
    }

    /// Normalizes `x` with fixed `mean` and `variance` (inference mode, or a frozen layer).
    public static func batchNormInference(_ x: Tensor, scale: Tensor, shift: Tensor, mean: Tensor, variance: Tensor,
                                          epsilon: Float) throws -> Tensor {
        try batchNorm(x, scale: scale, shift: shift, statistics: (mean, variance), epsilon: epsilon).output
    }

    private static func batchNorm(_ x: Tensor, scale: Tensor, shift: Tensor, statistics: (Tensor, Tensor)?,
                                  epsilon: Float) throws -> (output: Tensor, mean: Tensor, variance: Tensor) {
        let op = statistics == nil ? "batchNormTraining" : "batchNormInference"
        guard x.shape.rank == 4 || x.shape.rank == 2 else {
            throw TensorError.shapeMismatch(op: op, shapes: [x.shape], message: "expected [N, C, H, W] or [N, C]")
        }
        let channels = x.shape[1]
        let perChannel: [Tensor] = [scale, shift] + (statistics.map { [$0.0, $0.1] } ?? [])
        for tensor in perChannel where tensor.shape != [channels] {
            throw TensorError.shapeMismatch(op: op, shapes: [x.shape, tensor.shape], message: "per-channel tensors must be [\(channels)]")
        }
        guard x.shape[0] > 0 else { throw TensorError.emptyBatch(op: op) }
        guard epsilon > 0 else { throw TensorError.invalidArgument(op: op, message: "epsilon must be positive") }
        let dims = x.shape.rank == 4 ? x.shape.dimensions : [x.shape[0], channels, 1, 1]
        let context = try DNNLContext.shared()
        let data = try DNNL.plainDescriptor(dims)
        let channel = try DNNL.plainDescriptor([channels])
        let useGlobal = statistics != nil
        var flags = dnnl_use_scale.rawValue | dnnl_use_shift.rawValue
        if useGlobal { flags |= dnnl_use_global_stats.rawValue }
        let key = "bnorm\(dims)e\(epsilon)g\(useGlobal)"
        let forward = try context.primitive("\(key)|fwd") {
            var src = data
            var desc = dnnl_batch_normalization_desc_t()
            try DNNL.check(dnnl_batch_normalization_forward_desc_init(&desc, dnnl_forward_training, &src, epsilon, flags),
                           "dnnl_batch_normalization_forward_desc_init")
            let stats: [DNNLArgument] = useGlobal
                ? [.input(DNNL_ARG_MEAN, channel), .input(DNNL_ARG_VARIANCE, channel)]
                : [.output(DNNL_ARG_MEAN, channel), .output(DNNL_ARG_VARIANCE, channel)]
            return try DNNLPrimitive(&desc, arguments: [
                .input(DNNL_ARG_SRC, data), .output(DNNL_ARG_DST, data),
                .input(DNNL_ARG_SCALE, channel), .input(DNNL_ARG_SHIFT, channel),
            ] + stats, context: context)
        }
        let output = Tensor.uninitialized(x.shape)
        let mean = statistics?.0 ?? Tensor.uninitialized([channels])
        let variance = statistics?.1 ?? Tensor.uninitialized([channels])
        try forward.execute([DNNL_ARG_SRC: x.rawPointer, DNNL_ARG_DST: output.rawPointer, DNNL_ARG_SCALE: scale.rawPointer,
                             DNNL_ARG_SHIFT: shift.rawPointer, DNNL_ARG_MEAN: mean.rawPointer,
                             DNNL_ARG_VARIANCE: variance.rawPointer], context: context)
        record(output, op: op, inputs: [x, scale, shift]) { gradient in
            let backward = try context.primitive("\(key)|bwd") {
                var src = data, diff = data
                var desc = dnnl_batch_normalization_desc_t()
                try DNNL.check(dnnl_batch_normalization_backward_desc_init(&desc, dnnl_backward, &diff, &src, epsilon, flags),
                               "dnnl_batch_normalization_backward_desc_init")
                // oneDNN 2.6 counts SHIFT as a backward input whenever `dnnl_use_shift` is set (it is not read),
                // and rejects the execution with `invalid_arguments` if it is not bound.
                return try DNNLPrimitive(&desc, hint: forward, arguments: [
                    .input(DNNL_ARG_SRC, data), .input(DNNL_ARG_DIFF_DST, data), .input(DNNL_ARG_SCALE, channel),
                    .input(DNNL_ARG_SHIFT, channel), .input(DNNL_ARG_MEAN, channel), .input(DNNL_ARG_VARIANCE, channel),
                    .output(DNNL_ARG_DIFF_SRC, data), .output(DNNL_ARG_DIFF_SCALE, channel),
                    .output(DNNL_ARG_DIFF_SHIFT, channel),
                ], context: context)
            }
            let gx = Tensor.uninitialized(x.shape)
            let gScale = Tensor.uninitialized([channels]), gShift = Tensor.uninitialized([channels])
            try backward.execute([DNNL_ARG_SRC: x.rawPointer, DNNL_ARG_DIFF_DST: gradient.rawPointer,
                                  DNNL_ARG_SCALE: scale.rawPointer, DNNL_ARG_SHIFT: shift.rawPointer,
                                  DNNL_ARG_MEAN: mean.rawPointer,
                                  DNNL_ARG_VARIANCE: variance.rawPointer, DNNL_ARG_DIFF_SRC: gx.rawPointer,
                                  DNNL_ARG_DIFF_SCALE: gScale.rawPointer, DNNL_ARG_DIFF_SHIFT: gShift.rawPointer],
                                 context: context)
            return [gx, gScale, gShift]
        }
        return (output, mean, variance)
    }
}
