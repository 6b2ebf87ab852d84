import Foundation

/// Builds numbered items on background threads, at most `depth` ahead of the consumer, and hands them out in
/// order. Results do not depend on which thread built which item.
final class PrefetchQueue<Item>: @unchecked Sendable {
    private let condition = NSCondition()
    private let count: Int
    private let depth: Int
    private let build: @Sendable (Int) throws -> Item
    private var finished: [Int: Result<Item, Error>] = [:]
    private var nextToClaim = 0
    private var nextToDeliver = 0
    private var cancelled = false

    /// Starts `workers` threads building items `0..<count` with `build`.
    init(count: Int, workers: Int, depth: Int, build: @escaping @Sendable (Int) throws -> Item) {
        self.count = count
        self.depth = max(depth, 1)
        self.build = build
        for _ in 0..<max(workers, 1) {
            let thread = Thread { [self] in work() }
            thread.name = "finetune-loader"
            thread.start()
        }
    }

    private func work() {
        while true {
            condition.lock()
            while !cancelled, nextToClaim < count, nextToClaim >= nextToDeliver + depth { condition.wait() }
            guard !cancelled, nextToClaim < count else {
                condition.unlock()
                return
            }
            let index = nextToClaim
            nextToClaim += 1
            condition.unlock()
            let result = Result { try build(index) }
            condition.lock()
            finished[index] = result
            condition.broadcast()
            condition.unlock()
        }
    }

    /// The next item in order, waiting for it if needed; `nil` after the last. A build error is rethrown here
    /// and stops the workers.
    func next() throws -> Item? {
        condition.lock()
        defer { condition.unlock() }
        guard nextToDeliver < count, !cancelled else { return nil }
        while finished[nextToDeliver] == nil { condition.wait() }
        guard let result = finished.removeValue(forKey: nextToDeliver) else { return nil }
        nextToDeliver += 1
        condition.broadcast()
        do {
            return try result.get()
        } catch {
            cancelled = true
            throw error
        }
    }

    /// Stops the workers after the items they are building.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}
