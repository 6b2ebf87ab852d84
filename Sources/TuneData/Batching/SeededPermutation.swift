import TuneCore

/// A permutation of `0..<count` drawn from `seed` and `stream` (an epoch, a class index…): the same pair always
/// gives the same order. A Fisher–Yates shuffle written out here so the order does not depend on the standard
/// library's shuffle algorithm.
public func seededPermutation(count: Int, seed: UInt64, stream: Int) -> [Int] {
    var generator = SeededGenerator(seed: seed ^ (UInt64(bitPattern: Int64(stream)) &* 0x9E37_79B9_7F4A_7C15))
    var order = Array(0..<count)
    var i = count - 1
    while i > 0 {
        let j = Int(generator.next().multipliedFullWidth(by: UInt64(i + 1)).high)
        order.swapAt(i, j)
        i -= 1
    }
    return order
}
