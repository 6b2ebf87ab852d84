import Foundation

/// Element-wise arithmetic with NumPy broadcasting, forward and backward side by side.
extension Tensor {
    enum BinaryKind: String { case add, subtract, multiply, divide }

    static func binary(_ kind: BinaryKind, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        guard let shape = Shape.broadcast(a.shape, b.shape) else {
            throw TensorError.shapeMismatch(op: kind.rawValue, shapes: [a.shape, b.shape], message: "shapes do not broadcast")
        }
        if kind != .divide, let native = inSharedNativeLayout(a, b, { pa, pb, pr, n in
            switch kind {
            case .add: for i in 0..<n { pr[i] = pa[i] + pb[i] }
            case .subtract: for i in 0..<n { pr[i] = pa[i] - pb[i] }
            case .multiply, .divide: for i in 0..<n { pr[i] = pa[i] * pb[i] }
            }
        }) {
            return record(native, op: kind.rawValue, inputs: [a, b]) { gradient in
                try binaryGradients(kind, gradient, a, b, shape: shape, output: nil)
            }
        }
        let result = Tensor.uninitialized(shape)
        let pa = a.storage.pointer, pb = b.storage.pointer, pr = result.storage.pointer
        if a.shape == b.shape {
            let n = shape.elementCount
            switch kind {
            case .add: for i in 0..<n { pr[i] = pa[i] + pb[i] }
            case .subtract: for i in 0..<n { pr[i] = pa[i] - pb[i] }
            case .multiply: for i in 0..<n { pr[i] = pa[i] * pb[i] }
            case .divide: for i in 0..<n { pr[i] = pa[i] / pb[i] }
            }
        } else {
            StridedLoop.rows(shape: shape.dimensions, strides0: shape.strides,
                             strides1: StridedLoop.broadcastStrides(of: a.shape, in: shape),
                             strides2: StridedLoop.broadcastStrides(of: b.shape, in: shape)) { o, i, j, n, so, si, sj in
                var o = o, i = i, j = j
                for _ in 0..<n {
                    switch kind {
                    case .add: pr[o] = pa[i] + pb[j]
                    case .subtract: pr[o] = pa[i] - pb[j]
                    case .multiply: pr[o] = pa[i] * pb[j]
                    case .divide: pr[o] = pa[i] / pb[j]
                    }
                    o += so; i += si; j += sj
                }
            }
        }
        // The divide backward needs the output; capture its storage (not `result`, which would be a reference cycle).
        let output = result.storage
        return record(result, op: kind.rawValue, inputs: [a, b]) { gradient in
            try binaryGradients(kind, gradient, a, b, shape: shape, output: output)
        }
    }

    /// The gradients of a binary op for `a` and `b`; `output` (the quotient) is needed for divide only.
    private static func binaryGradients(_ kind: BinaryKind, _ gradient: Tensor, _ a: Tensor, _ b: Tensor, shape: Shape,
                                        output: TensorStorage?) throws -> [Tensor?] {
        switch kind {
        case .add:
            return [try gradient.summed(toShape: a.shape), try gradient.summed(toShape: b.shape)]
        case .subtract:
            return [try gradient.summed(toShape: a.shape), try gradient.scaled(by: -1).summed(toShape: b.shape)]
        case .multiply:
            return [a.requiresGradient ? try (gradient * b).summed(toShape: a.shape) : nil,
                    b.requiresGradient ? try (gradient * a).summed(toShape: b.shape) : nil]
        case .divide:
            let ga = a.requiresGradient ? try (gradient / b).summed(toShape: a.shape) : nil
            guard b.requiresGradient, let output else { return [ga, nil] }
            let quotient = Tensor(shape: shape, storage: output)
            return [ga, try (gradient * quotient / b).scaled(by: -1).summed(toShape: b.shape)]
        }
    }

