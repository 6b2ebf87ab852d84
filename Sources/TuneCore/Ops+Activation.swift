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

        /// The same function in the form whose backward reads the output instead of the input, when oneDNN has one.
        var outputBackwardAlgorithm: (kind: dnnl_alg_kind_t, alpha: Float, beta: Float)? {
            switch self {
            case .relu: return (dnnl_eltwise_relu_use_dst_for_bwd, 0, 0)
            // The gradient passes where 0 < y < 6, as PyTorch's hardtanh (strict at both bounds).
            case .relu6: return (dnnl_eltwise_clip_v2_use_dst_for_bwd, 0, 6)
            case .sigmoid: return (dnnl_eltwise_logistic_use_dst_for_bwd, 0, 0)
            case .tanh: return (dnnl_eltwise_tanh_use_dst_for_bwd, 0, 0)
            case .gelu: return nil
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
        let plan = try EltwisePlan(activation.algorithm, name: activation.rawValue, for: self)
        let result = plan.forward.output(DNNL_ARG_DST, shape: shape)
        try plan.run(plan.forward, [DNNL_ARG_SRC: .tensor(self), DNNL_ARG_DST: .tensor(result)], count: elementCount)
        return Tensor.record(result, op: activation.rawValue, inputs: [self]) { gradient in
            let backward = try plan.backward()
            let gx = backward.output(DNNL_ARG_DIFF_SRC, shape: self.shape)
            try plan.run(backward, [DNNL_ARG_SRC: .tensor(self), DNNL_ARG_DIFF_DST: .tensor(gradient),
                                    DNNL_ARG_DIFF_SRC: .tensor(gx)], count: self.elementCount)
            return [gx]
        }
    }

    /// Applies `activation` in place, with no tape; returns the backward rule in terms of the output, or `nil` (and
    /// changes nothing) when oneDNN has no output-based backward for it. Fused ops use it to keep only the output.
    func activateInPlace(_ activation: Activation) throws -> ((_ gradient: Tensor, _ output: Tensor) throws -> Tensor)? {
        guard let algorithm = activation.outputBackwardAlgorithm else { return nil }
        let plan = try EltwisePlan(algorithm, name: "\(activation.rawValue)-dst", for: self, backwardReads: DNNL_ARG_DST)
        try plan.run(plan.forward, [DNNL_ARG_SRC: .tensor(self), DNNL_ARG_DST: .tensor(self)], count: elementCount)
        return { gradient, output in
            let backward = try plan.backward()
            let gx = backward.output(DNNL_ARG_DIFF_SRC, shape: output.shape)
            try plan.run(backward, [DNNL_ARG_DST: .tensor(output), DNNL_ARG_DIFF_DST: .tensor(gradient),
                                    DNNL_ARG_DIFF_SRC: .tensor(gx)], count: output.elementCount)
            return gx
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

/// The cached eltwise primitives of one activation for one tensor layout: a native layout is used as is, plain data
/// as one flat run of elements.
struct EltwisePlan {
    let context: DNNLContext
    let forward: DNNLPrimitive
    private let key: String
    private let data: dnnl_memory_desc_t
    private let user: dnnl_memory_desc_t
    private let algorithm: (kind: dnnl_alg_kind_t, alpha: Float, beta: Float)
    /// The forward value the backward reads: `DNNL_ARG_SRC`, or `DNNL_ARG_DST` for the output-based algorithms.
    private let backwardReads: Int32

    init(_ algorithm: (kind: dnnl_alg_kind_t, alpha: Float, beta: Float), name: String, for tensor: Tensor,
         backwardReads: Int32 = DNNL_ARG_SRC) throws {
        context = try DNNLContext.shared()
        let count = max(tensor.elementCount, 1)
        let layout = tensor.nativeLayout
        data = try layout?.descriptor ?? DNNL.plainDescriptor([count])
        user = try layout?.plain ?? DNNL.plainDescriptor([count])
        key = "eltwise-\(name)[\(count)]\(layout?.key ?? "")"
        self.algorithm = algorithm
        self.backwardReads = backwardReads
        let (data, user, context) = (data, user, context)
        forward = try context.primitive("\(key)|fwd") {
            var data = data
            var desc = dnnl_eltwise_desc_t()
            try DNNL.check(dnnl_eltwise_forward_desc_init(&desc, dnnl_forward_training, algorithm.kind, &data,
                                                          algorithm.alpha, algorithm.beta), "dnnl_eltwise_forward_desc_init")
            return try DNNLPrimitive(&desc, arguments: [.input(DNNL_ARG_SRC, user), .output(DNNL_ARG_DST, user)], context: context)
        }
    }

    func backward() throws -> DNNLPrimitive {
        let (data, user, algorithm, forward, reads) = (data, user, algorithm, forward, backwardReads)
        return try context.primitive("\(key)|bwd") {
            var data = data, diff = data
            var desc = dnnl_eltwise_desc_t()
            try DNNL.check(dnnl_eltwise_backward_desc_init(&desc, algorithm.kind, &diff, &data, algorithm.alpha, algorithm.beta),
                           "dnnl_eltwise_backward_desc_init")
            return try DNNLPrimitive(&desc, hint: forward, arguments: [
                .input(reads, user), .input(DNNL_ARG_DIFF_DST, user), .output(DNNL_ARG_DIFF_SRC, user),
            ], context: context)
        }
    }

    /// Runs `primitive` unless the tensor is empty.
    func run(_ primitive: DNNLPrimitive, _ operands: [Int32: DNNLOperand], count: Int) throws {
        guard count > 0 else { return }
        try primitive.execute(operands: operands, context: context)
    }
}
