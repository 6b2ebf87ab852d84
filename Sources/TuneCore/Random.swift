import Foundation

/// A seeded, reproducible random generator (xoshiro256**, seeded through SplitMix64).
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    /// The same seed always yields the same sequence.
    public init(seed: UInt64) {
        var mix = seed
        func next() -> UInt64 {
            mix &+= 0x9E37_79B9_7F4A_7C15
            var z = mix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (next(), next(), next(), next())
    }

    public mutating func next() -> UInt64 {
        let result = rotate(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotate(state.3, 45)
        return result
    }

    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// A uniform float in [0, 1).
    public mutating func nextUniform() -> Float {
        Float(next() >> 40) * (1.0 / Float(1 << 24))
    }

    /// A standard normal float (Box–Muller).
    public mutating func nextNormal() -> Float {
        let u1 = max(Double(next() >> 11) * (1.0 / Double(1 << 53)), Double.leastNonzeroMagnitude)
        let u2 = Double(next() >> 11) * (1.0 / Double(1 << 53))
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }
}

extension Tensor {
    /// Uniform values in `[low, high)` from a seeded generator.
    public static func uniform(_ shape: Shape, low: Float, high: Float,
                               generator: inout SeededGenerator, requiresGradient: Bool = false) -> Tensor {
        let result = Tensor.uninitialized(shape)
        let p = result.storage.pointer
        for i in 0..<shape.elementCount { p[i] = low + (high - low) * generator.nextUniform() }
        result.requiresGradient = requiresGradient
        return result
    }

    /// Normal values with the given mean and standard deviation from a seeded generator.
    public static func normal(_ shape: Shape, mean: Float = 0, standardDeviation: Float = 1,
                              generator: inout SeededGenerator, requiresGradient: Bool = false) -> Tensor {
        let result = Tensor.uninitialized(shape)
        let p = result.storage.pointer
        for i in 0..<shape.elementCount { p[i] = mean + standardDeviation * generator.nextNormal() }
        result.requiresGradient = requiresGradient
        return result
    }
}
