import Foundation

/// The character classes of BERT's text normalization and pre-tokenization, as Hugging Face's `tokenizers` library
/// (the Rust core behind `BertTokenizerFast` and `tokenizer.json`) applies them, on scalar values.
///
/// `tokenizers` takes its general categories from tables of Unicode 8.0 and its canonical decompositions and
/// combining classes from tables of Unicode 9.0, while whitespace and lowercasing come from the Rust standard
/// library (current Unicode). So a punctuation mark, format character or nonspacing mark added to Unicode after 8.0
/// is none of these for BERT, and a character or combining mark added after 9.0 is left as it is by the
/// decomposition. The rules below are today's Unicode properties restricted to characters of those versions, with
/// the few characters whose category changed since listed by hand; `WordPieceParityTests` holds them to what
/// `tokenizers` does for every code point.
enum BertCharacters {
    /// The Unicode version of the general-category tables `tokenizers` uses (its `unicode_categories` crate).
    static let categoryVersion: Unicode.Version = (major: 8, minor: 0)
    /// The Unicode version of the decomposition tables `tokenizers` uses (its `unicode-normalization-alignments` crate).
    static let normalizationVersion: Unicode.Version = (major: 9, minor: 0)

    /// Characters that were punctuation in Unicode 8.0 and are not today.
    private static let formerPunctuation: Set<UInt32> = [0x166D, 0x111C9]
    /// Characters of Unicode 8.0 that are nonspacing marks today but were not then (letters, spacing marks, punctuation).
    private static let laterNonspacingMarks: Set<UInt32> = [0x1885, 0x1886, 0xA9BD, 0x111C9]
    /// Characters that were nonspacing marks in Unicode 8.0 and are spacing marks today.
    private static let formerNonspacingMarks: Set<UInt32> = [0x1734, 0x1171E]

    // MARK: ASCII

    /// `!"#$%&'()*+,-./`, `:;<=>?@`, `[\]^_` and backquote, `{|}~`: BERT's ASCII punctuation, symbols included.
    @inline(__always)
    static func isASCIIPunctuation(_ value: UInt32) -> Bool {
        (33...47).contains(value) || (58...64).contains(value) || (91...96).contains(value) || (123...126).contains(value)
    }

    // MARK: Cleaning

