import CDNNL

/// Primitive attributes: the user-managed scratchpad every FineTune primitive uses, and element-wise post-ops.
extension DNNL {
    /// Runs `body` with primitive attributes that ask for a caller-provided scratchpad.
    ///
    /// With the default library-managed scratchpad, oneDNN 2.x shares one scratchpad per *thread* (thread-local),
    /// so a primitive must run on the thread that created it. Cached primitives here run from whichever thread
    /// (Swift concurrency hops threads), which crashed in oneDNN with a null scratchpad; a user scratchpad
    /// passed at execution has no such restriction.
    static func withUserScratchpad<R>(_ body: (dnnl_primitive_attr_t) throws -> R) throws -> R {
        var attributes: dnnl_primitive_attr_t?
        try check(dnnl_primitive_attr_create(&attributes), "dnnl_primitive_attr_create")
        guard let attributes else { throw missingResult("dnnl_primitive_attr_create") }
        defer { dnnl_primitive_attr_destroy(attributes) }
        try check(dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user),
                  "dnnl_primitive_attr_set_scratchpad_mode")
        return try body(attributes)
    }

    /// The scratchpad a primitive descriptor needs, or `nil` when it needs none.
    static func scratchpadDescriptor(of descriptor: dnnl_primitive_desc_t) -> MemoryDescriptor? {
        guard let queried = dnnl_primitive_desc_query_md(descriptor, dnnl_query_scratchpad_md, 0),
              dnnl_memory_desc_get_size(queried) > 0 else { return nil }
        return MemoryDescriptor(raw: queried.pointee)
    }

    /// Adds an element-wise post-op (`dst = function(dst)`) to `attributes`.
    static func appendPostOp(_ function: Eltwise, to attributes: dnnl_primitive_attr_t) throws {
        var postOps: dnnl_post_ops_t?
        try check(dnnl_post_ops_create(&postOps), "dnnl_post_ops_create")
        guard let postOps else { throw missingResult("dnnl_post_ops_create") }
        defer { dnnl_post_ops_destroy(postOps) }
        try check(dnnl_post_ops_append_eltwise(postOps, 1, function.algorithm.raw, function.alpha, function.beta),
                  "dnnl_post_ops_append_eltwise")
        try check(dnnl_primitive_attr_set_post_ops(attributes, postOps), "dnnl_primitive_attr_set_post_ops")
    }
}
