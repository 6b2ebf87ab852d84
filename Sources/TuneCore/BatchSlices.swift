/// Splitting a batch into slices and joining results back, for work that runs one slice per lane
/// (``ComputeThreads/inLanes(_:_:)``).
extension Tensor {
    /// The batch (axis 0) in `count` contiguous slices of nearly equal size, the larger ones first (fewer when the
    /// batch has fewer samples).
    public func batchSlices(_ count: Int) throws -> [Tensor] {
        guard shape.rank >= 1 else {
            throw TensorError.invalidArgument(op: "batchSlices", message: "needs a batch axis, got a scalar")
        }
        let batch = shape[0]
        let parts = max(1, min(count, batch))
        guard parts > 1 else { return [self] }
        var start = 0
        return try (0..<parts).map { part in
            let size = batch / parts + (part < batch % parts ? 1 : 0)
            defer { start += size }
            return try sliced(axis: 0, range: start..<(start + size))
        }
    }

    /// `parts` joined along the batch axis. Parts that hold the same channel-blocked layout (what a chain of oneDNN
    /// ops leaves) are joined in that layout, without converting to row-major.
    public static func joiningBatches(_ parts: [Tensor]) throws -> Tensor {
        guard parts.count > 1 else {
            guard let only = parts.first else {
                throw TensorError.invalidArgument(op: "joiningBatches", message: "no tensors given")
            }
            return only
        }
        if let joined = try joinedInSharedBlockedLayout(parts) { return joined }
        return try concatenate(parts, axis: 0)
    }

    /// The join in the parts' common `nChw{8,16}c` layout, or nil when they do not share one (or one is recorded for
    /// autodiff, which ``concatenate(_:axis:)`` handles).
    private static func joinedInSharedBlockedLayout(_ parts: [Tensor]) throws -> Tensor? {
        guard !parts.contains(where: \.requiresGradient), let first = parts.first, first.shape.rank == 4,
              let block = first.native?.layout.channelBlock else { return nil }
        let sampleShape = Array(first.shape.dimensions.dropFirst())
        var natives: [NativeStorage] = []
        for part in parts {
            guard let native = part.native, native.layout.channelBlock == block,
                  Array(part.shape.dimensions.dropFirst()) == sampleShape else { return nil }
            natives.append(native)
        }
        let batch = parts.reduce(0) { $0 + $1.shape[0] }
        let dimensions = [batch] + sampleShape
        let layout = try NativeLayout(try MemoryDescriptor(dimensions, format: .channelBlocked(block)),
                                      plain: try MemoryDescriptor(dimensions, format: .plain))
        let joined = NativeStorage(layout: layout)
        let sampleFloats = layout.byteCount / MemoryLayout<Float>.stride / batch
        var offset = 0
        for (part, native) in zip(parts, natives) {
            let floats = part.shape[0] * sampleFloats
            guard native.layout.byteCount == floats * MemoryLayout<Float>.stride else { return nil }
            (joined.storage.pointer + offset).update(from: native.storage.pointer, count: floats)
            offset += floats
        }
        return Tensor(shape: Shape(dimensions), native: joined)
    }
}
