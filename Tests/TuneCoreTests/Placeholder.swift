import Testing
@testable import TuneCore

@Test func smokeConvolutionMatchesNaive() throws {
    var g = SeededGenerator(seed: 1)
    let x = Tensor.normal([2, 3, 5, 5], generator: &g, requiresGradient: true)
    let w = Tensor.normal([4, 3, 3, 3], generator: &g, requiresGradient: true)
    let y = try Tensor.conv2d(x, weight: w, padding: .same)
    #expect(y.shape == [2, 4, 5, 5])
    // naive at one point
    var s: Float = 0
    for c in 0..<3 { for i in 0..<3 { for j in 0..<3 {
        let hh = 2 + i - 1, ww = 2 + j - 1
        s += x.scalars[((1*3+c)*5+hh)*5+ww] * w.scalars[((2*3+c)*3+i)*3+j]
    } } }
    #expect(abs(y.scalars[((1*4+2)*5+2)*5+2] - s) < 1e-4)
    let loss = try (try y.relu6()).sum()
    try loss.backward()
    #expect(x.gradient?.shape == x.shape)
    #expect(w.gradient?.shape == w.shape)
    let p = try x.maxPool2d(kernel: (2, 2))
    #expect(p.shape == [2, 3, 2, 2])
    let (bn, m, v) = try Tensor.batchNormTraining(x, scale: Tensor(repeating: 1, shape: [3]), shift: Tensor(zeros: [3]), epsilon: 1e-3)
    #expect(bn.shape == x.shape && m.shape == [3] && v.shape == [3])
    let sm = try Tensor(shape: [1, 3], scalars: [1, 2, 3]).softmax()
    #expect(abs(sm.scalars.reduce(0, +) - 1) < 1e-5)
}
