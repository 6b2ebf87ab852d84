import CHDF5
import Glibc
import Synchronization

/// The one place FineTune calls libhdf5 (this folder): an HDF5 file opened read-only, or created for writing, with
/// objects named by absolute paths (`/block1_conv1/block1_conv1/kernel:0`).
///
/// It reads what weight files need: the children of a group, whether an object is a group or a dataset, string and
/// number attributes, and a dataset's shape and values converted to `Float` by libhdf5 (from any float or integer
/// type it stores). It writes the same things, so tests can build files of the layout Keras writes. Every failure is a
/// ``FormatError/hdf5(file:object:message:)`` naming the file, the object and libhdf5's own reason.
///
/// Debian's libhdf5 is the serial build, which is not thread-safe: every call holds one process-wide lock.
package final class HDF5File: @unchecked Sendable {
    /// What an object in the file is.
    package enum ObjectKind: Equatable, Sendable { case group, dataset, other }

    /// The stored element type of a dataset, as far as weight files care.
    package enum ElementType: Equatable, Sendable {
        case float(bytes: Int)
        case integer(bytes: Int, signed: Bool)
        case string
        case other(String)
    }

    /// An attribute's value.
    package enum AttributeValue: Equatable, Sendable {
        case strings([String])
        case numbers([Double])
    }

    /// The file's path, as given.
    package let path: String
    private let handle: hid_t

    /// Opens the HDF5 file at `path` read-only.
    /// - Throws: ``FormatError/fileNotFound(path:)``, or ``FormatError/hdf5(file:object:message:)`` when libhdf5
    ///   cannot open it (not HDF5, truncated, unreadable).
    package init(readingAt path: String) throws(FormatError) {
        guard access(path, F_OK) == 0 else { throw FormatError.fileNotFound(path: path) }
        self.path = path
        handle = try HDF5.call(file: path, object: "/", "open the file") {
            H5Fopen(path, finetune_h5_read_only(), finetune_h5_default())
        } accepting: { $0 >= 0 }
    }

    /// Creates (or truncates) an HDF5 file at `path` for writing.
    package init(creatingAt path: String) throws(FormatError) {
        self.path = path
        handle = try HDF5.call(file: path, object: "/", "create the file") {
            H5Fcreate(path, finetune_h5_truncate(), finetune_h5_default(), finetune_h5_default())
        } accepting: { $0 >= 0 }
    }

    deinit {
        HDF5.lock.withLock { _ in _ = H5Fclose(handle) }
    }

    // MARK: Reading

    /// Whether an object exists at `object` (every parent group on the way must exist too).
    package func exists(_ object: String) -> Bool {
        guard object != "/" else { return true }
        return HDF5.lock.withLock { _ in
            var prefix = ""
            for component in object.split(separator: "/") {
                prefix += "/" + component
                guard H5Lexists(handle, prefix, finetune_h5_default()) > 0 else { return false }
            }
            return true
        }
    }

    /// What `object` is.
    package func kind(of object: String) throws(FormatError) -> ObjectKind {
        try withObject(object, "open") { id in
            switch H5Iget_type(id) {
            case H5I_GROUP: return .group
            case H5I_DATASET: return .dataset
            default: return .other
            }
        }
    }

    /// The names of the objects directly in group `group`, in name order.
    package func children(of group: String) throws(FormatError) -> [String] {
        try withObject(group, "list") { id in
            var info = H5G_info_t()
            guard H5Gget_info(id, &info) >= 0 else { return nil }
            var names: [String] = []
            for index in 0..<info.nlinks {
                let length = H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, finetune_h5_default())
                guard length >= 0 else { return nil }
                var buffer = [CChar](repeating: 0, count: Int(length) + 1)
                guard H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count,
                                         finetune_h5_default()) >= 0 else { return nil }
                names.append(String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            return names
        }
    }

    /// The names of `object`'s attributes, in name order.
    package func attributeNames(of object: String) throws(FormatError) -> [String] {
        try withObject(object, "list the attributes of") { id in
            var info = H5O_info_t()
            guard H5Oget_info2(id, &info, UInt32(H5O_INFO_NUM_ATTRS)) >= 0 else { return nil }
            var names: [String] = []
            for index in 0..<info.num_attrs {
                let length = H5Aget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, finetune_h5_default())
                guard length >= 0 else { return nil }
                var buffer = [CChar](repeating: 0, count: Int(length) + 1)
                guard H5Aget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count,
                                         finetune_h5_default()) >= 0 else { return nil }
                names.append(String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            return names
        }
    }

    /// The attribute `name` of `object`, or `nil` when it has none of that name.
    /// Strings (fixed-length, NUL-padded, or variable-length, UTF-8 or ASCII) come as `.strings`, one per element
    /// (one for a scalar); integers and floats as `.numbers`.
    package func attribute(_ name: String, of object: String) throws(FormatError) -> AttributeValue? {
        let label = "\(object) attribute \(name)"
        return try withObject(object, "read the attributes of") { id throws(FormatError) -> AttributeValue?? in
            let exists = H5Aexists(id, name)
            guard exists >= 0 else { return nil }
            guard exists > 0 else { return .some(nil) }
            let attribute = H5Aopen(id, name, finetune_h5_default())
            guard attribute >= 0 else { return nil }
            defer { H5Aclose(attribute) }
            let type = H5Aget_type(attribute), space = H5Aget_space(attribute)
            defer { H5Tclose(type); H5Sclose(space) }
            guard type >= 0, space >= 0 else { return nil }
            let count = H5Sget_simple_extent_npoints(space)
            guard count >= 0, count <= 1 << 24 else { return nil }
            switch H5Tget_class(type) {
            case H5T_STRING:
                if H5Tis_variable_str(type) > 0 {
                    let memoryType = H5Tcopy(finetune_h5_c_string())
                    defer { H5Tclose(memoryType) }
                    finetune_h5_make_variable_length(memoryType)
                    H5Tset_cset(memoryType, H5Tget_cset(type))    // libhdf5 converts no character set to another
                    var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: Int(count))
                    guard H5Aread(attribute, memoryType, &pointers) >= 0 else { return nil }
                    defer { H5Dvlen_reclaim(memoryType, space, finetune_h5_default(), &pointers) }
                    return .some(.strings(pointers.map { $0.map { String(cString: $0) } ?? "" }))
                }
                let size = H5Tget_size(type)
                guard size > 0, size <= 1 << 20 else { return nil }
                var bytes = [UInt8](repeating: 0, count: size * Int(count))
                guard H5Aread(attribute, type, &bytes) >= 0 else { return nil }
                let strings = (0..<Int(count)).map { index -> String in
                    let element = bytes[index * size..<(index + 1) * size]
                    let end = element.firstIndex(of: 0) ?? element.endIndex
                    return String(decoding: element[element.startIndex..<end], as: UTF8.self)
                }
                return .some(.strings(strings))
            case H5T_INTEGER, H5T_FLOAT:
                var values = [Double](repeating: 0, count: Int(count))
                guard H5Aread(attribute, finetune_h5_native_double(), &values) >= 0 else { return nil }
                return .some(.numbers(values))
            default:
                throw FormatError.hdf5(file: path, object: label, message: "the attribute is neither text nor numbers")
            }
        }
    }

    /// The dimensions (outermost first; empty for a scalar) and stored element type of dataset `dataset`.
    package func datasetInfo(_ dataset: String) throws(FormatError) -> (shape: [Int], type: ElementType) {
        try withObject(dataset, "read") { id throws(FormatError) -> ([Int], ElementType)? in
            guard H5Iget_type(id) == H5I_DATASET else {
                throw FormatError.hdf5(file: path, object: dataset, message: "a dataset was expected, found a group")
            }
            let space = H5Dget_space(id), type = H5Dget_type(id)
            defer { H5Sclose(space); H5Tclose(type) }
            guard space >= 0, type >= 0 else { return nil }
            let rank = H5Sget_simple_extent_ndims(space)
            guard rank >= 0, rank <= 32 else { return nil }
            var dimensions = [hsize_t](repeating: 0, count: Int(rank))
            guard H5Sget_simple_extent_dims(space, &dimensions, nil) >= 0 else { return nil }
            let size = H5Tget_size(type)
            let elementType: ElementType
            switch H5Tget_class(type) {
            case H5T_FLOAT: elementType = .float(bytes: size)
            case H5T_INTEGER: elementType = .integer(bytes: size, signed: H5Tget_sign(type) == H5T_SGN_2)
            case H5T_STRING: elementType = .string
            default: elementType = .other("HDF5 type class \(H5Tget_class(type).rawValue)")
            }
            return (dimensions.map { Int($0) }, elementType)
        }
    }

    /// The values of numeric dataset `dataset`, converted to `Float` by libhdf5, in row-major order.
    /// - Throws: when it is not numeric or holds more than `limit` elements.
    package func readFloats(_ dataset: String, limit: Int = 1 << 31) throws(FormatError) -> [Float] {
        try readNumeric(dataset, limit: limit).values
    }

    /// Dataset `dataset`'s dimensions, stored element type and values converted to `Float`, its header read once.
    /// - Throws: when it is not numeric or holds more than `limit` elements.
    package func readNumeric(_ dataset: String, limit: Int = 1 << 31) throws(FormatError)
        -> (shape: [Int], type: ElementType, values: [Float]) {
        let (shape, type) = try datasetInfo(dataset)
        switch type {
        case .float, .integer: break
        default: throw FormatError.hdf5(file: path, object: dataset, message: "the dataset is not numeric (\(type))")
        }
        var count = 1
        for dimension in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow, product <= limit else {
                throw FormatError.hdf5(file: path, object: dataset, message: "shape \(shape) holds more than \(limit) elements")
            }
            count = product
        }
        var values = [Float](repeating: 0, count: count)
        guard count > 0 else { return (shape, type, values) }
        _ = try withObject(dataset, "read") { id -> Bool? in
            let status = values.withUnsafeMutableBytes {
                H5Dread(id, finetune_h5_native_float(), finetune_h5_all(), finetune_h5_all(), finetune_h5_default(), $0.baseAddress)
            }
            return status >= 0 ? true : nil
        }
        return (shape, type, values)
    }

    // MARK: Writing

    /// Creates group `group` (its parent must exist).
    package func createGroup(_ group: String) throws(FormatError) {
        _ = try HDF5.call(file: path, object: group, "create the group") {
            let id = H5Gcreate2(handle, group, finetune_h5_default(), finetune_h5_default(), finetune_h5_default())
            if id >= 0 { H5Gclose(id) }
            return id
        } accepting: { $0 >= 0 }
    }

    /// Writes float32 dataset `dataset` of `shape` (row-major `values`); its group must exist.
    package func writeDataset(_ dataset: String, shape: [Int], values: [Float]) throws(FormatError) {
        guard shape.reduce(1, *) == values.count else {
            throw FormatError.hdf5(file: path, object: dataset, message: "\(values.count) values for shape \(shape)")
        }
        _ = try HDF5.call(file: path, object: dataset, "write the dataset") {
            let dimensions = shape.map { hsize_t($0) }
            let space = H5Screate_simple(Int32(shape.count), dimensions, nil)
            guard space >= 0 else { return -1 }
            defer { H5Sclose(space) }
            let id = H5Dcreate2(handle, dataset, finetune_h5_native_float(), space, finetune_h5_default(),
                                finetune_h5_default(), finetune_h5_default())
            guard id >= 0 else { return -1 }
            defer { H5Dclose(id) }
            return values.withUnsafeBytes {
                H5Dwrite(id, finetune_h5_native_float(), finetune_h5_all(), finetune_h5_all(), finetune_h5_default(), $0.baseAddress)
            }
        } accepting: { $0 >= 0 }
    }

    /// Sets attribute `name` of `object` to `strings`, as h5py stores a list of Python strings (variable-length UTF-8)
    /// or, with `fixedLength`, a NumPy bytes array (NUL-padded); one-dimensional, or a scalar with `scalar`.
    package func setAttribute(_ name: String, of object: String, strings: [String], scalar: Bool = false,
                              fixedLength: Bool = false) throws(FormatError) {
        let encoded = strings.map { Array($0.utf8) }
        let size = max(encoded.map(\.count).max() ?? 1, 1)
        try writeAttribute(name, of: object, count: encoded.count, scalar: scalar) { target, space in
            let type = H5Tcopy(finetune_h5_c_string())
            defer { H5Tclose(type) }
            if fixedLength {
                H5Tset_size(type, size)
                H5Tset_strpad(type, H5T_STR_NULLPAD)
            } else {
                finetune_h5_make_variable_length(type)
                H5Tset_cset(type, H5T_CSET_UTF8)
            }
            let id = H5Acreate2(target, name, type, space, finetune_h5_default(), finetune_h5_default())
            guard id >= 0 else { return -1 }
            defer { H5Aclose(id) }
            if fixedLength {
                var bytes = [UInt8](repeating: 0, count: size * encoded.count)
                for (index, string) in encoded.enumerated() {
                    bytes.replaceSubrange(index * size..<index * size + string.count, with: string)
                }
                return H5Awrite(id, type, bytes)
            }
            let cStrings = strings.map { strdup($0) }
            defer { cStrings.forEach { free($0) } }
            return cStrings.withUnsafeBufferPointer { H5Awrite(id, type, $0.baseAddress) }
        }
    }

    /// Sets attribute `name` of `object` to `numbers`, stored as float64 (h5py's type for a float list, and for an
    /// empty one).
    package func setAttribute(_ name: String, of object: String, numbers: [Double], scalar: Bool = false) throws(FormatError) {
        try writeAttribute(name, of: object, count: numbers.count, scalar: scalar) { target, space in
            let id = H5Acreate2(target, name, finetune_h5_native_double(), space, finetune_h5_default(), finetune_h5_default())
            guard id >= 0 else { return -1 }
            defer { H5Aclose(id) }
            return numbers.withUnsafeBufferPointer { H5Awrite(id, finetune_h5_native_double(), $0.baseAddress) }
        }
    }

    /// Opens `object` and a dataspace of `count` elements (or a scalar) and runs `write`, which creates the attribute.
    private func writeAttribute(_ name: String, of object: String, count: Int, scalar: Bool,
                                _ write: (_ target: hid_t, _ space: hid_t) -> herr_t) throws(FormatError) {
        _ = try HDF5.call(file: path, object: "\(object) attribute \(name)", "write the attribute") {
            let target = H5Oopen(handle, object, finetune_h5_default())
            guard target >= 0 else { return -1 }
            defer { H5Oclose(target) }
            let space = scalar && count == 1 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, [hsize_t(count)], nil)
            guard space >= 0 else { return -1 }
            defer { H5Sclose(space) }
            return write(target, space)
        } accepting: { $0 >= 0 }
    }

    // MARK: Handles

    /// Opens `object`, runs `body` on its handle and closes it; `body` returns `nil` when a libhdf5 call failed.
    private func withObject<T>(_ object: String, _ action: String, _ body: (hid_t) throws(FormatError) -> T?) throws(FormatError) -> T {
        try HDF5.lock.withLock { _ throws(FormatError) -> T in
            HDF5.clearErrors()
            let id = H5Oopen(handle, object, finetune_h5_default())
            guard id >= 0 else {
                throw FormatError.hdf5(file: path, object: object, message: "cannot \(action) it: " + HDF5.lastError(or: "no such object"))
            }
            defer { H5Oclose(id) }
            guard let result = try body(id) else {
                throw FormatError.hdf5(file: path, object: object, message: "cannot \(action) it: " + HDF5.lastError(or: "libhdf5 failed"))
            }
            return result
        }
    }
}

