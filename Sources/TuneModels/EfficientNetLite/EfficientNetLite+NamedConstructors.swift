// Thin named constructors in the spirit of `keras.applications`: `EfficientNetLite0(weights: .imagenet, includeTop: false)`.

extension EfficientNetLite {
    /// EfficientNet-Lite with weights: `EfficientNetLite(variant: .lite0, weights: .imagenet, includeTop: false)`.
    ///
    /// Loading is strict (see ``Backbone/loadCheckpoint(path:)``): every model key must be present with its shape.
    /// Without the top, the checkpoint's classifier (`_fc.*`) is the only thing left out.
    public convenience init(variant: EfficientNetLiteVariant, weights: WeightsSource, includeTop: Bool = true,
                            classCount: Int = 1000, cache: WeightCache = WeightCache()) throws {
        self.init(variant: variant, includeTop: includeTop, classCount: classCount)
        guard weights != .none else { return }
        try load(weights, asEntry: variant.name, cache: cache)
    }
}

/// EfficientNet-Lite0 (224², 4.65 M parameters with its top).
public func EfficientNetLite0(weights: WeightsSource = .none, includeTop: Bool = true, classCount: Int = 1000) throws -> EfficientNetLite {
    try EfficientNetLite(variant: .lite0, weights: weights, includeTop: includeTop, classCount: classCount)
}

/// EfficientNet-Lite1 (240²).
public func EfficientNetLite1(weights: WeightsSource = .none, includeTop: Bool = true, classCount: Int = 1000) throws -> EfficientNetLite {
    try EfficientNetLite(variant: .lite1, weights: weights, includeTop: includeTop, classCount: classCount)
}

/// EfficientNet-Lite2 (260²).
public func EfficientNetLite2(weights: WeightsSource = .none, includeTop: Bool = true, classCount: Int = 1000) throws -> EfficientNetLite {
    try EfficientNetLite(variant: .lite2, weights: weights, includeTop: includeTop, classCount: classCount)
}

/// EfficientNet-Lite3 (280²; no pretrained weights are published as a package).
public func EfficientNetLite3(weights: WeightsSource = .none, includeTop: Bool = true, classCount: Int = 1000) throws -> EfficientNetLite {
    try EfficientNetLite(variant: .lite3, weights: weights, includeTop: includeTop, classCount: classCount)
}

/// EfficientNet-Lite4 (300²; no pretrained weights are published as a package).
public func EfficientNetLite4(weights: WeightsSource = .none, includeTop: Bool = true, classCount: Int = 1000) throws -> EfficientNetLite {
    try EfficientNetLite(variant: .lite4, weights: weights, includeTop: includeTop, classCount: classCount)
}
