import Foundation
import TuneFormats
import TuneModels

/// The files of a run folder: `config.json`, `model.safetensors`, `history.csv`, `report.html`, and while training
/// `checkpoint.safetensors` and `cache/`.
public struct RunFolder: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    public var configurationPath: String { file(SavedClassifier.configurationFile) }
    public var modelPath: String { file(SavedClassifier.weightsFile) }
    public var historyPath: String { file("history.csv") }
    public var reportPath: String { file("report.html") }
    var checkpointPath: String { file(RunCheckpoint.fileName) }
    var cachePath: String { file("cache") }

    /// Creates the folder (and parents) if needed.
    func create() throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw FineTuneError.runFolder(path: path, message: "cannot create the run folder: \(error.localizedDescription)")
        }
    }

    func exists(_ file: String) -> Bool { FileManager.default.fileExists(atPath: file) }

    /// Writes the per-epoch history as CSV (`epoch,phase,loss,…,learning_rate,seconds`), atomically.
    func writeHistory(_ history: [EpochRecord]) throws {
        let metricNames = Set(history.flatMap(\.metrics.keys)).sorted(by: MetricName.displayOrder)
        var text = (["epoch", "phase"] + metricNames.map(\.rawValue) + ["learning_rate", "seconds"]).joined(separator: ",") + "\n"
        for record in history {
            let values = metricNames.map { record.metrics[$0].map { "\($0)" } ?? "" }
            text += (["\(record.epoch)", "\(record.phase.rawValue)"] + values + ["\(record.learningRate)", String(format: "%.3f", record.seconds)])
                .joined(separator: ",") + "\n"
        }
        try writeFileAtomically(Array(text.utf8), to: historyPath)
    }
}
