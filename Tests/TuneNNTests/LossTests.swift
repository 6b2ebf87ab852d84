import Foundation
import Testing
import TuneCore
@testable import TuneNN

/// Checks d loss / d predictions from backward against central finite differences.
func expectGradientMatchesFiniteDifferences(_ loss: Loss, predictions: Tensor, targets: Tensor,
                                            sourceLocation: SourceLocation = #_sourceLocation) throws {
    let input = try tensor(predictions.shape, predictions.scalars, requiresGradient: true)
    let value = try loss(input, targets)
    #expect(value.shape == [], sourceLocation: sourceLocation)
    try value.backward()
    let analytic = try #require(input.gradient, sourceLocation: sourceLocation).scalars
    let numeric = try numericalGradient(at: predictions.scalars, shape: predictions.shape) { try loss($0, targets).scalar() }
    expectClose(analytic, numeric, tolerance: 2e-3, sourceLocation: sourceLocation)
}

@Suite("Binary cross-entropy")
struct BinaryCrossEntropyTests {
    @Test("probabilities give the mean of −log of the probability of the true class")
    func fromProbabilities() throws {
        let loss = Loss.binaryCrossEntropy()
        #expect(loss.name == "binary_crossentropy" && !loss.fromLogits)
        let value = try loss(tensor([2], [0.9, 0.2]), tensor([2], [1, 0])).scalar()
        expectClose(value, 0.16425203)
        // [N, 1] works the same way.
        expectClose(try loss(tensor([2, 1], [0.9, 0.2]), tensor([2, 1], [1, 0])).scalar(), 0.16425203)
    }

    @Test("probabilities are clamped to [1e-7, 1 − 1e-7]")
    func clampsProbabilities() throws {
        let value = try Loss.binaryCrossEntropy()(tensor([1], [0]), tensor([1], [1])).scalar()
        expectClose(value, -Float(log(1e-7)), tolerance: 1e-4)
    }

    @Test("logits use the stable form max(x, 0) − x·y + log(1 + e^−|x|)")
    func fromLogits() throws {
        let loss = Loss.binaryCrossEntropy(fromLogits: true)
        expectClose(try loss(tensor([3], [2, -1, 0]), tensor([3], [1, 1, 0])).scalar(), 0.71111229)
        // Extreme logits stay finite.
        expectClose(try loss(tensor([2], [100, -100]), tensor([2], [0, 1])).scalar(), 100)
    }

    @Test("label smoothing moves targets to y·(1 − ε) + ε/2")
    func labelSmoothing() throws {
        let logits = try tensor([3], [2, -1, 0]), targets = try tensor([3], [1, 1, 0])
        expectClose(try Loss.binaryCrossEntropy(fromLogits: true, labelSmoothing: 0.2)(logits, targets).scalar(), 0.74444563)
        let probabilities = Loss.binaryCrossEntropy(labelSmoothing: 0.2)
        expectClose(try probabilities(tensor([2], [0.9, 0.2]), tensor([2], [1, 0])).scalar(), 0.34342798)
    }

    @Test("class weights weight each sample by its class and divide by N")
    func classWeights() throws {
        let loss = Loss.binaryCrossEntropy(classWeights: [1, 3])
        expectClose(try loss(tensor([2], [0.9, 0.2]), tensor([2], [1, 0])).scalar(), 0.26961255)
    }

    @Test("[N, K] multi-label predictions average over the K outputs of each sample")
    func multiLabel() throws {
        let value = try Loss.binaryCrossEntropy()(tensor([1, 2], [0.9, 0.2]), tensor([1, 2], [1, 0])).scalar()
        expectClose(value, 0.16425203)
    }

