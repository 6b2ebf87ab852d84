import CDNNL

extension DNNL {
    /// An element-wise function oneDNN computes: an algorithm and its two parameters.
    struct Eltwise: Hashable {
        enum Algorithm: Hashable {
            case relu, clip, logistic, tanh, geluErf
            /// Forms whose backward reads the forward's output instead of its input.
            case reluUsingOutput, clipV2UsingOutput, logisticUsingOutput, tanhUsingOutput

            var raw: dnnl_alg_kind_t {
                switch self {
                case .relu: return dnnl_eltwise_relu
                case .clip: return dnnl_eltwise_clip
                case .logistic: return dnnl_eltwise_logistic
                case .tanh: return dnnl_eltwise_tanh
                case .geluErf: return dnnl_eltwise_gelu_erf
                case .reluUsingOutput: return dnnl_eltwise_relu_use_dst_for_bwd
                case .clipV2UsingOutput: return dnnl_eltwise_clip_v2_use_dst_for_bwd
                case .logisticUsingOutput: return dnnl_eltwise_logistic_use_dst_for_bwd
                case .tanhUsingOutput: return dnnl_eltwise_tanh_use_dst_for_bwd
                }
            }
        }

        let algorithm: Algorithm
        var alpha: Float = 0
        var beta: Float = 0
    }
}

/// Element-wise and softmax primitives (training forward and backward).
extension DNNLPrimitive {
    static func eltwiseForward(_ function: DNNL.Eltwise, data: MemoryDescriptor, arguments: [DNNLArgument],
                               context: DNNLContext) throws -> DNNLPrimitive {
        var data = data.raw
        var desc = dnnl_eltwise_desc_t()
        try DNNL.check(dnnl_eltwise_forward_desc_init(&desc, dnnl_forward_training, function.algorithm.raw, &data,
                                                      function.alpha, function.beta), "dnnl_eltwise_forward_desc_init")
        return try DNNLPrimitive(&desc, arguments: arguments, context: context)
    }

    static func eltwiseBackward(_ function: DNNL.Eltwise, data: MemoryDescriptor, hint: DNNLPrimitive,
                                arguments: [DNNLArgument], context: DNNLContext) throws -> DNNLPrimitive {
        var data = data.raw, diff = data
        var desc = dnnl_eltwise_desc_t()
        try DNNL.check(dnnl_eltwise_backward_desc_init(&desc, function.algorithm.raw, &diff, &data, function.alpha,
                                                       function.beta), "dnnl_eltwise_backward_desc_init")
        return try DNNLPrimitive(&desc, hint: hint, arguments: arguments, context: context)
    }

    /// Softmax (or log-softmax) along `axis`.
    static func softmaxForward(logarithmic: Bool, data: MemoryDescriptor, axis: Int, arguments: [DNNLArgument],
                               context: DNNLContext) throws -> DNNLPrimitive {
        var data = data.raw
        var desc = dnnl_softmax_desc_t()
        try DNNL.check(logarithmic
            ? dnnl_logsoftmax_forward_desc_init(&desc, dnnl_forward_training, &data, Int32(axis))
            : dnnl_softmax_forward_desc_init(&desc, dnnl_forward_training, &data, Int32(axis)),
            "dnnl_softmax_forward_desc_init")
        return try DNNLPrimitive(&desc, arguments: arguments, context: context)
    }

    static func softmaxBackward(logarithmic: Bool, data: MemoryDescriptor, axis: Int, hint: DNNLPrimitive,
                                arguments: [DNNLArgument], context: DNNLContext) throws -> DNNLPrimitive {
        var data = data.raw, diff = data
        var desc = dnnl_softmax_desc_t()
        try DNNL.check(logarithmic
            ? dnnl_logsoftmax_backward_desc_init(&desc, &diff, &data, Int32(axis))
            : dnnl_softmax_backward_desc_init(&desc, &diff, &data, Int32(axis)),
            "dnnl_softmax_backward_desc_init")
        return try DNNLPrimitive(&desc, hint: hint, arguments: arguments, context: context)
    }
}
