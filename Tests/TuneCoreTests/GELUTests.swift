import Foundation
import Testing
@testable import TuneCore

@Suite("GELU (exact erf form)")
struct GELUTests {
    /// 0.5 · x · (1 + erf(x / √2)) in Double.
    static func reference(_ x: Float) -> Float {
        let value = Double(x)
        return Float(0.5 * value * (1 + Foundation.erf(value / 2.0.squareRoot())))
    }

    /// Its derivative Φ(x) + x · φ(x) in Double.
    static func derivative(_ x: Float) -> Float {
        let value = Double(x)
        let cdf = 0.5 * (1 + Foundation.erf(value / 2.0.squareRoot()))
        let pdf = Foundation.exp(-value * value / 2) / (2 * Double.pi).squareRoot()
        return Float(cdf + value * pdf)
    }

    @Test("the forward matches the Double erf formula from −6 to 6")
    func forward() throws {
        let values = (0...240).map { Float($0) * 0.05 - 6 }
        let y = try Make.tensor([241], values).gelu()
        expectClose(y.scalars, values.map(Self.reference), tolerance: 2e-6)
    }

    @Test("the backward equals Φ(x) + x·φ(x)")
    func analyticDerivative() throws {
        let values = (0...80).map { Float($0) * 0.1 - 4 }
        let x = Make.tensor([81], values, requiresGradient: true)
        try x.gelu().sum().backward()
        expectClose(try #require(x.gradient).scalars, values.map(Self.derivative), tolerance: 1e-5)
    }

    @Test("the gradient passes the finite-difference check on rank-3 activations")
    func finiteDifferences() throws {
        let x = Make.normal([2, 3, 8], seed: 360, requiresGradient: false).affine(scale: 2)
        x.requiresGradient = true
        try GradientCheck(maximumCheckedElements: 48).check([x]) { try $0[0].gelu() }
    }
}
