/// A prefix tree over the scalars of a vocabulary's tokens, for exact lookups and the longest-match-first search of
/// WordPiece.
///
/// Tokens compare scalar for scalar (as Rust's strings do), not by canonical equivalence as Swift's `String`
/// does: `"é"` and `"e\u{301}"` are different tokens. The edges live in one open-addressing hash table keyed by
/// (node, scalar), so a step down the tree is one multiply and, usually, one probe.
struct TokenTrie: Sendable {
    /// The token id ending at each node, or -1.
    private var terminal: [Int32] = [-1]
    /// Edge keys `node << 21 | scalar` (0 marks an empty slot: no edge leads to the root), and their child nodes.
    private var keys: [UInt64] = []
    private var children: [Int32] = []
    private var mask = 0
    private var edgeCount = 0

    /// The root: the empty string.
    static let root: Int32 = 0

    init() { grow(to: 1 << 10) }

    /// The number of nodes.
    var nodeCount: Int { terminal.count }

    /// Records `id` as the token spelled by `scalars`, replacing an earlier id of the same token; returns the
    /// token's node.
    @discardableResult
    mutating func insert(_ scalars: some Sequence<Unicode.Scalar>, id: Int32) -> Int32 {
        var node = Self.root
        for scalar in scalars {
            if let next = child(of: node, scalar.value) {
                node = next
            } else {
                let next = Int32(terminal.count)
                terminal.append(-1)
                addEdge(from: node, scalar.value, to: next)
                node = next
            }
        }
        terminal[Int(node)] = id
        return node
    }

    /// The node reached from `node` through `scalar`, if any.
    @inline(__always)
    func child(of node: Int32, _ scalar: UInt32) -> Int32? {
        let key = Self.key(node, scalar)
        var slot = Self.slot(key, mask)
        while true {
            let found = keys[slot]
            if found == key { return children[slot] }
            if found == 0 { return nil }
            slot = (slot + 1) & mask
        }
    }

    /// The node spelled by `scalars` from the root, if any.
    func node(for scalars: some Sequence<Unicode.Scalar>) -> Int32? {
        var node = Self.root
        for scalar in scalars {
            guard let next = child(of: node, scalar.value) else { return nil }
            node = next
        }
        return node
    }

    /// The token id ending at `node`, if one does.
    @inline(__always)
    func id(at node: Int32) -> Int32? {
        let id = terminal[Int(node)]
        return id >= 0 ? id : nil
    }

    /// The longest token that, read from `start` node, spells a prefix of `word[from...]`: its length in scalars and
    /// its id; `nil` when not even one scalar matches.
    @inline(__always)
    func longestMatch(in word: UnsafeBufferPointer<UInt32>, from: Int, startNode: Int32) -> (length: Int, id: Int32)? {
        var node = startNode
        var best: (length: Int, id: Int32)?
        var index = from
        while index < word.count, let next = child(of: node, word[index]) {
            node = next
            index += 1
            let id = terminal[Int(node)]
            if id >= 0 { best = (index - from, id) }
        }
        return best
    }

    // MARK: Hash table

    @inline(__always)
    private static func key(_ node: Int32, _ scalar: UInt32) -> UInt64 {
        // Scalars fit in 21 bits; adding 1 to the node keeps every key non-zero.
        (UInt64(node) + 1) << 21 | UInt64(scalar)
    }

    @inline(__always)
    private static func slot(_ key: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    private mutating func addEdge(from node: Int32, _ scalar: UInt32, to child: Int32) {
        if (edgeCount + 1) * 2 > keys.count { grow(to: keys.count * 2) }
        place(Self.key(node, scalar), child)
        edgeCount += 1
    }

    private mutating func place(_ key: UInt64, _ child: Int32) {
        var slot = Self.slot(key, mask)
        while keys[slot] != 0 { slot = (slot + 1) & mask }
        keys[slot] = key
        children[slot] = child
    }

    private mutating func grow(to capacity: Int) {
        let oldKeys = keys
        let oldChildren = children
        keys = Array(repeating: 0, count: capacity)
        children = Array(repeating: 0, count: capacity)
        mask = capacity - 1
        for (key, child) in zip(oldKeys, oldChildren) where key != 0 { place(key, child) }
    }
}
