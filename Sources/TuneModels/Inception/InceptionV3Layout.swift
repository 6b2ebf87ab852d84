import TuneNN

/// One Inception convolution: torchvision's name for it, filters, kernel `(height, width)`, stride, and whether it
/// is unpadded (Keras's `padding="valid"`) rather than "same".
struct InceptionConvolutionSettings: Hashable {
    let name: String
    let filters: Int
    let kernelHeight: Int
    let kernelWidth: Int
    let stride: Int
    let isValid: Bool

    init(_ name: String, _ filters: Int, _ kernel: (Int, Int), stride: Int = 1, valid: Bool = false) {
        self.name = name
        self.filters = filters
        (kernelHeight, kernelWidth) = kernel
        self.stride = stride
        isValid = valid
    }

    var kernel: (Int, Int) { (kernelHeight, kernelWidth) }
}

/// How a branch of an Inception block starts: on the block's input, or on a pooling of it.
enum InceptionPooling: Hashable {
    case none
    /// 3×3, stride 1, one pixel of padding: Keras leaves the padding out of the average ('same'), torchvision's
    /// `avg_pool2d(…, padding=1)` counts it (PyTorch's default `count_include_pad=True`).
    case average
    /// 3×3, stride 2, unpadded.
    case max

    func layer(flavour: ArchitectureFlavour) -> Layer? {
        switch self {
        case .none: return nil
        case .average: return AveragePool2D(poolSize: 3, stride: 1, padding: .symmetric(1), countIncludesPadding: flavour == .torchvision)
        case .max: return MaxPool2D(poolSize: 3, stride: 2)
        }
    }
}

/// One branch: its pooling, its chain of convolutions, and the parallel pair that ends it (if any).
struct InceptionBranchSettings: Hashable {
    let pooling: InceptionPooling
    let chain: [InceptionConvolutionSettings]
    let split: [InceptionConvolutionSettings]

    init(pooling: InceptionPooling = .none, _ chain: [InceptionConvolutionSettings], split: [InceptionConvolutionSettings] = []) {
        self.pooling = pooling
        self.chain = chain
        self.split = split
    }
}

/// One block: its index (`mixed<index>`), torchvision's name, input channels and branches.
struct InceptionBlockSettings: Hashable {
    let index: Int
    let torchvisionName: String
    let inChannels: Int
    let branches: [InceptionBranchSettings]

    /// Keras's name, `mixed<index>`, which is also the block's path in the model.
    var kerasName: String { "mixed\(index)" }

    /// The concatenated channels.
    var outChannels: Int {
        branches.reduce(0) { total, branch in
            let last = branch.split.isEmpty ? branch.chain.last.map { $0.filters } : branch.split.reduce(0) { $0 + $1.filters }
            return total + (last ?? inChannels)
        }
    }
}

/// InceptionV3's layout (Szegedy et al., "Rethinking the Inception Architecture"), as `keras.applications.InceptionV3`
/// and torchvision's `inception_v3` build it: the same convolutions in the same order, named by torchvision.
enum InceptionV3Layout {
    typealias Conv = InceptionConvolutionSettings

    /// The stem's convolutions; max pools (3×3, stride 2) follow the third and the fifth.
    static let stem: [Conv] = [
        Conv("Conv2d_1a_3x3", 32, (3, 3), stride: 2, valid: true), Conv("Conv2d_2a_3x3", 32, (3, 3), valid: true),
        Conv("Conv2d_2b_3x3", 64, (3, 3)), Conv("Conv2d_3b_1x1", 80, (1, 1), valid: true),
        Conv("Conv2d_4a_3x3", 192, (3, 3), valid: true),
    ]

    /// The feature map's channels.
    static let featureChannels = 2048

