/// How a convolution or pooling window is padded.
public enum Padding: Hashable, Sendable {
    /// No padding.
    case valid
    /// TensorFlow "SAME": output = ceil(input / stride); odd totals put the extra row/column after.
    case same
    /// Explicit amounts per side.
    case explicit(top: Int, bottom: Int, left: Int, right: Int)

    /// The same amount on every side.
    public static func symmetric(_ amount: Int) -> Padding {
        .explicit(top: amount, bottom: amount, left: amount, right: amount)
    }

    /// Padding amounts `(top, bottom, left, right)` for an input of `height × width`.
    public func amounts(height: Int, width: Int, kernel: (Int, Int), stride: (Int, Int),
                        dilation: (Int, Int) = (1, 1)) -> (top: Int, bottom: Int, left: Int, right: Int) {
        switch self {
        case .valid:
            return (0, 0, 0, 0)
        case let .explicit(top, bottom, left, right):
            return (top, bottom, left, right)
        case .same:
            func split(_ size: Int, _ k: Int, _ s: Int, _ d: Int) -> (Int, Int) {
                let effective = (k - 1) * d + 1
                let out = (size + s - 1) / s
                let total = max((out - 1) * s + effective - size, 0)
                return (total / 2, total - total / 2)
            }
            let (top, bottom) = split(height, kernel.0, stride.0, dilation.0)
            let (left, right) = split(width, kernel.1, stride.1, dilation.1)
            return (top, bottom, left, right)
        }
    }
}

/// Window geometry shared by convolution and pooling.
struct WindowGeometry: Hashable {
    let kernel: [Int]
    let stride: [Int]
    let dilation: [Int]
    let padBefore: [Int]
    let padAfter: [Int]
    let output: [Int]

    init(op: String, height: Int, width: Int, kernel: (Int, Int), stride: (Int, Int), dilation: (Int, Int),
         padding: Padding) throws {
        guard kernel.0 > 0, kernel.1 > 0, stride.0 > 0, stride.1 > 0, dilation.0 > 0, dilation.1 > 0 else {
            throw TensorError.invalidArgument(op: op, message: "kernel \(kernel), stride \(stride) and dilation \(dilation) must be positive")
        }
        let pads = padding.amounts(height: height, width: width, kernel: kernel, stride: stride, dilation: dilation)
        guard pads.top >= 0, pads.bottom >= 0, pads.left >= 0, pads.right >= 0 else {
            throw TensorError.invalidArgument(op: op, message: "negative padding \(pads)")
        }
        let extentHeight = height + pads.top + pads.bottom - ((kernel.0 - 1) * dilation.0 + 1)
        let extentWidth = width + pads.left + pads.right - ((kernel.1 - 1) * dilation.1 + 1)
        // Check the extents before dividing: integer division truncates toward zero, so with a stride > 1 a
        // negative extent (window larger than the padded input) would otherwise yield one output pixel.
        guard extentHeight >= 0, extentWidth >= 0 else {
            throw TensorError.invalidArgument(op: op, message: "input \(height)×\(width) is too small for kernel \(kernel) with padding \(pads)")
        }
        let outHeight = extentHeight / stride.0 + 1
        let outWidth = extentWidth / stride.1 + 1
        self.kernel = [kernel.0, kernel.1]
        self.stride = [stride.0, stride.1]
        self.dilation = [dilation.0, dilation.1]
        padBefore = [pads.top, pads.left]
        padAfter = [pads.bottom, pads.right]
        output = [outHeight, outWidth]
    }

    var key: String { "k\(kernel)s\(stride)d\(dilation)p\(padBefore)\(padAfter)" }
}
