/// Walks an N-d index space row by row (the last axis innermost), giving each of up to three operands
/// its element offset at the start of the row. Broadcast axes have stride 0.
enum StridedLoop {
    /// Calls `body(offset0, offset1, offset2, rowLength, step0, step1, step2)` once per row.
    static func rows(shape: [Int], strides0: [Int], strides1: [Int], strides2: [Int],
                     _ body: (Int, Int, Int, Int, Int, Int, Int) -> Void) {
        let rank = shape.count
        if shape.contains(0) { return }
        guard rank > 0 else { body(0, 0, 0, 1, 0, 0, 0); return }
        let inner = shape[rank - 1]
        let step0 = strides0[rank - 1], step1 = strides1[rank - 1], step2 = strides2[rank - 1]
        var index = [Int](repeating: 0, count: rank)
        var o0 = 0, o1 = 0, o2 = 0
        while true {
            body(o0, o1, o2, inner, step0, step1, step2)
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                o0 += strides0[axis]; o1 += strides1[axis]; o2 += strides2[axis]
                if index[axis] < shape[axis] { break }
                o0 -= strides0[axis] * shape[axis]; o1 -= strides1[axis] * shape[axis]; o2 -= strides2[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
            if axis < 0 { return }
        }
    }

    /// Strides of `shape` seen from a broadcast `target` shape of equal or higher rank (0 on broadcast axes).
    static func broadcastStrides(of shape: Shape, in target: Shape) -> [Int] {
        let own = shape.strides
        let pad = target.rank - shape.rank
        return (0..<target.rank).map { axis in
            guard axis >= pad else { return 0 }
            return shape[axis - pad] == 1 && target[axis] != 1 ? 0 : own[axis - pad]
        }
    }
}
