/// Whether ops record themselves on the gradient tape. Scope it with ``withoutGradient(_:)``.
public enum GradientMode {
    @TaskLocal static var isEnabled = true

    /// Whether ops currently record for autodiff.
    public static var isRecording: Bool { isEnabled }
}

/// Runs `body` without recording any op on the tape, so no activations are kept alive for backward.
/// Use it for frozen parts of a model and for inference.
public func withoutGradient<R>(_ body: () throws -> R) rethrows -> R {
    try GradientMode.$isEnabled.withValue(false) { try body() }
}

/// The backward rule of one recorded op: maps the gradient of its output to gradients of its inputs.
final class GradientFunction {
    let op: String
    private(set) var inputs: [Tensor]
    private(set) var backward: (Tensor) throws -> [Tensor?]

    init(op: String, inputs: [Tensor], backward: @escaping (Tensor) throws -> [Tensor?]) {
        self.op = op
        self.inputs = inputs
        self.backward = backward
    }

    /// Releases the tape below a tensor that is being deallocated, without recursion.
    ///
    /// Releasing a recorded graph naively frees one tensor per nested `deinit`, so an abandoned chain of tens of
    /// thousands of ops (never backpropagated) would overflow the stack. Instead, `root` (owned only by the dying
    /// tensor) and the functions of inputs that nothing else refers to are emptied one at a time from a work list.
    static func dismantle(_ root: GradientFunction) {
        var functions = [root]
        while let function = functions.popLast() {
            var inputs = function.inputs
            function.inputs = []
            // Drop the closure too: it captures the inputs.
            function.backward = { _ in [] }
            while var input = inputs.popLast() {
                if isKnownUniquelyReferenced(&input), let next = input.gradientFunction {
                    input.gradientFunction = nil
                    functions.append(next)
                }
                // `input` is released here; when it was the last reference it dies with no tape to release.
            }
        }
    }
}

extension Tensor {
    /// Records `result` as computed from `inputs` when recording is on and an input requires a gradient.
    /// The closure receives the output gradient and returns one gradient (or `nil`) per input.
    @discardableResult
    static func record(_ result: Tensor, op: String, inputs: [Tensor],
                       backward: @escaping (Tensor) throws -> [Tensor?]) -> Tensor {
        guard GradientMode.isEnabled, inputs.contains(where: \.requiresGradient) else { return result }
        result.requiresGradient = true
        result.gradientFunction = GradientFunction(op: op, inputs: inputs, backward: backward)
        return result
    }

    /// Back-propagates from this tensor, accumulating into the ``gradient`` of every leaf that requires one.
    ///
    /// `seed` defaults to ones (so a scalar loss needs none). The tape is released afterwards. With `leafGradients`,
    /// the leaves' gradients are collected there instead, and the leaves' ``gradient`` is left alone: lanes that
    /// back-propagate their slices of one batch at once each collect their own (see ``LeafGradients``).
    public func backward(seed: Tensor? = nil, collectingInto leafGradients: LeafGradients? = nil) throws {
        guard requiresGradient else {
            throw TensorError.gradient(message: "backward() on a tensor that does not require a gradient")
        }
        let start = seed ?? Tensor(repeating: 1, shape: shape)
        guard start.shape == shape else {
            throw TensorError.shapeMismatch(op: "backward", shapes: [shape, start.shape], message: "seed must match the output")
        }
        let order = topologicalOrder()
        var pending: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): start]
        try withoutGradient {
            for node in order.reversed() {
                guard let outputGradient = pending.removeValue(forKey: ObjectIdentifier(node)) else { continue }
                guard let function = node.gradientFunction else {
                    if let leafGradients {
                        try leafGradients.add(outputGradient, for: node)
                    } else {
                        node.gradient = try node.gradient.map { try $0.adding(outputGradient) } ?? outputGradient.copy()
                    }
                    continue
                }
                let inputGradients = try function.backward(outputGradient)
                for (input, gradient) in zip(function.inputs, inputGradients) {
                    guard input.requiresGradient, let gradient else { continue }
                    guard gradient.shape == input.shape else {
                        throw TensorError.shapeMismatch(op: "\(function.op) backward", shapes: [input.shape, gradient.shape],
                                                        message: "gradient shape differs from input shape")
                    }
                    let key = ObjectIdentifier(input)
                    pending[key] = try pending[key].map { try $0.adding(gradient) } ?? gradient
                }
                node.gradientFunction = nil
            }
        }
    }

    /// Post-order (inputs before outputs) over the recorded graph, computed without recursion.
    private func topologicalOrder() -> [Tensor] {
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(tensor: Tensor, expanded: Bool)] = [(self, false)]
        while let (tensor, expanded) = stack.popLast() {
            if expanded { order.append(tensor); continue }
            guard visited.insert(ObjectIdentifier(tensor)).inserted else { continue }
            stack.append((tensor, true))
            for input in tensor.gradientFunction?.inputs ?? [] where input.requiresGradient {
                if !visited.contains(ObjectIdentifier(input)) { stack.append((input, false)) }
            }
        }
        return order
    }

    /// Element-wise sum of same-shape tensors, without recording.
    func adding(_ other: Tensor) throws -> Tensor {
        guard other.shape == shape else {
            throw TensorError.shapeMismatch(op: "accumulate", shapes: [shape, other.shape], message: "gradients differ in shape")
        }
        let sum = { (a: UnsafePointer<Float>, b: UnsafePointer<Float>, r: UnsafeMutablePointer<Float>, count: Int) in
            for i in 0..<count { r[i] = a[i] + b[i] }
        }
        if let native = Tensor.inSharedNativeLayout(self, other, sum) { return native }
        let result = Tensor.uninitialized(shape)
        sum(storage.pointer, other.storage.pointer, result.storage.pointer, elementCount)
        return result
    }
}

/// Leaf gradients collected by one ``Tensor/backward(seed:collectingInto:)``, kept apart from the leaves until
/// ``accumulate(_:)`` adds them in: each lane of a batch back-propagates its slice into its own collection, at the same
/// time as the others, and the collections are then added in lane order, so the sums are the same in every run.
public final class LeafGradients: @unchecked Sendable {
    private var entries: [(leaf: Tensor, gradient: Tensor)] = []
    private var index: [ObjectIdentifier: Int] = [:]

    public init() {}

    func add(_ gradient: Tensor, for leaf: Tensor) throws {
        if let position = index[ObjectIdentifier(leaf)] {
            entries[position].gradient = try entries[position].gradient.adding(gradient)
        } else {
            index[ObjectIdentifier(leaf)] = entries.count
            entries.append((leaf, gradient.copy()))
        }
    }

    /// Adds every collection's gradients to their leaves' ``Tensor/gradient``, collection by collection in order.
    public static func accumulate(_ collections: [LeafGradients]) throws {
        for collection in collections {
            for (leaf, gradient) in collection.entries {
                leaf.gradient = try leaf.gradient.map { try $0.adding(gradient) } ?? gradient
            }
        }
    }
}