    @Test("the gradient matches finite differences, including at a zero logit")
    func gradientCheck() throws {
        try expectGradientMatchesFiniteDifferences(.binaryCrossEntropy(fromLogits: true, labelSmoothing: 0.1, classWeights: [0.5, 2]),
                                                   predictions: tensor([4], [0, 1.5, -2, 0.3]), targets: tensor([4], [1, 0, 1, 0]))
        try expectGradientMatchesFiniteDifferences(.binaryCrossEntropy(),
                                                   predictions: tensor([2, 2], [0.3, 0.8, 0.55, 0.1]),
                                                   targets: tensor([2, 2], [1, 0, 0, 1]))
        // At x = 0 the gradient is (σ(0) − y) / N exactly.
        let logits = try tensor([2], [0, 0], requiresGradient: true)
        try Loss.binaryCrossEntropy(fromLogits: true)(logits, tensor([2], [1, 0])).backward()
        expectClose(try #require(logits.gradient).scalars, [-0.25, 0.25])
    }
}

@Suite("Categorical cross-entropy")
struct CategoricalCrossEntropyTests {
    let logits: [Float] = [1, 2, 3, 1, 1, 1]
    let oneHot: [Float] = [0, 0, 1, 1, 0, 0]

    @Test("logits give −log softmax of the true class, averaged")
    func fromLogits() throws {
        let loss = Loss.categoricalCrossEntropy(fromLogits: true)
        #expect(loss.name == "categorical_crossentropy")
        expectClose(try loss(tensor([2, 3], logits), tensor([2, 3], oneHot)).scalar(), 0.75310913)
    }

    @Test("probabilities are rescaled to sum to 1 before the log")
    func fromProbabilities() throws {
        let loss = Loss.categoricalCrossEntropy()
        expectClose(try loss(tensor([2, 3], [0.7, 0.2, 0.1, 0.3, 0.3, 0.4]), tensor([2, 3], [1, 0, 0, 0, 0, 1])).scalar(), 0.63648284)
        expectClose(try loss(tensor([1, 3], [0.25, 0.25, 0.5]), tensor([1, 3], [0, 0, 1])).scalar(), Float(log(2.0)))
        expectClose(try loss(tensor([1, 3], [0.1, 0.1, 0.2]), tensor([1, 3], [0, 0, 1])).scalar(), Float(log(2.0)))
    }

    @Test("label smoothing uses y·(1 − ε) + ε/C")
    func labelSmoothing() throws {
        let loss = Loss.categoricalCrossEntropy(fromLogits: true, labelSmoothing: 0.1)
        expectClose(try loss(tensor([2, 3], logits), tensor([2, 3], oneHot)).scalar(), 0.80310913)
    }

    @Test("class weights follow the argmax of each target row")
    func classWeights() throws {
        let loss = Loss.categoricalCrossEntropy(fromLogits: true, classWeights: [1, 2, 0.5])
        expectClose(try loss(tensor([2, 3], logits), tensor([2, 3], oneHot)).scalar(), 0.65120764)
        let probabilities = Loss.categoricalCrossEntropy(classWeights: [1, 2, 0.5])
        let value = try probabilities(tensor([2, 3], [0.7, 0.2, 0.1, 0.3, 0.3, 0.4]), tensor([2, 3], [1, 0, 0, 0, 0, 1]))
        expectClose(try value.scalar(), 0.40741015)
    }

    @Test("the gradient matches finite differences")
    func gradientCheck() throws {
        try expectGradientMatchesFiniteDifferences(.categoricalCrossEntropy(fromLogits: true, labelSmoothing: 0.2, classWeights: [1, 2, 3]),
                                                   predictions: tensor([2, 3], [0.5, -1, 2, 0, 0.3, -0.7]),
                                                   targets: tensor([2, 3], [0, 1, 0, 0, 0, 1]))
        try expectGradientMatchesFiniteDifferences(.categoricalCrossEntropy(labelSmoothing: 0.1),
                                                   predictions: tensor([2, 3], [0.2, 0.5, 0.3, 0.6, 0.3, 0.1]),
                                                   targets: tensor([2, 3], [0, 1, 0, 0.5, 0, 0.5]))
    }
}

@Suite("Sparse categorical cross-entropy")
struct SparseCategoricalCrossEntropyTests {
    let logits: [Float] = [1, 2, 3, 1, 1, 1]

