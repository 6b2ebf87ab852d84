/// Per-channel batch mean and biased variance of a 4-D tensor held channel-blocked (`nChw8c` or `nChw16c`), in
/// Double and two passes like the row-major path, eight channels of a block at a time.
///
/// In the blocked layout element `(n, c, s)` sits at `((n · ⌈C/b⌉ + c / b) · HW + s) · b + c % b`, so one block's
/// channels are adjacent and a vector of eight lanes holds eight channels.
enum BlockedBatchStatistics {
    static func compute(_ x: UnsafePointer<Float>, shape: Shape, block: Int) -> (mean: Tensor, variance: Tensor) {
        let (count, channels) = (shape[0], shape[1])
        let spatial = shape[2] * shape[3]
        let blocks = (channels + block - 1) / block
        let values = Double(count * spatial)
        let mean = Tensor.uninitialized([channels]), variance = Tensor.uninitialized([channels])
        let meanP = mean.storage.pointer, varianceP = variance.storage.pointer
        let raw = UnsafeRawPointer(x)
        // One unit of work: eight channels of one block.
        let groups = block / 8
        Tensor.forEachChannel(blocks * groups, work: shape.elementCount) { unit in
            let (channelBlock, group) = unit.quotientAndRemainder(dividingBy: groups)
            let firstChannel = channelBlock * block + group * 8
            guard firstChannel < channels else { return }
            func offset(_ image: Int, _ position: Int) -> Int {
                (((image * blocks + channelBlock) * spatial + position) * block + group * 8) * 4
            }
            var low = SIMD4<Double>(repeating: 0), high = SIMD4<Double>(repeating: 0)
            for image in 0..<count {
                for position in 0..<spatial {
                    let lanes = raw.loadUnaligned(fromByteOffset: offset(image, position), as: SIMD8<Float>.self)
                    low += SIMD4<Double>(lanes.lowHalf)
                    high += SIMD4<Double>(lanes.highHalf)
                }
            }
            let meanLow = low / values, meanHigh = high / values
            low = SIMD4<Double>(repeating: 0)
            high = SIMD4<Double>(repeating: 0)
            for image in 0..<count {
                for position in 0..<spatial {
                    let lanes = raw.loadUnaligned(fromByteOffset: offset(image, position), as: SIMD8<Float>.self)
                    let a = SIMD4<Double>(lanes.lowHalf) - meanLow, b = SIMD4<Double>(lanes.highHalf) - meanHigh
                    low += a * a
                    high += b * b
                }
            }
            for lane in 0..<min(8, channels - firstChannel) {
                let c = firstChannel + lane
                meanP[c] = Float(lane < 4 ? meanLow[lane] : meanHigh[lane - 4])
                varianceP[c] = Float((lane < 4 ? low[lane] : high[lane - 4]) / values)
            }
        }
        return (mean, variance)
    }
}
