import TuneNN

/// The new classifier put on a headless pretrained base. It outputs logits: one per class, or a single logit
/// (sigmoid) when there are two classes.
public enum ClassifierHead: String, Sendable, Codable, CaseIterable {
    /// Global average pooling → dropout → dense (the Keras fine-tuning guide's head).
    case pooledDense = "pooled-dense"
    /// Flatten → dense 256 ReLU → dropout → dense (the classic Keras small-data guide's head).
    case flattenDense256 = "flatten-dense-256"

    /// The logits the head produces for `classCount` classes: 1 for two classes (sigmoid), else `classCount`.
    public static func outputCount(classCount: Int) -> Int { classCount == 2 ? 1 : classCount }

    /// Builds the head for a feature map of shape `[channels, height, width]` per sample.
    public func make(featureShape: [Int], classCount: Int, dropout: Float) -> Sequential {
        let outputs = Self.outputCount(classCount: classCount)
        let channels = featureShape.first ?? 0
        switch self {
        case .pooledDense:
            return Sequential([GlobalAveragePool2D(), Dropout(rate: dropout), Dense(outputs, inFeatures: channels)])
        case .flattenDense256:
            return Sequential([Flatten(), Dense(256, inFeatures: featureShape.reduce(1, *)), ActivationLayer(.relu),
                               Dropout(rate: dropout), Dense(outputs, inFeatures: 256)])
        }
    }
}
