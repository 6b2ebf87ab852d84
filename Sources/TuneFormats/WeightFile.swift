/// Reads any weight file FineTune understands, choosing the reader from the file's first bytes.
public enum WeightFile {
    /// The container formats ``WeightFile`` recognizes.
    public enum Format: String, Sendable, Codable {
        /// `torch.save`'s zip archive (PyTorch 1.6 and later).
        case pytorchZip = "pytorch-zip"
        /// `torch.save`'s legacy sequence of pickles followed by raw storages.
        case pytorchLegacy = "pytorch-legacy"
        /// Hugging Face safetensors.
        case safetensors
        /// A Keras weight file in HDF5, legacy `.h5` or Keras 3 `.weights.h5` (``KerasWeights``).
        case kerasHDF5 = "keras-hdf5"
    }

    /// The state dictionary stored at `path`, whatever its format.
    public static func read(path: String) throws -> StateDictionary {
        let mapped = try MappedFile(path: path)
        if try mapped.withBytes({ try format(of: $0, file: path) }) == .kerasHDF5 { return try KerasWeights.read(path: path) }
        return try mapped.withBytes { try read(bytes: $0, file: path) }
    }

    /// Reads weight-file `bytes` of any format, naming `file` in errors.
    static func read(bytes: UnsafeRawBufferPointer, file: String) throws -> StateDictionary {
        switch try format(of: bytes, file: file) {
        case .pytorchZip: return try PyTorchCheckpoint.readZip(bytes, file: file)
        case .pytorchLegacy: return try PyTorchCheckpoint.readLegacy(bytes, file: file)
        case .safetensors: return try Safetensors.read(bytes: bytes, file: file)
        case .kerasHDF5: throw FormatError.unsupported(file: file, message: "HDF5 files are read from a path, through libhdf5")
        }
    }

    /// The format of the file at `path`, from its first bytes.
    public static func format(path: String) throws -> Format {
        let mapped = try MappedFile(path: path)
        return try mapped.withBytes { try format(of: $0, file: path) }
    }

    /// Sniffs `bytes`: a zip local header, the HDF5 signature, a legacy magic-number pickle, a safetensors length followed by `{`, or
    /// failing those a pickle `PROTO` (a legacy checkpoint pickled with protocol 3–5).
    static func format(of bytes: UnsafeRawBufferPointer, file: String) throws -> Format {
        if ZipArchive.isZip(bytes) { return .pytorchZip }
        if KerasWeights.isHDF5(bytes) { return .kerasHDF5 }
        if PyTorchCheckpoint.isLegacy(bytes) { return .pytorchLegacy }
        if bytes.count >= 9, bytes[8] == UInt8(ascii: "{") { return .safetensors }
        if PyTorchCheckpoint.mayBeLegacy(bytes) { return .pytorchLegacy }
        throw FormatError.unknownFormat(path: file)
    }
}
