import CDNNL

/// The window of a convolution or pooling in oneDNN's terms.
extension WindowGeometry {
    /// oneDNN counts dilation from 0 (no dilation).
    var dnnlDilation: [Int64] { dilation.map { Int64($0 - 1) } }
    var dnnlStride: [Int64] { stride.map(Int64.init) }
    var dnnlKernel: [Int64] { kernel.map(Int64.init) }
    var dnnlPadBefore: [Int64] { padBefore.map(Int64.init) }
    var dnnlPadAfter: [Int64] { padAfter.map(Int64.init) }
}

/// 2-D (dilated) convolution primitives. oneDNN picks the algorithm (`dnnl_convolution_auto`): Winograd F(4×4, 3×3) for
/// large 3×3 stride-1 convolutions where the CPU has AVX-512 (VGG16 at batch 32 ran 1.6–1.8× faster than with direct
/// convolutions; the error, about 2e-6 of the largest output, is tested), direct otherwise. `source`, `weights` and `destination` are usually
/// ``MemoryDescriptor/any(_:)`` so oneDNN picks its layouts; weights of a grouped convolution are 5-D
/// `[groups, out / groups, in / groups, kh, kw]`.
extension DNNLPrimitive {
    /// The forward convolution; `postOp` applies an element-wise function to the output.
    static func convolutionForward(_ kind: DNNL.PropagationKind, source: MemoryDescriptor, weights: MemoryDescriptor,
                                   bias: MemoryDescriptor?, destination: MemoryDescriptor, window: WindowGeometry,
                                   postOp: DNNL.Eltwise?, arguments: [DNNLArgument],
                                   context: DNNLContext) throws -> DNNLPrimitive {
        var src = source.raw, wei = weights.raw, dst = destination.raw
        var desc = dnnl_convolution_desc_t()
        try DNNL.check(withOptionalPointer(bias?.raw) { biasPointer in
            dnnl_dilated_convolution_forward_desc_init(&desc, kind.raw, dnnl_convolution_auto, &src, &wei, biasPointer,
                                                       &dst, window.dnnlStride, window.dnnlDilation, window.dnnlPadBefore,
                                                       window.dnnlPadAfter)
        }, "dnnl_dilated_convolution_forward_desc_init")
        let configure = postOp.map { postOp in
            { (attributes: dnnl_primitive_attr_t) in try DNNL.appendPostOp(postOp, to: attributes) }
        }
        return try DNNLPrimitive(&desc, configure: configure, arguments: arguments, context: context)
    }

    /// The gradient of the input, given the forward primitive as `hint`.
    static func convolutionBackwardData(source: MemoryDescriptor, weights: MemoryDescriptor, destination: MemoryDescriptor,
                                        window: WindowGeometry, hint: DNNLPrimitive, arguments: [DNNLArgument],
                                        context: DNNLContext) throws -> DNNLPrimitive {
        var src = source.raw, wei = weights.raw, dst = destination.raw
        var desc = dnnl_convolution_desc_t()
        try DNNL.check(dnnl_dilated_convolution_backward_data_desc_init(
            &desc, dnnl_convolution_auto, &src, &wei, &dst, window.dnnlStride, window.dnnlDilation,
            window.dnnlPadBefore, window.dnnlPadAfter), "dnnl_dilated_convolution_backward_data_desc_init")
        return try DNNLPrimitive(&desc, hint: hint, arguments: arguments, context: context)
    }

    /// The gradients of the weights (and bias), given the forward primitive as `hint`.
    static func convolutionBackwardWeights(source: MemoryDescriptor, weights: MemoryDescriptor, bias: MemoryDescriptor?,
                                           destination: MemoryDescriptor, window: WindowGeometry, hint: DNNLPrimitive,
                                           arguments: [DNNLArgument], context: DNNLContext) throws -> DNNLPrimitive {
        var src = source.raw, wei = weights.raw, dst = destination.raw
        var desc = dnnl_convolution_desc_t()
        try DNNL.check(withOptionalPointer(bias?.raw) { biasPointer in
            dnnl_dilated_convolution_backward_weights_desc_init(&desc, dnnl_convolution_auto, &src, &wei, biasPointer,
                                                                &dst, window.dnnlStride, window.dnnlDilation,
                                                                window.dnnlPadBefore, window.dnnlPadAfter)
        }, "dnnl_dilated_convolution_backward_weights_desc_init")
        return try DNNLPrimitive(&desc, hint: hint, arguments: arguments, context: context)
    }
}

/// Passes a pointer to `value`, or `nil`, to `body`.
private func withOptionalPointer<T, R>(_ value: T?, _ body: (UnsafePointer<T>?) throws -> R) rethrows -> R {
    guard var unwrapped = value else { return try body(nil) }
    return try withUnsafePointer(to: &unwrapped) { try body($0) }
}
