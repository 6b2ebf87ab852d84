import TuneNN

// `vgg16` as `keras.applications.VGG16` builds it, `torchvision-vgg16` as `torchvision.models.vgg16` does.

extension VGG {
    /// The registry's VGG entries, Keras flavour first.
    static let registryEntries: [ModelEntry] = ArchitectureFlavour.allCases.map { flavour in
        let name = flavour == .keras ? "vgg16" : "torchvision-vgg16"
        return ModelEntry(name: name, family: "VGG", flavour: flavour, inputSize: 224, preprocessing: flavour == .keras ? .caffe : .imageNet,
                          weights: publishedWeights[flavour] ?? []) { includeTop, classCount in
            VGG(configuration: .vgg16, flavour: flavour, includeTop: includeTop, classCount: classCount)
        }
    }

    /// The ImageNet files `keras.applications.VGG16` and torchvision's `vgg16` download.
    static let publishedWeights: [ArchitectureFlavour: [PretrainedWeights]] = [
        .keras: [
            .kerasApplications("vgg16", "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5", md5: "6d6bbae143d832006294945121d1f1fc",
                               includesTop: false),
            .kerasApplications("vgg16", "vgg16_weights_tf_dim_ordering_tf_kernels.h5", md5: "64373286793e3c8b2b4e3219cbf3544b",
                               includesTop: true),
        ],
        .torchvision: [.torchvision("vgg16-397923af.pth")],
    ]

    /// VGG16 with weights, as `keras.applications.VGG16(weights=…, include_top=…)` or torchvision's `vgg16`: a file
    /// of that flavour given as `.file(path)`, loaded strictly through ``checkpointKeyMap``.
    public convenience init(configuration: VGGConfiguration = .vgg16, flavour: ArchitectureFlavour = .keras,
                            weights: WeightsSource, includeTop: Bool = true, classCount: Int = 1000,
                            cache: WeightCache = WeightCache()) throws {
        self.init(configuration: configuration, flavour: flavour, includeTop: includeTop, classCount: classCount)
        try load(weights, asEntry: flavour == .keras ? configuration.name : "torchvision-" + configuration.name, cache: cache)
    }
}

/// VGG16 (224², 138 M parameters with its top, 14.7 M without), Keras flavour unless told otherwise.
public func VGG16(weights: WeightsSource = .none, flavour: ArchitectureFlavour = .keras, includeTop: Bool = true,
                  classCount: Int = 1000) throws -> VGG {
    try VGG(flavour: flavour, weights: weights, includeTop: includeTop, classCount: classCount)
}
