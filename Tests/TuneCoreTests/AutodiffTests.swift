import Foundation
import Testing
@testable import TuneCore

@Suite("Autodiff semantics")
struct AutodiffTests {
    @Test("Gradients accumulate over fan-out: y = x·x + x gives 2x + 1")
    func fanOut() throws {
        let x = Make.uniform([5], seed: 160)
        try (try x * x + x).sum().backward()
        expectClose(try #require(x.gradient).scalars, x.scalars.map { 2 * $0 + 1 }, tolerance: 1e-6)
    }

    @Test("A diamond-shaped graph sums the gradients of both branches")
    func diamond() throws {
        let x = Make.uniform([2, 3], seed: 161)
        let shared = x.exp()
        let y = try shared * shared.scaled(by: 2) - shared.squared()   // = e^(2x)
        try y.sum().backward()
        expectClose(try #require(x.gradient).scalars, x.scalars.map { 2 * Foundation.exp(2 * $0) }, tolerance: 1e-5)
    }

    @Test("Gradients accumulate across two backward calls until cleared")
    func accumulateAcrossCalls() throws {
        let x = Make.uniform([4], seed: 162)
        try (try x * x).sum().backward()
        let once = try #require(x.gradient).scalars
        try (try x * x).sum().backward()
        expectClose(try #require(x.gradient).scalars, once.map { 2 * $0 }, tolerance: 1e-6)
        x.zeroGradient()
        #expect(x.gradient == nil)
        try (try x * x).sum().backward()
        expectClose(try #require(x.gradient).scalars, once, tolerance: 1e-6)
    }

    @Test("backward(seed:) scales the gradient and the seed is not aliased by the stored gradient")
    func explicitSeed() throws {
        let x = Make.uniform([3], seed: 163)
        let seed = Make.tensor([3], [1, 2, 3])
        try x.backward(seed: seed)
        seed.withUnsafeMutableBufferPointer { $0[0] = 100 }
        #expect(try #require(x.gradient).scalars == [1, 2, 3])
        let y = x.scaled(by: 2)
        try y.backward(seed: Make.tensor([3], [1, 1, 1]))
        #expect(try #require(x.gradient).scalars == [3, 4, 5])
    }

    @Test("withoutGradient records nothing")
    func withoutGradientRecordsNothing() throws {
        let x = Make.uniform([2, 3], seed: 164)
        let y = try withoutGradient { try (try x * x).relu().sum() }
        #expect(!y.requiresGradient)
        #expect(y.gradientFunction == nil)
        #expect(withoutGradient { GradientMode.isRecording } == false)
        #expect(GradientMode.isRecording)
        #expect(throws: TensorError.self) { try y.backward() }
        #expect(x.gradient == nil)
    }

    @Test("Ops on tensors that do not require a gradient record nothing")
    func noGradientInputs() throws {
        let a = Make.uniform([2, 3], seed: 165, requiresGradient: false)
        let b = Make.uniform([3, 2], seed: 166, requiresGradient: false)
        let results: [Tensor] = [
            try a + a, a.exp(), try a.matmul(b), try a.sum(axes: [1]), try a.transposed([1, 0]),
            try a.softmax(), try a.relu(), try a.reshaped(to: [6]),
        ]
        for result in results {
            #expect(!result.requiresGradient)
            #expect(result.gradientFunction == nil)
        }
    }

    @Test("backward on a tensor that does not require a gradient throws")
    func backwardOnConstantThrows() throws {
        let x = Make.uniform([2], seed: 167, requiresGradient: false)
        let error = expectTensorError { try x.backward() }
        guard case .gradient = error else {
            Issue.record("expected TensorError.gradient, got \(String(describing: error))")
            return
        }
        #expect(error?.description.contains("backward") == true)
    }

    @Test("backward with a seed of the wrong shape throws")
    func wrongSeedShape() throws {
        let x = Make.uniform([2, 3], seed: 168)
        let error = expectTensorError { try x.exp().backward(seed: Tensor(zeros: [3, 2])) }
        #expect(error?.description.contains("[2, 3]") == true)
    }

    @Test("A 20,000-op deep chain backpropagates without overflowing the stack")
    func deepChain() throws {
        let x = Make.tensor([2], [0.5, -0.25], requiresGradient: true)
        var y = x
        for _ in 0..<20_000 { y = y.affine(scale: 1, offset: 0.001) }
        expectClose(y.scalars, [20.5, 19.75], tolerance: 1e-3)
        try y.sum().backward()
        #expect(try #require(x.gradient).scalars == [1, 1])
    }

    @Test("An abandoned 20,000-op chain is freed without overflowing the stack")
    func deepChainReleasedWithoutBackward() throws {
        let x = Make.tensor([2], [0.5, -0.25], requiresGradient: true)
        weak var first: Tensor?
        do {
            var y = x.affine(scale: 1, offset: 0)
            first = y
            for _ in 0..<20_000 { y = y.affine(scale: 1, offset: 0.001) }
            withExtendedLifetime(y) { #expect(first != nil) }
        }
        #expect(first == nil, "the recorded graph should be released once nothing refers to it")
    }

    /// Ops whose backward needs their own output; each must not keep its output alive through its tape entry.
    static let outputCapturingOps: [(String, @Sendable (Tensor) throws -> Tensor)] = [
        ("exp", { $0.exp() }), ("log", { $0.absolute().log() }), ("sqrt", { $0.absolute().squareRoot() }),
        ("divide", { try $0 / ($0.absolute() + 1) }), ("softmax", { try $0.softmax() }),
        ("logSoftmax", { try $0.logSoftmax() }), ("sigmoid", { try $0.sigmoid() }),
        ("maxPool2d", { try $0.reshaped(to: [1, 1, 2, 3]).maxPool2d(kernel: (1, 1)) }),
        ("batchNorm", { try Tensor.batchNormTraining($0, scale: Tensor(repeating: 1, shape: [3]),
                                                     shift: Tensor(zeros: [3]), epsilon: 1e-3).output }),
    ]

    @Test("A recorded result that is never backpropagated is freed", arguments: 0..<9)
    func abandonedResultIsFreed(index: Int) throws {
        let (name, op) = Self.outputCapturingOps[index]
        let x = Make.awayFromZero([2, 3], seed: 171)
        weak var result: Tensor?
        try {
            let y = try op(x)
            result = y
            #expect(y.requiresGradient)
        }()
        #expect(result == nil, "\(name) keeps its result alive")
    }

    @Test("backward releases the tape of the graph it walked")
    func tapeReleased() throws {
        let x = Make.uniform([3], seed: 169)
        let y = x.exp()
        try y.sum().backward()
        #expect(y.gradientFunction == nil)
        #expect(x.gradient != nil)
    }

    @Test("detached and copy drop the tape; reshaped views share storage")
    func detachAndCopy() throws {
        let x = Make.uniform([2, 3], seed: 170)
        let y = x.exp()
        #expect(!y.detached().requiresGradient)
        #expect(y.copy().gradientFunction == nil)
        let view = try x.reshaped(to: [6])
        x.withUnsafeMutableBufferPointer { $0[0] = 42 }
        #expect(view.scalars[0] == 42)
        let copy = x.copy()
        x.withUnsafeMutableBufferPointer { $0[0] = 7 }
        #expect(copy.scalars[0] == 42)
    }
}