    @Test("class-index targets give the same values as their one-hot encoding")
    func matchesCategorical() throws {
        let loss = Loss.sparseCategoricalCrossEntropy(fromLogits: true)
        #expect(loss.name == "sparse_categorical_crossentropy")
        expectClose(try loss(tensor([2, 3], logits), tensor([2], [2, 0])).scalar(), 0.75310913)
        expectClose(try loss(tensor([2, 3], logits), tensor([2, 1], [2, 0])).scalar(), 0.75310913)
        let probabilities = Loss.sparseCategoricalCrossEntropy()
        expectClose(try probabilities(tensor([2, 3], [0.7, 0.2, 0.1, 0.3, 0.3, 0.4]), tensor([2], [0, 2])).scalar(), 0.63648284)
    }

    @Test("label smoothing and class weights apply as for one-hot targets")
    func smoothingAndWeights() throws {
        let smoothed = Loss.sparseCategoricalCrossEntropy(fromLogits: true, labelSmoothing: 0.1)
        expectClose(try smoothed(tensor([2, 3], logits), tensor([2], [2, 0])).scalar(), 0.80310913)
        let weighted = Loss.sparseCategoricalCrossEntropy(fromLogits: true, classWeights: [1, 2, 0.5])
        expectClose(try weighted(tensor([2, 3], logits), tensor([2], [2, 0])).scalar(), 0.65120764)
    }

