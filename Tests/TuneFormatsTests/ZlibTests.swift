import Testing
import TuneFormats

/// The zlib wrapper on its own; the IDX and zip readers test how their files' errors name the file.
@Suite struct ZlibTests {
    private static let text = Array(String(repeating: "FineTune reads gzip and zip through one zlib wrapper. ", count: 200).utf8)

    @Test("CRC-32 matches the standard check value")
    func crc32() {
        #expect(Array("123456789".utf8).withUnsafeBytes { Zlib.crc32($0) } == 0xCBF4_3926)
        #expect([UInt8]().withUnsafeBytes { Zlib.crc32($0) } == 0)
    }

    @Test("gzip data round-trips, and concatenated members read as one stream")
    func gunzip() throws {
        let compressed = try Zlib.compress(Self.text, container: .gzip)
        #expect(compressed.withUnsafeBytes { Zlib.isGzip($0) })
        #expect(compressed.count < Self.text.count / 4)
        #expect(try compressed.withUnsafeBytes { try Zlib.gunzip($0) } == Self.text)
        let halves = try Zlib.compress(Array(Self.text[..<100]), container: .gzip)
            + Zlib.compress(Array(Self.text[100...]), container: .gzip)
        #expect(try halves.withUnsafeBytes { try Zlib.gunzip($0) } == Self.text)
    }

    @Test("truncated, corrupt and empty gzip data throw, naming the zlib call")
    func gunzipFailures() throws {
        let compressed = try Zlib.compress(Self.text, container: .gzip)
        let truncated = #expect(throws: ZlibError.self) {
            try Array(compressed.prefix(compressed.count / 2)).withUnsafeBytes { try Zlib.gunzip($0) }
        }
        #expect(truncated?.call == "inflate" && truncated?.message.contains("truncated") == true)
        var corrupt = compressed
        for i in 12..<40 { corrupt[i] ^= 0x5a }
        let damaged = #expect(throws: ZlibError.self) { try corrupt.withUnsafeBytes { try Zlib.gunzip($0) } }
        #expect(damaged?.call == "inflate")
        #expect(throws: ZlibError.self) { try [UInt8]().withUnsafeBytes { try Zlib.gunzip($0) } }
    }

    @Test("a raw deflate stream inflates to exactly its announced size, and any other size is refused")
    func inflateRaw() throws {
        // A zlib stream is a 2-byte header, the raw deflate stream and a 4-byte Adler-32 trailer.
        let wrapped = try Zlib.compress(Self.text, container: .zlib)
        let raw = Array(wrapped[2..<(wrapped.count - 4)])
        #expect(try raw.withUnsafeBytes { try Zlib.inflateRaw($0, expectedSize: Self.text.count) } == Self.text)
        let short = #expect(throws: ZlibError.self) {
            try raw.withUnsafeBytes { try Zlib.inflateRaw($0, expectedSize: Self.text.count - 1) }
        }
        #expect(short != nil)
        let bomb = #expect(throws: ZlibError.self) { try raw.withUnsafeBytes { try Zlib.inflateRaw($0, expectedSize: 1 << 30) } }
        #expect(bomb?.message.contains("impossible") == true)
    }
}
