/// Per-channel normalization of 8-bit pixel values: `(x − mean[c]) / standardDeviation[c]`, with `x` in 0…255,
/// optionally with the channels reversed (BGR, as Caffe-trained weights expect).
///
/// This is the one place FineTune normalizes images: ``ImagePreprocessing`` applies it as the last step of
/// rendering, fused with resampling. Means and standard deviations are in pixel units (0…255), one per output
/// channel (R, G, B, or B, G, R with ``ChannelOrder/bgr``); grayscale images are replicated to three channels first.
///
/// The kernels evaluate `x · (1 / std) + (−mean / std)`, which matches the formula to within a few ULPs.
public struct Normalization: Sendable, Equatable, CustomStringConvertible {
    /// The order of the output channels.
    public enum ChannelOrder: String, Sendable, Codable, CaseIterable {
        /// Red, green, blue: the image's own order.
        case rgb
        /// Blue, green, red: Caffe's order, which Keras's VGG16 and ResNet50 weights were trained in.
        case bgr
    }

    /// A short name for reports, such as `"imagenet"`.
    public let name: String
    /// Per-channel means in output order (R, G, B, or B, G, R), in pixel units.
    public let mean: [Float]
    /// Per-channel standard deviations in output order, in pixel units; all positive.
    public let standardDeviation: [Float]
    /// The order of the output channels (and of ``mean`` and ``standardDeviation``).
    public let channelOrder: ChannelOrder

    /// A custom normalization.
    /// - Parameters:
    ///   - name: a short name for reports.
    ///   - mean: three finite means, in pixel units (0…255).
    ///   - standardDeviation: three finite, positive standard deviations, in pixel units.
    /// - Throws: ``DataError/invalidArgument(message:)`` when a list does not hold three values or a value is
    ///   not finite or a standard deviation is not positive.
    ///   - channelOrder: the order of the output channels (and of the two lists).
    public init(name: String = "custom", mean: [Float], standardDeviation: [Float],
                channelOrder: ChannelOrder = .rgb) throws(DataError) {
        guard mean.count == 3, standardDeviation.count == 3 else {
            throw DataError.invalidArgument(message: "normalization '\(name)' needs 3 means and 3 standard deviations "
                                            + "(R, G, B), got \(mean.count) and \(standardDeviation.count)")
        }
        guard mean.allSatisfy(\.isFinite) else {
            throw DataError.invalidArgument(message: "normalization '\(name)': means must be finite, got \(mean)")
        }
        guard standardDeviation.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw DataError.invalidArgument(message: "normalization '\(name)': standard deviations must be finite "
                                            + "and positive, got \(standardDeviation)")
        }
        self.init(unchecked: name, mean: mean, standardDeviation: standardDeviation, channelOrder: channelOrder)
    }

    /// The same mean and standard deviation for every channel.
    /// - Throws: ``DataError/invalidArgument(message:)`` when a value is not finite or `standardDeviation` is not positive.
    public init(name: String = "custom", mean: Float, standardDeviation: Float) throws(DataError) {
        try self.init(name: name, mean: [mean, mean, mean],
                      standardDeviation: [standardDeviation, standardDeviation, standardDeviation])
    }

    private init(unchecked name: String, mean: [Float], standardDeviation: [Float], channelOrder: ChannelOrder = .rgb) {
        self.name = name
        self.mean = mean
        self.standardDeviation = standardDeviation
        self.channelOrder = channelOrder
    }

    /// `(x − 127) / 128`: roughly −1…1, the input EfficientNet-Lite (and MobileNet-style TF Lite models) expect.
    public static let symmetric127 = Normalization(unchecked: "symmetric127", mean: [127, 127, 127],
                                                   standardDeviation: [128, 128, 128])

    /// `x / 255`: 0…1, like Keras's `rescale=1/255`.
    public static let unitRange = Normalization(unchecked: "unit-range", mean: [0, 0, 0],
                                                standardDeviation: [255, 255, 255])

    /// ImageNet statistics, as torchvision's `Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])`
    /// applied after `ToTensor` (scaled here to pixel units, ×255).
    public static let imageNet = Normalization(unchecked: "imagenet",
                                               mean: [0.485 * 255, 0.456 * 255, 0.406 * 255],
                                               standardDeviation: [0.229 * 255, 0.224 * 255, 0.225 * 255])

    /// Caffe style, as Keras's `preprocess_input` for VGG16 and ResNet50: channels reversed to B, G, R and the ImageNet
    /// means (103.939, 116.779, 123.68) subtracted, no scaling.
    public static let caffe = Normalization(unchecked: "caffe", mean: [103.939, 116.779, 123.68],
                                            standardDeviation: [1, 1, 1], channelOrder: .bgr)

    /// `x / 127.5 − 1`: −1…1, as Keras's `preprocess_input` for InceptionV3, MobileNet and MobileNetV2.
    public static let symmetric = Normalization(unchecked: "symmetric", mean: [127.5, 127.5, 127.5],
                                                standardDeviation: [127.5, 127.5, 127.5])

    /// No change: values stay in 0…255.
    public static let identity = Normalization(unchecked: "identity", mean: [0, 0, 0], standardDeviation: [1, 1, 1])

    /// The presets, for lookup by name (for example from a command-line option).
    public static let presets: [Normalization] = [.symmetric127, .unitRange, .imageNet, .caffe, .symmetric, .identity]

    /// The preset called `name` (case-insensitive), or `nil`.
    public static func preset(named name: String) -> Normalization? {
        presets.first { $0.name.lowercased() == name.lowercased() }
    }

    /// The normalized value of pixel value `value` in output channel `channel` (0, 1 or 2; with ``ChannelOrder/bgr``
    /// channel 0 is blue), evaluated as the kernels do.
    public func apply(_ value: Float, channel: Int) -> Float {
        let c = min(max(channel, 0), 2)
        let scale = 1 / standardDeviation[c]
        return value * scale + (-mean[c] * scale)
    }

    /// The name with the per-channel values, e.g. `imagenet (mean [123.675, …], std [58.395, …])`.
    public var description: String {
        "\(name) (\(channelOrder == .bgr ? "BGR, " : "")mean \(mean), std \(standardDeviation))"
    }

    /// Per-channel `(scale, bias)` so that `normalized = x · scale + bias`.
    var affine: (scale: [Float], bias: [Float]) {
        let scale = standardDeviation.map { 1 / $0 }
        return (scale, zip(mean, scale).map { -$0 * $1 })
    }
}
