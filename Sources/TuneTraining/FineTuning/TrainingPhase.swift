/// The two phases of the Keras fine-tuning guide. Stored as `1` and `2` in checkpoints and `history.csv`.
public enum TrainingPhase: Int, Codable, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    /// Phase 1: a new head trains on the frozen base.
    case head = 1
    /// Phase 2: the recipe's ``UnfreezePolicy`` unfreezes part of the base, which trains on at a lower rate.
    case fineTune = 2

    public static func < (lhs: TrainingPhase, rhs: TrainingPhase) -> Bool { lhs.rawValue < rhs.rawValue }

    /// `Phase 1`, `Phase 2`.
    public var description: String { "Phase \(rawValue)" }
}

/// The part of a data set a split names.
public enum DataSplit: String, Sendable, Hashable, CaseIterable {
    case training
    case validation
}
