import Testing
@testable import TuneModels

@Suite("SHA-256")
struct SHA256Tests {
    @Test("matches the FIPS 180-4 examples and is independent of how the input is split")
    func knownDigests() {
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(SHA256.hex(long) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        let million = [UInt8](repeating: 0x61, count: 1_000_000)
        var pieces = SHA256()
        var start = 0
        for size in [1, 63, 64, 65, 1000, 7] + Array(repeating: 4096, count: 300) where start < million.count {
            let end = min(start + size, million.count)
            pieces.update(Array(million[start..<end]))
            start = end
        }
        pieces.update(Array(million[start...]))
        #expect(pieces.finalizeHex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}
