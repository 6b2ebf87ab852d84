import TuneCore
import TuneModels
import TuneNN

/// The stages of a model from `start` on, as a layer: what trains on cached outputs of the frozen prefix.
/// It shares the model's layers (and so its parameters), so training it trains the model.
final class StageSuffix: Layer {
    let stages: [ModelStage]
    let start: Int

    init(stages: [ModelStage], from start: Int) {
        self.stages = stages
        self.start = start
        super.init(kind: "StageSuffix")
        for (index, stage) in stages.enumerated() where index >= start {
            for (position, layer) in stage.layers.enumerated() { registerChild("\(index).\(position)", layer) }
        }
        markBuilt()
    }

    override func forward(_ input: Tensor, context: ForwardContext) throws -> Tensor {
        try stages.run(input, range: start..<stages.count, context: context)
    }
}
