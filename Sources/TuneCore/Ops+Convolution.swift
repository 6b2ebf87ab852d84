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
        let result = forward.output(.destination, shape: outShape)
        var operands: [DNNL.Argument: DNNLOperand] = [
            .source: .tensor(input), .weights: .tensor(weight), .destination: .tensor(result),
        ]
        if let bias { operands[.bias] = .tensor(bias) }
        try forward.execute(operands: operands, context: plan.context)

        let inputs = [input, weight] + (bias.map { [$0] } ?? [])
        return record(result, op: "conv2d", inputs: inputs) { gradient in
            var grads: [Tensor?] = [nil, nil, nil]
            if input.requiresGradient {
                let backwardData = try plan.backwardData()
                let gx = backwardData.output(.diffSource, shape: input.shape)
                try backwardData.execute(operands: [.diffDestination: .tensor(gradient), .weights: .tensor(weight),
                                                    .diffSource: .tensor(gx)], context: plan.context)
                grads[0] = gx
            }
            if weight.requiresGradient,
               DepthwiseWeightGradient.applies(input: input.shape, weight: weight.shape, groups: groups,
                                               hasBias: bias != nil, geometry: geometry) {
                grads[1] = DepthwiseWeightGradient.compute(input: input, outputGradient: gradient,
                                                           weightShape: weight.shape, geometry: geometry)
            } else if weight.requiresGradient || bias?.requiresGradient == true {
                let gw = Tensor.uninitialized(weight.shape)
                var operands: [DNNL.Argument: DNNLOperand] = [
                    .source: .tensor(input), .diffDestination: .tensor(gradient), .diffWeights: .tensor(gw),
                ]
                let gb = bias.map { Tensor.uninitialized($0.shape) }
                if let gb { operands[.diffBias] = .tensor(gb) }
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
    let source: MemoryDescriptor
    let weights: MemoryDescriptor
    let bias: MemoryDescriptor?
    let destination: MemoryDescriptor
    let geometry: WindowGeometry
    private let dims: (source: [Int], weights: [Int], destination: [Int])

    init(input: Shape, weight: Shape, output: Shape, groups: Int, hasBias: Bool, geometry: WindowGeometry) throws {
        context = try DNNLContext.shared()
        let weightDims = groups == 1 ? weight.dimensions
            : [groups, weight[0] / groups, weight[1], weight[2], weight[3]]
        dims = (input.dimensions, weightDims, output.dimensions)
        source = try .plain(input.dimensions)
        weights = try .plain(weightDims)
        bias = hasBias ? try .plain([output[1]]) : nil
        destination = try .plain(output.dimensions)
        self.geometry = geometry
        key = "conv\(input.dimensions)w\(weightDims)b\(hasBias)\(geometry.key)"
    }

    func forward() throws -> DNNLPrimitive { try forward(inference: false, activation: nil) }

    /// The forward primitive; for inference it may apply `activation` to its output as a post-op.
    func forward(inference: Bool, activation: Tensor.Activation?) throws -> DNNLPrimitive {
        let variant = inference ? "|inf\(activation?.rawValue ?? "")" : ""
        return try context.primitive("\(key)|fwd\(variant)") {
            var arguments: [DNNLArgument] = [.input(.source, source), .input(.weights, weights),
                                             .output(.destination, destination)]
            if let bias { arguments.append(.input(.bias, bias)) }
            return try .convolutionForward(inference ? .forwardInference : .forwardTraining,
                                           source: .any(dims.source), weights: .any(dims.weights), bias: bias,
                                           destination: .any(dims.destination), window: geometry,
                                           postOp: activation?.function, arguments: arguments, context: context)
        }
    }

    func backwardData() throws -> DNNLPrimitive {
        let hint = try forward()
        return try context.primitive("\(key)|bwd-data") {
            try .convolutionBackwardData(source: .any(dims.source), weights: .any(dims.weights),
                                         destination: .any(dims.destination), window: geometry, hint: hint, arguments: [
                                             .input(.diffDestination, destination), .input(.weights, weights),
                                             .output(.diffSource, source),
                                         ], context: context)
        }
    }

    func backwardWeights() throws -> DNNLPrimitive {
        let hint = try forward()
        return try context.primitive("\(key)|bwd-weights") {
            var arguments: [DNNLArgument] = [.input(.source, source), .input(.diffDestination, destination),
                                             .output(.diffWeights, weights)]
            if let bias { arguments.append(.output(.diffBias, bias)) }
            return try .convolutionBackwardWeights(source: .any(dims.source), weights: .any(dims.weights), bias: bias,
                                                   destination: .any(dims.destination), window: geometry, hint: hint,
                                                   arguments: arguments, context: context)
        }
    }
}
