import TuneCore

/// A building block of a model: it owns named parameters (trained), buffers (state such as BatchNorm's running
/// statistics, never trained) and named child layers, and maps an input tensor to an output tensor.
///
/// The contract, in the spirit of Keras:
/// - Subclasses override ``forward(_:context:)`` and register their tensors and children in `init` (or in
///   ``build(inputShape:)`` for layers that learn their input size on first use) with ``registerParameter(_:_:)``,
///   ``registerBuffer(_:_:)`` and ``registerChild(_:_:)``. Registration order is the order of ``namedParameters()``.
/// - ``isTrainable`` recurses into children when set. A layer that is not trainable hands no parameters to the
///   optimizer, computes no weight gradients, and (for BatchNorm) runs in inference mode even while the model trains.
///   Setting a child afterwards overrides the parent's setting for that subtree, so
///   `base.isTrainable = false; base.blocks.suffix(4).forEach { $0.isTrainable = true }` unfreezes the last four
///   blocks (Keras would keep them hidden behind the frozen parent; FineTune follows the most recent setting).
/// - Training versus inference mode travels in the ``ForwardContext`` and is independent of trainability.
/// - A parameter registered `frozen` (a ``LoRADense``'s base weight) is a parameter like any other — counted,
///   saved, loaded — but never trains, whatever ``isTrainable`` says.
/// - Parameter paths are dotted (`blocks.3.conv.weight`) so they can be matched to checkpoint keys.
open class Layer {
    /// The layer's kind, for summaries and errors (e.g. `"Conv2D"`).
    public let kind: String
    private var parameterSlots: [(name: String, tensor: Tensor)] = []
    /// Names of parameters that never train.
    private var frozenParameters: Set<String> = []
    private var bufferSlots: [(name: String, tensor: Tensor)] = []
    private var childSlots: [(name: String, layer: Layer)] = []
    private var built = false

    public init(kind: String) { self.kind = kind }

    /// Whether the optimizer updates this layer's weights. Setting it sets every sublayer too (Keras semantics);
    /// the change takes effect at the next forward pass and optimizer step, with no recompile.
    public var isTrainable: Bool = true {
        didSet {
            for slot in parameterSlots { slot.tensor.requiresGradient = isTrainable && !frozenParameters.contains(slot.name) }
            for child in childSlots { child.layer.isTrainable = isTrainable }
        }
    }

    /// Runs the layer. Builds it first if it still needs its input shape.
    public func callAsFunction(_ input: Tensor, context: ForwardContext = .inference) throws -> Tensor {
        if !built {
            try build(inputShape: input.shape)
            built = true
        }
        return try forward(input, context: context)
    }

    /// Maps `input` to the output. Override in subclasses.
    open func forward(_ input: Tensor, context: ForwardContext) throws -> Tensor {
        throw LayerError.notImplemented(layer: kind, what: "forward(_:context:)")
    }

    /// Creates parameters that depend on the input shape; called once before the first forward pass.
    open func build(inputShape: Shape) throws {}

    /// Registers a trained tensor under `name`. It requires a gradient while the layer is trainable.
    /// - Parameter frozen: a frozen parameter is part of ``namedParameters()`` (so it is counted, saved and loaded)
    ///   but never requires a gradient nor reaches ``trainableParameters()``, whatever ``isTrainable`` is.
    public func registerParameter(_ name: String, _ tensor: Tensor, frozen: Bool = false) {
        if frozen { frozenParameters.insert(name) } else { frozenParameters.remove(name) }
        tensor.requiresGradient = isTrainable && !frozen
        Self.insertOrReplace(&parameterSlots, name, tensor)
    }

    /// Registers untrained state (e.g. running statistics) under `name`.
    public func registerBuffer(_ name: String, _ tensor: Tensor) {
        tensor.requiresGradient = false
        Self.insertOrReplace(&bufferSlots, name, tensor)
    }

