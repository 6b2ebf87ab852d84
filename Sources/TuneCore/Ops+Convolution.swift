import CDNNL

/// 2-D convolution on oneDNN (forward, backward-data and backward-weights primitives).
extension Tensor {
    /// Convolves NCHW `input` with `weight` `[outChannels, inChannels / groups, kh, kw]` (PyTorch layout).
    ///
    /// `groups == inChannels == outChannels` is a depthwise convolution. `bias` is `[outChannels]`.
    public static func conv2d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                              padding: Padding = .valid, dilation: (Int, Int) = (1, 1), groups: Int = 1) throws -> Tensor {
        let (plan, outShape, geometry) = try convolutionPlan(input, weight: weight, bias: bias, stride: stride,
                                                             padding: padding, dilation: dilation, groups: groups)
        let forward = try plan.forward()
        let result = forward.output(DNNL_ARG_DST, shape: outShape)
        var operands: [Int32: DNNLOperand] = [
            DNNL_ARG_SRC: .tensor(input), DNNL_ARG_WEIGHTS: .tensor(weight), DNNL_ARG_DST: .tensor(result),
        ]
        if let bias { operands[DNNL_ARG_BIAS] = .tensor(bias) }
        try forward.execute(operands: operands, context: plan.context)

        let inputs = [input, weight] + (bias.map { [$0] } ?? [])
        return record(result, op: "conv2d", inputs: inputs) { gradient in
            var grads: [Tensor?] = [nil, nil, nil]
            if input.requiresGradient {
                let backwardData = try plan.backwardData()
                let gx = backwardData.output(DNNL_ARG_DIFF_SRC, shape: input.shape)
                try backwardData.execute(operands: [DNNL_ARG_DIFF_DST: .tensor(gradient), DNNL_ARG_WEIGHTS: .tensor(weight),
                                                    DNNL_ARG_DIFF_SRC: .tensor(gx)], context: plan.context)
                grads[0] = gx
            }
            if weight.requiresGradient,
               DepthwiseWeightGradient.applies(input: input.shape, weight: weight.shape, groups: groups,
                                               hasBias: bias != nil, geometry: geometry) {
                grads[1] = DepthwiseWeightGradient.compute(input: input, outputGradient: gradient,
                                                           weightShape: weight.shape, geometry: geometry)
            } else if weight.requiresGradient || bias?.requiresGradient == true {
                let gw = Tensor.uninitialized(weight.shape)
                var operands: [Int32: DNNLOperand] = [
                    DNNL_ARG_SRC: .tensor(input), DNNL_ARG_DIFF_DST: .tensor(gradient), DNNL_ARG_DIFF_WEIGHTS: .tensor(gw),
                ]
                let gb = bias.map { Tensor.uninitialized($0.shape) }
                if let gb { operands[DNNL_ARG_DIFF_BIAS] = .tensor(gb) }
                try plan.backwardWeights().execute(operands: operands, context: plan.context)
                grads[1] = gw
                grads[2] = gb
            }
            return Array(grads.prefix(inputs.count))
        }
    }

    /// Validates a convolution's operands and returns its plan, output shape and geometry.
    static func convolutionPlan(_ input: Tensor, weight: Tensor, bias: Tensor?, stride: (Int, Int), padding: Padding,
                                dilation: (Int, Int), groups: Int) throws -> (ConvolutionPlan, Shape, WindowGeometry) {
        let op = "conv2d"
        guard input.shape.rank == 4, weight.shape.rank == 4 else {
            throw TensorError.shapeMismatch(op: op, shapes: [input.shape, weight.shape], message: "expected NCHW input and OIHW weight")
        }
        let (n, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (o, cPerGroup, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
        guard n > 0 else { throw TensorError.emptyBatch(op: op) }
        guard groups > 0, c % groups == 0, o % groups == 0, cPerGroup == c / groups else {
            throw TensorError.shapeMismatch(op: op, shapes: [input.shape, weight.shape],
                                            message: "weight expects \(cPerGroup * groups) input channels in \(groups) groups, input has \(c)")
        }
        if let bias, bias.shape != [o] {
            throw TensorError.shapeMismatch(op: op, shapes: [bias.shape, weight.shape], message: "bias must be [\(o)]")
        }
        let geometry = try WindowGeometry(op: op, height: h, width: w, kernel: (kh, kw), stride: stride,
                                          dilation: dilation, padding: padding)
        let outShape: Shape = [n, o, geometry.output[0], geometry.output[1]]
        let plan = try ConvolutionPlan(input: input.shape, weight: weight.shape, output: outShape, groups: groups,
                                       hasBias: bias != nil, geometry: geometry)
        return (plan, outShape, geometry)
    }

    var rawPointer: UnsafeMutableRawPointer { storage.rawPointer }
}

/// The three cached oneDNN primitives of one convolution shape.
struct ConvolutionPlan {
    let context: DNNLContext
    let key: String
    let source: dnnl_memory_desc_t
    let weights: dnnl_memory_desc_t
    let bias: dnnl_memory_desc_t?
    let destination: dnnl_memory_desc_t
    let geometry: WindowGeometry
    private let dims: (source: [Int], weights: [Int], destination: [Int])

    init(input: Shape, weight: Shape, output: Shape, groups: Int, hasBias: Bool, geometry: WindowGeometry) throws {
        context = try DNNLContext.shared()
        let weightDims = groups == 1 ? weight.dimensions
            : [groups, weight[0] / groups, weight[1], weight[2], weight[3]]
        dims = (input.dimensions, weightDims, output.dimensions)
        source = try DNNL.plainDescriptor(input.dimensions)
        weights = try DNNL.plainDescriptor(weightDims)
        bias = hasBias ? try DNNL.plainDescriptor([output[1]]) : nil
        destination = try DNNL.plainDescriptor(output.dimensions)
        self.geometry = geometry
        key = "conv\(input.dimensions)w\(weightDims)b\(hasBias)\(geometry.key)"
    }

    func forward() throws -> DNNLPrimitive { try forward(inference: false, activation: nil) }

    /// The forward primitive; for inference it may apply `activation` to its output as a post-op.
    func forward(inference: Bool, activation: Tensor.Activation?) throws -> DNNLPrimitive {
        let variant = inference ? "|inf\(activation?.rawValue ?? "")" : ""
        return try context.primitive("\(key)|fwd\(variant)") {
            var src = try DNNL.anyDescriptor(dims.source), wei = try DNNL.anyDescriptor(dims.weights)
            var dst = try DNNL.anyDescriptor(dims.destination)
            var bia = bias
            var desc = dnnl_convolution_desc_t()
            try DNNL.check(withOptionalPointer(&bia) { biasPointer in
                dnnl_dilated_convolution_forward_desc_init(&desc, inference ? dnnl_forward_inference : dnnl_forward_training,
                                                           dnnl_convolution_direct, &src, &wei,
                                                           biasPointer, &dst, geometry.dnnlStride, geometry.dnnlDilation,
                                                           geometry.dnnlPadBefore, geometry.dnnlPadAfter)
            }, "dnnl_dilated_convolution_forward_desc_init")
            var arguments: [DNNLArgument] = [.input(DNNL_ARG_SRC, source), .input(DNNL_ARG_WEIGHTS, weights),
                                             .output(DNNL_ARG_DST, destination)]
            if let bias { arguments.append(.input(DNNL_ARG_BIAS, bias)) }
            let configure = activation.map { activation in
                { (attributes: dnnl_primitive_attr_t) in try DNNL.appendActivation(activation.algorithm, to: attributes) }
            }
            return try DNNLPrimitive(&desc, configure: configure, arguments: arguments, context: context)
        }
    }

    func backwardData() throws -> DNNLPrimitive {
        let hint = try forward()
        return try context.primitive("\(key)|bwd-data") {
            var src = try DNNL.anyDescriptor(dims.source), wei = try DNNL.anyDescriptor(dims.weights)
            var dst = try DNNL.anyDescriptor(dims.destination)
            var desc = dnnl_convolution_desc_t()
            try DNNL.check(dnnl_dilated_convolution_backward_data_desc_init(
                &desc, dnnl_convolution_direct, &src, &wei, &dst, geometry.dnnlStride, geometry.dnnlDilation,
                geometry.dnnlPadBefore, geometry.dnnlPadAfter), "dnnl_dilated_convolution_backward_data_desc_init")
            return try DNNLPrimitive(&desc, hint: hint, arguments: [
                .input(DNNL_ARG_DIFF_DST, destination), .input(DNNL_ARG_WEIGHTS, weights), .output(DNNL_ARG_DIFF_SRC, source),
            ], context: context)
        }
    }

    func backwardWeights() throws -> DNNLPrimitive {
        let hint = try forward()
        return try context.primitive("\(key)|bwd-weights") {
            var src = try DNNL.anyDescriptor(dims.source), wei = try DNNL.anyDescriptor(dims.weights)
            var dst = try DNNL.anyDescriptor(dims.destination)
            var bia = bias
            var desc = dnnl_convolution_desc_t()
            try DNNL.check(withOptionalPointer(&bia) { biasPointer in
                dnnl_dilated_convolution_backward_weights_desc_init(&desc, dnnl_convolution_direct, &src, &wei, biasPointer,
                                                                    &dst, geometry.dnnlStride, geometry.dnnlDilation,
                                                                    geometry.dnnlPadBefore, geometry.dnnlPadAfter)
            }, "dnnl_dilated_convolution_backward_weights_desc_init")
            var arguments: [DNNLArgument] = [.input(DNNL_ARG_SRC, source), .input(DNNL_ARG_DIFF_DST, destination),
                                             .output(DNNL_ARG_DIFF_WEIGHTS, weights)]
            if let bias { arguments.append(.output(DNNL_ARG_DIFF_BIAS, bias)) }
            return try DNNLPrimitive(&desc, hint: hint, arguments: arguments, context: context)
        }
    }
}

/// Passes a pointer to the wrapped value, or `nil`, to `body`.
func withOptionalPointer<T, R>(_ value: inout T?, _ body: (UnsafePointer<T>?) throws -> R) rethrows -> R {
    guard var unwrapped = value else { return try body(nil) }
    defer { value = unwrapped }
    return try withUnsafePointer(to: &unwrapped) { try body($0) }
}
