import TuneData
import TuneNN

/// What a pretrained image model expects of its input; the data pipeline reads it, so the normalization the
/// weights were trained with is applied in exactly one place without the user restating it.
public protocol ImageModel: AnyObject {
    /// The normalization of RGB 0…255 input the weights expect.
    var preprocessing: Normalization { get }
    /// The square input side the weights were trained at.
    var inputSize: Int { get }
}

extension EfficientNetLite: ImageModel {}

extension ImagePreprocessing {
    /// The preprocessing `model` expects, at `size` (default: the model's own input size).
    public init(for model: some ImageModel, size: Int? = nil, method: ResizeMethod = .bilinear, centerCrop: Bool = false) {
        let side = size ?? model.inputSize
        self.init(height: side, width: side, method: method, centerCrop: centerCrop, normalization: model.preprocessing)
    }
}
