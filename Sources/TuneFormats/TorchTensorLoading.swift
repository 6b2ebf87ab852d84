import TuneCore

/// Turns the values a PyTorch pickle leaves into named tensor views, and views plus storage bytes into tensors.
enum TorchTensorLoading {
    /// The deepest dictionary nesting flattened into dotted names.
    static let maximumNesting = 16

    /// The tensors of a (possibly nested) dictionary in order, nested keys joined with `.`; other values are skipped.
    static func namedViews(_ root: PickleValue, file: String) throws -> [(String, TorchTensorReference)] {
        guard case let .dict(dictionary) = root else {
            throw FormatError.malformedPickle(file: file, offset: 0, message: "the checkpoint is \(root.kind), not a dict of tensors")
        }
        var result: [(String, TorchTensorReference)] = []
        // An explicit work list (dictionary, prefix, depth) instead of recursion.
        var pending: [(PickleDictionary, String, Int)] = [(dictionary, "", 0)]
        while let (current, prefix, depth) = pending.popLast() {
            var nested: [(PickleDictionary, String, Int)] = []
            for (key, value) in current.entries {
                let name: String
                switch key {
                case let .string(text): name = prefix + text
                case let .int(number): name = prefix + String(number)
                default: continue
                }
                switch value {
                case let .tensor(view): result.append((name, view))
                case let .dict(inner) where depth + 1 < maximumNesting: nested.append((inner, name + ".", depth + 1))
                default: continue
                }
            }
            pending.append(contentsOf: nested.reversed())
        }
        return result
    }

    /// The contiguous `Float` tensor `view` describes inside `storage` (little-endian bytes of `view.storage.dtype`).
    static func materialize(_ view: TorchTensorReference, name: String, storage: UnsafeRawBufferPointer,
                            file: String) throws -> Tensor {
        func invalid(_ message: String) -> FormatError { .invalidTensor(file: file, key: name, message: message) }
        let dtype = view.storage.dtype
        let available = storage.count / dtype.byteSize
        guard view.size.count == view.stride.count else {
            throw invalid("size \(view.size) and stride \(view.stride) have different ranks")
        }
        guard view.size.count <= 32 else { throw invalid("rank \(view.size.count) is too large") }
        guard view.size.allSatisfy({ $0 >= 0 }), view.stride.allSatisfy({ $0 >= 0 }), view.storageOffset >= 0 else {
            throw invalid("negative size, stride or storage offset")
        }
        var count = 1
        for dimension in view.size {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw invalid("size \(view.size) overflows") }
            count = product
        }
        if count > 0 {
            // The last element addressed must lie inside the storage.
            var last = view.storageOffset
            for (dimension, step) in zip(view.size, view.stride) {
                let (reach, overflow) = (dimension - 1).multipliedReportingOverflow(by: step)
                let (sum, overflow2) = last.addingReportingOverflow(reach)
                guard !overflow, !overflow2 else { throw invalid("stride \(view.stride) overflows") }
                last = sum
            }
            guard last < available else {
                throw invalid("size \(view.size), stride \(view.stride) and offset \(view.storageOffset) reach element \(last) "
                    + "of a storage with \(available)")
            }
            guard count <= max(available, 1 << 24) else { throw invalid("\(count) elements from a storage of \(available)") }
        }
        let shape = Shape(view.size)
        let contiguous = view.stride == shape.strides || count <= 1
        return Tensor(unsafeUninitializedShape: shape) { output in
            if contiguous {
                for i in 0..<count { output[i] = dtype.load(storage, element: view.storageOffset + i) }
                return
            }
            // Make a strided view contiguous, odometer style.
            var coordinate = [Int](repeating: 0, count: view.size.count)
            var source = view.storageOffset
            for i in 0..<count {
                output[i] = dtype.load(storage, element: source)
                var axis = view.size.count - 1
                while axis >= 0 {
                    coordinate[axis] += 1
                    source += view.stride[axis]
                    if coordinate[axis] < view.size[axis] { break }
                    source -= view.stride[axis] * view.size[axis]
                    coordinate[axis] = 0
                    axis -= 1
                }
            }
        }
    }
}
