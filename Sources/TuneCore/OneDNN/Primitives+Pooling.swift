import CDNNL

extension DNNL {
    /// oneDNN's pooling reductions.
    enum PoolingAlgorithm: Hashable {
        case max, averageIncludingPadding, averageExcludingPadding

        var raw: dnnl_alg_kind_t {
            switch self {
            case .max: return dnnl_pooling_max
            case .averageIncludingPadding: return dnnl_pooling_avg_include_padding
            case .averageExcludingPadding: return dnnl_pooling_avg_exclude_padding
            }
        }
    }
}

/// 2-D pooling primitives (training forward, which keeps a max-pooling workspace, and backward).
extension DNNLPrimitive {
    static func poolingForward(_ algorithm: DNNL.PoolingAlgorithm, source: MemoryDescriptor, destination: MemoryDescriptor,
                               window: WindowGeometry, arguments: [DNNLArgument], context: DNNLContext) throws -> DNNLPrimitive {
        var src = source.raw, dst = destination.raw
        var desc = dnnl_pooling_v2_desc_t()
        try DNNL.check(dnnl_pooling_v2_forward_desc_init(&desc, dnnl_forward_training, algorithm.raw, &src, &dst,
                                                         window.dnnlStride, window.dnnlKernel, window.dnnlDilation,
                                                         window.dnnlPadBefore, window.dnnlPadAfter),
                       "dnnl_pooling_v2_forward_desc_init")
        return try DNNLPrimitive(&desc, arguments: arguments, context: context)
    }

    static func poolingBackward(_ algorithm: DNNL.PoolingAlgorithm, source: MemoryDescriptor, destination: MemoryDescriptor,
                                window: WindowGeometry, hint: DNNLPrimitive, arguments: [DNNLArgument],
                                context: DNNLContext) throws -> DNNLPrimitive {
        var src = source.raw, dst = destination.raw
        var desc = dnnl_pooling_v2_desc_t()
        try DNNL.check(dnnl_pooling_v2_backward_desc_init(&desc, algorithm.raw, &src, &dst, window.dnnlStride,
                                                          window.dnnlKernel, window.dnnlDilation,
                                                          window.dnnlPadBefore, window.dnnlPadAfter),
                       "dnnl_pooling_v2_backward_desc_init")
        return try DNNLPrimitive(&desc, hint: hint, arguments: arguments, context: context)
    }
}
