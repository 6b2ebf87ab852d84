import TuneNN

// `mobilenetv2` (and `-0.75`, `-0.5`, `-0.35`) as `keras.applications.MobileNetV2(alpha=…)` builds it,
// `torchvision-mobilenet-v2` as `torchvision.models.mobilenet_v2` does.

extension MobileNetV2 {
    /// The registry's MobileNetV2 entries: the Keras widths, then torchvision's.
    static let registryEntries: [ModelEntry] =
        MobileNetV2Configuration.standardWidths.map { entry(MobileNetV2Configuration(widthMultiplier: $0), flavour: .keras) }
        + [entry(MobileNetV2Configuration(), flavour: .torchvision)]

    private static func entry(_ configuration: MobileNetV2Configuration, flavour: ArchitectureFlavour) -> ModelEntry {
        ModelEntry(name: registryName(configuration, flavour: flavour), family: "MobileNetV2", flavour: flavour, inputSize: 224,
                   preprocessing: flavour == .keras ? .symmetric : .imageNet,
                   weights: publishedWeights(configuration, flavour: flavour)) { includeTop, classCount in
            MobileNetV2(configuration: configuration, flavour: flavour, includeTop: includeTop, classCount: classCount)
        }
    }

    /// The ImageNet files at 224² that `keras.applications.MobileNetV2(alpha=…)` downloads (Keras publishes no digest
    /// for them) and torchvision's `mobilenet_v2` (its default, IMAGENET1K_V2, first; V1 accepted too).
    static func publishedWeights(_ configuration: MobileNetV2Configuration, flavour: ArchitectureFlavour) -> [PretrainedWeights] {
        guard flavour == .keras else { return [.torchvision("mobilenet_v2-7ebf99e0.pth"), .torchvision("mobilenet_v2-b0353104.pth")] }
        let stem = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_\(configuration.widthMultiplier)_224"
        return [.kerasApplications("mobilenet_v2", stem + "_no_top.h5", md5: nil, includesTop: false),
                .kerasApplications("mobilenet_v2", stem + ".h5", md5: nil, includesTop: true)]
    }

    static func registryName(_ configuration: MobileNetV2Configuration, flavour: ArchitectureFlavour) -> String {
        flavour == .keras ? configuration.name : "torchvision-mobilenet-v2"
    }

    /// MobileNetV2 with weights, as `keras.applications.MobileNetV2(alpha=…, weights=…, include_top=…)` or
    /// torchvision's `mobilenet_v2`: a file of that flavour given as `.file(path)`, loaded strictly through
    /// ``checkpointKeyMap``.
    public convenience init(configuration: MobileNetV2Configuration = MobileNetV2Configuration(),
                            flavour: ArchitectureFlavour = .keras, weights: WeightsSource, includeTop: Bool = true,
                            classCount: Int = 1000, cache: WeightCache = WeightCache()) throws {
        self.init(configuration: configuration, flavour: flavour, includeTop: includeTop, classCount: classCount)
        try load(weights, asEntry: Self.registryName(configuration, flavour: flavour), cache: cache)
    }
}

/// MobileNetV2 (224², 3.5 M parameters at α 1 with its top), Keras flavour unless told otherwise.
public func MobileNetV2Model(alpha: Double = 1.0, weights: WeightsSource = .none, flavour: ArchitectureFlavour = .keras,
                             includeTop: Bool = true, classCount: Int = 1000) throws -> MobileNetV2 {
    try MobileNetV2(configuration: MobileNetV2Configuration(widthMultiplier: alpha), flavour: flavour, weights: weights,
                    includeTop: includeTop, classCount: classCount)
}
