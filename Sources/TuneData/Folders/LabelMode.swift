/// How a batch encodes each sample's class, as Keras's `label_mode`.
public enum LabelMode: String, Sendable, CaseIterable {
    /// `[count, 1]` floats, 0 or 1 (exactly two classes), for a one-unit sigmoid output.
    case binary
    /// A one-hot row `[classes]` per sample.
    case categorical
    /// The class index per sample, as a float.
    case sparse
    /// No labels (prediction).
    case none
}
