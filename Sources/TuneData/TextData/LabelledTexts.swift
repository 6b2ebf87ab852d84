/// Labelled texts in memory: one text per sample, its class index, the class names in index order, and where each
/// text came from (a file, or a file and line) for messages and reports.
public struct LabelledTexts: Sendable, Equatable {
    /// One text and its class.
    public struct Sample: Sendable, Hashable {
        public let text: String
        public let classIndex: Int
        /// `path` or `path:line`.
        public let origin: String

        public init(text: String, classIndex: Int, origin: String) {
            self.text = text
            self.classIndex = classIndex
            self.origin = origin
        }
    }

    /// A text left out, and why (an empty text, say).
    public struct Skipped: Sendable, Hashable {
        public let origin: String
        public let reason: String
    }

    /// Where the texts were read from.
    public let source: String
    /// Class names in index order.
    public let classNames: [String]
    /// The samples, in a stable order (by class, then origin, for folders; file order for tables).
    public let samples: [Sample]
    /// Texts that were left out, each with its reason.
    public let skipped: [Skipped]

    public init(source: String, classNames: [String], samples: [Sample], skipped: [Skipped] = []) {
        self.source = source
        self.classNames = classNames
        self.samples = samples
        self.skipped = skipped
    }

    /// The number of samples.
    public var count: Int { samples.count }

    /// Samples per class, in class order.
    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: classNames.count)
        for sample in samples { counts[sample.classIndex] += 1 }
        return counts
    }

    /// "Found N texts belonging to C classes in SOURCE (a: 10, b: 12)", with skipped texts counted.
    public var summary: String {
        let perClass = zip(classNames, classCounts).map { "\($0): \($1)" }.joined(separator: ", ")
        let skipped = skipped.isEmpty ? "" : "; skipped \(skipped.count) (\(Set(skipped.map(\.reason)).sorted().joined(separator: "; ")))"
        return "Found \(count) texts belonging to \(classNames.count) classes in \(source) (\(perClass))\(skipped)."
    }

    /// The same classes with only `samples`.
    public func subset(_ samples: [Sample]) -> LabelledTexts {
        LabelledTexts(source: source, classNames: classNames, samples: samples)
    }

    /// Splits off `fraction` of each class for validation by a seeded shuffle (stratified); both parts keep this
    /// collection's order.
    /// - Throws: ``DataError/invalidArgument(message:)`` for a fraction outside (0, 1); ``DataError/badFolder(path:message:)``
    ///   when a class has too few texts to give both parts one.
    public func split(validationFraction fraction: Double, seed: UInt64) throws -> (training: LabelledTexts, validation: LabelledTexts) {
        guard fraction > 0, fraction < 1 else {
            throw DataError.invalidArgument(message: "validation split must be between 0 and 1 (exclusive), got \(fraction)")
        }
        var validationPositions = Set<Int>()
        for classIndex in classNames.indices {
            let members = samples.indices.filter { samples[$0].classIndex == classIndex }
            let take = Int((Double(members.count) * fraction).rounded())
            guard take > 0, take < members.count else {
                throw DataError.badFolder(path: source, message: "class '\(classNames[classIndex])' has \(members.count) texts, "
                                          + "too few to split \(Int(fraction * 100))% off for validation")
            }
            let order = seededPermutation(count: members.count, seed: seed, stream: classIndex)
            for position in order.prefix(take) { validationPositions.insert(members[position]) }
        }
        let training = samples.indices.filter { !validationPositions.contains($0) }.map { samples[$0] }
        let validation = samples.indices.filter { validationPositions.contains($0) }.map { samples[$0] }
        return (subset(training), subset(validation))
    }

    /// Checks there are at least `minimumClasses` classes and every class has a text.
    /// - Throws: ``DataError/badFolder(path:message:)`` naming the source and the class.
    public func validateForTraining(minimumClasses: Int = 2) throws {
        guard classNames.count >= minimumClasses else {
            throw DataError.badFolder(path: source, message: "found \(classNames.count) class(es) (\(classNames.joined(separator: ", "))); "
                                      + "at least \(minimumClasses) are needed to train a classifier")
        }
        for (name, count) in zip(classNames, classCounts) where count == 0 {
            throw DataError.badFolder(path: source, message: "class '\(name)' has no texts")
        }
    }
}
