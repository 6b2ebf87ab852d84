import CDNNL

/// Activation functions on oneDNN eltwise and softmax primitives.
extension Tensor {
    /// The element-wise activations FineTune runs through oneDNN.
    public enum Activation: String, Sendable, CaseIterable {
        case relu, relu6, sigmoid, tanh, gelu

        var algorithm: (kind: dnnl_alg_kind_t, alpha: Float, beta: Float) {
            switch self {
            case .relu: return (dnnl_eltwise_relu, 0, 0)
            case .relu6: return (dnnl_eltwise_clip, 0, 6)
            case .sigmoid: return (dnnl_eltwise_logistic, 0, 0)
            case .tanh: return (dnnl_eltwise_tanh, 0, 0)
            case .gelu: return (dnnl_eltwise_gelu_erf, 0, 0)
            }
        }
    }

    /// max(x, 0).
    public func relu() throws -> Tensor { try activated(.relu) }
    /// min(max(x, 0), 6).
    public func relu6() throws -> Tensor { try activated(.relu6) }
    /// 1 / (1 + e⁻ˣ).
    public func sigmoid() throws -> Tensor { try activated(.sigmoid) }
    /// Hyperbolic tangent.
    public func tanh() throws -> Tensor { try activated(.tanh) }
    /// GELU with the exact (erf) form, as PyTorch's default.
    public func gelu() throws -> Tensor { try activated(.gelu) }

    /// Applies `activation` element-wise, in the layout this tensor holds (so a blocked activation stays blocked).
    public func activated(_ activation: Activation) throws -> Tensor {
        let context = try DNNLContext.shared()
        let (kind, alpha, beta) = activation.algorithm
        let count = max(elementCount, 1)
        let layout = nativeLayout
        // A native layout is used as is; plain data is one flat run of elements.
        let data = try layout?.descriptor ?? DNNL.plainDescriptor([count])
        let user = try layout?.plain ?? DNNL.plainDescriptor([count])
        let key = "eltwise-\(activation.rawValue)[\(count)]\(layout?.key ?? "")"
        let forward = try context.primitive("\(key)|fwd") {
            var data = data
            var desc = dnnl_eltwise_desc_t()
            try DNNL.check(dnnl_eltwise_forward_desc_init(&desc, dnnl_forward_training, kind, &data, alpha, beta),
                           "dnnl_eltwise_forward_desc_init")
            return try DNNLPrimitive(&desc, arguments: [.input(DNNL_ARG_SRC, user), .output(DNNL_ARG_DST, user)], context: context)
        }
        let result = try forward.output(DNNL_ARG_DST, shape: shape)
        if elementCount > 0 {
            try forward.execute(operands: [DNNL_ARG_SRC: .tensor(self), DNNL_ARG_DST: .tensor(result)], context: context)
        }
        return Tensor.record(result, op: activation.rawValue, inputs: [self]) { gradient in
            let backward = try context.primitive("\(key)|bwd") {
                var data = data, diff = data
                var desc = dnnl_eltwise_desc_t()
                try DNNL.check(dnnl_eltwise_backward_desc_init(&desc, kind, &diff, &data, alpha, beta),
                               "dnnl_eltwise_backward_desc_init")
                return try DNNLPrimitive(&desc, hint: forward, arguments: [
                    .input(DNNL_ARG_SRC, user), .input(DNNL_ARG_DIFF_DST, user), .output(DNNL_ARG_DIFF_SRC, user),
                ], context: context)
            }
            let gx = try backward.output(DNNL_ARG_DIFF_SRC, shape: self.shape)
            if self.elementCount > 0 {
                try backward.execute(operands: [DNNL_ARG_SRC: .tensor(self), DNNL_ARG_DIFF_DST: .tensor(gradient),
                                                DNNL_ARG_DIFF_SRC: .tensor(gx)], context: context)
            }
            return [gx]
        }
    }

    /// Softmax along `axis` (default: last).
    public func softmax(axis: Int = -1) throws -> Tensor { try softmaxFamily(axis: axis, logarithmic: false) }
    /// Log-softmax along `axis` (default: last), computed stably.
    public func logSoftmax(axis: Int = -1) throws -> Tensor { try softmaxFamily(axis: axis, logarithmic: true) }

    private func softmaxFamily(axis: Int, logarithmic: Bool) throws -> Tensor {
        let op = logarithmic ? "logSoftmax" : "softmax"
        let axis = try shape.normalizedAxis(axis, op: op)
        guard elementCount > 0 else { throw TensorError.invalidArgument(op: op, message: "empty tensor \(shape)") }
        let context = try DNNLContext.shared()
        let plain = try DNNL.plainDescriptor(shape.dimensions)
        let key = "\(op)\(shape.dimensions)a\(axis)"
        let forward = try context.primitive("\(key)|fwd") {
            var data = plain
            var desc = dnnl_softmax_desc_t()
            try DNNL.check(logarithmic
                ? dnnl_logsoftmax_forward_desc_init(&desc, dnnl_forward_training, &data, Int32(axis))
                : dnnl_softmax_forward_desc_init(&desc, dnnl_forward_training, &data, Int32(axis)),
                "dnnl_softmax_forward_desc_init")
            return try DNNLPrimitive(&desc, arguments: [.input(DNNL_ARG_SRC, plain), .output(DNNL_ARG_DST, plain)], context: context)
        }
        let result = Tensor.uninitialized(shape)
        try forward.execute([DNNL_ARG_SRC: rawPointer, DNNL_ARG_DST: result.rawPointer], context: context)
        // Capture the output's storage, not `result` (that would be a reference cycle through its gradientFunction).
        let output = result.storage
        return Tensor.record(result, op: op, inputs: [self]) { gradient in
            let backward = try context.primitive("\(key)|bwd") {
                var data = plain, diff = plain
                var desc = dnnl_softmax_desc_t()
                try DNNL.check(logarithmic
                    ? dnnl_logsoftmax_backward_desc_init(&desc, &diff, &data, Int32(axis))
                    : dnnl_softmax_backward_desc_init(&desc, &diff, &data, Int32(axis)),
                    "dnnl_softmax_backward_desc_init")
                return try DNNLPrimitive(&desc, hint: forward, arguments: [
                    .input(DNNL_ARG_DST, plain), .input(DNNL_ARG_DIFF_DST, plain), .output(DNNL_ARG_DIFF_SRC, plain),
                ], context: context)
            }
            let gx = Tensor.uninitialized(self.shape)
            try backward.execute([DNNL_ARG_DST: UnsafeMutableRawPointer(output.pointer), DNNL_ARG_DIFF_DST: gradient.rawPointer,
                                  DNNL_ARG_DIFF_SRC: gx.rawPointer], context: context)
            return [gx]
        }
    }
}