    public static func + (a: Tensor, b: Tensor) throws -> Tensor { try binary(.add, a, b) }
    public static func - (a: Tensor, b: Tensor) throws -> Tensor { try binary(.subtract, a, b) }
    public static func * (a: Tensor, b: Tensor) throws -> Tensor { try binary(.multiply, a, b) }
    public static func / (a: Tensor, b: Tensor) throws -> Tensor { try binary(.divide, a, b) }

    /// `self · factor + offset`, element-wise.
    public func affine(scale factor: Float, offset: Float = 0) -> Tensor {
        let result = Tensor.uninitialized(shape)
        let p = storage.pointer, r = result.storage.pointer
        for i in 0..<elementCount { r[i] = p[i] * factor + offset }
        return Tensor.record(result, op: "affine", inputs: [self]) { gradient in [gradient.scaled(by: factor)] }
    }

    /// `self · factor`, element-wise.
    public func scaled(by factor: Float) -> Tensor { affine(scale: factor) }

    public static func * (a: Tensor, b: Float) -> Tensor { a.affine(scale: b) }
    public static func + (a: Tensor, b: Float) -> Tensor { a.affine(scale: 1, offset: b) }
    public static func - (a: Tensor, b: Float) -> Tensor { a.affine(scale: 1, offset: -b) }
    public static prefix func - (a: Tensor) -> Tensor { a.affine(scale: -1) }

    /// Sums a broadcast gradient back down to `target` (the shape of the operand that was broadcast).
    func summed(toShape target: Shape) throws -> Tensor {
        if shape == target { return self }
        let pad = shape.rank - target.rank
        guard pad >= 0 else {
            throw TensorError.shapeMismatch(op: "unbroadcast", shapes: [shape, target], message: "target has higher rank")
        }
        var axes: [Int] = Array(0..<pad)
        for axis in 0..<target.rank where target[axis] == 1 && shape[axis + pad] != 1 { axes.append(axis + pad) }
        return try sum(axes: axes, keepingDimensions: true).reshaped(to: target)
    }
}

/// Element-wise unary math computed in Swift.
extension Tensor {
    private func unary(_ op: String, _ forward: (Float) -> Float,
                       derivative: @escaping (_ input: Float, _ output: Float) -> Float) -> Tensor {
        let result = Tensor.uninitialized(shape)
        let p = storage.pointer, r = result.storage.pointer
        for i in 0..<elementCount { r[i] = forward(p[i]) }
        // Capture the output's storage, not `result`: a closure holding `result` would be stored in
        // `result.gradientFunction`, a reference cycle that leaks every graph that is never backpropagated.
        let output = result.storage
        return Tensor.record(result, op: op, inputs: [self]) { gradient in
            let g = Tensor.uninitialized(self.shape)
            let pg = gradient.storage.pointer, pin = self.storage.pointer, pout = output.pointer, d = g.storage.pointer
            for i in 0..<self.elementCount { d[i] = pg[i] * derivative(pin[i], pout[i]) }
            return [g]
        }
    }

    /// eˣ, element-wise.
    public func exp() -> Tensor { unary("exp", { expf($0) }, derivative: { _, y in y }) }
    /// Natural logarithm, element-wise.
    public func log() -> Tensor { unary("log", { logf($0) }, derivative: { x, _ in 1 / x }) }
    /// Square root, element-wise.
    public func squareRoot() -> Tensor { unary("sqrt", { $0.squareRoot() }, derivative: { _, y in 0.5 / y }) }
    /// x², element-wise.
    public func squared() -> Tensor { unary("square", { $0 * $0 }, derivative: { x, _ in 2 * x }) }
    /// |x|, element-wise (derivative 0 at 0).
    public func absolute() -> Tensor { unary("abs", { Swift.abs($0) }, derivative: { x, _ in x > 0 ? 1 : (x < 0 ? -1 : 0) }) }
    /// Clamps into `[low, high]`; the gradient is zero outside.
    public func clamped(low: Float, high: Float) -> Tensor {
        unary("clamp", { Swift.min(Swift.max($0, low), high) }, derivative: { x, _ in x >= low && x <= high ? 1 : 0 })
    }
}

