import Testing
import TuneData

@Suite("IDX files")
struct IDXFileTests {
    @Test("an uncompressed image file round-trips")
    func readsUncompressedImages() throws {
        let directory = try TemporaryDirectory()
        let body = sampleImages(count: 3, rows: 4, cols: 5)
        let path = try directory.write("images", try IDXFile.encode(dimensions: [3, 4, 5], bytes: body))
        let file = try IDXFile(contentsOf: path, expectedMagic: IDXFile.imagesMagic)
        #expect(file.dimensions == [3, 4, 5])
        #expect(file.bytes == body)
        #expect(file.magic == IDXFile.imagesMagic)
        #expect(file.path == path)
    }

    @Test("a gzip-compressed label file round-trips")
    func readsGzippedLabels() throws {
        let directory = try TemporaryDirectory()
        let labels: [UInt8] = [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]
        let path = try directory.writeGzip("labels.gz", try IDXFile.encode(dimensions: [10], bytes: labels))
        let file = try IDXFile(contentsOf: path, expectedMagic: IDXFile.labelsMagic)
        #expect(file.dimensions == [10])
        #expect(file.bytes == labels)
    }

    @Test("a large gzip file spanning many output chunks round-trips")
    func readsLargeGzip() throws {
        let directory = try TemporaryDirectory()
        let body = sampleImages(count: 3000, rows: 28, cols: 28)
        let path = try directory.writeGzip("big.gz", try IDXFile.encode(dimensions: [3000, 28, 28], bytes: body))
        let file = try IDXFile(contentsOf: path)
        #expect(file.dimensions == [3000, 28, 28])
        #expect(file.bytes == body)
    }

    @Test("two concatenated gzip members read as one file")
    func readsConcatenatedGzipMembers() throws {
        let directory = try TemporaryDirectory()
        let encoded = try IDXFile.encode(dimensions: [6], bytes: [1, 2, 3, 4, 5, 6])
        let first = try directory.gzipped(Array(encoded[..<7]))
        let second = try directory.gzipped(Array(encoded[7...]))
        let path = try directory.write("two.gz", first + second)
        #expect(try IDXFile(contentsOf: path).bytes == [1, 2, 3, 4, 5, 6])
    }

