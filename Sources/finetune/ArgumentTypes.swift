import ArgumentParser
import FineTune

// The recipe's option types, typed on the command line: ArgumentParser lists their values in `--help` and refuses
// others with a message naming the option.

extension ClassifierHead: ExpressibleByArgument {}
extension ResizeMethod: ExpressibleByArgument {}
extension FineTuneRecipe.OptimizerKind: ExpressibleByArgument {}
extension FineTuneRecipe.BatchNormMode: ExpressibleByArgument {}
extension FineTuneRecipe.FeatureCacheMode: ExpressibleByArgument {}
extension ImageClassificationRecipe.ClassWeighting: ExpressibleByArgument {}
extension ImageClassificationRecipe.InputScaling: ExpressibleByArgument {}
extension TextPooling: ExpressibleByArgument {}

extension UnfreezePolicy: ExpressibleByArgument {
    public init?(argument: String) {
        guard let policy = try? UnfreezePolicy(parsing: argument) else { return nil }
        self = policy
    }

    public static var defaultCompletionKind: CompletionKind { .list(["none", "all", "last-blocks:4", "last-layers:4"]) }
}
