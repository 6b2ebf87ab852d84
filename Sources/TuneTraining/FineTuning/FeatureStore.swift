import Foundation
import TuneCore

/// Fixed-size float rows, one per cached image: in memory as Float32, or in a file as Float16 when the cache would
/// not fit its memory budget.
final class FeatureStore: @unchecked Sendable {
    /// Floats per row.
    let rowLength: Int
    /// Rows stored.
    private(set) var count = 0
    private let capacity: Int
    private var memory: [Float]
    private let filePath: String?
    private var handle: FileHandle?
    private var mapped: Data?

    /// A store for `capacity` rows of `rowLength` floats: in memory when `capacity × rowLength × 4` bytes fit in
    /// `memoryBudget`, otherwise as Float16 in a new file at `spillPath`.
    init(rowLength: Int, capacity: Int, memoryBudget: Int, spillPath: String) throws {
        self.rowLength = rowLength
        self.capacity = capacity
        if capacity * rowLength * MemoryLayout<Float>.size <= memoryBudget {
            memory = [Float](repeating: 0, count: capacity * rowLength)
            filePath = nil
        } else {
            memory = []
            filePath = spillPath
            let directory = (spillPath as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: spillPath, contents: nil) else {
                throw FineTuneError.runFolder(path: spillPath, message: "cannot create the feature cache file")
            }
            handle = FileHandle(forWritingAtPath: spillPath)
        }
    }

    /// Whether rows live in a Float16 file rather than in memory.
    var isOnDisk: Bool { filePath != nil }

    /// Bytes the rows take (in memory or on disk).
    var byteCount: Int { capacity * rowLength * (isOnDisk ? 2 : 4) }

    /// Appends the rows of `batch` (`[n, …]`, `rowLength` floats per row).
    func append(_ batch: Tensor) throws {
        let rows = batch.shape[0]
        guard batch.elementCount == rows * rowLength, count + rows <= capacity else {
            throw FineTuneError.runFolder(path: filePath ?? "feature cache",
                                          message: "cannot append \(batch.shape) to rows of \(rowLength) (\(count) of \(capacity) stored)")
        }
        if let handle {
            let halves = batch.scalars.map { Float16($0) }
            do {
                try handle.write(contentsOf: halves.withUnsafeBytes { Data($0) })
            } catch {
                throw FineTuneError.runFolder(path: filePath ?? "", message: "cannot write the feature cache: \(error.localizedDescription)")
            }
        } else {
            batch.withUnsafeBufferPointer { source in
                memory.withUnsafeMutableBufferPointer { target in
                    guard let from = source.baseAddress, let to = target.baseAddress else { return }
                    (to + count * rowLength).update(from: from, count: rows * rowLength)
                }
            }
        }
        count += rows
    }

    /// Ends writing; a file-backed store is then mapped for reading.
    func finish() throws {
        guard let handle, let filePath else { return }
        do {
            try handle.close()
            mapped = try Data(contentsOf: URL(fileURLWithPath: filePath), options: .alwaysMapped)
        } catch {
            throw FineTuneError.runFolder(path: filePath, message: "cannot read back the feature cache: \(error.localizedDescription)")
        }
        self.handle = nil
    }

    /// The rows at `indices`, stacked into a tensor of shape `[indices.count] + rowShape`.
    func gather(_ indices: [Int], rowShape: [Int]) -> Tensor {
        let length = rowLength
        return Tensor(unsafeUninitializedShape: Shape([indices.count] + rowShape)) { target in
            guard let output = target.baseAddress else { return }
            if let mapped {
                mapped.withUnsafeBytes { raw in
                    let halves = raw.bindMemory(to: Float16.self)
                    for (row, index) in indices.enumerated() {
                        let start = index * length
                        for j in 0..<length { output[row * length + j] = Float(halves[start + j]) }
                    }
                }
            } else {
                memory.withUnsafeBufferPointer { source in
                    guard let base = source.baseAddress else { return }
                    for (row, index) in indices.enumerated() {
                        (output + row * length).update(from: base + index * length, count: length)
                    }
                }
            }
        }
    }

    /// Deletes the spill file, if any.
    func removeFile() {
        mapped = nil
        if let filePath { try? FileManager.default.removeItem(atPath: filePath) }
    }
}