    @Test("a bad magic number is rejected, naming the file")
    func rejectsBadMagic() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("bad-magic", [0x12, 0x34, 0x08, 0x01, 0, 0, 0, 1, 7])
        let error = #expect(throws: DataError.self) { try IDXFile(contentsOf: path) }
        #expect(error == .badMagic(path: path, found: 0x1234_0801, expected: nil))
        #expect(error?.description.contains(path) == true)
    }

    @Test("a label file where images are expected is rejected")
    func rejectsWrongKind() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("labels", try IDXFile.encode(dimensions: [2], bytes: [1, 2]))
        let error = #expect(throws: DataError.self) { try IDXFile(contentsOf: path, expectedMagic: IDXFile.imagesMagic) }
        #expect(error == .badMagic(path: path, found: IDXFile.labelsMagic, expected: IDXFile.imagesMagic))
        #expect(error?.description.contains("0x00000803") == true)
    }

    @Test("an element type other than unsigned bytes is rejected")
    func rejectsOtherDataTypes() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("floats", [0, 0, 0x0D, 0x01, 0, 0, 0, 1, 0, 0, 0, 0])
        #expect(throws: DataError.unsupportedDataType(path: path, code: 0x0D)) { try IDXFile(contentsOf: path) }
    }

    @Test("truncated data is rejected with the expected and actual sizes")
    func rejectsTruncatedData() throws {
        let directory = try TemporaryDirectory()
        let full = try IDXFile.encode(dimensions: [2, 3, 3], bytes: sampleImages(count: 2, rows: 3, cols: 3))
        let path = try directory.write("short", Array(full.dropLast(5)))
        let error = #expect(throws: DataError.self) { try IDXFile(contentsOf: path) }
        #expect(error == .truncated(path: path, expectedBytes: full.count, actualBytes: full.count - 5))
        #expect(error?.description.contains(path) == true)
    }

    @Test("a truncated header is rejected")
    func rejectsTruncatedHeader() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("header", [0, 0, 8, 3, 0, 0, 0, 1, 0, 0])
        #expect(throws: DataError.truncated(path: path, expectedBytes: 16, actualBytes: 10)) { try IDXFile(contentsOf: path) }
        let tiny = try directory.write("tiny", [0, 0])
        #expect(throws: DataError.truncated(path: tiny, expectedBytes: 4, actualBytes: 2)) { try IDXFile(contentsOf: tiny) }
    }

    @Test("bytes beyond what the header announces are rejected")
    func rejectsTrailingBytes() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("long", try IDXFile.encode(dimensions: [2], bytes: [1, 2]) + [3])
        #expect(throws: DataError.sizeMismatch(path: path, expectedBytes: 10, actualBytes: 11)) { try IDXFile(contentsOf: path) }
    }

    @Test("dimensions whose product overflows are rejected")
    func rejectsOverflowingDimensions() throws {
        let directory = try TemporaryDirectory()
        let huge: [UInt8] = [0xff, 0xff, 0xff, 0xff]
        let path = try directory.write("huge", [0, 0, 8, 3] + huge + huge + huge)
        let error = #expect(throws: DataError.self) { try IDXFile(contentsOf: path) }
        guard case .malformed(let named, _)? = error else {
            Issue.record("expected .malformed, got \(String(describing: error))")
            return
        }
        #expect(named == path)
    }

    @Test("a truncated gzip file is rejected, naming the file")
    func rejectsTruncatedGzip() throws {
        let directory = try TemporaryDirectory()
        let compressed = try directory.gzipped(try IDXFile.encode(dimensions: [500, 28, 28],
                                                                  bytes: sampleImages(count: 500, rows: 28, cols: 28)))
        let path = try directory.write("cut.gz", Array(compressed.prefix(compressed.count / 2)))
        let error = #expect(throws: DataError.self) { try IDXFile(contentsOf: path) }
        guard case .compression(let named, _, let status)? = error else {
            Issue.record("expected .compression, got \(String(describing: error))")
            return
        }
        #expect(named == path)
        #expect(status.contains("truncated"))
        #expect(error?.description.contains(path) == true)
    }

    @Test("a gzip file missing only its trailer is rejected")
    func rejectsGzipWithoutTrailer() throws {
        let directory = try TemporaryDirectory()
        let compressed = try directory.gzipped(try IDXFile.encode(dimensions: [4], bytes: [1, 2, 3, 4]))
        let path = try directory.write("no-trailer.gz", Array(compressed.dropLast(3)))
        #expect(throws: DataError.self) { try IDXFile(contentsOf: path) }
    }

    @Test("corrupt gzip data is rejected with zlib's message")
    func rejectsCorruptGzip() throws {
        let directory = try TemporaryDirectory()
        var compressed = try directory.gzipped(try IDXFile.encode(dimensions: [300, 28, 28],
                                                                  bytes: sampleImages(count: 300, rows: 28, cols: 28)))
        for i in 12..<min(compressed.count - 8, 60) { compressed[i] ^= 0x5a }
        let path = try directory.write("corrupt.gz", compressed)
        let error = #expect(throws: DataError.self) { try IDXFile(contentsOf: path) }
        guard case .compression(let named, let call, _)? = error else {
            Issue.record("expected .compression, got \(String(describing: error))")
            return
        }
        #expect(named == path)
        #expect(call == "inflate")
    }

    @Test("a missing file is reported by name")
    func reportsMissingFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("nowhere-idx3-ubyte.gz")
        let error = #expect(throws: DataError.self) { try IDXFile(contentsOf: path) }
        #expect(error == .fileNotFound(path: path))
        #expect(error?.description.contains("nowhere-idx3-ubyte.gz") == true)
    }

    @Test("encoding rejects a byte count that does not match the dimensions")
    func encodeValidates() {
        #expect(throws: DataError.self) { try IDXFile.encode(dimensions: [2, 2], bytes: [1, 2, 3]) }
        #expect(throws: DataError.self) { try IDXFile.encode(dimensions: [], bytes: []) }
    }
}