    /// `mixed0` … `mixed10`.
    static var blocks: [InceptionBlockSettings] {
        var channels = stem.last?.filters ?? 0
        let kinds: [(String, [InceptionBranchSettings])] = [
            ("Mixed_5b", a(poolFeatures: 32)), ("Mixed_5c", a(poolFeatures: 64)), ("Mixed_5d", a(poolFeatures: 64)),
            ("Mixed_6a", b), ("Mixed_6b", c(128)), ("Mixed_6c", c(160)), ("Mixed_6d", c(160)), ("Mixed_6e", c(192)),
            ("Mixed_7a", d), ("Mixed_7b", e), ("Mixed_7c", e),
        ]
        return kinds.enumerated().map { index, kind in
            let block = InceptionBlockSettings(index: index, torchvisionName: kind.0, inChannels: channels, branches: kind.1)
            channels = block.outChannels
            return block
        }
    }

    /// 35×35 blocks (torchvision's `InceptionA`): 1×1; 1×1 → 5×5; 1×1 → 3×3 → 3×3; average pool → 1×1.
    static func a(poolFeatures: Int) -> [InceptionBranchSettings] {
        [.init([Conv("branch1x1", 64, (1, 1))]),
         .init([Conv("branch5x5_1", 48, (1, 1)), Conv("branch5x5_2", 64, (5, 5))]),
         .init([Conv("branch3x3dbl_1", 64, (1, 1)), Conv("branch3x3dbl_2", 96, (3, 3)), Conv("branch3x3dbl_3", 96, (3, 3))]),
         .init(pooling: .average, [Conv("branch_pool", poolFeatures, (1, 1))])]
    }

    /// The reduction to 17×17 (`InceptionB`): 3×3 of stride 2; 1×1 → 3×3 → 3×3 of stride 2; max pool.
    static let b: [InceptionBranchSettings] =
        [.init([Conv("branch3x3", 384, (3, 3), stride: 2, valid: true)]),
         .init([Conv("branch3x3dbl_1", 64, (1, 1)), Conv("branch3x3dbl_2", 96, (3, 3)),
                Conv("branch3x3dbl_3", 96, (3, 3), stride: 2, valid: true)]),
         .init(pooling: .max, [])]

    /// 17×17 blocks with factorized 7×7 convolutions (`InceptionC`) of `c7` channels inside.
    static func c(_ c7: Int) -> [InceptionBranchSettings] {
        [.init([Conv("branch1x1", 192, (1, 1))]),
         .init([Conv("branch7x7_1", c7, (1, 1)), Conv("branch7x7_2", c7, (1, 7)), Conv("branch7x7_3", 192, (7, 1))]),
         .init([Conv("branch7x7dbl_1", c7, (1, 1)), Conv("branch7x7dbl_2", c7, (7, 1)), Conv("branch7x7dbl_3", c7, (1, 7)),
                Conv("branch7x7dbl_4", c7, (7, 1)), Conv("branch7x7dbl_5", 192, (1, 7))]),
         .init(pooling: .average, [Conv("branch_pool", 192, (1, 1))])]
    }

    /// The reduction to 8×8 (`InceptionD`).
    static let d: [InceptionBranchSettings] =
        [.init([Conv("branch3x3_1", 192, (1, 1)), Conv("branch3x3_2", 320, (3, 3), stride: 2, valid: true)]),
         .init([Conv("branch7x7x3_1", 192, (1, 1)), Conv("branch7x7x3_2", 192, (1, 7)), Conv("branch7x7x3_3", 192, (7, 1)),
                Conv("branch7x7x3_4", 192, (3, 3), stride: 2, valid: true)]),
         .init(pooling: .max, [])]

    /// 8×8 blocks with split 1×3 / 3×1 ends (`InceptionE`).
    static let e: [InceptionBranchSettings] =
        [.init([Conv("branch1x1", 320, (1, 1))]),
         .init([Conv("branch3x3_1", 384, (1, 1))], split: [Conv("branch3x3_2a", 384, (1, 3)), Conv("branch3x3_2b", 384, (3, 1))]),
         .init([Conv("branch3x3dbl_1", 448, (1, 1)), Conv("branch3x3dbl_2", 384, (3, 3))],
               split: [Conv("branch3x3dbl_3a", 384, (1, 3)), Conv("branch3x3dbl_3b", 384, (3, 1))]),
         .init(pooling: .average, [Conv("branch_pool", 192, (1, 1))])]
}
