import TuneData

/// The centre crop TensorFlow's EfficientNet evaluation uses before resizing to the input size:
/// `side = ⌊size / (size + cropPadding) · min(h, w)⌋`, centred with the odd pixel after (`(h − side + 1) / 2`).
enum EvaluationCrop {
    /// The square region of a `width`×`height` image to resize to `size`×`size`.
    static func region(width: Int, height: Int, size: Int, cropPadding: Int = 32) -> CropRegion {
        let shorter = min(width, height)
        let side = max(1, min(shorter, Int(Double(size) / Double(size + cropPadding) * Double(shorter))))
        return CropRegion(x: (width - side + 1) / 2, y: (height - side + 1) / 2, width: side, height: side)
    }
}
