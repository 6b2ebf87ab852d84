import TuneCore

/// Runs work that treats every sample on its own as independent slices of the batch, one per lane
/// (``ComputeThreads/inLanes(_:_:)``): each lane takes its slice through the whole computation on one thread, so the
/// lanes wait for one another only at the end, instead of a team waiting for its slowest thread at every operation.
public enum BatchLanes {
    /// `body` applied to `input` in ``ComputeThreads/laneCount`` slices of its batch (at most one per sample), without
    /// recording gradients, and the results joined along the batch axis.
    ///
    /// `body` must map each sample independently of the others (no batch statistics, no dropout) and must not need a
    /// gradient; the result then equals `body(input)` up to rounding.
    public static func map(_ input: Tensor, _ body: (Tensor) throws -> Tensor) throws -> Tensor {
        let slices = try input.batchSlices(ComputeThreads.laneCount)
        guard slices.count > 1 else { return try withoutGradient { try body(input) } }
        let outputs = UnsafeMutableBufferPointer<Tensor?>.allocate(capacity: slices.count)
        outputs.initialize(repeating: nil)
        defer { outputs.deinitialize().deallocate() }
        try ComputeThreads.inLanes(slices.count) { lane in
            outputs[lane] = try withoutGradient { try body(slices[lane]) }
        }
        // Every lane stored its output or threw, and inLanes rethrew.
        return try Tensor.joiningBatches(outputs.compactMap { $0 })
    }
}

extension Layer {
    /// Whether, in `context`, each sample's output depends on that sample alone and nothing needs recording for
    /// autodiff: no parameter that is being trained, no dropout with a positive rate while training, no BatchNorm on
    /// batch statistics, and no layer that still builds itself on its first input. Such a layer can run as slices of
    /// the batch (``BatchLanes``).
    public func isSamplewiseWithoutGradient(in context: ForwardContext) -> Bool {
        if GradientMode.isRecording && !trainableParameters().isEmpty { return false }
        return !mixesSamples(in: context) && !keepsUnsharedState && ([self] + descendants().map(\.layer)).allSatisfy(\.isBuilt)
    }

    /// Whether this layer or a sublayer keeps state of its own that a forward pass may change: buffers of any layer
    /// but BatchNorm (whose statistics the lanes combine, and update once). Run in lanes, such state would see each
    /// slice of the batch as a batch of its own, so a model that has it runs on whole batches.
    public var keepsUnsharedState: Bool {
        ([self] + descendants().map(\.layer)).contains { layer in
            !(layer is BatchNorm) && layer.hasOwnBuffers
        }
    }

    /// Whether, in `context`, a sample's output depends on something beyond that sample: a dropout draw (positive
    /// rate, training) or batch statistics (a BatchNorm that uses them), here or in any sublayer.
    public func mixesSamples(in context: ForwardContext) -> Bool {
        ([self] + descendants().map(\.layer)).contains { layer in
            if let dropout = layer as? Dropout { return context.isTraining && dropout.rate > 0 }
            if let norm = layer as? BatchNorm { return norm.usesBatchStatistics(in: context) }
            return false
        }
    }
}
