import TuneNN

// `mobilenet` (and `-0.75`, `-0.5`, `-0.25`) as `keras.applications.MobileNet(alpha=…)` builds it.

extension MobileNet {
    /// The registry's MobileNet entries, one per Keras width.
    static let registryEntries: [ModelEntry] = MobileNetConfiguration.standardWidths.map { width in
        let configuration = MobileNetConfiguration(widthMultiplier: width)
        return ModelEntry(name: configuration.name, family: "MobileNet", flavour: .keras, inputSize: 224, preprocessing: .symmetric,
                          weights: publishedWeights(configuration)) { includeTop, classCount in
            MobileNet(configuration: configuration, includeTop: includeTop, classCount: classCount)
        }
    }

    /// The ImageNet files at 224² that `keras.applications.MobileNet(alpha=…)` downloads (Keras publishes no digest for
    /// them): `mobilenet_1_0_224_tf.h5`, `mobilenet_7_5_224_tf_no_top.h5`, …
    static func publishedWeights(_ configuration: MobileNetConfiguration) -> [PretrainedWeights] {
        let hundredths = Int((configuration.widthMultiplier * 100).rounded())
        let alpha = hundredths == 100 ? "1_0" : "\(hundredths / 10)_\(hundredths % 10)"
        return [.kerasApplications("mobilenet", "mobilenet_\(alpha)_224_tf_no_top.h5", md5: nil, includesTop: false),
                .kerasApplications("mobilenet", "mobilenet_\(alpha)_224_tf.h5", md5: nil, includesTop: true)]
    }

    /// MobileNet with weights, as `keras.applications.MobileNet(alpha=…, weights=…, include_top=…)`: a Keras file given
    /// as `.file(path)`, loaded strictly through ``checkpointKeyMap``.
    public convenience init(configuration: MobileNetConfiguration = MobileNetConfiguration(), weights: WeightsSource,
                            includeTop: Bool = true, classCount: Int = 1000, cache: WeightCache = WeightCache()) throws {
        self.init(configuration: configuration, includeTop: includeTop, classCount: classCount)
        try load(weights, asEntry: configuration.name, cache: cache)
    }
}
