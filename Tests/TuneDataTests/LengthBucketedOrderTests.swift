import Testing
import TuneData

@Suite("Length-bucketed batch order")
struct LengthBucketedOrderTests {
    /// 1,000 lengths from 2 to 301 in a scrambled order.
    let lengths = (0..<1000).map { 2 + ($0 * 7919) % 300 }

    @Test("every sample appears exactly once per epoch, in batches of the batch size and one remainder")
    func coversEverySampleOnce() throws {
        let order = try LengthBucketedOrder(lengths: lengths, batchSize: 32, seed: 1)
        for epoch in 0..<3 {
            let batches = order.batches(epoch: epoch)
            #expect(batches.count == order.batchCount)
            #expect(batches.flatMap { $0 }.sorted() == Array(0..<1000))
            #expect(batches.filter { $0.count != 32 }.map(\.count) == [1000 % 32])
        }
    }

    @Test("the same seed and epoch give the same order; another epoch or seed another one")
    func seeded() throws {
        let order = try LengthBucketedOrder(lengths: lengths, batchSize: 16, seed: 42)
        let other = try LengthBucketedOrder(lengths: lengths, batchSize: 16, seed: 43)
        #expect(order.batches(epoch: 2) == order.batches(epoch: 2))
        #expect(order.batches(epoch: 2) != order.batches(epoch: 3))
        #expect(order.batches(epoch: 2) != other.batches(epoch: 2))
    }

    @Test("batches hold similar lengths, so padding is a fraction of what random batches need")
    func groupsLengths() throws {
        let order = try LengthBucketedOrder(lengths: lengths, batchSize: 16, seed: 7, chunkBatches: 50)
        let padding = { (batches: [[Int]]) -> Int in
            batches.reduce(0) { total, batch in
                let longest = batch.map { lengths[$0] }.max() ?? 0
                return total + batch.reduce(0) { $0 + longest - lengths[$1] }
            }
        }
        let bucketed = padding(order.batches(epoch: 0))
        let plain = try LengthBucketedOrder(lengths: lengths, batchSize: 16, seed: 7, chunkBatches: 1)
        let random = padding(plain.batches(epoch: 0))
        #expect(bucketed * 10 < random, "padding \(bucketed) bucketed vs \(random) with batches sorted alone")
        // The batch order is shuffled: not sorted by length.
        let firstLengths = order.batches(epoch: 0).map { lengths[$0[0]] }
        #expect(firstLengths != firstLengths.sorted())
    }

    @Test("an empty data set has no batches; a non-positive batch size is refused")
    func edgeCases() throws {
        #expect(try LengthBucketedOrder(lengths: [], batchSize: 4, seed: 0).batches(epoch: 0).isEmpty)
        #expect(throws: DataError.self) { try LengthBucketedOrder(lengths: [1, 2], batchSize: 0, seed: 0) }
        #expect(throws: DataError.self) { try LengthBucketedOrder(lengths: [1, 2], batchSize: 2, seed: 0, chunkBatches: 0) }
    }
}
