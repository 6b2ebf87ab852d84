import Foundation
import Testing
import TestFixtures
@testable import FineTune
import FineTuneExamples

@Suite("Fashion-MNIST learning", .serialized)
struct FashionMNISTLearningTests {
    @Test("A small CNN trained from scratch on 10,000 images reaches at least 85% on the first 2,000 test images",
          .requires(.fashionMNIST))
    func smallCNNLearnsFashionMNIST() throws {
        ComputeThreads.set(2)
        var options = FashionMNISTBaseline.Options()
        options.trainLimit = 10_000
        options.testLimit = 2_000
        let outcome = try FashionMNISTBaseline.run(options)
        print("Fashion-MNIST CNN test accuracy: \(outcome.testAccuracy) (loss \(outcome.testLoss)), history \(outcome.history.epochs)")
        #expect(outcome.trainCount == 10_000)
        #expect(outcome.testCount == 2_000)
        #expect(outcome.testAccuracy >= 0.85)
        let losses = outcome.history.values("loss")
        #expect(losses.count == options.epochs)
        #expect(losses.last ?? .infinity < losses.first ?? 0)
    }
}