    /// Whether a scalar is white space (the `White_Space` property, as Rust's `char::is_whitespace`).
    @inline(__always)
    static func isWhitespace(_ value: UInt32) -> Bool {
        switch value {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    /// Whether cleaning drops the scalar: NUL, U+FFFD and every control, format (Unicode 8.0) and private-use
    /// character except tab, line feed and carriage return (which become spaces).
    static func isDroppedByCleaning(_ value: UInt32) -> Bool {
        if value < 0x80 { return (value < 0x20 && value != 0x09 && value != 0x0A && value != 0x0D) || value == 0x7F }
        if value == 0xFFFD { return true }
        guard let scalar = Unicode.Scalar(value) else { return false }
        switch scalar.properties.generalCategory {
        case .control, .privateUse: return true
        case .format: return isOlder(scalar, than: categoryVersion)
        default: return false
        }
    }

    /// Whether the scalar is a CJK ideograph that BERT surrounds with spaces (the ranges `tokenizers` lists: the
    /// unified ideographs and their extensions A–E, except the part of extension E below U+2B920, and the
    /// compatibility ideographs).
    @inline(__always)
    static func isChineseCharacter(_ value: UInt32) -> Bool {
        switch value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
             0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }

    // MARK: Pre-tokenization

    /// Whether the scalar is punctuation for BERT: ASCII punctuation and symbols, or general category P* in
    /// Unicode 8.0.
    static func isPunctuation(_ value: UInt32) -> Bool {
        if value < 0x80 { return isASCIIPunctuation(value) }
        guard let scalar = Unicode.Scalar(value) else { return false }
        if formerPunctuation.contains(value) { return true }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
             .finalPunctuation, .otherPunctuation:
            return isOlder(scalar, than: categoryVersion)
        default:
            return false
        }
    }

    // MARK: Accents and case

    /// Whether stripping accents drops the scalar: a nonspacing mark (Mn) in Unicode 8.0.
    static func isStrippedMark(_ value: UInt32) -> Bool {
        guard value >= 0x80, let scalar = Unicode.Scalar(value) else { return false }
        if formerNonspacingMarks.contains(value) { return true }
        guard scalar.properties.generalCategory == .nonspacingMark, !laterNonspacingMarks.contains(value) else {
            return false
        }
        return isOlder(scalar, than: categoryVersion)
    }

    /// The canonical combining class the decomposition orders marks by (0 for characters newer than Unicode 9.0).
    static func combiningClass(_ value: UInt32) -> UInt8 {
        guard value >= 0x300, let scalar = Unicode.Scalar(value), isOlder(scalar, than: normalizationVersion) else {
            return 0
        }
        return scalar.properties.canonicalCombiningClass.rawValue
    }

    /// Appends the full canonical decomposition of one scalar (itself when it has none, or when it is newer than
    /// Unicode 9.0).
    @inline(__always)
    static func appendDecomposition(of value: UInt32, to output: inout [UInt32]) {
        if value < 0xC0 {
            output.append(value)
        } else if (hangulFirst...hangulLast).contains(value) {
            appendHangulDecomposition(of: value, to: &output)
        } else if let pieces = decompositions[value] {
            output.append(contentsOf: pieces)
        } else {
            output.append(value)
        }
    }

    /// Appends the lowercase form of one scalar (its full mapping, which may be several scalars).
    @inline(__always)
    static func appendLowercase(of value: UInt32, to output: inout [UInt32]) {
        if value < 0x80 {
            output.append((0x41...0x5A).contains(value) ? value + 0x20 : value)
        } else if value < 0x10000 {
            if let pieces = basicLowercase[value] { output.append(contentsOf: pieces) } else { output.append(value) }
        } else if let scalar = Unicode.Scalar(value), scalar.properties.changesWhenLowercased {
            for piece in scalar.properties.lowercaseMapping.unicodeScalars { output.append(piece.value) }
        } else {
            output.append(value)
        }
    }

    /// The canonical decompositions of the Unicode 9.0 characters that have one, except Hangul syllables, found once
    /// per process with Foundation's NFD in the blocks that hold them (`WordPieceParityTests` checks every code point).
    private static let decompositions: [UInt32: [UInt32]] = {
        let blocks: [Range<UInt32>] = [0xC0..<0x3100, 0xF900..<0xFB50, 0x11000..<0x11A00, 0x1D100..<0x1D200,
                                       0x2F800..<0x2FA20]
        var table: [UInt32: [UInt32]] = [:]
        for block in blocks {
            for value in block {
                guard let scalar = Unicode.Scalar(value), isOlder(scalar, than: normalizationVersion) else { continue }
                let pieces = String(scalar).decomposedStringWithCanonicalMapping.unicodeScalars.map(\.value)
                if pieces != [value] { table[value] = pieces }
            }
        }
        return table
    }()

    /// The lowercase mappings of the Basic Multilingual Plane's characters that change, found once per process.
    private static let basicLowercase: [UInt32: [UInt32]] = {
        var table: [UInt32: [UInt32]] = [:]
        for value in UInt32(0x80)..<0x10000 {
            guard let scalar = Unicode.Scalar(value), scalar.properties.changesWhenLowercased else { continue }
            table[value] = scalar.properties.lowercaseMapping.unicodeScalars.map(\.value)
        }
        return table
    }()

    // MARK: Helpers

    /// Whether the scalar was assigned in `version` or before.
    @inline(__always)
    private static func isOlder(_ scalar: Unicode.Scalar, than version: Unicode.Version) -> Bool {
        guard let age = scalar.properties.age else { return false }
        return age.major < version.major || (age.major == version.major && age.minor <= version.minor)
    }

    // Hangul syllables decompose arithmetically (The Unicode Standard, section 3.12).
    private static let hangulFirst: UInt32 = 0xAC00
    private static let hangulLast: UInt32 = 0xD7A3
    private static let leadingBase: UInt32 = 0x1100
    private static let vowelBase: UInt32 = 0x1161
    private static let trailingBase: UInt32 = 0x11A7
    private static let vowelCount: UInt32 = 21
    private static let trailingCount: UInt32 = 28

    private static func appendHangulDecomposition(of value: UInt32, to output: inout [UInt32]) {
        let index = value - hangulFirst
        let perLeading = vowelCount * trailingCount
        output.append(leadingBase + index / perLeading)
        output.append(vowelBase + (index % perLeading) / trailingCount)
        if index % trailingCount != 0 { output.append(trailingBase + index % trailingCount) }
    }
}
