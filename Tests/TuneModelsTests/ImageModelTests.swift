import Testing
import TuneData
@testable import TuneModels

@Suite("Model preprocessing")
struct ImageModelTests {
    @Test("the data pipeline takes the normalization and input size from the model")
    func preprocessingTravelsWithTheModel() {
        let model = EfficientNetLite(variant: .lite1, includeTop: false)
        let preprocessing = ImagePreprocessing(for: model)
        #expect(preprocessing.height == 240 && preprocessing.width == 240)
        #expect(preprocessing.normalization == .symmetric127)
        #expect(ImagePreprocessing(for: model, size: 64).outputShape == [3, 64, 64])
    }
}