    @Test("the gradient matches finite differences")
    func gradientCheck() throws {
        try expectGradientMatchesFiniteDifferences(.sparseCategoricalCrossEntropy(fromLogits: true, labelSmoothing: 0.1, classWeights: [2, 1, 0.5]),
                                                   predictions: tensor([3, 3], [0.5, -1, 2, 0, 0.3, -0.7, 1, 1, -1]),
                                                   targets: tensor([3], [1, 2, 0]))
        try expectGradientMatchesFiniteDifferences(.sparseCategoricalCrossEntropy(),
                                                   predictions: tensor([2, 3], [0.2, 0.5, 0.3, 0.6, 0.3, 0.1]),
                                                   targets: tensor([2], [1, 0]))
    }
}

@Suite("LossError")
struct LossErrorTests {
    @Test("mismatched shapes are reported with both shapes")
    func shapeMismatch() throws {
        let error = #expect(throws: LossError.self) {
            try Loss.binaryCrossEntropy()(tensor([3], [0.1, 0.2, 0.3]), tensor([2], [0, 1]))
        }
        #expect(error == .shapeMismatch(loss: "binary_crossentropy", predictions: [3], targets: [2],
                                        expected: "predictions [N] or [N, K] and targets of the same shape"))
        #expect(error?.description == "binary_crossentropy: predictions [3] and targets [2] do not fit: "
            + "expected predictions [N] or [N, K] and targets of the same shape")
        #expect(throws: LossError.shapeMismatch(loss: "sparse_categorical_crossentropy", predictions: [2, 3], targets: [3],
                                                expected: "predictions [N, C] and class-index targets [N]")) {
            try Loss.sparseCategoricalCrossEntropy()(Tensor(zeros: [2, 3]), Tensor(zeros: [3]))
        }
        #expect(throws: LossError.shapeMismatch(loss: "categorical_crossentropy", predictions: [2, 3], targets: [2, 4],
                                                expected: "predictions [N, C] and one-hot targets [N, C]")) {
            try Loss.categoricalCrossEntropy()(Tensor(zeros: [2, 3]), Tensor(zeros: [2, 4]))
        }
    }

    @Test("an empty batch is reported")
    func emptyBatch() throws {
        let error = #expect(throws: LossError.self) {
            try Loss.sparseCategoricalCrossEntropy(fromLogits: true)(Tensor(zeros: [0, 3]), Tensor(zeros: [0]))
        }
        #expect(error == .emptyBatch(loss: "sparse_categorical_crossentropy"))
        #expect(error?.description == "sparse_categorical_crossentropy: the batch is empty (0 samples)")
        #expect(throws: LossError.emptyBatch(loss: "binary_crossentropy")) {
            try Loss.binaryCrossEntropy()(Tensor(zeros: [0]), Tensor(zeros: [0]))
        }
    }

    @Test("NaN or infinite predictions and targets are reported with the index")
    func nonFinite() throws {
        let error = #expect(throws: LossError.self) {
            try Loss.categoricalCrossEntropy(fromLogits: true)(tensor([1, 3], [0, .nan, 1]), tensor([1, 3], [0, 0, 1]))
        }
        #expect(error == .nonFinite(loss: "categorical_crossentropy", argument: "predictions", index: 1))
        #expect(error?.description == "categorical_crossentropy: predictions contain a non-finite value (NaN or infinity) at index 1")
        #expect(throws: LossError.nonFinite(loss: "binary_crossentropy", argument: "targets", index: 0)) {
            try Loss.binaryCrossEntropy(fromLogits: true)(tensor([2], [0, 1]), tensor([2], [.infinity, 1]))
        }
    }

    @Test("labels outside the classes are reported with the sample")
    func badLabel() throws {
        let loss = Loss.sparseCategoricalCrossEntropy(fromLogits: true)
        let error = #expect(throws: LossError.self) { try loss(Tensor(zeros: [2, 3]), tensor([2], [0, 3])) }
        #expect(error == .labelOutOfRange(loss: "sparse_categorical_crossentropy", sample: 1, label: 3, valid: "integers 0..<3"))
        #expect(error?.description == "sparse_categorical_crossentropy: label 3.0 of sample 1 is out of range (valid: integers 0..<3)")
        #expect(throws: LossError.labelOutOfRange(loss: "sparse_categorical_crossentropy", sample: 0, label: 0.5,
                                                  valid: "integers 0..<3")) {
            try loss(Tensor(zeros: [2, 3]), tensor([2], [0.5, 1]))
        }
        #expect(throws: LossError.labelOutOfRange(loss: "binary_crossentropy", sample: 1, label: -1, valid: "[0, 1]")) {
            try Loss.binaryCrossEntropy(fromLogits: true)(tensor([2], [0, 0]), tensor([2], [1, -1]))
        }
    }

    @Test("a class-weight count that differs from the class count is reported")
    func classWeightCount() throws {
        let error = #expect(throws: LossError.self) {
            try Loss.sparseCategoricalCrossEntropy(classWeights: [1, 2])(tensor([1, 3], [0.2, 0.3, 0.5]), tensor([1], [2]))
        }
        #expect(error == .classWeightCount(loss: "sparse_categorical_crossentropy", expected: 3, got: 2))
        #expect(error?.description == "sparse_categorical_crossentropy: classWeights has 2 entries but there are 3 classes")
        #expect(throws: LossError.classWeightCount(loss: "binary_crossentropy", expected: 2, got: 3)) {
            try Loss.binaryCrossEntropy(classWeights: [1, 1, 1])(tensor([1], [0.5]), tensor([1], [1]))
        }
    }

    @Test("logits passed as probabilities and invalid settings are reported naming the argument")
    func invalidArguments() throws {
        let error = #expect(throws: LossError.self) {
            try Loss.sparseCategoricalCrossEntropy()(tensor([1, 2], [2.5, -1]), tensor([1], [0]))
        }
        #expect(error?.description == "sparse_categorical_crossentropy: predictions: probabilities must lie in [0, 1] when "
            + "fromLogits is false (found 2.5 at index 0); pass fromLogits: true for raw scores")
        #expect(throws: LossError.invalidArgument(loss: "binary_crossentropy", argument: "labelSmoothing",
                                                  message: "must be in [0, 1], got 1.5")) {
            try Loss.binaryCrossEntropy(labelSmoothing: 1.5)(tensor([1], [0.5]), tensor([1], [1]))
        }
        #expect(throws: LossError.invalidArgument(loss: "categorical_crossentropy", argument: "classWeights",
                                                  message: "weights must be finite and non-negative, got -1.0")) {
            try Loss.categoricalCrossEntropy(classWeights: [1, -1])(tensor([1, 2], [0.5, 0.5]), tensor([1, 2], [1, 0]))
        }
    }
}
