import TuneCore
import TuneNN

/// A training step's forward and backward passes run as slices of the batch, one per lane
/// (``ComputeThreads/inLanes(_:_:)``), each slice taken through the whole model by one thread.
///
/// The loss is computed on the lanes' outputs joined back into one batch, exactly as without lanes; its gradient
/// is cut into the same slices and each lane back-propagates its own, collecting its parameter gradients apart
/// (``LeafGradients``), which are then added in lane order. BatchNorm in training mode combines its statistics across
/// the lanes (``LaneContext``), so every lane normalizes with the whole batch's, and Dropout draws from a generator
/// of the lane's own.
struct LaneStep {
    private let group: LaneGroup
    /// Each lane's output, with its tape.
    private let outputs: [Tensor]
    /// The outputs cut from the lanes' tapes; the loss reads them (joined as ``predictions``) and its backward stops
    /// at them.
    private let leaves: [Tensor]
    /// The whole batch's predictions.
    let predictions: Tensor

    /// Runs `model` on `inputs` in `lanes` slices, in training mode with dropout seeded from `seed`.
    init(model: Layer, inputs: Tensor, lanes: Int, seed: UInt64) throws {
        let slices = try inputs.batchSlices(lanes)
        let group = LaneGroup(sliceSizes: slices.map { $0.shape[0] })
        let results = UnsafeMutableBufferPointer<Tensor?>.allocate(capacity: slices.count)
        results.initialize(repeating: nil)
        defer { results.deinitialize().deallocate() }
        try Self.run(group) { lane in
            let context = ForwardContext(isTraining: true, seed: seed &+ UInt64(lane) &* 0xD1B5_4A32_D192_ED03)
            results[lane] = try model(slices[lane], context: context)
        }
        self.group = group
        outputs = results.compactMap { $0 }
        leaves = outputs.map { output in
            let leaf = output.detached()
            leaf.requiresGradient = output.requiresGradient
            return leaf
        }
        predictions = try Tensor.concatenate(leaves, axis: 0)
    }

    /// After the loss's backward has reached ``predictions``: back-propagates each lane's slice of that gradient
    /// through its tape, and adds the lanes' parameter gradients into the parameters.
    func backward() throws {
        guard outputs.allSatisfy(\.requiresGradient) else { return }
        let collections = outputs.map { _ in LeafGradients() }
        try Self.run(group) { lane in
            let seed = leaves[lane].gradient ?? Tensor(zeros: outputs[lane].shape)
            try outputs[lane].backward(seed: seed, collectingInto: collections[lane])
        }
        try LeafGradients.accumulate(collections)
    }

    /// Runs `body` in the group's lanes, each with its ``LaneContext``; a lane that fails lets the others stop waiting.
    private static func run(_ group: LaneGroup, _ body: (Int) throws -> Void) throws {
        try ComputeThreads.inLanes(group.sliceSizes.count) { lane in
            do {
                try LaneContext.$current.withValue(LaneContext(group: group, lane: lane)) { try body(lane) }
            } catch {
                group.abandon()
                throw error
            }
        }
    }
}
