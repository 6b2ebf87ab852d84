/// Errors thrown while reading and writing weight files. Every case names the file it concerns and, where
/// one applies, the tensor key, byte offset or pickle global at fault.
public enum FormatError: Error, Equatable, CustomStringConvertible {
    /// The file does not exist.
    case fileNotFound(path: String)
    /// The file exists but could not be opened, mapped or read.
    case readFailed(path: String, message: String)
    /// The file could not be written.
    case writeFailed(path: String, message: String)
    /// The file is neither a PyTorch zip, a legacy PyTorch pickle, a safetensors file nor an HDF5 file.
    case unknownFormat(path: String)
    /// The file ends before a structure that starts at `offset` is complete.
    case truncated(file: String, offset: Int, context: String)
    /// A pickle names a global outside the allowlist; nothing from it is ever resolved or called.
    case forbiddenGlobal(file: String, module: String, name: String)
    /// A pickle is structurally invalid at the opcode starting at `offset`.
    case malformedPickle(file: String, offset: Int, message: String)
    /// A zip archive is structurally invalid at `offset`.
    case malformedZip(file: String, offset: Int, message: String)
    /// An archive entry the format requires is missing.
    case missingEntry(file: String, entry: String)
    /// A tensor's storage holds fewer bytes than announced.
    case truncatedStorage(file: String, key: String, expectedBytes: Int, actualBytes: Int)
    /// A tensor's size, stride, offset or storage are inconsistent.
    case invalidTensor(file: String, key: String, message: String)
    /// A tensor uses an element type FineTune does not read.
    case unsupportedDType(file: String, key: String, dtype: String)
    /// Two tensors share a name.
    case duplicateKey(file: String, key: String)
    /// A safetensors header is malformed.
    case malformedHeader(file: String, message: String)
    /// A safetensors tensor's `data_offsets` are outside the buffer, overlap another tensor or disagree with its shape.
    case invalidOffsets(file: String, key: String, message: String)
    /// Deflated data in an archive is corrupt.
    case compression(file: String, entry: String, message: String)
    /// A structure is well formed but describes something FineTune does not support.
    case unsupported(file: String, message: String)
    /// libhdf5 could not open, list or read an object of an HDF5 file (`object` is its path in the file), or it is
    /// not what a weight file needs; `message` carries libhdf5's own reason.
    case hdf5(file: String, object: String, message: String)
    /// An HDF5 file is readable but is not a Keras weight file, or one of its layers is not what its attributes say.
    case notKerasWeights(file: String, message: String)

    public var description: String {
        switch self {
        case let .fileNotFound(path): return "\(path): file not found"
        case let .readFailed(path, message): return "\(path): could not read the file: \(message)"
        case let .writeFailed(path, message): return "\(path): could not write: \(message)"
        case let .unknownFormat(path): return "\(path): not a PyTorch checkpoint, safetensors or Keras HDF5 file"
        case let .truncated(file, offset, context): return "\(file): truncated at byte \(offset) while reading \(context)"
        case let .forbiddenGlobal(file, module, name):
            return "\(file): the pickle references the forbidden global \(module).\(name)"
        case let .malformedPickle(file, offset, message): return "\(file): malformed pickle at byte \(offset): \(message)"
        case let .malformedZip(file, offset, message): return "\(file): malformed zip archive at byte \(offset): \(message)"
        case let .missingEntry(file, entry): return "\(file): missing archive entry \(entry)"
        case let .truncatedStorage(file, key, expected, actual):
            return "\(file): storage \(key) is truncated: expected \(expected) bytes, found \(actual)"
        case let .invalidTensor(file, key, message): return "\(file): tensor \(key): \(message)"
        case let .unsupportedDType(file, key, dtype): return "\(file): tensor \(key) has unsupported dtype \(dtype)"
        case let .duplicateKey(file, key): return "\(file): duplicate tensor name \(key)"
        case let .malformedHeader(file, message): return "\(file): malformed safetensors header: \(message)"
        case let .invalidOffsets(file, key, message): return "\(file): tensor \(key): bad data_offsets: \(message)"
        case let .compression(file, entry, message): return "\(file): cannot inflate \(entry): \(message)"
        case let .unsupported(file, message): return "\(file): unsupported: \(message)"
        case let .hdf5(file, object, message): return "\(file): HDF5 object \(object): \(message)"
        case let .notKerasWeights(file, message): return "\(file): not a Keras weight file: \(message)"
        }
    }
}
