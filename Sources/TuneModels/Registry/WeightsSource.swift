/// Which weights a pretrained model starts from.
public enum WeightsSource: Sendable, Equatable {
    /// Random initialization.
    case none
    /// The ImageNet weights from the cache (install them with `finetune models fetch NAME`).
    case imagenet
    /// A weight file the user names (`.pth`, zip or legacy, or `.safetensors`).
    case file(String)
}
