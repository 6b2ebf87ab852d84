import Testing
@testable import TuneCore

@Suite("Buffer pool")
struct BufferPoolTests {
    @Test("a freed large block is handed out again for the same size")
    func largeBlocksAreReused() throws {
        let pool = BufferPool(capacityBytes: 1 << 20)
        // Sizes of 128 KiB and more round up to whole 4 KiB pages: 200,000 bytes → 49 pages.
        let bytes = 49 * 4096
        #expect(BufferPool.roundedSize(200_000) == bytes)
        #expect(BufferPool.roundedSize(bytes) == bytes)
        #expect(BufferPool.roundedSize(100_000) == 100_000, "below 128 KiB sizes are kept as they are")
        #expect(pool.take(bytes: bytes) == nil)
        let block = try #require(UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64) as UnsafeMutableRawPointer?)
        #expect(pool.give(block, bytes: bytes))
        #expect(pool.cachedBytes == bytes)
        #expect(pool.take(bytes: bytes) == block)
        #expect(pool.cachedBytes == 0)
        #expect(pool.take(bytes: bytes) == nil)
        block.deallocate()
    }

    @Test("small blocks and blocks beyond the capacity are not kept")
    func smallAndOverCapacityBlocksAreRefused() {
        let pool = BufferPool(capacityBytes: 256 * 1024)
        let small = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64)
        #expect(!pool.give(small, bytes: 64))
        small.deallocate()
        let big = UnsafeMutableRawPointer.allocate(byteCount: 512 * 1024, alignment: 64)
        #expect(!pool.give(big, bytes: 512 * 1024))
        big.deallocate()
        #expect(pool.cachedBytes == 0)
    }

    @Test("tensors of a repeated large shape reuse storage")
    func tensorsReuseStorage() {
        var first: Tensor? = Tensor(zeros: [64, 1024])
        let address = first?.withUnsafeBufferPointer { $0.baseAddress }
        first = nil
        let second = Tensor(zeros: [64, 1024])
        #expect(second.withUnsafeBufferPointer { $0.baseAddress } == address)
        #expect(second.scalars.allSatisfy { $0 == 0 })
    }
}
