import CDNNL

/// Batch-normalization primitives, always with a per-channel scale and shift. Statistics are either given (read as
/// inputs; the backward then holds them fixed) or computed by the forward (the backward then differentiates through
/// them).
extension DNNLPrimitive {
    private static func batchNormFlags(givenStatistics: Bool) -> UInt32 {
        dnnl_use_scale.rawValue | dnnl_use_shift.rawValue | (givenStatistics ? dnnl_use_global_stats.rawValue : 0)
    }

    static func batchNormForward(data: MemoryDescriptor, epsilon: Float, givenStatistics: Bool, arguments: [DNNLArgument],
                                 context: DNNLContext) throws -> DNNLPrimitive {
        var src = data.raw
        var desc = dnnl_batch_normalization_desc_t()
        try DNNL.check(dnnl_batch_normalization_forward_desc_init(&desc, dnnl_forward_training, &src, epsilon,
                                                                  batchNormFlags(givenStatistics: givenStatistics)),
                       "dnnl_batch_normalization_forward_desc_init")
        return try DNNLPrimitive(&desc, arguments: arguments, context: context)
    }

    static func batchNormBackward(data: MemoryDescriptor, epsilon: Float, givenStatistics: Bool, hint: DNNLPrimitive,
                                  arguments: [DNNLArgument], context: DNNLContext) throws -> DNNLPrimitive {
        var src = data.raw, diff = data.raw
        var desc = dnnl_batch_normalization_desc_t()
        try DNNL.check(dnnl_batch_normalization_backward_desc_init(&desc, dnnl_backward, &diff, &src, epsilon,
                                                                   batchNormFlags(givenStatistics: givenStatistics)),
                       "dnnl_batch_normalization_backward_desc_init")
        return try DNNLPrimitive(&desc, hint: hint, arguments: arguments, context: context)
    }
}
