import TuneCore

/// Where layers draw their initial weights from: a seeded stream that gives each layer its own generator.
///
/// Pass one generator to every layer of a model (`Conv2D(…, generator: weights)`, `Dense(…, generator: weights)`)
/// and each layer gets distinct draws, reproducible from the seed: the same seed and the same model code give the
/// same initial weights, whatever other models the process builds. A layer built without one uses a fresh
/// `WeightGenerator(seed: 0)`, so its weights depend only on its own shape and initializer (two such layers of one
/// shape start equal).
///
/// A class so one instance can be shared by all layers without `inout`. Not thread-safe: build a model on one
/// thread (layers whose input size is learned on first use draw when they are built).
public final class WeightGenerator {
    private var stream: SeededGenerator

    /// A stream starting from `seed`.
    public init(seed: UInt64) {
        stream = SeededGenerator(seed: seed)
    }

    /// A generator for one layer's tensors, split off the stream (each call gives the next layer's).
    public func nextLayerGenerator() -> SeededGenerator {
        SeededGenerator(seed: stream.next())
    }
}
