import TuneCore

/// A running, count-weighted mean of values, such as the epoch loss (Keras's `Mean`; name it `"loss"` for that).
public final class MeanMetric: Metric {
    public let name: MetricName
    /// The weighted sum of the values so far.
    public private(set) var total: Double = 0
    /// The total weight (number of values) so far.
    public private(set) var count = 0

    /// An empty mean named `name` (e.g. `"loss"`).
    public init(name: MetricName) { self.name = name }

    public func reset() {
        total = 0
        count = 0
    }

    /// Adds `value` with weight `count` (e.g. a batch's mean loss and its sample count). Non-positive counts are
    /// ignored.
    public func update(value: Float, count: Int = 1) {
        guard count > 0 else { return }
        total += Double(value) * Double(count)
        self.count += count
    }

    /// Adds every element of `predictions` as one value; `targets` is ignored. Use it for per-sample values such as
    /// unreduced losses.
    public func update(predictions: Tensor, targets: Tensor) throws {
        let sum = predictions.withUnsafeBufferPointer { values in values.reduce(0.0) { $0 + Double($1) } }
        total += sum
        count += predictions.elementCount
    }

    public var result: Float { count == 0 ? 0 : Float(total / Double(count)) }
}
