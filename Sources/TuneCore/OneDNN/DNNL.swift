import CDNNL

/// The one place FineTune calls oneDNN (2.x C API). Every `dnnl_*` call lives in this folder; the ops
/// (`Ops+*.swift`) keep the shapes and the autodiff rules and describe primitives with the Swift types here:
///
/// - ``DNNL``: status checks (thrown ``TensorError/backend(library:call:status:)`` naming the call), argument and
///   propagation kinds, the library version;
/// - ``MemoryDescriptor``: plain, `any` and channel-blocked layouts, their dims, sizes and cache keys;
/// - ``DNNLPrimitive``: a created primitive with the reorders between its layouts and the callers' (`Primitive.swift`),
///   made by the factories in `Primitives+Convolution.swift`, `Primitives+Eltwise.swift`, `Primitives+BatchNorm.swift`,
///   `Primitives+LayerNorm.swift` and `Primitives+Pooling.swift`;
/// - ``DNNLContext``: the engine, stream, primitive cache and scratch buffers (`Context.swift`);
/// - ``OpenMPTeam``: the OpenMP thread team oneDNN runs on, which FineTune's own loops share (`OpenMPTeam.swift`).
///
/// Moving to oneDNN 3.x, which removed the op-descriptor API (`dnnl_*_desc_init` + `dnnl_primitive_desc_create`)
/// in favour of one `dnnl_*_primitive_desc_create` per primitive and made memory descriptors opaque handles,
/// is work inside this folder only: the factories in `Primitives+*.swift` and ``MemoryDescriptor`` change, the ops
/// and ``NativeLayout`` do not.
enum DNNL {
    /// Throws when `status` is not success, naming the call.
    static func check(_ status: dnnl_status_t, _ call: StaticString) throws {
        guard status != dnnl_success else { return }
        let text = dnnl_status2str(status).map { String(cString: $0) } ?? "\(status.rawValue)"
        throw TensorError.backend(library: "oneDNN", call: "\(call)", status: text)
    }

    /// The error for a call that reported success but returned no object.
    static func missingResult(_ call: StaticString) -> TensorError {
        TensorError.backend(library: "oneDNN", call: "\(call)", status: "null")
    }

    /// The threading runtime the loaded oneDNN library was built with (`OpenMP` here: ``OpenMPTeam`` relies on it).
    static var cpuRuntime: String {
        guard let version = dnnl_version()?.pointee else { return "unknown" }
        switch version.cpu_runtime {
        case 0: return "none"
        case 1: return "sequential"
        case 2: return "OpenMP"
        case 4: return "TBB"
        case 8: return "threadpool"
        case let other: return "runtime \(other)"
        }
    }

    /// oneDNN's version, e.g. `2.6.3`.
    static var version: String {
        guard let version = dnnl_version()?.pointee else { return "unknown" }
        return "\(version.major).\(version.minor).\(version.patch)"
    }

    /// What a primitive computes: training keeps what the backward pass needs (e.g. a pooling workspace).
    enum PropagationKind {
        case forwardTraining, forwardInference

        var raw: dnnl_prop_kind_t {
            switch self {
            case .forwardTraining: return dnnl_forward_training
            case .forwardInference: return dnnl_forward_inference
            }
        }
    }

    /// The role of one buffer in a primitive's execution (oneDNN's `DNNL_ARG_*`).
    enum Argument: Hashable {
        case source, destination, weights, bias
        case diffSource, diffDestination, diffWeights, diffBias
        case mean, variance, scale, shift, diffScale, diffShift
        case workspace

        /// oneDNN's argument index.
        var code: Int32 {
            switch self {
            case .source: return DNNL_ARG_SRC
            case .destination: return DNNL_ARG_DST
            case .weights: return DNNL_ARG_WEIGHTS
            case .bias: return DNNL_ARG_BIAS
            case .diffSource: return DNNL_ARG_DIFF_SRC
            case .diffDestination: return DNNL_ARG_DIFF_DST
            case .diffWeights: return DNNL_ARG_DIFF_WEIGHTS
            case .diffBias: return DNNL_ARG_DIFF_BIAS
            case .mean: return DNNL_ARG_MEAN
            case .variance: return DNNL_ARG_VARIANCE
            case .scale: return DNNL_ARG_SCALE
            case .shift: return DNNL_ARG_SHIFT
            case .diffScale: return DNNL_ARG_DIFF_SCALE
            case .diffShift: return DNNL_ARG_DIFF_SHIFT
            case .workspace: return DNNL_ARG_WORKSPACE
            }
        }
    }
}
