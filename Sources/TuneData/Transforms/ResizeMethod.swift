/// How ``ImagePreprocessing`` resamples a source image to the output size.
///
/// All methods use half-pixel centres: output pixel `o` samples source coordinate `(o + 0.5) · scale − 0.5`
/// (TensorFlow's `tf.image.resize`, PyTorch's `align_corners=False`), and samples outside the image take the
/// nearest edge pixel (Keras `fill_mode="nearest"`). Results are clamped to 0…255 before normalization.
public enum ResizeMethod: String, Sendable, CaseIterable {
    /// Linear interpolation between the two nearest pixels on each axis, without antialiasing — TF
    /// `resize(..., method="bilinear", antialias=False)`, PyTorch `interpolate(mode="bilinear", align_corners=False)`.
    /// Fast; downscaling by more than 2× aliases (use ``area`` for that).
    case bilinear
    /// The average of the source pixels under each output pixel's footprint, weighted by overlap (a box filter),
    /// like OpenCV `INTER_AREA` and TF `area`. Exact block means when downscaling by an integer factor; when
    /// upscaling it blends only across source-pixel boundaries (nearest-neighbour-like inside them). With a
    /// rotation the footprint is not axis-aligned, and sampling falls back to ``bilinear``.
    case area
    /// Keys cubic convolution with `a = −0.5` (PIL's and TF's coefficient; PyTorch's own kernel uses −0.75)
    /// over a 4×4 neighbourhood, without antialiasing. Can overshoot; results are clamped to 0…255.
    case bicubic

    /// Keys' cubic coefficient used by ``bicubic``.
    static let cubicCoefficient: Float = -0.5

    /// The four Keys cubic weights (a = −0.5) for taps at offsets −1, 0, 1, 2 from `floor(x)`, where `t = x − floor(x)`.
    @inline(__always)
    static func cubicWeights(_ t: Float) -> (Float, Float, Float, Float) {
        let a = cubicCoefficient
        // |d| ≤ 1: (a+2)|d|³ − (a+3)|d|² + 1;  1 < |d| < 2: a|d|³ − 5a|d|² + 8a|d| − 4a.
        let d0 = 1 + t, d1 = t, d2 = 1 - t, d3 = 2 - t
        let w0 = ((a * d0 - 5 * a) * d0 + 8 * a) * d0 - 4 * a
        let w1 = ((a + 2) * d1 - (a + 3)) * d1 * d1 + 1
        let w2 = ((a + 2) * d2 - (a + 3)) * d2 * d2 + 1
        let w3 = ((a * d3 - 5 * a) * d3 + 8 * a) * d3 - 4 * a
        return (w0, w1, w2, w3)
    }
}
