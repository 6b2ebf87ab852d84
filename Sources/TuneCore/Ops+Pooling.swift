import CDNNL

/// Max and average pooling on oneDNN, and global average pooling.
extension Tensor {
    /// The pooling reductions.
    public enum PoolingKind: Hashable, Sendable {
        case max
        /// Average; `countIncludesPadding` follows PyTorch's `count_include_pad` (TensorFlow "SAME" excludes it).
        case average(countIncludesPadding: Bool)

        var algorithm: dnnl_alg_kind_t {
            switch self {
            case .max: return dnnl_pooling_max
            case .average(let include): return include ? dnnl_pooling_avg_include_padding : dnnl_pooling_avg_exclude_padding
            }
        }
    }

    /// Max pooling of NCHW input.
    public func maxPool2d(kernel: (Int, Int), stride: (Int, Int)? = nil, padding: Padding = .valid) throws -> Tensor {
        try pool2d(.max, kernel: kernel, stride: stride ?? kernel, padding: padding)
    }

    /// Average pooling of NCHW input.
    public func averagePool2d(kernel: (Int, Int), stride: (Int, Int)? = nil, padding: Padding = .valid,
                              countIncludesPadding: Bool = false) throws -> Tensor {
        try pool2d(.average(countIncludesPadding: countIncludesPadding), kernel: kernel, stride: stride ?? kernel, padding: padding)
    }

    /// The mean over H and W of NCHW input: `[N, C, H, W] → [N, C]`.
    public func globalAveragePool2d() throws -> Tensor {
        guard shape.rank == 4 else {
            throw TensorError.shapeMismatch(op: "globalAveragePool2d", shapes: [shape], message: "expected NCHW input")
        }
        return try mean(axes: [2, 3])
    }

    /// Pools NCHW input with a window.
    public func pool2d(_ kind: PoolingKind, kernel: (Int, Int), stride: (Int, Int), padding: Padding) throws -> Tensor {
        let op = kind == .max ? "maxPool2d" : "averagePool2d"
        guard shape.rank == 4 else { throw TensorError.shapeMismatch(op: op, shapes: [shape], message: "expected NCHW input") }
        guard shape[0] > 0 else { throw TensorError.emptyBatch(op: op) }
        let geometry = try WindowGeometry(op: op, height: shape[2], width: shape[3], kernel: kernel, stride: stride,
                                          dilation: (1, 1), padding: padding)
        let outShape: Shape = [shape[0], shape[1], geometry.output[0], geometry.output[1]]
        let context = try DNNLContext.shared()
        let source = try DNNL.plainDescriptor(shape.dimensions)
        let destination = try DNNL.plainDescriptor(outShape.dimensions)
        let key = "pool\(kind)\(shape.dimensions)\(geometry.key)"
        let forward = try context.primitive("\(key)|fwd") {
            var src = source, dst = destination
            var desc = dnnl_pooling_v2_desc_t()
            try DNNL.check(dnnl_pooling_v2_forward_desc_init(&desc, dnnl_forward_training, kind.algorithm, &src, &dst,
                                                             geometry.dnnlStride, geometry.dnnlKernel, geometry.dnnlDilation,
                                                             geometry.dnnlPadBefore, geometry.dnnlPadAfter),
                           "dnnl_pooling_v2_forward_desc_init")
            return try DNNLPrimitive(&desc, arguments: [.input(DNNL_ARG_SRC, source), .output(DNNL_ARG_DST, destination),
                                                        .opaque(DNNL_ARG_WORKSPACE, isOutput: true)], context: context)
        }
        let result = Tensor.uninitialized(outShape)
        let workspaceBytes = forward.byteSize(of: DNNL_ARG_WORKSPACE)
        let workspace = TensorStorage(count: (workspaceBytes + 3) / 4, zeroed: false)
        var buffers: [Int32: UnsafeMutableRawPointer] = [DNNL_ARG_SRC: rawPointer, DNNL_ARG_DST: result.rawPointer]
        if workspaceBytes > 0 { buffers[DNNL_ARG_WORKSPACE] = UnsafeMutableRawPointer(workspace.pointer) }
        try forward.execute(buffers, context: context)
        return Tensor.record(result, op: op, inputs: [self]) { gradient in
            let backward = try context.primitive("\(key)|bwd") {
                var src = source, dst = destination
                var desc = dnnl_pooling_v2_desc_t()
                try DNNL.check(dnnl_pooling_v2_backward_desc_init(&desc, kind.algorithm, &src, &dst, geometry.dnnlStride,
                                                                  geometry.dnnlKernel, geometry.dnnlDilation,
                                                                  geometry.dnnlPadBefore, geometry.dnnlPadAfter),
                               "dnnl_pooling_v2_backward_desc_init")
                return try DNNLPrimitive(&desc, hint: forward, arguments: [
                    .input(DNNL_ARG_DIFF_DST, destination), .output(DNNL_ARG_DIFF_SRC, source),
                    .opaque(DNNL_ARG_WORKSPACE, isOutput: false),
                ], context: context)
            }
            let gx = Tensor.uninitialized(self.shape)
            var buffers: [Int32: UnsafeMutableRawPointer] = [DNNL_ARG_DIFF_DST: gradient.rawPointer, DNNL_ARG_DIFF_SRC: gx.rawPointer]
            if workspaceBytes > 0 { buffers[DNNL_ARG_WORKSPACE] = UnsafeMutableRawPointer(workspace.pointer) }
            try backward.execute(buffers, context: context)
            return [gx]
        }
    }
}
