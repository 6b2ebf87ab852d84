import TuneData
import TuneModels

/// The image-classification part of a ``FineTuneRecipe``: input size and resizing, the new head, the loss's
/// smoothing and class weights, and augmentation.
public struct ImageClassificationRecipe: Codable, Sendable, Equatable {
    /// How classes are weighted in the loss.
    public enum ClassWeighting: String, Codable, Sendable, CaseIterable {
        /// Every sample counts the same.
        case none
        /// `total / (classes × count)` per class, like scikit-learn's "balanced" (Keras users compute it by hand).
        case auto
    }

    /// How pixel values are normalized before the model.
    public enum InputScaling: String, Codable, Sendable, CaseIterable {
        /// What the pretrained weights were trained with (caffe, `x / 127.5 − 1`, ImageNet statistics, …).
        case weights
        /// `x / 255`, the Keras guide's `ImageDataGenerator(rescale=1./255)`, whatever the weights expect.
        case rescale
    }

    /// The square input side; `nil` means the model's own (224 for Lite0).
    public var imageSize: Int?
    /// How images are resized.
    public var resizeMethod = ResizeMethod.bilinear
    /// How pixel values are normalized; `nil` (recipes from before the option) means ``InputScaling/weights``.
    public var inputScaling: InputScaling?
    /// The new head.
    public var head = ClassifierHead.pooledDense
    /// The head's dropout rate.
    public var dropout: Float = 0.2
    /// Label smoothing of the cross-entropy (0 = off).
    public var labelSmoothing: Float = 0
    public var classWeight = ClassWeighting.none
    /// Data augmentation of training images (off by default; on, it turns the feature cache off).
    public var augmentation = Augmentation.none

    public init(imageSize: Int? = nil) {
        self.imageSize = imageSize
    }

    /// Checks every value, and that the registry knows `model`, naming the option at fault. (The architecture's
    /// smallest input side is checked when the base is built.)
    func validate(model: String) throws {
        func require(_ condition: Bool, _ name: String, _ message: String) throws {
            guard condition else { throw FineTuneError.invalidOption(name: name, message: message) }
        }
        do {
            _ = try ModelRegistry.entry(named: model)
        } catch {
            throw FineTuneError.invalidOption(name: "model", message: "\(error)")
        }
        if let imageSize { try require(imageSize >= 1 && imageSize <= 1024, "image-size", "must be in 1…1024, got \(imageSize)") }
        try require(dropout >= 0 && dropout < 1, "dropout", "must be in [0, 1), got \(dropout)")
        try require(labelSmoothing >= 0 && labelSmoothing < 1, "label-smoothing", "must be in [0, 1), got \(labelSmoothing)")
        do {
            try augmentation.validate()
        } catch {
            throw FineTuneError.invalidOption(name: "augment", message: "\(error)")
        }
    }
}
