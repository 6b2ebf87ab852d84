import TuneCore
import TuneNN

extension Layer {
    /// Copies `state` (dotted path → tensor, like a PyTorch `state_dict`) into this layer's parameters and buffers.
    ///
    /// Keys are compared with ``Layer/namedParameters()`` and ``Layer/namedBuffers()``. A key is ignored on both
    /// sides when it equals an entry of `ignoring` or ends with `"." + entry` (by default PyTorch's BatchNorm
    /// counter `num_batches_tracked`). Shapes must match exactly. With `strict`, a missing or unexpected key is an
    /// error too; without it, matching keys are loaded and the others reported in the result.
    ///
    /// Nothing is written unless every check passes: all problems are collected into one ``LoadError``. Values
    /// are copied in place (``Tensor/assign(_:)``), so tensors held by layers and optimizers stay valid.
    /// Layers that create their weights lazily must be built first.
    /// - Returns: the keys that were missing and unexpected (both empty in strict mode).
    /// - Throws: ``LoadError`` listing every missing key, unexpected key and shape mismatch.
    @discardableResult
    public func load(_ state: [String: Tensor], strict: Bool = true,
                     ignoring: Set<String> = ["num_batches_tracked"]) throws -> (missingKeys: [String], unexpectedKeys: [String]) {
        func isIgnored(_ key: String) -> Bool {
            ignoring.contains(key) || ignoring.contains { key.hasSuffix("." + $0) }
        }
        let targets = (namedParameters() + namedBuffers()).filter { !isIgnored($0.path) }
        var targetKeys = Set<String>()
        var missing: [String] = []
        var mismatches: [LoadError.ShapeMismatch] = []
        var pairs: [(target: Tensor, source: Tensor)] = []
        for (path, tensor) in targets where targetKeys.insert(path).inserted {
            guard let source = state[path] else {
                missing.append(path)
                continue
            }
            if source.shape == tensor.shape {
                pairs.append((tensor, source))
            } else {
                mismatches.append(.init(key: path, expected: tensor.shape, got: source.shape))
            }
        }
        let unexpected = state.keys.filter { !targetKeys.contains($0) && !isIgnored($0) }.sorted()
        if !mismatches.isEmpty || (strict && !(missing.isEmpty && unexpected.isEmpty)) {
            let unbuilt = descendants().filter { !$0.layer.isBuilt }.map { $0.path.isEmpty ? "(root)" : $0.path }
            throw LoadError(missingKeys: strict ? missing : [], unexpectedKeys: strict ? unexpected : [],
                            shapeMismatches: mismatches, unbuiltLayers: unbuilt)
        }
        for (target, source) in pairs where target !== source { try target.assign(source) }
        return (missing, unexpected)
    }
}
