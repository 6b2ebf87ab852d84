/// Layer normalization over the last axis on oneDNN's layer-normalization primitive, forward and backward side by side.
extension Tensor {
    /// `(x − mean) / √(variance + ε) · scale + shift` over the last axis of `self` (any rank ≥ 1), with each row's own
    /// mean and population (biased) variance, as PyTorch's `LayerNorm`.
    ///
    /// `scale` and `shift` are `[lastDim]` and optional (without them the scale is 1 and the shift 0). Gradients flow
    /// to `self`, `scale` and `shift`, through the statistics.
    public func layerNormalized(scale: Tensor?, shift: Tensor?, epsilon: Float) throws -> Tensor {
        let op = "layerNorm"
        guard shape.rank >= 1 else {
            throw TensorError.shapeMismatch(op: op, shapes: [shape], message: "expected rank ≥ 1")
        }
        let features = shape[shape.rank - 1]
        for parameter in [scale, shift].compactMap({ $0 }) where parameter.shape != [features] {
            throw TensorError.shapeMismatch(op: op, shapes: [shape, parameter.shape],
                                            message: "scale and shift must be [\(features)]")
        }
        guard elementCount > 0 else { throw TensorError.invalidArgument(op: op, message: "empty tensor \(shape)") }
        guard epsilon > 0, epsilon.isFinite else {
            throw TensorError.invalidArgument(op: op, message: "epsilon \(epsilon) must be positive and finite")
        }
        let plan = try LayerNormPlan(rows: elementCount / features, features: features, epsilon: epsilon,
                                     scale: scale != nil, shift: shift != nil)
        let (output, mean, variance) = try plan.forward(self, scale: scale, shift: shift)
        let inputs = [self] + [scale, shift].compactMap { $0 }
        return Tensor.record(output, op: op, inputs: inputs) { gradient in
            let (gx, gScale, gShift) = try plan.backward(gradient, x: self, scale: scale, shift: shift, mean: mean,
                                                        variance: variance)
            var gradients: [Tensor?] = [gx]
            if scale != nil { gradients.append(gScale) }
            if shift != nil { gradients.append(gShift) }
            return gradients
        }
    }
}

/// The cached oneDNN primitives of one layer-norm shape, with the input seen as `[rows, features]` (row-major).
struct LayerNormPlan {
    let context: DNNLContext
    let data: MemoryDescriptor
    let statistics: MemoryDescriptor
    let feature: MemoryDescriptor
    let key: String
    let epsilon: Float
    let flags: UInt32
    let usesScale: Bool
    let usesShift: Bool
    let rows: Int
    let features: Int

    init(rows: Int, features: Int, epsilon: Float, scale: Bool, shift: Bool) throws {
        context = try DNNLContext.shared()
        data = try .plain([rows, features])
        statistics = try .plain([rows])
        feature = try .plain([features])
        flags = DNNLPrimitive.layerNormFlags(scale: scale, shift: shift)
        usesScale = scale
        usesShift = shift
        key = "lnorm[\(rows), \(features)]e\(epsilon)f\(flags)"
        self.epsilon = epsilon
        self.rows = rows
        self.features = features
    }

    private func forwardPrimitive() throws -> DNNLPrimitive {
        try context.primitive("\(key)|fwd") {
            // Only the arguments in use are bound: with a scale or shift bound that the flags leave out, oneDNN 2.6
            // rejected the binding's reorder (dnnl_reorder_primitive_desc_create: invalid_arguments).
            var arguments: [DNNLArgument] = [
                .input(.source, data), .output(.destination, data), .output(.mean, statistics), .output(.variance, statistics),
            ]
            if usesScale { arguments.append(.input(.scale, feature)) }
            if usesShift { arguments.append(.input(.shift, feature)) }
            return try .layerNormForward(data: data, statistics: statistics, epsilon: epsilon, flags: flags,
                                         arguments: arguments, context: context)
        }
    }

    /// The normalized output and each row's mean and variance (`[rows]`), which the backward reads.
    func forward(_ x: Tensor, scale: Tensor?, shift: Tensor?) throws -> (output: Tensor, mean: Tensor, variance: Tensor) {
        let primitive = try forwardPrimitive()
        let output = Tensor.uninitialized(x.shape)
        let mean = Tensor.uninitialized([rows]), variance = Tensor.uninitialized([rows])
        var operands: [DNNL.Argument: DNNLOperand] = [
            .source: .tensor(x), .destination: .tensor(output), .mean: .tensor(mean), .variance: .tensor(variance),
        ]
        if let scale { operands[.scale] = .tensor(scale) }
        if let shift { operands[.shift] = .tensor(shift) }
        try primitive.execute(operands: operands, context: context)
        return (output, mean, variance)
    }

    /// Gradients for the input and, when used, the scale and shift (`nil` when not used).
    func backward(_ gradient: Tensor, x: Tensor, scale: Tensor?, shift: Tensor?, mean: Tensor,
                  variance: Tensor) throws -> (input: Tensor, scale: Tensor?, shift: Tensor?) {
        let hint = try forwardPrimitive()
        let primitive = try context.primitive("\(key)|bwd") {
            // oneDNN 2.6 counts SHIFT as an input of a backward with a shift (it is not read), as it does for batch norm.
            var arguments: [DNNLArgument] = [
                .input(.source, data), .input(.diffDestination, data), .input(.mean, statistics),
                .input(.variance, statistics), .output(.diffSource, data),
            ]
            if usesScale { arguments += [.input(.scale, feature), .output(.diffScale, feature)] }
            if usesShift { arguments += [.input(.shift, feature), .output(.diffShift, feature)] }
            return try .layerNormBackward(data: data, statistics: statistics, epsilon: epsilon, flags: flags, hint: hint,
                                          arguments: arguments, context: context)
        }
        let gx = Tensor.uninitialized(x.shape)
        let gScale = scale.map { _ in Tensor.uninitialized([features]) }
        let gShift = shift.map { _ in Tensor.uninitialized([features]) }
        var operands: [DNNL.Argument: DNNLOperand] = [
            .source: .tensor(x), .diffDestination: .tensor(gradient), .mean: .tensor(mean), .variance: .tensor(variance),
            .diffSource: .tensor(gx),
        ]
        if let scale, let gScale {
            operands[.scale] = .tensor(scale)
            operands[.diffScale] = .tensor(gScale)
        }
        if let shift, let gShift {
            operands[.shift] = .tensor(shift)
            operands[.diffShift] = .tensor(gShift)
        }
        try primitive.execute(operands: operands, context: context)
        return (gx, gScale, gShift)
    }
}
