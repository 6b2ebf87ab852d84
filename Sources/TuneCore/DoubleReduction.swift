/// Sums of Float runs accumulated in Double, eight lanes at a time (the lanes are added at the end, so the order
/// differs from a plain loop by rounding in the 16th digit only).
enum DoubleReduction {
    /// `Σ x[i]`.
    static func sum(_ x: UnsafePointer<Float>, count: Int) -> Double {
        var low = SIMD4<Double>(repeating: 0), high = SIMD4<Double>(repeating: 0)
        var i = 0
        let raw = UnsafeRawPointer(x)
        while i + 8 <= count {
            let lanes = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            low += SIMD4<Double>(lanes.lowHalf)
            high += SIMD4<Double>(lanes.highHalf)
            i += 8
        }
        var total = (low + high).sum()
        while i < count {
            total += Double(x[i])
            i += 1
        }
        return total
    }

    /// `Σ (x[i] − mean)²`.
    static func squaredDeviations(_ x: UnsafePointer<Float>, count: Int, from mean: Double) -> Double {
        var low = SIMD4<Double>(repeating: 0), high = SIMD4<Double>(repeating: 0)
        let center = SIMD4<Double>(repeating: mean)
        var i = 0
        let raw = UnsafeRawPointer(x)
        while i + 8 <= count {
            let lanes = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            let a = SIMD4<Double>(lanes.lowHalf) - center, b = SIMD4<Double>(lanes.highHalf) - center
            low += a * a
            high += b * b
            i += 8
        }
        var total = (low + high).sum()
        while i < count {
            let d = Double(x[i]) - mean
            total += d * d
            i += 1
        }
        return total
    }
}
