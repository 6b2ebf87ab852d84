import TuneCore

/// Runs layers one after another. Children are named `"0"`, `"1"`, … unless names are given.
public final class Sequential: Layer {
    /// The layers in order.
    public private(set) var layers: [Layer] = []

    public init(_ layers: [Layer]) {
        super.init(kind: "Sequential")
        for layer in layers { append(layer) }
        markBuilt()
    }

    /// Layers with explicit names, which become their path prefixes.
    public init(named layers: [(String, Layer)]) {
        super.init(kind: "Sequential")
        for (name, layer) in layers {
            registerChild(name, layer)
            self.layers.append(layer)
        }
        markBuilt()
    }

    /// Builds the list with a result builder: `Sequential { Conv2D(…); BatchNorm(…); … }`.
    public convenience init(@LayerBuilder _ content: () -> [Layer]) {
        self.init(content())
    }

    /// Adds a layer at the end, named by its index.
    public func append(_ layer: Layer) {
        registerChild(String(layers.count), layer)
        layers.append(layer)
    }

    public override func forward(_ input: Tensor, context: ForwardContext) throws -> Tensor {
        try layers.reduce(input) { try $1($0, context: context) }
    }
}

/// Collects layers for ``Sequential``.
@resultBuilder
public enum LayerBuilder {
    public static func buildExpression(_ layer: Layer) -> [Layer] { [layer] }
    public static func buildBlock(_ parts: [Layer]...) -> [Layer] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [Layer]?) -> [Layer] { part ?? [] }
    public static func buildEither(first: [Layer]) -> [Layer] { first }
    public static func buildEither(second: [Layer]) -> [Layer] { second }
    public static func buildArray(_ parts: [[Layer]]) -> [Layer] { parts.flatMap { $0 } }
}
