/// How ``ImagePreprocessing`` resamples a source image to the output size.
///
/// All methods use half-pixel centres: output pixel `o` samples source coordinate `(o + 0.5) · scale − 0.5`
/// (TensorFlow's `tf.image.resize`, PyTorch's `align_corners=False`), and samples outside the image take the
/// nearest edge pixel (Keras `fill_mode="nearest"`; downscaling ``bicubic`` drops them like PIL instead). Results
/// are clamped to 0…255 before normalization.
public enum ResizeMethod: String, Sendable, CaseIterable, Codable {
    /// Linear interpolation between the two nearest pixels on each axis, without antialiasing — TF
    /// `resize(..., method="bilinear", antialias=False)`, PyTorch `interpolate(mode="bilinear", align_corners=False)`.
    /// Fast; downscaling by more than 2× aliases (use ``area`` for that).
    case bilinear
    /// The average of the source pixels under each output pixel's footprint, weighted by overlap (a box filter),
    /// like OpenCV `INTER_AREA` and TF `area`. Exact block means when downscaling by an integer factor; when
    /// upscaling it blends only across source-pixel boundaries (nearest-neighbour-like inside them). With a
    /// rotation the footprint is not axis-aligned, and sampling falls back to ``bilinear``.
    case area
    /// Keys cubic convolution with `a = −0.5` (PIL's and TF's coefficient; PyTorch's own kernel uses −0.75),
    /// antialiased like PIL's `Image.resize(..., Image.BICUBIC)` on axis-aligned maps: along an axis with scale
    /// `s` (source pixels per output pixel), output pixel `o` is centred on `c = (o + 0.5) · s` (plus the crop
    /// offset, pixel edges at integers) and source pixel `j` weighs
    /// `cubic((j + 0.5 − c) / max(s, 1))`, normalized to sum 1 — the cubic kernel stretched by the downscaling
    /// factor, so its support is `4 · max(s, 1)` source pixels wide (PIL's `precompute_coeffs`). Upscaling
    /// (`s ≤ 1`) is the plain 4-tap cubic interpolation at `(o + 0.5) · s − 0.5`, as in TF
    /// `resize(..., "bicubic", antialias=False)`.
    ///
    /// At the image borders a downscaling window drops the taps outside the image and renormalizes the rest, as
    /// PIL does (other methods, and upscaling bicubic, take the nearest edge pixel instead; so does a downscaling
    /// window whose centre a zoom-out or translation puts outside the image). A crop behaves like PIL's
    /// `resize(..., box=crop)`: taps beyond the crop read the real pixels there; to match PIL on a pre-cropped
    /// array, render the cropped pixels as their own image.
    ///
    /// Differences from PIL:
    /// - PIL rounds to `UInt8` after the horizontal pass (clipping its overshoot to 0…255) and after the vertical
    ///   one; the values here stay `Float`, equal to PIL's in mode `"F"` (no intermediate rounding). Rounded, they
    ///   match PIL's bytes within ±1 almost everywhere, by a few levels at the rare high-contrast pixels where
    ///   PIL's intermediate clipping bites;
    /// - upscaling at the borders takes the nearest edge pixel where PIL drops and renormalizes;
    /// - with a rotation the map is not axis-aligned and sampling falls back to the 4×4 neighbourhood at each
    ///   output pixel, without antialiasing (like TF and Keras `RandomRotation`).
    ///
    /// Can overshoot; results are clamped to 0…255.
    case bicubic

    /// Keys' cubic coefficient used by ``bicubic``.
    static let cubicCoefficient: Float = -0.5

    /// The Keys cubic kernel (a = −0.5) at distance `d`: PIL's `bicubic_filter`, nonzero for `|d| < 2`.
    @inline(__always)
    static func cubic(_ d: Double) -> Double {
        let a = Double(cubicCoefficient), x = abs(d)
        if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
        if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
        return 0
    }

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
