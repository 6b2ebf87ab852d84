import TuneNN

// `resnet50` as `keras.applications.ResNet50` builds it, `torchvision-resnet50` as `torchvision.models.resnet50` does.

extension ResNet {
    /// The registry's ResNet entries, Keras flavour first.
    static let registryEntries: [ModelEntry] = ArchitectureFlavour.allCases.map { flavour in
        ModelEntry(name: flavour == .keras ? "resnet50" : "torchvision-resnet50", family: "ResNet", flavour: flavour, inputSize: 224,
                   preprocessing: flavour == .keras ? .caffe : .imageNet, weights: publishedWeights[flavour] ?? []) { includeTop, classCount in
            ResNet(configuration: .resnet50, flavour: flavour, includeTop: includeTop, classCount: classCount)
        }
    }

    /// The ImageNet files `keras.applications.ResNet50` and torchvision's `resnet50` download (torchvision's default,
    /// IMAGENET1K_V2, first; its V1 is accepted too).
    static let publishedWeights: [ArchitectureFlavour: [PretrainedWeights]] = [
        .keras: [
            .kerasApplications("resnet", "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5", md5: "4d473c1dd8becc155b73f8504c6f6626",
                               includesTop: false),
            .kerasApplications("resnet", "resnet50_weights_tf_dim_ordering_tf_kernels.h5", md5: "2cb95161c43110f7111970584f804107",
                               includesTop: true),
        ],
        .torchvision: [.torchvision("resnet50-11ad3fa6.pth"), .torchvision("resnet50-0676ba61.pth")],
    ]

    /// ResNet50 with weights, as `keras.applications.ResNet50(weights=…, include_top=…)` or torchvision's `resnet50`:
    /// a file of that flavour given as `.file(path)`, loaded strictly through ``checkpointKeyMap``.
    public convenience init(configuration: ResNetConfiguration = .resnet50, flavour: ArchitectureFlavour = .keras,
                            weights: WeightsSource, includeTop: Bool = true, classCount: Int = 1000,
                            cache: WeightCache = WeightCache()) throws {
        self.init(configuration: configuration, flavour: flavour, includeTop: includeTop, classCount: classCount)
        try load(weights, asEntry: flavour == .keras ? configuration.name : "torchvision-" + configuration.name, cache: cache)
    }
}

/// ResNet50 (224², 25.6 M parameters with its top, 23.6 M without), Keras flavour unless told otherwise.
public func ResNet50(weights: WeightsSource = .none, flavour: ArchitectureFlavour = .keras, includeTop: Bool = true,
                     classCount: Int = 1000) throws -> ResNet {
    try ResNet(flavour: flavour, weights: weights, includeTop: includeTop, classCount: classCount)
}
