import Testing
@testable import TuneCore

@Suite("Errors name the op and the shapes")
struct ErrorTests {
    /// Expects `body` to throw a ``TensorError`` whose case is accepted by `matches` and whose description contains
    /// every string in `fragments`.
    func expectError(_ fragments: [String], sourceLocation: SourceLocation = #_sourceLocation,
                     matches: (TensorError) -> Bool, _ body: () throws -> Any) {
        guard let error = expectTensorError(sourceLocation: sourceLocation, body) else { return }
        #expect(matches(error), "unexpected case \(error)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(error.description.contains(fragment), "\"\(error.description)\" lacks \"\(fragment)\"",
                    sourceLocation: sourceLocation)
        }
    }

    func isShapeMismatch(_ op: String) -> (TensorError) -> Bool {
        { error in if case .shapeMismatch(op, _, _) = error { return true } else { return false } }
    }

    func isInvalidArgument(_ op: String) -> (TensorError) -> Bool {
        { error in if case .invalidArgument(op, _) = error { return true } else { return false } }
    }

    @Test("Adding shapes that do not broadcast throws a shape mismatch naming add and both shapes")
    func nonBroadcastable() {
        let a = Tensor(zeros: [2, 3]), b = Tensor(zeros: [4])
        expectError(["add", "[2, 3]", "[4]"], matches: isShapeMismatch("add")) { try a + b }
        expectError(["subtract", "[2, 3]", "[3, 2]"], matches: isShapeMismatch("subtract")) { try a - Tensor(zeros: [3, 2]) }
        expectError(["multiply", "[2, 3]", "[2, 2]"], matches: isShapeMismatch("multiply")) { try a * Tensor(zeros: [2, 2]) }
        expectError(["divide", "[2, 3]", "[5, 1]"], matches: isShapeMismatch("divide")) { try a / Tensor(zeros: [5, 1]) }
        expectError(["broadcast", "[2, 3]", "[3, 3]"], matches: isShapeMismatch("broadcast")) { try a.broadcast(to: [3, 3]) }
    }

    @Test("matmul with different inner dimensions throws naming matmul and both shapes")
    func matmulInnerMismatch() {
        expectError(["matmul", "[2, 3]", "[4, 5]"], matches: isShapeMismatch("matmul")) {
            try Tensor(zeros: [2, 3]).matmul(Tensor(zeros: [4, 5]))
        }
        expectError(["matmul", "[2, 3, 4]", "[3, 4, 5]"], matches: isShapeMismatch("matmul")) {
            try Tensor(zeros: [2, 3, 4]).matmul(Tensor(zeros: [3, 4, 5]))
        }
        expectError(["matmul", "[4]", "[4, 5]"], matches: isShapeMismatch("matmul")) {
            try Tensor(zeros: [4]).matmul(Tensor(zeros: [4, 5]))
        }
        expectError(["linear", "[2, 3]", "[5, 4]"], matches: isShapeMismatch("linear")) {
            try Tensor.linear(Tensor(zeros: [2, 3]), weight: Tensor(zeros: [5, 4]), bias: nil)
        }
        expectError(["linear", "[4]"], matches: isShapeMismatch("linear")) {
            try Tensor.linear(Tensor(zeros: [2, 4]), weight: Tensor(zeros: [5, 4]), bias: Tensor(zeros: [4]))
        }
    }

    @Test("conv2d with a channel mismatch throws naming conv2d and both shapes")
    func convChannelMismatch() {
        expectError(["conv2d", "[1, 3, 5, 5]", "[2, 4, 3, 3]"], matches: isShapeMismatch("conv2d")) {
            try Tensor.conv2d(Tensor(zeros: [1, 3, 5, 5]), weight: Tensor(zeros: [2, 4, 3, 3]))
        }
        expectError(["conv2d", "[1, 4, 5, 5]", "[3, 2, 3, 3]"], matches: isShapeMismatch("conv2d")) {
            try Tensor.conv2d(Tensor(zeros: [1, 4, 5, 5]), weight: Tensor(zeros: [3, 2, 3, 3]), groups: 2)
        }
        expectError(["conv2d", "[3, 5, 5]"], matches: isShapeMismatch("conv2d")) {
            try Tensor.conv2d(Tensor(zeros: [3, 5, 5]), weight: Tensor(zeros: [2, 3, 3, 3]))
        }
        expectError(["conv2d", "[3]"], matches: isShapeMismatch("conv2d")) {
            try Tensor.conv2d(Tensor(zeros: [1, 3, 5, 5]), weight: Tensor(zeros: [2, 3, 3, 3]), bias: Tensor(zeros: [3]))
        }
    }

    @Test("Windows that do not fit the input throw naming the op")
    func windowTooLarge() {
        expectError(["conv2d", "2×2", "too small"], matches: isInvalidArgument("conv2d")) {
            try Tensor.conv2d(Tensor(zeros: [1, 1, 2, 2]), weight: Tensor(zeros: [1, 1, 3, 3]))
        }
        // With stride 2 the truncating output formula must not turn a negative extent into one output pixel.
        expectError(["conv2d", "2×2"], matches: isInvalidArgument("conv2d")) {
            try Tensor.conv2d(Tensor(zeros: [1, 1, 2, 2]), weight: Tensor(zeros: [1, 1, 3, 3]), stride: (2, 2))
        }
        expectError(["maxPool2d"], matches: isInvalidArgument("maxPool2d")) {
            try Tensor(zeros: [1, 1, 2, 2]).maxPool2d(kernel: (3, 3), stride: (2, 2))
        }
        expectError(["averagePool2d", "positive"], matches: isInvalidArgument("averagePool2d")) {
            try Tensor(zeros: [1, 1, 4, 4]).averagePool2d(kernel: (2, 2), stride: (0, 1))
        }
    }

    @Test("reshape to a different element count throws naming reshape and both shapes")
    func reshapeWrongCount() {
        expectError(["reshape", "[2, 3]", "[4, 2]"], matches: isShapeMismatch("reshape")) {
            try Tensor(zeros: [2, 3]).reshaped(to: [4, 2])
        }
        expectError(["reshape", "[2, 3]", "[4, -1]"], matches: isShapeMismatch("reshape")) {
            try Tensor(zeros: [2, 3]).reshaped(to: [4, -1])
        }
        expectError(["reshape", "[-1, -1]"], matches: isInvalidArgument("reshape")) {
            try Tensor(zeros: [2, 3]).reshaped(to: [-1, -1])
        }
        expectError(["Tensor.init", "[2, 2]"], matches: isShapeMismatch("Tensor.init")) {
            try Tensor(shape: [2, 2], scalars: [1, 2, 3])
        }
    }

    @Test("concatenate with mismatched off-axis dimensions throws naming concatenate and the shapes")
    func concatenateMismatch() {
        expectError(["concatenate", "[2, 3]", "[3, 3]"], matches: isShapeMismatch("concatenate")) {
            try Tensor.concatenate([Tensor(zeros: [2, 3]), Tensor(zeros: [3, 3])], axis: 1)
        }
        expectError(["concatenate", "[2, 3]", "[2, 3, 1]"], matches: isShapeMismatch("concatenate")) {
            try Tensor.concatenate([Tensor(zeros: [2, 3]), Tensor(zeros: [2, 3, 1])], axis: 0)
        }
        expectError(["concatenate"], matches: isInvalidArgument("concatenate")) { try Tensor.concatenate([], axis: 0) }
    }

    @Test("slice out of range throws naming slice, the range and the shape")
    func sliceOutOfRange() {
        expectError(["slice", "1..<5", "[2, 3, 4]"], matches: isInvalidArgument("slice")) {
            try Tensor(zeros: [2, 3, 4]).sliced(axis: 1, range: 1..<5)
        }
    }

    @Test("A bad axis throws naming the op, the axis and the shape")
    func badAxis() {
        let x = Tensor(zeros: [2, 3])
        expectError(["sum", "axis 2", "[2, 3]"], matches: isInvalidArgument("sum")) { try x.sum(axes: [2]) }
        expectError(["mean", "axis -3", "[2, 3]"], matches: isInvalidArgument("mean")) { try x.mean(axes: [-3]) }
        expectError(["softmax", "axis 5", "[2, 3]"], matches: isInvalidArgument("softmax")) { try x.softmax(axis: 5) }
        expectError(["logSoftmax", "axis -4"], matches: isInvalidArgument("logSoftmax")) { try x.logSoftmax(axis: -4) }
        expectError(["slice", "axis 2"], matches: isInvalidArgument("slice")) { try x.sliced(axis: 2, range: 0..<1) }
        expectError(["concatenate", "axis 3"], matches: isInvalidArgument("concatenate")) {
            try Tensor.concatenate([x, x], axis: 3)
        }
        expectError(["transpose", "[0, 0]"], matches: isInvalidArgument("transpose")) { try x.transposed([0, 0]) }
    }

    @Test("conv2d, pooling and batch norm on an empty batch throw emptyBatch")
    func emptyBatch() {
        let empty = Tensor(zeros: [0, 3, 4, 4])
        let conv = expectTensorError { try Tensor.conv2d(empty, weight: Tensor(zeros: [2, 3, 3, 3])) }
        #expect(conv == .emptyBatch(op: "conv2d"))
        #expect(conv?.description.contains("empty") == true)
        let scale = Tensor(repeating: 1, shape: [3]), shift = Tensor(zeros: [3])
        let training = expectTensorError { try Tensor.batchNormTraining(empty, scale: scale, shift: shift, epsilon: 1e-3) }
        #expect(training == .emptyBatch(op: "batchNormTraining"))
        let inference = expectTensorError {
            try Tensor.batchNormInference(Tensor(zeros: [0, 3]), scale: scale, shift: shift, mean: shift, variance: scale,
                                          epsilon: 1e-3)
        }
        #expect(inference == .emptyBatch(op: "batchNormInference"))
        #expect(expectTensorError { try empty.maxPool2d(kernel: (2, 2)) } == .emptyBatch(op: "maxPool2d"))
    }

    @Test("Batch norm with wrong per-channel shapes or a non-positive epsilon throws")
    func batchNormArguments() {
        let x = Tensor(zeros: [2, 3, 2, 2])
        expectError(["batchNormTraining", "[2, 3, 2, 2]", "[4]"], matches: isShapeMismatch("batchNormTraining")) {
            try Tensor.batchNormTraining(x, scale: Tensor(zeros: [4]), shift: Tensor(zeros: [3]), epsilon: 1e-3)
        }
        expectError(["batchNormTraining", "[2, 3, 2]"], matches: isShapeMismatch("batchNormTraining")) {
            try Tensor.batchNormTraining(Tensor(zeros: [2, 3, 2]), scale: Tensor(zeros: [3]), shift: Tensor(zeros: [3]),
                                         epsilon: 1e-3)
        }
        expectError(["batchNormTraining", "epsilon"], matches: isInvalidArgument("batchNormTraining")) {
            try Tensor.batchNormTraining(x, scale: Tensor(zeros: [3]), shift: Tensor(zeros: [3]), epsilon: 0)
        }
    }

    @Test("scalar() on a multi-element tensor throws naming the shape")
    func scalarOfMany() {
        expectError(["scalar", "[2]"], matches: isShapeMismatch("scalar")) { try Tensor(zeros: [2]).scalar() }
    }
}
