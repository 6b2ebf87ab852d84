import Testing
import TuneCore
@testable import TuneNN

/// Checks the reverse-mode gradients of every tensor in `inputs` against central finite differences of
/// `L = Σ f() ⊙ r` (`r` a fixed random weight), with the products accumulated in Double. `f` reads the tensors itself
/// (layer parameters or inputs), so each is perturbed in place, one element at a time.
///
/// An element passes when `|analytic − numeric| ≤ tolerance · max(1, |numeric|)`. Returns how many were compared.
@discardableResult
func expectFiniteDifferenceGradients(_ inputs: [(name: String, tensor: Tensor)], step: Float = 1e-2, tolerance: Float = 2e-2,
                                     seed: UInt64 = 0x5EED, sourceLocation: SourceLocation = #_sourceLocation,
                                     _ f: () throws -> Tensor) throws -> Int {
    for input in inputs { input.tensor.zeroGradient() }
    let output = try f()
    var generator = SeededGenerator(seed: seed)
    let weights = Tensor.uniform(output.shape, low: -1, high: 1, generator: &generator)
    try (output * weights).sum().backward()
    let r = weights.scalars
    func loss() throws -> Double {
        let y = try withoutGradient { try f() }
        return zip(y.scalars, r).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }
    var compared = 0
    var mismatches: [String] = []
    for (name, tensor) in inputs {
        guard let gradient = tensor.gradient else {
            Issue.record("\(name) received no gradient", sourceLocation: sourceLocation)
            continue
        }
        let analytic = gradient.scalars
        for index in 0..<tensor.elementCount {
            let original = tensor.scalars[index]
            func set(_ value: Float) { tensor.withUnsafeMutableBufferPointer { $0[index] = value } }
            set(original + step)
            let plus = try loss()
            set(original - step)
            let minus = try loss()
            set(original)
            let width = Double(original + step) - Double(original - step)
            let numeric = Float((plus - minus) / width)
            compared += 1
            if abs(analytic[index] - numeric) > tolerance * max(1, abs(numeric)) {
                mismatches.append("\(name)[\(index)]: analytic \(analytic[index]), numeric \(numeric)")
            }
        }
    }
    if !mismatches.isEmpty {
        Issue.record("\(mismatches.count) of \(compared) gradient elements differ: \(mismatches.prefix(8).joined(separator: "; "))",
                     sourceLocation: sourceLocation)
    }
    return compared
}