    private static func insertOrReplace(_ slots: inout [(name: String, tensor: Tensor)], _ name: String, _ tensor: Tensor) {
        if let index = slots.firstIndex(where: { $0.name == name }) {
            slots[index].tensor = tensor
        } else {
            slots.append((name, tensor))
        }
    }

    /// Registers a sublayer under `name`; its paths are prefixed with `name.`. Registering a name again replaces that
    /// child in place (same position, same paths): how a ``LoRADense`` stands in for the ``Dense`` it wraps.
    public func registerChild(_ name: String, _ layer: Layer) {
        if !isTrainable { layer.isTrainable = false }
        if let index = childSlots.firstIndex(where: { $0.name == name }) {
            childSlots[index].layer = layer
        } else {
            childSlots.append((name, layer))
        }
    }

    /// Marks the layer as built, for layers that create every parameter in `init`.
    public func markBuilt() { built = true }

    /// Whether the layer has created its parameters.
    public var isBuilt: Bool { built }

    /// The direct sublayers with their names.
    public var children: [(name: String, layer: Layer)] { childSlots }

    /// Every parameter of this layer and its sublayers, with dotted paths, in registration order.
    public func namedParameters() -> [(path: String, tensor: Tensor)] {
        parameterSlots.map { ($0.name, $0.tensor) } + childSlots.flatMap { child in
            child.layer.namedParameters().map { ("\(child.name).\($0.path)", $0.tensor) }
        }
    }

    /// Whether this layer itself (not a sublayer) keeps buffers.
    public var hasOwnBuffers: Bool { !bufferSlots.isEmpty }

    /// Every buffer of this layer and its sublayers, with dotted paths.
    public func namedBuffers() -> [(path: String, tensor: Tensor)] {
        bufferSlots.map { ($0.name, $0.tensor) } + childSlots.flatMap { child in
            child.layer.namedBuffers().map { ("\(child.name).\($0.path)", $0.tensor) }
        }
    }

    /// The parameters the optimizer should update now: those of trainable layers.
    public func trainableParameters() -> [Tensor] {
        (isTrainable ? parameterSlots.filter { !frozenParameters.contains($0.name) }.map(\.tensor) : []) + childSlots.flatMap { $0.layer.trainableParameters() }
    }

    /// Parameters and buffers together, keyed by path: what a checkpoint stores.
    public func stateDictionary() -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for (path, tensor) in namedParameters() + namedBuffers() { result[path] = tensor }
        return result
    }

    /// Clears the accumulated gradient of every parameter in this subtree.
    public func zeroGradients() {
        for (_, tensor) in namedParameters() { tensor.zeroGradient() }
    }

    /// The number of parameter elements, all or trainable only.
    public func parameterCount(trainableOnly: Bool = false) -> Int {
        (trainableOnly ? trainableParameters() : namedParameters().map(\.tensor)).reduce(0) { $0 + $1.elementCount }
    }

    /// Every layer in this subtree, depth first, with dotted paths (`""` for this one).
    public func descendants() -> [(path: String, layer: Layer)] {
        [("", self)] + childSlots.flatMap { child in
            child.layer.descendants().map { ($0.path.isEmpty ? child.name : "\(child.name).\($0.path)", $0.layer) }
        }
    }
}

/// Errors raised by layers, naming the layer.
public enum LayerError: Error, Equatable, CustomStringConvertible {
    case notImplemented(layer: String, what: String)
    case invalidConfiguration(layer: String, message: String)
    case shapeMismatch(layer: String, expected: String, got: Shape)
    case notBuilt(layer: String)

    public var description: String {
        switch self {
        case let .notImplemented(layer, what): return "\(layer): \(what) is not implemented"
        case let .invalidConfiguration(layer, message): return "\(layer): \(message)"
        case let .shapeMismatch(layer, expected, got): return "\(layer): expected input \(expected), got \(got)"
        case let .notBuilt(layer): return "\(layer): the layer has not been built yet (run it once on an input)"
        }
    }
}
