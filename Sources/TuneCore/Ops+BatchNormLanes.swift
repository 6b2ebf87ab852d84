/// Batch normalization in training mode when the batch runs as slices in lanes (``LaneContext``): every lane
/// normalizes with the whole batch's statistics and back-propagates through them, exchanging per-channel sums with
/// the other lanes (two exchanges per layer: one forward, one backward).
extension Tensor {
    /// The whole batch's per-channel mean and biased variance, from this lane's slice `x` and the other lanes'.
    ///
    /// Each lane computes its slice's mean μₗ and variance σ²ₗ over nₗ values per channel; every lane then combines
    /// all of them in lane order (so identically): n = Σ nₗ, μ = Σ nₗ μₗ / n, σ² = Σ nₗ (σ²ₗ + (μₗ − μ)²) / n.
    static func batchStatistics(_ x: Tensor, across lane: LaneContext) throws -> (mean: Tensor, variance: Tensor) {
        let (mean, variance) = batchStatistics(x)
        let channels = x.shape[1]
        let values = Double(x.elementCount / max(channels, 1))
        let local = [values] + mean.scalars.map(Double.init) + variance.scalars.map(Double.init)
        let all = try lane.group.allGather(local, lane: lane.lane)
        let total = all.reduce(0) { $0 + $1[0] }
        var combinedMean = [Double](repeating: 0, count: channels)
        for part in all {
            for c in 0..<channels { combinedMean[c] += part[0] * part[1 + c] / total }
        }
        var combinedVariance = [Double](repeating: 0, count: channels)
        for part in all {
            for c in 0..<channels {
                let shift = part[1 + c] - combinedMean[c]
                combinedVariance[c] += part[0] * (part[1 + channels + c] + shift * shift) / total
            }
        }
        return (try Tensor(shape: [channels], scalars: combinedMean.map(Float.init)),
                try Tensor(shape: [channels], scalars: combinedVariance.map(Float.init)))
    }
}

extension BatchNormPlan {
    /// Gradients for this lane's `x`, `scale` and `shift` when the statistics are the whole batch's.
    ///
    /// With x̂ = (x − μ) / σ, σ = √(σ² + ε), over the batch's n values per channel:
    /// ∂x = γ/σ · (dy − Σdy / n − x̂ · Σ(dy·x̂) / n). oneDNN's backward with the statistics held fixed gives this lane's
    /// γ/σ · dy, Σdy and Σ(dy·x̂); the sums over the whole batch come from the other lanes, and the rest is one pass:
    /// ∂x −= A + B · (x − μ), with A = γ Σdy / (σ n) and B = γ Σ(dy·x̂) / (σ² n) per channel. The scale and shift
    /// gradients stay this lane's sums: whoever collects the lanes' parameter gradients adds them up.
    func backwardAcrossLanes(_ gradient: Tensor, x: Tensor, scale: Tensor, shift: Tensor, mean: Tensor, variance: Tensor,
                             lane: LaneContext) throws -> [Tensor?] {
        let local = try backward(gradient, x: x, scale: scale, shift: shift, mean: mean, variance: variance,
                                 throughStatistics: false)
        guard let gx = local[0], let gScale = local[1], let gShift = local[2] else {
            throw TensorError.gradient(message: "batch norm backward gave no gradient")
        }
        let values = Double(x.elementCount / max(channels, 1))
        let all = try lane.group.allGather([values] + gScale.scalars.map(Double.init) + gShift.scalars.map(Double.init),
                                           lane: lane.lane)
        let total = all.reduce(0) { $0 + $1[0] }
        var sumScale = [Double](repeating: 0, count: channels), sumShift = [Double](repeating: 0, count: channels)
        for part in all {
            for c in 0..<channels {
                sumScale[c] += part[1 + c]
                sumShift[c] += part[1 + channels + c]
            }
        }
        let gamma = scale.scalars, mu = mean.scalars, sigma2 = variance.scalars
        var a = [Float](repeating: 0, count: channels), b = [Float](repeating: 0, count: channels)
        for c in 0..<channels {
            let sigmaSquared = Double(sigma2[c]) + Double(epsilon)
            let sigma = sigmaSquared.squareRoot()
            a[c] = Float(Double(gamma[c]) * sumShift[c] / (sigma * total))
            b[c] = Float(Double(gamma[c]) * sumScale[c] / (sigmaSquared * total))
        }
        return [try Tensor.subtractingAffine(of: x, from: gx, offsets: a, slopes: b, centers: mu), gScale, gShift]
    }
}

extension Tensor {
    /// `g − (a[c] + b[c] · (x − m[c]))` per channel `c` of `[N, C, …]` tensors `g` and `x`. Runs over the blocked
    /// layout when both hold the same one (padded channels stay zero), else over row-major elements.
    static func subtractingAffine(of x: Tensor, from g: Tensor, offsets a: [Float], slopes b: [Float],
                                  centers m: [Float]) throws -> Tensor {
        guard x.shape == g.shape else {
            throw TensorError.shapeMismatch(op: "batchNorm lanes backward", shapes: [x.shape, g.shape], message: "x and its gradient differ")
        }
        let channels = x.shape[1]
        if x.shape.rank == 4, let xn = x.native, let gn = g.native, xn.layout.key == gn.layout.key,
           let block = xn.layout.channelBlock {
            let result = NativeStorage(layout: xn.layout)
            let spatial = x.shape[2] * x.shape[3]
            let blocks = (channels + block - 1) / block
            // Per-channel constants padded to whole blocks with zeros, so padded channels map 0 to 0.
            func padded(_ values: [Float]) -> [Float] { values + [Float](repeating: 0, count: blocks * block - channels) }
            let (pa, pb, pm) = (padded(a), padded(b), padded(m))
            let xp = xn.storage.pointer, gp = gn.storage.pointer, rp = result.storage.pointer
            pa.withUnsafeBufferPointer { pa in
                pb.withUnsafeBufferPointer { pb in
                    pm.withUnsafeBufferPointer { pm in
                        for image in 0..<x.shape[0] {
                            for blockIndex in 0..<blocks {
                                let first = blockIndex * block
                                var i = (image * blocks + blockIndex) * spatial * block
                                for _ in 0..<spatial {
                                    for lane in 0..<block {
                                        let c = first + lane
                                        rp[i + lane] = gp[i + lane] - (pa[c] + pb[c] * (xp[i + lane] - pm[c]))
                                    }
                                    i += block
                                }
                            }
                        }
                    }
                }
            }
            // Padded channels: the gradient there is zero and stays zero (x is zero too, and offset and slope are 0).
            return Tensor(shape: x.shape, native: result)
        }
        let result = Tensor.uninitialized(x.shape)
        let spatial = x.elementCount / max(x.shape[0] * channels, 1)
        let xp = x.storage.pointer, gp = g.storage.pointer, rp = result.storage.pointer
        for image in 0..<x.shape[0] {
            for c in 0..<channels {
                let base = (image * channels + c) * spatial
                for i in base..<(base + spatial) { rp[i] = gp[i] - (a[c] + b[c] * (xp[i] - m[c])) }
            }
        }
        return result
    }
}
