/// Activation functions on oneDNN eltwise and softmax primitives.
extension Tensor {
    /// The element-wise activations FineTune runs through oneDNN.
    public enum Activation: String, Sendable, CaseIterable {
        case relu, relu6, sigmoid, tanh, gelu

        /// The function as oneDNN computes it.
        var function: DNNL.Eltwise {
            switch self {
            case .relu: return DNNL.Eltwise(algorithm: .relu)
            case .relu6: return DNNL.Eltwise(algorithm: .clip, alpha: 0, beta: 6)
            case .sigmoid: return DNNL.Eltwise(algorithm: .logistic)
            case .tanh: return DNNL.Eltwise(algorithm: .tanh)
            case .gelu: return DNNL.Eltwise(algorithm: .geluErf)
            }
        }

        /// The same function in the form whose backward reads the output instead of the input, when oneDNN has one.
        var outputBackwardFunction: DNNL.Eltwise? {
            switch self {
            case .relu: return DNNL.Eltwise(algorithm: .reluUsingOutput)
            // The gradient passes where 0 < y < 6, as PyTorch's hardtanh (strict at both bounds).
            case .relu6: return DNNL.Eltwise(algorithm: .clipV2UsingOutput, alpha: 0, beta: 6)
            case .sigmoid: return DNNL.Eltwise(algorithm: .logisticUsingOutput)
            case .tanh: return DNNL.Eltwise(algorithm: .tanhUsingOutput)
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
        let plan = try EltwisePlan(activation.function, name: activation.rawValue, for: self)
        let result = plan.forward.output(.destination, shape: shape)
        try plan.run(plan.forward, [.source: .tensor(self), .destination: .tensor(result)], count: elementCount)
        return Tensor.record(result, op: activation.rawValue, inputs: [self]) { gradient in
            let backward = try plan.backward()
            let gx = backward.output(.diffSource, shape: self.shape)
            try plan.run(backward, [.source: .tensor(self), .diffDestination: .tensor(gradient),
                                    .diffSource: .tensor(gx)], count: self.elementCount)
            return [gx]
        }
    }

    /// Applies `activation` in place, with no tape; returns the backward rule in terms of the output, or `nil` (and
    /// changes nothing) when oneDNN has no output-based backward for it. Fused ops use it to keep only the output.
    func activateInPlace(_ activation: Activation) throws -> ((_ gradient: Tensor, _ output: Tensor) throws -> Tensor)? {
        guard let function = activation.outputBackwardFunction else { return nil }
        let plan = try EltwisePlan(function, name: "\(activation.rawValue)-dst", for: self, backwardReads: .destination)
        try plan.run(plan.forward, [.source: .tensor(self), .destination: .tensor(self)], count: elementCount)
        return { gradient, output in
            let backward = try plan.backward()
            let gx = backward.output(.diffSource, shape: output.shape)
            try plan.run(backward, [.destination: .tensor(output), .diffDestination: .tensor(gradient),
                                    .diffSource: .tensor(gx)], count: output.elementCount)
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
        let plain = try MemoryDescriptor.plain(shape.dimensions)
        let key = "\(op)\(shape.dimensions)a\(axis)"
        let forward = try context.primitive("\(key)|fwd") {
            try .softmaxForward(logarithmic: logarithmic, data: plain, axis: axis,
                                arguments: [.input(.source, plain), .output(.destination, plain)], context: context)
        }
        let result = Tensor.uninitialized(shape)
        try forward.execute([.source: rawPointer, .destination: result.rawPointer], context: context)
        // Capture the output's storage, not `result` (that would be a reference cycle through its gradientFunction).
        let output = result.storage
        return Tensor.record(result, op: op, inputs: [self]) { gradient in
            let backward = try context.primitive("\(key)|bwd") {
                try .softmaxBackward(logarithmic: logarithmic, data: plain, axis: axis, hint: forward, arguments: [
                    .input(.destination, plain), .input(.diffDestination, plain), .output(.diffSource, plain),
                ], context: context)
            }
            let gx = Tensor.uninitialized(self.shape)
            try backward.execute([.destination: UnsafeMutableRawPointer(output.pointer), .diffDestination: gradient.rawPointer,
                                  .diffSource: gx.rawPointer], context: context)
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
    private let data: MemoryDescriptor
    private let user: MemoryDescriptor
    private let function: DNNL.Eltwise
    /// The forward value the backward reads: the input, or the output for the output-based algorithms.
    private let backwardReads: DNNL.Argument

    init(_ function: DNNL.Eltwise, name: String, for tensor: Tensor, backwardReads: DNNL.Argument = .source) throws {
        context = try DNNLContext.shared()
        let count = max(tensor.elementCount, 1)
        let layout = tensor.nativeLayout
        data = try layout?.descriptor ?? .plain([count])
        user = try layout?.plain ?? .plain([count])
        key = "eltwise-\(name)[\(count)]\(layout?.key ?? "")"
        self.function = function
        self.backwardReads = backwardReads
        let (data, user, context) = (data, user, context)
        forward = try context.primitive("\(key)|fwd") {
            try .eltwiseForward(function, data: data, arguments: [.input(.source, user), .output(.destination, user)],
                                context: context)
        }
    }

    func backward() throws -> DNNLPrimitive {
        let (data, user, function, forward, reads) = (data, user, function, forward, backwardReads)
        return try context.primitive("\(key)|bwd") {
            try .eltwiseBackward(function, data: data, hint: forward, arguments: [
                .input(reads, user), .input(.diffDestination, user), .output(.diffSource, user),
            ], context: context)
        }
    }

    /// Runs `primitive` unless the tensor is empty.
    func run(_ primitive: DNNLPrimitive, _ operands: [DNNL.Argument: DNNLOperand], count: Int) throws {
        guard count > 0 else { return }
        try primitive.execute(operands: operands, context: context)
    }
}
