/// Whose build of an architecture a model follows, where `keras.applications` and torchvision differ (the top, padding,
/// where a stride sits, BatchNorm ε, the input preprocessing), and so which framework's weight files it reads.
public enum ArchitectureFlavour: String, Sendable, Codable, CaseIterable {
    /// As `keras.applications` builds it; reads Keras `.h5` and `.weights.h5` files.
    case keras
    /// As `torchvision.models` builds it; reads torchvision `.pth` state dicts.
    case torchvision
}
