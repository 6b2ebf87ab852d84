import Foundation
import TuneCore
import TuneData
import TuneNN

/// One class with its probability.
public struct ClassProbability: Sendable, Codable, Equatable {
    public let index: Int
    public let label: String
    public let probability: Float
}

/// The top classes for one image file.
public struct FilePrediction: Sendable, Codable, Equatable {
    public let file: String
    public let top: [ClassProbability]
}

/// Classifies image files with a model: decode → evaluation centre crop → resize → the model's normalization →
/// forward in inference mode → softmax → top-k.
public struct ImageClassifier {
    public let model: Layer
    public let labels: [String]
    public let preprocessing: ImagePreprocessing
    /// Extra border TensorFlow's evaluation crop removes (32 at 224²); 0 resizes the largest centred square.
    public let cropPadding: Int

    public init(model: Layer, labels: [String], inputSize: Int, normalization: Normalization,
                method: ResizeMethod = .bicubic, cropPadding: Int = 32) {
        self.model = model
        self.labels = labels
        preprocessing = ImagePreprocessing(height: inputSize, width: inputSize, method: method, normalization: normalization)
        self.cropPadding = cropPadding
    }

    /// The network input for one decoded image, `[3, size, size]`.
    public func input(for image: PixelImage) throws -> [Float] {
        let region = EvaluationCrop.region(width: image.width, height: image.height, size: preprocessing.height,
                                           cropPadding: cropPadding)
        // Crop first, then resize the crop on its own (as the reference pipeline does with PIL), so the
        // antialiasing filter does not reach past the crop's edge.
        let crop = try image.cropped(to: region)
        var output = [Float](repeating: 0, count: preprocessing.outputCount)
        try output.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            try preprocessing.render(crop, into: base)
        }
        return output
    }

    /// The `top` most probable classes of each file, in the order given.
    public func predict(files: [String], top: Int = 5) throws -> [FilePrediction] {
        guard top > 0 else { throw DataError.invalidArgument(message: "top must be positive, got \(top)") }
        return try files.map { file in
            let image = try ImageCodec.decode(contentsOf: file)
            let shape = Shape([1] + preprocessing.outputShape)
            let logits = try withoutGradient { try model(try Tensor(shape: shape, scalars: try input(for: image))) }
            let probabilities = try logits.softmax().scalars
            guard probabilities.count == labels.count else {
                throw DataError.inconsistent(message: "the model gives \(probabilities.count) scores for \(labels.count) labels")
            }
            let best = probabilities.indices.sorted { probabilities[$0] > probabilities[$1] }.prefix(top)
            return FilePrediction(file: file, top: best.map { ClassProbability(index: $0, label: labels[$0],
                                                                                 probability: probabilities[$0]) })
        }
    }
}
