import ArgumentParser
import FineTune

/// The `finetune` command line: wiring only; the work lives in the library.
@main
struct FineTuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finetune",
        abstract: "Fine-tune neural networks on Linux CPUs, without Python.",
        version: FineTuneVersion.string,
        subcommands: [VersionCommand.self, DatasetsCommand.self, ModelsCommand.self, WeightsCommand.self, TrainCommand.self,
                      EvaluateCommand.self, PredictCommand.self, BenchCommand.self, FashionMNISTCNNCommand.self]
    )
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print FineTune's version and its compute libraries.")

    func run() throws {
        print("finetune \(FineTuneVersion.string)")
        print("oneDNN \(ComputeLibraries.oneDNNVersion) (\(ComputeLibraries.oneDNNThreading)); \(ComputeLibraries.openBLASDescription)")
        print("threads: \(ComputeThreads.policy)")
    }
}
