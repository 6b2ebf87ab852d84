import TuneCore

/// Per-class probabilities for each row of a classifier's `logits`: a softmax over `classCount` outputs, or
/// `[1 − p, p]` with `p = sigmoid(logit)` for the single output of a two-class model.
func classProbabilities(_ logits: Tensor, classCount: Int) throws -> [[Float]] {
    let rows = logits.shape[0]
    if classCount == 2 { return try logits.sigmoid().scalars.prefix(rows).map { [1 - $0, $0] } }
    let values = try logits.softmax().scalars
    return (0..<rows).map { Array(values[($0 * classCount)..<(($0 + 1) * classCount)]) }
}
