import TuneCore

/// Why a state dictionary did not load: every problem at once, so one run shows all of them.
public struct LoadError: Error, Equatable, CustomStringConvertible {
    /// A key whose tensor has another shape in the model than in the state dictionary.
    public struct ShapeMismatch: Equatable, Sendable, CustomStringConvertible {
        public let key: String
        /// The shape of the model's tensor.
        public let expected: Shape
        /// The shape in the state dictionary.
        public let got: Shape

        public init(key: String, expected: Shape, got: Shape) {
            self.key = key
            self.expected = expected
            self.got = got
        }

        public var description: String { "\(key): model has \(expected), state dictionary has \(got)" }
    }

    /// Model parameters and buffers the state dictionary lacks (checked in strict mode only).
    public let missingKeys: [String]
    /// State dictionary entries the model has no tensor for (checked in strict mode only).
    public let unexpectedKeys: [String]
    /// Keys present on both sides with different shapes (always checked).
    public let shapeMismatches: [ShapeMismatch]
    /// Paths of layers that have not created their parameters yet; their tensors cannot be matched until the
    /// layer is built (give it its input size or run it once). Reported only alongside another problem.
    public let unbuiltLayers: [String]
    /// Weight-file keys that a ``CheckpointKeyMap`` sends to the same model path, one line per clash.
    public let duplicateTargets: [String]
    /// Weight-file tensors a ``CheckpointKeyMap`` could not convert to the model's layout (wrong rank or size), one
    /// line per key.
    public let conversionFailures: [String]
    /// The weight file the state dictionary came from, when known.
    public var file: String?

    public init(missingKeys: [String] = [], unexpectedKeys: [String] = [], shapeMismatches: [ShapeMismatch] = [],
                unbuiltLayers: [String] = [], duplicateTargets: [String] = [], conversionFailures: [String] = []) {
        self.missingKeys = missingKeys
        self.unexpectedKeys = unexpectedKeys
        self.shapeMismatches = shapeMismatches
        self.unbuiltLayers = unbuiltLayers
        self.duplicateTargets = duplicateTargets
        self.conversionFailures = conversionFailures
    }

    /// Whether there is nothing to report.
    public var isEmpty: Bool {
        missingKeys.isEmpty && unexpectedKeys.isEmpty && shapeMismatches.isEmpty && duplicateTargets.isEmpty
            && conversionFailures.isEmpty
    }

    public var description: String {
        var lines = ["cannot load \(file ?? "the state dictionary"): \(missingKeys.count) missing, \(unexpectedKeys.count) "
                     + "unexpected, \(shapeMismatches.count) with the wrong shape"]
        if !missingKeys.isEmpty {
            lines.append("missing keys (in the model, not in the state dictionary):")
            lines += missingKeys.map { "  \($0)" }
        }
        if !unexpectedKeys.isEmpty {
            lines.append("unexpected keys (in the state dictionary, not in the model):")
            lines += unexpectedKeys.map { "  \($0)" }
        }
        if !duplicateTargets.isEmpty {
            lines.append("keys loading into the same parameter:")
            lines += duplicateTargets.map { "  \($0)" }
        }
        if !conversionFailures.isEmpty {
            lines.append("tensors that do not have the layout their source writes:")
            lines += conversionFailures.map { "  \($0)" }
        }
        if !shapeMismatches.isEmpty {
            lines.append("shape mismatches:")
            lines += shapeMismatches.map { "  \($0)" }
        }
        if !unbuiltLayers.isEmpty {
            lines.append("note: these layers are not built yet, so their tensors do not exist "
                         + "(give them their input size or run the model once): " + unbuiltLayers.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }
}
