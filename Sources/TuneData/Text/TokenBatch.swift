/// One text encoded for a BERT-style model: `[CLS]`, its word pieces, `[SEP]`.
public struct TokenizedText: Sendable, Equatable {
    /// The token ids, `[CLS]` first and `[SEP]` last.
    public let ids: [Int32]
    /// How many word pieces truncation cut off (0 when the text fit).
    public let truncatedCount: Int

    /// Pairs ids with the number of pieces truncation removed.
    public init(ids: [Int32], truncatedCount: Int = 0) {
        self.ids = ids
        self.truncatedCount = truncatedCount
    }

    /// The number of ids.
    public var count: Int { ids.count }
    /// Whether truncation cut the text.
    public var wasTruncated: Bool { truncatedCount > 0 }
    /// 1 for every id (a single text has no padding).
    public var attentionMask: [Int32] { [Int32](repeating: 1, count: ids.count) }
    /// 0 for every id (one segment).
    public var tokenTypeIDs: [Int32] { [Int32](repeating: 0, count: ids.count) }
}

/// Encoded texts padded to the longest of them (dynamic padding), as row-major `[batchSize, length]` arrays.
public struct TokenBatch: Sendable, Equatable {
    /// The number of texts (rows).
    public let batchSize: Int
    /// The length of every row: the longest text's id count.
    public let length: Int
    /// Token ids, `[batchSize, length]` row-major; padding holds the padding id.
    public let ids: [Int32]
    /// 1 on tokens, 0 on padding, `[batchSize, length]`.
    public let attentionMask: [Int32]
    /// Segment ids, all 0, `[batchSize, length]`.
    public let tokenTypeIDs: [Int32]
    /// The unpadded length of each row.
    public let lengths: [Int]
    /// How many texts truncation cut.
    public let truncatedTexts: Int

    /// Stacks `texts`, padding each with `paddingID` (the vocabulary's `[PAD]`) to the longest.
    public init(_ texts: [TokenizedText], paddingID: Int32) {
        let length = texts.map(\.count).max() ?? 0
        var ids = [Int32](repeating: paddingID, count: texts.count * length)
        var mask = [Int32](repeating: 0, count: texts.count * length)
        for (row, text) in texts.enumerated() {
            let start = row * length
            for (column, id) in text.ids.enumerated() {
                ids[start + column] = id
                mask[start + column] = 1
            }
        }
        batchSize = texts.count
        self.length = length
        self.ids = ids
        attentionMask = mask
        tokenTypeIDs = [Int32](repeating: 0, count: texts.count * length)
        lengths = texts.map(\.count)
        truncatedTexts = texts.count(where: \.wasTruncated)
    }

    /// The ids of row `row` without its padding.
    public func ids(row: Int) -> ArraySlice<Int32> {
        ids[row * length..<row * length + lengths[row]]
    }
}
