import Testing
import TuneCore
import TuneData

@Suite("In-memory datasets and batches")
struct InMemoryDatasetTests {
    /// `count` samples of shape [2, 3]; every element of sample i equals i, and its label is i % 10.
    func makeDataset(count: Int) throws -> InMemoryDataset {
        let scalars = (0..<count).flatMap { i in [Float](repeating: Float(i), count: 6) }
        return try InMemoryDataset(inputs: Tensor(shape: [count, 2, 3], scalars: scalars), labels: (0..<count).map { $0 % 10 })
    }

    /// The sample ids of each batch, read from the first element of each sample.
    func sampleIDs(_ batches: [Batch]) -> [[Int]] {
        batches.map { batch in stride(from: 0, to: batch.inputs.elementCount, by: 6).map { Int(batch.inputs.scalars[$0]) } }
    }

    @Test("every sample appears exactly once per epoch and the last partial batch is kept")
    func coversEverySampleOnce() throws {
        let dataset = try makeDataset(count: 23)
        let batches = try dataset.batches(size: 5, shuffle: true, seed: 7, epoch: 0)
        #expect(batches.map(\.count) == [5, 5, 5, 5, 3])
        #expect(batches.map(\.inputs.shape) == [[5, 2, 3], [5, 2, 3], [5, 2, 3], [5, 2, 3], [3, 2, 3]])
        let ids = sampleIDs(batches).flatMap { $0 }
        #expect(ids.sorted() == Array(0..<23))
        #expect(ids != Array(0..<23), "a shuffled epoch should not be in the original order")
        for batch in batches {
            #expect(batch.targets?.shape == [batch.count])
        }
    }

    @Test("targets are the labels of the samples in the batch")
    func targetsMatchInputs() throws {
        let batches = try makeDataset(count: 17).batches(size: 4, seed: 3, epoch: 2)
        for (batch, ids) in zip(batches, sampleIDs(batches)) {
            #expect(batch.targets?.scalars == ids.map { Float($0 % 10) })
        }
    }

    @Test("the same seed and epoch give the same batches; another epoch or seed a different order")
    func seededShuffle() throws {
        let dataset = try makeDataset(count: 50)
        let first = sampleIDs(try dataset.batches(size: 8, seed: 42, epoch: 3))
        let again = sampleIDs(try dataset.batches(size: 8, seed: 42, epoch: 3))
        let nextEpoch = sampleIDs(try dataset.batches(size: 8, seed: 42, epoch: 4))
        let otherSeed = sampleIDs(try dataset.batches(size: 8, seed: 43, epoch: 3))
        #expect(first == again)
        #expect(first != nextEpoch)
        #expect(first != otherSeed)
        #expect(nextEpoch.flatMap { $0 }.sorted() == Array(0..<50))
    }

    @Test("without shuffling batches keep the dataset order")
    func unshuffledOrder() throws {
        let batches = try makeDataset(count: 7).batches(size: 3, shuffle: false)
        #expect(sampleIDs(batches) == [[0, 1, 2], [3, 4, 5], [6]])
    }

    @Test("subset copies the chosen samples in order")
    func subset() throws {
        let dataset = try makeDataset(count: 12)
        let picked = try dataset.subset([11, 0, 5])
        #expect(picked.count == 3)
        #expect(picked.inputs.shape == [3, 2, 3])
        #expect(picked.labels == [1, 0, 5])
        #expect(sampleIDs(try picked.batches(size: 10, shuffle: false)) == [[11, 0, 5]])
        #expect(try dataset.subset(2..<4).labels == [2, 3])
        #expect(throws: DataError.self) { try dataset.subset([12]) }
    }

    @Test("invalid arguments are rejected")
    func invalidArguments() throws {
        let dataset = try makeDataset(count: 4)
        #expect(throws: DataError.self) { try dataset.batches(size: 0) }
        #expect(throws: DataError.self) { try InMemoryDataset(inputs: Tensor(zeros: [3, 2]), labels: [0, 1]) }
        #expect(try makeDataset(count: 0).batches(size: 4).isEmpty)
    }
}
