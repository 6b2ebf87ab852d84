import Foundation
import Testing
import TuneCore
import TuneNN
@testable import TuneTraining

@Suite("Accuracy")
struct AccuracyTests {
    @Test("sparse targets compare the argmax with the class index, accumulating across batches until reset")
    func sparse() throws {
        let metric = Accuracy()
        #expect(metric.name == "accuracy" && metric.result == 0)
        try metric.update(predictions: tensor([3, 2], [0.1, 0.9, 0.8, 0.2, 0.3, 0.7]), targets: tensor([3], [1, 1, 1]))
        expectClose(metric.result, 2.0 / 3)
        try metric.update(predictions: tensor([1, 2], [0.6, 0.4]), targets: tensor([1, 1], [0]))
        expectClose(metric.result, 0.75)
        metric.reset()
        #expect(metric.result == 0 && metric.count == 0)
    }

    @Test("categorical targets compare argmaxes of one-hot rows")
    func categorical() throws {
        let metric = Accuracy(.categorical)
        try metric.update(predictions: tensor([2, 3], [0.2, 0.5, 0.3, 5, 1, 2]), targets: tensor([2, 3], [0, 1, 0, 0, 0, 1]))
        #expect(metric.result == 0.5)
    }

    @Test("binary accuracy thresholds probabilities at 0.5 and logits at 0")
    func binary() throws {
        let targets = try tensor([4], [0, 1, 1, 0])
        let probabilities = Accuracy(.binary)
        try probabilities.update(predictions: tensor([4], [0.2, 0.6, 0.5, 0.9]), targets: targets)
        #expect(probabilities.threshold == 0.5 && probabilities.result == 0.5)
        let logits = try tensor([4], [-0.5, 0.3, 0.1, -2])
        let fromLogits = Accuracy(.binary, fromLogits: true)
        try fromLogits.update(predictions: logits, targets: targets)
        #expect(fromLogits.threshold == 0 && fromLogits.result == 1)
        // The probability threshold would misread logits.
        let misread = Accuracy(.binary)
        try misread.update(predictions: logits, targets: targets)
        #expect(misread.result == 0.5)
    }

    @Test("matching a loss picks the target encoding and the threshold")
    func matchingLoss() {
        let binary = Accuracy(matching: .binaryCrossEntropy(fromLogits: true))
        #expect(binary.kind == .binary && binary.threshold == 0)
        #expect(Accuracy(matching: .categoricalCrossEntropy()).kind == .categorical)
        #expect(Accuracy(matching: .sparseCategoricalCrossEntropy(fromLogits: true)).kind == .sparseCategorical)
    }

    @Test("mismatched shapes and bad labels are reported naming the metric")
    func errors() throws {
        let metric = Accuracy()
        let error = #expect(throws: MetricError.self) {
            try metric.update(predictions: Tensor(zeros: [2, 3]), targets: Tensor(zeros: [3]))
        }
        #expect(error?.description == "accuracy: predictions [2, 3] and targets [3] do not fit: "
            + "expected predictions [N, C] and class-index targets [N]")
        #expect(throws: MetricError.labelOutOfRange(metric: "accuracy", sample: 1, label: 3, valid: "integers 0..<3")) {
            try metric.update(predictions: Tensor(zeros: [2, 3]), targets: tensor([2], [0, 3]))
        }
        #expect(throws: MetricError.self) { try Accuracy(.binary).update(predictions: Tensor(zeros: [2]), targets: Tensor(zeros: [3])) }
        #expect(metric.count == 0)
    }
}

@Suite("TopKAccuracy")
struct TopKAccuracyTests {
    let predictions: [Float] = [0.1, 0.5, 0.3, 0.1, 0.4, 0.3, 0.2, 0.1, 0.25, 0.25, 0.25, 0.25]
    let targets: [Float] = [2, 3, 0]

    @Test("a sample counts when its class is among the k best, ties counting in its favour")
    func topK() throws {
        let top2 = TopKAccuracy(k: 2)
        #expect(top2.name == "top_2_accuracy" && TopKAccuracy().name == "top_5_accuracy")
        try top2.update(predictions: tensor([3, 4], predictions), targets: tensor([3], targets))
        expectClose(top2.result, 2.0 / 3)
        let top1 = TopKAccuracy(k: 1)
        try top1.update(predictions: tensor([3, 4], predictions), targets: tensor([3], targets))
        expectClose(top1.result, 1.0 / 3)
        let top4 = TopKAccuracy(k: 4, name: "top4")
        try top4.update(predictions: tensor([3, 4], predictions), targets: tensor([3], targets))
        #expect(top4.name == "top4" && top4.result == 1)
        top4.reset()
        #expect(top4.result == 0)
    }

    @Test("k must be positive")
    func invalidK() throws {
        #expect(throws: MetricError.invalidArgument(metric: "top_0_accuracy", argument: "k", message: "must be positive, got 0")) {
            try TopKAccuracy(k: 0).update(predictions: Tensor(zeros: [1, 2]), targets: Tensor(zeros: [1]))
        }
    }
}

@Suite("MeanMetric")
struct MeanMetricTests {
    @Test("it keeps a count-weighted running mean")
    func runningMean() throws {
        let metric = MeanMetric(name: "loss")
        #expect(metric.name == "loss" && metric.result == 0)
        metric.update(value: 2)
        metric.update(value: 5, count: 3)
        #expect(metric.result == 4.25 && metric.count == 4)
        metric.update(value: 100, count: 0)
        #expect(metric.count == 4)
        try metric.update(predictions: tensor([2], [1, 3]), targets: Tensor(zeros: [2]))
        expectClose(metric.result, 21.0 / 6)
        metric.reset()
        #expect(metric.result == 0 && metric.count == 0)
    }
}
