/// BERT's text normalization and pre-tokenization on Unicode scalar values, as `tokenizer.json`'s `BertNormalizer`
/// and `BertPreTokenizer` do them:
///
/// 1. clean: drop NUL, U+FFFD and control/format/private-use characters; every white space becomes a space;
/// 2. surround CJK ideographs with spaces;
/// 3. strip accents: canonical decomposition (NFD), then drop nonspacing marks;
/// 4. lowercase (full mappings, one character at a time);
/// 5. split at white space (dropped) and around each punctuation character (kept as a word of its own).
///
/// Work stays on scalars in reusable buffers; the decomposition runs only on text that holds non-ASCII characters.
struct BertNormalizer: Sendable {
    var cleanText: Bool
    var separateChineseCharacters: Bool
    var stripAccents: Bool
    var lowercase: Bool

    /// Normalizes the UTF-8 `bytes` (valid UTF-8, as a Swift string's are) into `output`, replacing its contents;
    /// `scratch` is working space.
    func normalize(_ bytes: UnsafeBufferPointer<UInt8>, into output: inout [UInt32], scratch: inout [UInt32]) {
        output.removeAll(keepingCapacity: true)
        var hasNonASCII = false
        var index = 0
        while index < bytes.count {
            let value = Self.decodeScalar(bytes, at: &index)
            if value < 0x80 {
                if cleanText {
                    if value == 0x09 || value == 0x0A || value == 0x0D {
                        output.append(0x20)
                        continue
                    }
                    if value < 0x20 || value == 0x7F { continue }
                }
                // Lowercasing ASCII here is the same as after the decomposition, which leaves ASCII alone.
                output.append(lowercase && (0x41...0x5A).contains(value) ? value + 0x20 : value)
                continue
            }
            if cleanText {
                if BertCharacters.isDroppedByCleaning(value) { continue }
                if BertCharacters.isWhitespace(value) {
                    output.append(0x20)
                    continue
                }
            }
            hasNonASCII = true
            if separateChineseCharacters && BertCharacters.isChineseCharacter(value) {
                output.append(0x20)
                output.append(value)
                output.append(0x20)
            } else {
                output.append(value)
            }
        }
        guard hasNonASCII, stripAccents || lowercase else { return }

        scratch.removeAll(keepingCapacity: true)
        if stripAccents {
            Self.appendCanonicalDecomposition(of: output, to: &scratch)
            output.removeAll(keepingCapacity: true)
            for value in scratch where !BertCharacters.isStrippedMark(value) {
                if lowercase {
                    BertCharacters.appendLowercase(of: value, to: &output)
                } else {
                    output.append(value)
                }
            }
        } else {
            for value in output { BertCharacters.appendLowercase(of: value, to: &scratch) }
            swap(&output, &scratch)
        }
    }

    /// Calls `body` with the bounds of each word of normalized `scalars`: runs between white space, and each
    /// punctuation character alone.
    @inline(__always)
    static func forEachWord(in scalars: UnsafeBufferPointer<UInt32>, _ body: (Range<Int>) -> Void) {
        var start = 0
        for index in 0..<scalars.count {
            let value = scalars[index]
            if BertCharacters.isWhitespace(value) {
                if start < index { body(start..<index) }
                start = index + 1
            } else if BertCharacters.isPunctuation(value) {
                if start < index { body(start..<index) }
                body(index..<index + 1)
                start = index + 1
            }
        }
        if start < scalars.count { body(start..<scalars.count) }
    }

    /// Appends the canonical decomposition (NFD) of `scalars`, as `tokenizers` computes it (Unicode 9.0 tables).
    static func appendCanonicalDecomposition(of scalars: [UInt32], to output: inout [UInt32]) {
        for value in scalars {
            let start = output.count
            BertCharacters.appendDecomposition(of: value, to: &output)
            for position in start..<output.count { placeInCanonicalOrder(&output, position) }
        }
    }

    /// Moves the combining mark at `position` back past the marks of a higher combining class before it (the
    /// canonical ordering of a decomposition; a stable insertion sort of each run of marks).
    @inline(__always)
    private static func placeInCanonicalOrder(_ scalars: inout [UInt32], _ position: Int) {
        let value = scalars[position]
        let combiningClass = BertCharacters.combiningClass(value)
        guard combiningClass != 0 else { return }
        var index = position
        while index > 0, BertCharacters.combiningClass(scalars[index - 1]) > combiningClass {
            scalars[index] = scalars[index - 1]
            index -= 1
        }
        scalars[index] = value
    }

    /// The scalar starting at `index` of valid UTF-8 `bytes`; advances `index` past it.
    @inline(__always)
    static func decodeScalar(_ bytes: UnsafeBufferPointer<UInt8>, at index: inout Int) -> UInt32 {
        let lead = UInt32(bytes[index])
        if lead < 0x80 {
            index += 1
            return lead
        }
        if lead < 0xE0 {
            let value = (lead & 0x1F) << 6 | UInt32(bytes[index + 1] & 0x3F)
            index += 2
            return value
        }
        if lead < 0xF0 {
            let value = (lead & 0x0F) << 12 | UInt32(bytes[index + 1] & 0x3F) << 6 | UInt32(bytes[index + 2] & 0x3F)
            index += 3
            return value
        }
        let value = (lead & 0x07) << 18 | UInt32(bytes[index + 1] & 0x3F) << 12 | UInt32(bytes[index + 2] & 0x3F) << 6
            | UInt32(bytes[index + 3] & 0x3F)
        index += 4
        return value
    }
}
