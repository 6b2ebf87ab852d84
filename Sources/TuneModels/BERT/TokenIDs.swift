import TuneData
import TuneNN

/// Token ids as an encoder reads them: `batchSize` rows of `length` ids (row-major), the attention mask (1 for a
/// token, 0 for padding) and optional token types (segment ids; all 0 when absent).
public struct TokenIDs: Sendable, Equatable {
    public let ids: [Int32]
    public let attentionMask: [Int32]
    public let tokenTypes: [Int32]?
    public let batchSize: Int
    public let length: Int

    /// - Throws: ``LayerError/invalidConfiguration(layer:message:)`` when the arrays do not hold `batchSize × length` values.
    public init(ids: [Int32], attentionMask: [Int32], tokenTypes: [Int32]? = nil, batchSize: Int, length: Int) throws {
        let count = batchSize * length
        guard batchSize > 0, length > 0, ids.count == count, attentionMask.count == count,
              tokenTypes.map({ $0.count == count }) ?? true else {
            throw LayerError.invalidConfiguration(layer: "TokenIDs", message: "expected \(batchSize)×\(length) ids, masks and types, "
                                                  + "got \(ids.count) ids, \(attentionMask.count) mask values, \(tokenTypes?.count ?? 0) types")
        }
        self.ids = ids
        self.attentionMask = attentionMask
        self.tokenTypes = tokenTypes
        self.batchSize = batchSize
        self.length = length
    }

    /// A tokenizer's padded batch as the encoder reads it.
    public init(_ batch: TokenBatch) throws {
        try self.init(ids: batch.ids, attentionMask: batch.attentionMask, tokenTypes: batch.tokenTypeIDs,
                      batchSize: batch.batchSize, length: batch.length)
    }
}
