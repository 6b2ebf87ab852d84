import TuneCore
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

    /// The batch as one tensor `[batchSize, 3, length]` (ids, attention mask, token types, as exact floats), the form a
    /// ``Batch`` carries through the fine-tuning recipe and its feature cache.
    public func packed() throws -> Tensor {
        var values = [Float](repeating: 0, count: batchSize * 3 * length)
        let types = tokenTypes ?? [Int32](repeating: 0, count: ids.count)
        for row in 0..<batchSize {
            for position in 0..<length {
                let source = row * length + position, target = row * 3 * length + position
                values[target] = Float(ids[source])
                values[target + length] = Float(attentionMask[source])
                values[target + 2 * length] = Float(types[source])
            }
        }
        return try Tensor(shape: [batchSize, 3, length], scalars: values)
    }

    /// The token ids a ``packed()`` tensor holds.
    /// - Throws: ``LayerError/shapeMismatch(layer:expected:got:)`` for another shape, ``LayerError/invalidConfiguration(layer:message:)``
    ///   for a value that is not a whole number in the `Int32` range.
    public init(packed: Tensor) throws {
        guard packed.shape.rank == 3, packed.shape[1] == 3 else {
            throw LayerError.shapeMismatch(layer: "TokenIDs", expected: "[batch, 3, length] (ids, mask, types)", got: packed.shape)
        }
        let (batchSize, length) = (packed.shape[0], packed.shape[2])
        let values = packed.scalars
        var ids = [Int32](), mask = [Int32](), types = [Int32]()
        ids.reserveCapacity(batchSize * length)
        mask.reserveCapacity(batchSize * length)
        types.reserveCapacity(batchSize * length)
        for row in 0..<batchSize {
            for (part, offset) in [0, length, 2 * length].enumerated() {
                for position in 0..<length {
                    let value = values[row * 3 * length + offset + position]
                    guard value.rounded() == value, abs(value) < 16_777_216 else {
                        throw LayerError.invalidConfiguration(layer: "TokenIDs", message: "packed value \(value) at row \(row), position \(position) is not a token id")
                    }
                    switch part {
                    case 0: ids.append(Int32(value))
                    case 1: mask.append(Int32(value))
                    default: types.append(Int32(value))
                    }
                }
            }
        }
        try self.init(ids: ids, attentionMask: mask, tokenTypes: types, batchSize: batchSize, length: length)
    }
}
