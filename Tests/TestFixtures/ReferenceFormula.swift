import Foundation

/// The deterministic weights and inputs of `reference/applications_fixtures.py`, computed as the script computes them
/// (float64, then rounded to float32), so a test can rebuild any weight file the script wrote from its recorded
/// structure, and the inputs whose outputs it recorded.
public enum ReferenceFormula {
    /// What a weight is, which decides its formula.
    public enum Kind: String, Codable, Sendable {
        case kernel, bias, beta, gamma, mean, variance, counter
    }

    /// The values of weight number `k` of `count` elements (flat, in the framework's own layout): with
    /// `u = sin(0.731 i + 1.37 k)`, a kernel is `u · 2 / √fanIn`, a bias or beta `0.05 u`, a gamma `1 + 0.1 u`, a
    /// mean `0.1 u`, a variance `1 + 0.25 (u + 1)`; a counter is zero. `scrambled` adds `0.37 (i² mod 1009)` to the
    /// phase (`reference/training_step_fixtures.py`: the plain phase makes every kernel a rank-2 matrix).
    public static func weights(kind: Kind, count: Int, k: Int, fanIn: Int?, scrambled: Bool = false) -> [Float] {
        (0..<count).map { index in
            var phase = 0.731 * Double(index) + 1.37 * Double(k)
            if scrambled { phase = phase + 0.37 * Double((index * index) % 1009) }
            let u = sin(phase)
            switch kind {
            case .kernel: return Float(u * 2.0 / (Double(fanIn ?? 1)).squareRoot())
            case .bias, .beta: return Float(0.05 * u)
            case .gamma: return Float(1.0 + 0.1 * u)
            case .mean: return Float(0.1 * u)
            case .variance: return Float(1.0 + 0.25 * (u + 1.0))
            case .counter: return 0
            }
        }
    }

    /// The script's inputs: `batch` samples of `3 × size × size`, NCHW, `x[n, c, h, w] = sin(0.01 (c·H·W + h·W + w) + n)`.
    public static func inputs(batch: Int, size: Int) -> [Float] {
        let plane = 3 * size * size
        return (0..<batch * plane).map { index in Float(sin(0.01 * Double(index % plane) + Double(index / plane))) }
    }

    /// The folder of the committed reference fixtures (`Tests/TuneModelsTests/Fixtures/applications`).
    public static var applicationsFolder: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("TuneModelsTests/Fixtures/applications")
    }
}
