/// Per-channel batch mean and biased variance of a 4-D tensor held channel-blocked (`nChw8c` or `nChw16c`), in
/// Double, eight channels of a block at a time.
///
/// In the blocked layout element `(n, c, s)` sits at `((n · ⌈C/b⌉ + c / b) · HW + s) · b + c % b`, so one block's
/// channels are adjacent and a vector of eight lanes holds eight channels. One pass accumulates `Σ d` and `Σ d²` of
/// `d = x − k`, with `k` each channel's first value: shifting by a value near the mean keeps `Σ d² / n − (Σ d / n)²`
/// free of cancellation, and reading the activations once instead of twice matters because this loop is memory-bound.
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
            let laneOffset = (channelBlock * spatial * block + group * 8) * 4
            let shift = raw.loadUnaligned(fromByteOffset: laneOffset, as: SIMD8<Float>.self)
            let (shiftLow, shiftHigh) = (SIMD4<Double>(shift.lowHalf), SIMD4<Double>(shift.highHalf))
            var (sumLow, sumHigh) = (SIMD4<Double>.zero, SIMD4<Double>.zero)
            var (squaresLow, squaresHigh) = (SIMD4<Double>.zero, SIMD4<Double>.zero)
            for image in 0..<count {
                var offset = (image * blocks * spatial * block) * 4 + laneOffset
                for _ in 0..<spatial {
                    let lanes = raw.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                    let low = SIMD4<Double>(lanes.lowHalf) - shiftLow, high = SIMD4<Double>(lanes.highHalf) - shiftHigh
                    sumLow += low
                    sumHigh += high
                    squaresLow += low * low
                    squaresHigh += high * high
                    offset += block * 4
                }
            }
            for lane in 0..<min(8, channels - firstChannel) {
                let (sum, squares, k) = lane < 4 ? (sumLow[lane], squaresLow[lane], shiftLow[lane])
                                                 : (sumHigh[lane - 4], squaresHigh[lane - 4], shiftHigh[lane - 4])
                let deviation = sum / values
                meanP[firstChannel + lane] = Float(k + deviation)
                varianceP[firstChannel + lane] = Float(max(squares / values - deviation * deviation, 0))
            }
        }
        return (mean, variance)
    }
}
