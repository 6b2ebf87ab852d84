import TuneNN

/// Just enough of a Keras functional graph to list `model.layers` as Keras does for a model whose layers are named
/// in creation order (`conv2d`, `conv2d_1`, …): the layers in the order the model creates them, each with its inputs.
///
/// Keras orders a functional model's layers by depth — the longest path from the layer to the output, deepest first —
/// and layers of equal depth by when a depth-first walk from the output, through each layer's inputs in order, first
/// meets them.
struct KerasLayerGraph {
    struct Node {
        let name: String
        let inputs: [Int]
        let layers: [Layer]
    }

    private(set) var nodes: [Node] = []
    private var counters: [String: Int] = [:]

    /// Adds a layer called `name`, or by default named as Keras names a new layer of `base` (`base`, then `base_1`,
    /// `base_2`, …), reading `inputs` (indices of earlier layers); returns its index.
    @discardableResult
    mutating func add(_ base: String, name: String? = nil, inputs: [Int], layers: [Layer] = []) -> Int {
        let resolved: String
        if let name {
            resolved = name
        } else {
            let count = counters[base, default: 0]
            counters[base] = count + 1
            resolved = count == 0 ? base : "\(base)_\(count)"
        }
        nodes.append(Node(name: resolved, inputs: inputs, layers: layers))
        return nodes.count - 1
    }

    /// The layers the model ending at `output` lists, in Keras's `model.layers` order.
    func layerOrder(output: Int) -> [Node] {
        var discovery: [Int: Int] = [:]
        var stack = [output]
        while let node = stack.popLast() {
            guard discovery[node] == nil else { continue }
            discovery[node] = discovery.count
            stack += nodes[node].inputs.reversed()    // the first input is walked first
        }
        // Nodes are created after their inputs, so walking them backwards visits each after all its consumers.
        var depth = [Int](repeating: 0, count: nodes.count)
        for node in stride(from: output, through: 0, by: -1) where discovery[node] != nil {
            for input in nodes[node].inputs { depth[input] = max(depth[input], depth[node] + 1) }
        }
        return discovery.keys.sorted { (depth[$0], -(discovery[$0] ?? 0)) > (depth[$1], -(discovery[$1] ?? 0)) }.map { nodes[$0] }
    }
}
