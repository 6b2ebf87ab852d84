import TuneCore

/// What a forward pass needs besides its input: the mode (training or inference) and the random generator
/// layers such as Dropout draw from.
public final class ForwardContext {
    /// Training mode: Dropout drops, trainable BatchNorm uses batch statistics and updates running ones.
    public let isTraining: Bool
    /// The seeded generator stochastic layers draw from.
    public var generator: SeededGenerator

    public init(isTraining: Bool, seed: UInt64 = 0) {
        self.isTraining = isTraining
        self.generator = SeededGenerator(seed: seed)
    }

    /// A fresh inference-mode context.
    public static var inference: ForwardContext { ForwardContext(isTraining: false) }
}