/// libhdf5's process-wide state: the lock every call holds, and its error stack, which FineTune captures instead of
/// letting the library print it.
enum HDF5 {
    static let lock: Mutex<Void> = {
        // libhdf5 calls this when an API function fails, before it returns (later calls clear the stack on entry):
        // keep the reasons for `lastError` instead of printing them to stderr.
        H5Eset_auto2(finetune_h5_error_default(), { stack, _ in
            HDF5.captured = HDF5.reasons(on: stack)
            return 0
        }, nil)
        return Mutex(())
    }()

    /// The reasons of the last failure, captured while its stack existed. Read and written only under `lock`.
    nonisolated(unsafe) private static var captured: [String] = []

    /// Runs one libhdf5 call holding the lock; throws naming `file`, `object` and libhdf5's reason unless `accepting`
    /// its result.
    static func call<T>(file: String, object: String, _ action: String, _ body: () -> T,
                        accepting: (T) -> Bool) throws(FormatError) -> T {
        try lock.withLock { _ throws(FormatError) -> T in
            clearErrors()
            let result = body()
            guard accepting(result) else {
                throw FormatError.hdf5(file: file, object: object, message: "cannot \(action): " + lastError(or: "libhdf5 failed"))
            }
            return result
        }
    }

    /// Forgets the last failure. Call with the lock held.
    static func clearErrors() { captured = [] }

    /// The innermost reasons of the last failure (libhdf5's own words, e.g. "truncated file: eof = …"), or `fallback`
    /// when there was none. Call with the lock held.
    static func lastError(or fallback: String) -> String {
        captured.isEmpty ? fallback : captured.prefix(2).joined(separator: "; ")
    }

    /// The distinct descriptions on error stack `stack`, innermost first.
    private static func reasons(on stack: hid_t) -> [String] {
        final class Messages { var list: [String] = [] }
        let messages = Messages()
        let walker: H5E_walk2_t = { _, error, data in
            guard let error, let data, let description = error.pointee.desc else { return 0 }
            let text = String(cString: description)
            let messages = Unmanaged<Messages>.fromOpaque(data).takeUnretainedValue()
            if !text.isEmpty, !messages.list.contains(text) { messages.list.append(text) }
            return 0
        }
        _ = withExtendedLifetime(messages) {
            H5Ewalk2(stack, H5E_WALK_UPWARD, walker, Unmanaged.passUnretained(messages).toOpaque())
        }
        return messages.list
    }
}
