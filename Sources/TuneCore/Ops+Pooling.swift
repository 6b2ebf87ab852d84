/// Max and average pooling on oneDNN, and global average pooling.
extension Tensor {
    /// The pooling reductions.
    public enum PoolingKind: Hashable, Sendable {
        case max
        /// Average; `countIncludesPadding` follows PyTorch's `count_include_pad` (TensorFlow "SAME" excludes it).
        case average(countIncludesPadding: Bool)

        var algorithm: DNNL.PoolingAlgorithm {
            switch self {
            case .max: return .max
            case .average(let include): return include ? .averageIncludingPadding : .averageExcludingPadding
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
        let source = try MemoryDescriptor.plain(shape.dimensions)
        let destination = try MemoryDescriptor.plain(outShape.dimensions)
        let key = "pool\(kind)\(shape.dimensions)\(geometry.key)"
        let forward = try context.primitive("\(key)|fwd") {
            try .poolingForward(kind.algorithm, source: source, destination: destination, window: geometry, arguments: [
                .input(.source, source), .output(.destination, destination), .opaque(.workspace, isOutput: true),
            ], context: context)
        }
        let result = Tensor.uninitialized(outShape)
        let workspaceBytes = forward.byteSize(of: .workspace)
        let workspace = TensorStorage(count: (workspaceBytes + 3) / 4, zeroed: false)
        var buffers: [DNNL.Argument: UnsafeMutableRawPointer] = [.source: rawPointer, .destination: result.rawPointer]
        if workspaceBytes > 0 { buffers[.workspace] = UnsafeMutableRawPointer(workspace.pointer) }
        try forward.execute(buffers, context: context)
        return Tensor.record(result, op: op, inputs: [self]) { gradient in
            let backward = try context.primitive("\(key)|bwd") {
                try .poolingBackward(kind.algorithm, source: source, destination: destination, window: geometry,
                                     hint: forward, arguments: [
                    .input(.diffDestination, destination), .output(.diffSource, source),
                    .opaque(.workspace, isOutput: false),
                ], context: context)
            }
            let gx = Tensor.uninitialized(self.shape)
            var buffers: [DNNL.Argument: UnsafeMutableRawPointer] = [.diffDestination: gradient.rawPointer, .diffSource: gx.rawPointer]
            if workspaceBytes > 0 { buffers[.workspace] = UnsafeMutableRawPointer(workspace.pointer) }
            try backward.execute(buffers, context: context)
            return [gx]
        }
    }
}
