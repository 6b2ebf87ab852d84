import TuneNN

// `mobilenet` (and `-0.75`, `-0.5`, `-0.25`) as `keras.applications.MobileNet(alpha=…)` builds it.

extension MobileNet {
    /// The registry's MobileNet entries, one per Keras width.
    static let registryEntries: [ModelEntry] = MobileNetConfiguration.standardWidths.map { width in
        let configuration = MobileNetConfiguration(widthMultiplier: width)
        return ModelEntry(name: configuration.name, family: "MobileNet", flavour: .keras, inputSize: 224, preprocessing: .symmetric,
                          weights: nil) { includeTop, classCount in
            MobileNet(configuration: configuration, includeTop: includeTop, classCount: classCount)
        }
    }

    /// MobileNet with weights, as `keras.applications.MobileNet(alpha=…, weights=…, include_top=…)`: a Keras file given
    /// as `.file(path)`, loaded strictly through ``checkpointKeyMap``.
    public convenience init(configuration: MobileNetConfiguration = MobileNetConfiguration(), weights: WeightsSource,
                            includeTop: Bool = true, classCount: Int = 1000, cache: WeightCache = WeightCache()) throws {
        self.init(configuration: configuration, includeTop: includeTop, classCount: classCount)
        try load(weights, asEntry: configuration.name, cache: cache)
    }
}
