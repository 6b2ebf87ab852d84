import TuneNN

// `inceptionv3` as `keras.applications.InceptionV3` builds it, `torchvision-inception-v3` as torchvision's
// `inception_v3(weights=…, aux_logits=False)` does (with its `transform_input=True`).

extension InceptionV3 {
    /// The registry's InceptionV3 entries, Keras flavour first.
    static let registryEntries: [ModelEntry] = ArchitectureFlavour.allCases.map { flavour in
        ModelEntry(name: registryName(flavour), family: "InceptionV3", flavour: flavour, inputSize: 299,
                   preprocessing: flavour == .keras ? .symmetric : .imageNet, weights: publishedWeights[flavour] ?? []) { includeTop, classCount in
            InceptionV3(flavour: flavour, includeTop: includeTop, classCount: classCount)
        }
    }

    /// The ImageNet files `keras.applications.InceptionV3` and torchvision's `inception_v3` download (torchvision's
    /// carries the `AuxLogits` branch, which loading leaves unused).
    static let publishedWeights: [ArchitectureFlavour: [PretrainedWeights]] = [
        .keras: [
            .kerasApplications("inception_v3", "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
                               md5: "bcbd6486424b2319ff4ef7d526e38f63", includesTop: false),
            .kerasApplications("inception_v3", "inception_v3_weights_tf_dim_ordering_tf_kernels.h5",
                               md5: "9a0d58056eeedaa3f26cb7ebd46da564", includesTop: true),
        ],
        .torchvision: [.torchvision("inception_v3_google-0cc3c7bd.pth")],
    ]

    static func registryName(_ flavour: ArchitectureFlavour) -> String {
        flavour == .keras ? "inceptionv3" : "torchvision-inception-v3"
    }

    /// InceptionV3 with weights, as `keras.applications.InceptionV3(weights=…, include_top=…)` or torchvision's
    /// `inception_v3(weights=…)`: a file of that flavour given as `.file(path)`, loaded strictly through
    /// ``checkpointKeyMap``. The torchvision flavour re-maps its input as torchvision does for its weights
    /// (``transformsInput``).
    public convenience init(weights: WeightsSource, flavour: ArchitectureFlavour = .keras, includeTop: Bool = true,
                            classCount: Int = 1000, cache: WeightCache = WeightCache()) throws {
        self.init(flavour: flavour, includeTop: includeTop, classCount: classCount)
        try load(weights, asEntry: Self.registryName(flavour), cache: cache)
    }
}
