/// Inverted dropout with a seeded generator.
extension Tensor {
    /// Zeroes each element with probability `rate` and scales the rest by `1 / (1 − rate)`.
    public func dropout(rate: Float, generator: inout SeededGenerator) throws -> Tensor {
        guard rate >= 0, rate < 1 else { throw TensorError.invalidArgument(op: "dropout", message: "rate \(rate) must be in [0, 1)") }
        if rate == 0 { return self }
        let keep = 1 - rate
        let mask = Tensor.uninitialized(shape)
        let m = mask.storage.pointer
        for i in 0..<elementCount { m[i] = generator.nextUniform() < keep ? 1 / keep : 0 }
        let result = Tensor.uninitialized(shape)
        let p = storage.pointer, r = result.storage.pointer
        for i in 0..<elementCount { r[i] = p[i] * m[i] }
        // The closure keeps `mask` itself alive: its storage is freed with the tensor.
        return Tensor.record(result, op: "dropout", inputs: [self]) { gradient in
            let g = Tensor.uninitialized(self.shape)
            let pg = gradient.storage.pointer, d = g.storage.pointer, m = mask.storage.pointer
            for i in 0..<self.elementCount { d[i] = pg[i] * m[i] }
            return [g]
        }
    }
}
