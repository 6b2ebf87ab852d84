/// Builds a family's ``CheckpointKeyMap`` one layer at a time from both sources' names: the Keras layer (its weights
/// keyed `<layer>/<index>` by ``KerasWeights``) and the torchvision module (`<module>.weight`, …), keeping only the
/// flavour's own (a Keras-only family gives no torchvision names). Keys it does not know pass through unchanged, so
/// strict loading reports them.
struct KeyMapTable {
    let flavour: ArchitectureFlavour
    private var targets: [String: CheckpointKeyMap.Target] = [:]
    private var topKeys: Set<String> = []
    private var ignored: Set<String> = []

    init(_ flavour: ArchitectureFlavour) { self.flavour = flavour }

    /// A convolution at `path`: Keras kernel (converted) and bias when `hasBias`; torchvision weight and bias.
    mutating func convolution(keras: String, torchvision: String? = nil, path: String, depthwise: Bool = false, hasBias: Bool = false) {
        let conversion: TensorConversion = depthwise ? .kerasDepthwiseKernel : .kerasConvolutionKernel
        add(keras: keras, torchvision: torchvision, path: path, parts: hasBias ? ["weight", "bias"] : ["weight"],
            conversions: ["weight": conversion])
    }

    /// A BatchNorm at `path`: Keras's gamma, beta, moving mean and variance; torchvision's weight, bias and running
    /// statistics. Without `hasScale` (Keras's `scale=False`) there is no gamma, and beta is the first weight.
    mutating func batchNorm(keras: String, torchvision: String? = nil, path: String, hasScale: Bool = true) {
        add(keras: keras, torchvision: torchvision, path: path,
            parts: (hasScale ? ["weight"] : []) + ["bias", "running_mean", "running_var"])
    }

    /// Leaves out the file key `key` on purpose (a module the model does not build, such as torchvision's
    /// Inception `AuxLogits`).
    mutating func ignore(_ key: String) { ignored.insert(key) }

    /// A dense layer at `path` whose Keras kernel is converted by `conversion`; with `isTop`, a headless model leaves it
    /// out.
    mutating func dense(keras: String, torchvision: String? = nil, path: String, conversion: TensorConversion = .kerasDenseKernel,
                        isTop: Bool = false) {
        let keys = add(keras: keras, torchvision: torchvision, path: path, parts: ["weight", "bias"],
                       conversions: ["weight": conversion])
        if isTop { topKeys.formUnion(keys) }
    }

    /// The map; without the top, the top's keys are left out.
    func map(includeTop: Bool) -> CheckpointKeyMap {
        let (targets, left) = (targets, ignored.union(includeTop ? [] : topKeys))
        return CheckpointKeyMap(targets: { key in left.contains(key) ? nil : targets[key] ?? .init(key) })
    }

    @discardableResult
    private mutating func add(keras: String, torchvision: String?, path: String, parts: [String],
                              conversions: [String: TensorConversion] = [:]) -> [String] {
        parts.enumerated().compactMap { index, part in
            let key: String
            switch flavour {
            case .keras: key = "\(keras)/\(index)"
            case .torchvision:
                guard let torchvision else { return nil }    // a Keras-only family
                key = "\(torchvision).\(part)"
            }
            targets[key] = .init("\(path).\(part)", flavour == .keras ? conversions[part] ?? .none : .none)
            return key
        }
    }
}
