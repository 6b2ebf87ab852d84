/// Copies a tensor from a blocked layout to row-major order, with every offset worked out when the layout is made.
///
/// In a blocked layout (``Blocking``) an element's offset is a sum of one term per axis: the axis index splits into
/// its position inside the axis's inner blocks and the block number, each scaled by its stride, and no term depends on
/// another axis. So a table per axis (its term for every index) gives any element's offset by additions, and the
/// copy reads `source[offset + Σ table_a[i_a]]` for every row-major index in turn. The tables are checked against the
/// layout's size here, so the copy cannot read outside the source.
struct RowMajorConversion {
    private let dimensions: [Int]
    private let offset: Int
    /// The per-axis offset terms, axis after axis; axis `a`'s start at `starts[a]`.
    private let table: [Int]
    private let starts: [Int]
    /// The channel block size when the layout is `nChw{8,16}c` (see ``copyChannelBlocked(_:_:block:)``).
    private let channelBlock: Int?

    /// Below this many elements the copy runs on the calling thread alone.
    private static let parallelThreshold = 1 << 15

    /// - Parameter channelBlock: the layout is `nChw{channelBlock}c`, for which the copy runs in tiles.
    init(_ blocking: Blocking, channelBlock: Int?) throws {
        let dims = blocking.dimensions
        var table: [Int] = [], starts: [Int] = []
        var largest = blocking.offset
        for axis in dims.indices {
            starts.append(table.count)
            let terms = (0..<dims[axis]).map { Self.term(of: $0, axis: axis, in: blocking) }
            table += terms
            largest += terms.max() ?? 0
        }
        let fits = dims.contains(0) || largest < blocking.elementCapacity
        guard fits, blocking.offset >= 0, table.allSatisfy({ $0 >= 0 }) else {
            throw TensorError.invalidArgument(op: "NativeLayout",
                                              message: "blocked layout of \(dims) reaches past its \(blocking.elementCapacity) elements")
        }
        dimensions = dims
        offset = blocking.offset
        self.table = table
        self.starts = starts
        self.channelBlock = channelBlock
    }

    /// Axis `axis`'s contribution to the offset of an element whose index on that axis is `index`. The inner blocks
    /// are peeled innermost first: each takes its position (`index % size`) times the elements inside it, and passes
    /// the block number on; what remains after the last is scaled by the axis's outer stride.
    private static func term(of index: Int, axis: Int, in blocking: Blocking) -> Int {
        var remaining = index, term = 0, innerStride = 1
        for block in blocking.innerBlocks.reversed() {
            if block.axis == axis {
                term += remaining % block.size * innerStride
                remaining /= block.size
            }
            innerStride *= block.size
        }
        return term + remaining * blocking.strides[axis]
    }

    /// Copies every element of `source` to `destination` in row-major order.
    func copy(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>) {
        let count = dimensions.reduce(1, *)
        guard count > 0 else { return }
        if let channelBlock, dimensions.count == 4 { return copyChannelBlocked(source, destination, block: channelBlock) }
        // The last two axes form a plane copied in one tight loop; the axes before them are counted down per plane.
        let rank = dimensions.count
        let rows = rank >= 2 ? dimensions[rank - 2] : 1, columns = dimensions[rank - 1]
        let planeAxes = max(rank - 2, 0)
        let planes = count / (rows * columns)
        table.withUnsafeBufferPointer { table in
            let rowTerms = rank >= 2 ? table.baseAddress.map { $0 + starts[rank - 2] } : nil
            let columnTerms = table.baseAddress.map { $0 + starts[rank - 1] }
            let copyPlanes = { (range: Range<Int>) in
                guard let columnTerms else { return }
                for plane in range {
                    var remaining = plane, base = offset
                    for axis in (0..<planeAxes).reversed() {
                        base += table[starts[axis] + remaining % dimensions[axis]]
                        remaining /= dimensions[axis]
                    }
                    var out = destination + plane * rows * columns
                    for row in 0..<rows {
                        let rowBase = source + base + (rowTerms?[row] ?? 0)
                        for column in 0..<columns { out[column] = rowBase[columnTerms[column]] }
                        out += columns
                    }
                }
            }
            let threads = count < Self.parallelThreshold ? 1 : min(ComputeThreads.current, planes)
            guard threads > 1 else { return copyPlanes(0..<planes) }
            ComputeThreads.parallelFor(threads) { thread in
                copyPlanes(planes * thread / threads..<planes * (thread + 1) / threads)
            }
        }
    }

    /// The copy for `nChw{block}c`, the layout of most activations: element `(n, c, h, w)` is at
    /// `((n · ⌈C / block⌉ + c / block) · H·W + h·W + w) · block + c % block`. Each block of channels is a
    /// `[H·W, block]` matrix transposed into `block` rows of the output, 16 positions at a time so the reads and
    /// writes of a tile stay in L1.
    private func copyChannelBlocked(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>, block: Int) {
        let (batch, channels) = (dimensions[0], dimensions[1])
        let plane = dimensions[2] * dimensions[3]
        let channelBlocks = (channels + block - 1) / block
        let units = batch * channelBlocks
        let copyUnits = { (range: Range<Int>) in
            for unit in range {
                let (n, channelBlock) = unit.quotientAndRemainder(dividingBy: channelBlocks)
                let from = source + offset + unit * plane * block
                let firstChannel = channelBlock * block
                let to = destination + (n * channels + firstChannel) * plane
                let width = min(block, channels - firstChannel)
                if width == 16 && block == 16 {
                    Self.transpose(from, to, positions: plane, channels: 16)
                } else if width == 8 && block == 8 {
                    Self.transpose(from, to, positions: plane, channels: 8)
                } else {
                    // The last block of a channel count that is not a multiple of the block: padded, so partly read.
                    for c in 0..<width {
                        for position in 0..<plane { to[c * plane + position] = from[position * block + c] }
                    }
                }
            }
        }
        let threads = batch * channels * plane < Self.parallelThreshold ? 1 : min(ComputeThreads.current, units)
        guard threads > 1 else { return copyUnits(0..<units) }
        ComputeThreads.parallelFor(threads) { thread in
            copyUnits(units * thread / threads..<units * (thread + 1) / threads)
        }
    }

    /// `to[c · positions + p] = from[p · channels + c]`: reads run contiguously, and the `channels` rows written
    /// stay in L1. Inlined with a literal `channels` so the inner loop unrolls.
    @inline(__always)
    private static func transpose(_ from: UnsafePointer<Float>, _ to: UnsafeMutablePointer<Float>, positions: Int,
                                  channels: Int) {
        for position in 0..<positions {
            let values = from + position * channels
            for c in 0..<channels { to[c * positions + position] = values[c] }
        }
    }
}
