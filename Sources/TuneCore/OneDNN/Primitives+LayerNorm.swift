import CDNNL

/// Layer-normalization primitives over the last axis, with an optional per-feature scale and shift. The forward
/// (training) computes each row's mean and population variance and writes them out; the backward reads them back and
/// differentiates through them.
extension DNNLPrimitive {
    /// oneDNN 2.6's normalization flags for a layer norm with or without a scale and a shift.
    static func layerNormFlags(scale: Bool, shift: Bool) -> UInt32 {
        (scale ? dnnl_use_scale.rawValue : 0) | (shift ? dnnl_use_shift.rawValue : 0)
    }

    /// `data` is the input (and output) layout; `statistics` its dims without the last axis.
    static func layerNormForward(data: MemoryDescriptor, statistics: MemoryDescriptor, epsilon: Float, flags: UInt32,
                                 arguments: [DNNLArgument], context: DNNLContext) throws -> DNNLPrimitive {
        var src = data.raw, stat = statistics.raw
        var desc = dnnl_layer_normalization_desc_t()
        try DNNL.check(dnnl_layer_normalization_forward_desc_init(&desc, dnnl_forward_training, &src, &stat, epsilon, flags),
                       "dnnl_layer_normalization_forward_desc_init")
        return try DNNLPrimitive(&desc, arguments: arguments, context: context)
    }

    /// The backward of ``layerNormForward(data:statistics:epsilon:flags:arguments:context:)``: the input gradient,
    /// and the scale and shift gradients when `flags` use them (`dnnl_backward`; `dnnl_backward_data` without them).
    static func layerNormBackward(data: MemoryDescriptor, statistics: MemoryDescriptor, epsilon: Float, flags: UInt32,
                                  hint: DNNLPrimitive, arguments: [DNNLArgument], context: DNNLContext) throws -> DNNLPrimitive {
        var src = data.raw, diff = data.raw, stat = statistics.raw
        var desc = dnnl_layer_normalization_desc_t()
        let kind = flags == 0 ? dnnl_backward_data : dnnl_backward
        try DNNL.check(dnnl_layer_normalization_backward_desc_init(&desc, kind, &diff, &src, &stat, epsilon, flags),
                       "dnnl_layer_normalization_backward_desc_init")
        return try DNNLPrimitive(&desc, hint: hint, arguments: arguments, context: context)
    }
}
