import Foundation
import TuneCore
import TuneData
import TuneModels
import TuneNN

extension SavedClassifier {
    /// Evaluates the model on a labelled image folder: `folder/validation` (or `folder/val`) when present, else
    /// `folder`'s class sub-folders. Class folders are matched to the model's classes by name; a folder naming a
    /// class the model does not know is an error. Unreadable images are skipped with a warning.
    public func evaluate(folder root: String, batchSize: Int = 64) throws -> ClassificationReport {
        let rootURL = URL(fileURLWithPath: root)
        let folderPath = ["validation", "val"].map { rootURL.appendingPathComponent($0).path }
            .first { var isDirectory: ObjCBool = false; return FileManager.default.fileExists(atPath: $0, isDirectory: &isDirectory) && isDirectory.boolValue }
            ?? root
        let found = try ImageFolder(scanning: folderPath)
        let known = model.classNames
        let unknown = found.classNames.filter { !known.contains($0) }
        guard unknown.isEmpty else {
            throw DataError.badFolder(path: folderPath, message: "classes \(unknown) are not among the model's classes \(known)")
        }
        let folder = try ImageFolder(scanning: folderPath, classNames: known.filter(found.classNames.contains))
        var options = ImageFolderLoader.Options()
        options.batchSize = batchSize
        options.shuffle = false
        options.labelMode = .sparse
        let loader = try ImageFolderLoader(folder: folder, preprocessing: preprocessing, options: options)
        var labels: [Int] = []
        var predicted: [Int] = []
        try withoutGradient {
            var batches = try loader.makeBatchIterator(epoch: 0)
            while let batch = try batches.next() {
                let names = batch.targets?.scalars.map { folder.classNames[Int($0)] } ?? []
                labels += names.compactMap { known.firstIndex(of: $0) }
                predicted += try model.probabilities(try model(batch.inputs)).map { row in
                    row.indices.max { row[$0] < row[$1] } ?? 0
                }
            }
        }
        return try ClassificationReport(classNames: known, trueLabels: labels, predictedLabels: predicted)
    }
}
