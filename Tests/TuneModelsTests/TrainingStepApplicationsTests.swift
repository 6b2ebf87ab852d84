import Foundation
import Testing
import TestFixtures
import TuneCore
@testable import TuneModels
import TuneNN

/// What `reference/training_step_fixtures.py` recorded: Keras's float64 training step of a headless model at a small
/// size with a formula `Dense` head, on the formula inputs and fixed labels.
struct TrainingStepReference: Decodable {
    struct Weight: Decodable {
        let k: Int
        let shape: [Int]
        let fan_in: Int?
    }

    /// One step as `reference/training_step_fixtures.py` recorded it in float64, with Keras's float32 run of it.
    struct Step: Decodable {
        struct Values: Decodable {
            let loss: Double
            let logits: [[Double]]
            let gradient_norms: [String: Double]
        }
        /// Keras's `training` flag: BatchNorm on batch statistics when `true`, on its running statistics when `false`.
        let training: Bool
        let loss: Double
        let logits: [[Double]]
        let gradient_norms: [String: Double]
        /// The weights held to 1e-4: the head, then the late layers.
        let late_layers: [String]
        /// Biases whose gradient is zero (a convolution's before a BatchNorm on batch statistics).
        let zero_gradient: [String]
        /// The same step in float32 (Keras on torch), for comparison.
        let float32: Values
    }

    let model: String
    let size: Int
    let batch: Int
    let labels: [Int]
    let classes: Int
    let head_kernel: Weight
    let head_bias: Weight
    /// By mode: `training` (every model), `frozen_batchnorm` (ResNet50).
    let steps: [String: Step]

    static func load(_ model: String) throws -> TrainingStepReference {
        let url = ReferenceFormula.applicationsFolder.appendingPathComponent("\(model)_training_step.json")
        return try JSONDecoder().decode(TrainingStepReference.self, from: Data(contentsOf: url))
    }

    static func isPresent(_ model: String) -> Bool {
        FileManager.default.fileExists(atPath: ReferenceFormula.applicationsFolder
            .appendingPathComponent("\(model)_training_step.json").path)
    }
}

extension Fixture {
    /// The float64 training-step reference of `reference/training_step_fixtures.py` for `model`.
    static func trainingStepReference(_ model: String) -> Fixture {
        Fixture("the training-step reference \(model)_training_step.json", remedy: "it is committed under "
                + "Tests/TuneModelsTests/Fixtures/applications; regenerate it with reference/training_step_fixtures.py --models \(model)") {
            TrainingStepReference.isPresent(model)
        }
    }
}

/// How far one float32 FineTune step is from Keras's float64 step, and how far Keras's own float32 step is.
struct TrainingStepErrors {
    var loss = 0.0, kerasLoss = 0.0, logits = 0.0
    /// Relative errors of the late layers' gradient norms: ours, Keras float32's.
    var late: [(key: String, ours: Double, keras: Double)] = []
    /// The zero gradients' norms relative to their layer's kernel gradient norm.
    var zero: [(key: String, ours: Double)] = []
    /// The worst relative error among the other (early) layers.
    var worstOther = (key: "", ours: 0.0, keras: 0.0)
    var seconds = (file: 0.0, step: 0.0)

    var worstLate: Double { late.map(\.ours).max() ?? 0 }
    var worstKerasLate: Double { late.map(\.keras).max() ?? 0 }
}

/// Runs one float32 training step of Keras-flavour `name` (headless, with the recorded formula head) as `mode` of
/// `<name>_training_step.json` says, and measures it against the float64 reference.
func measureTrainingStep(_ name: String, mode: String) throws -> TrainingStepErrors {
    let clock = ContinuousClock.now
    let structure = try ApplicationsReference.load(name)
    let reference = try TrainingStepReference.load(name)
    let step = try #require(reference.steps[mode], "\(name): no step \(mode)")
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("finetune-step-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }

    // A headless legacy file, as Keras's `_notop` downloads: the recorded full model's layers that the headless
    // model does not list are left out.
    let path = folder.appendingPathComponent("\(name)_notop.h5").path
    let headlessLayers = Set(applicationsModel(name, flavour: .keras, includeTop: false).frameworkLayers.map(\.name))
    let top = Set(structure.keras.weights.map(\.layer)).subtracting(headlessLayers)
    try structure.writeKerasFile(structure.keras.legacy_h5, to: path, scrambled: true, omitting: top)
    let base: any ImageBackbone = name == "vgg16" ? try VGG16(weights: .file(path), includeTop: false)
                                                  : try ResNet50(weights: .file(path), includeTop: false)
    // Keras's `training=False`: every BatchNorm on its running statistics while γ and β train.
    if !step.training {
        for case let norm as BatchNorm in base.descendants().map(\.layer) { norm.usesRunningStatistics = true }
    }
    let written = ContinuousClock.now

    // The head: Keras's kernel is [in, out], FineTune's dense weight [out, in].
    let channels = base.featureShape(height: reference.size, width: reference.size)[0]
    #expect(reference.head_kernel.shape == [channels, reference.classes])
    let head = Dense(reference.classes, inFeatures: channels)
    let kernel = ReferenceFormula.weights(kind: .kernel, count: channels * reference.classes, k: reference.head_kernel.k,
                                          fanIn: reference.head_kernel.fan_in, scrambled: true)
    try #require(head.weight).assign(try Tensor(shape: [channels, reference.classes], scalars: kernel).transposed([1, 0]))
    let bias = ReferenceFormula.weights(kind: .bias, count: reference.classes, k: reference.head_bias.k, fanIn: nil, scrambled: true)
    try #require(head.bias).assign(try Tensor(shape: [reference.classes], scalars: bias))

    let input = try Tensor(shape: [reference.batch, 3, reference.size, reference.size],
                           scalars: ReferenceFormula.inputs(batch: reference.batch, size: reference.size))
    let context = ForwardContext(isTraining: true)
    let logits = try head(try base(input, context: context).globalAveragePool2d(), context: context)
    let labels = try Tensor(shape: [reference.batch], scalars: reference.labels.map { Float($0) })
    let loss = try Loss.sparseCategoricalCrossEntropy(fromLogits: true)(logits, labels)
    try loss.backward()
    let stepped = ContinuousClock.now

    var errors = TrainingStepErrors()
    func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
    errors.seconds = (seconds(written - clock), seconds(stepped - written))
    errors.loss = abs(Double(try loss.scalar()) - step.loss) / step.loss
    errors.kerasLoss = abs(step.float32.loss - step.loss) / step.loss
    let logitScale = max(step.logits.joined().map(abs).max() ?? 0, 1)
    errors.logits = (zip(logits.scalars, step.logits.joined()).map { abs(Double($0) - $1) }.max() ?? .infinity) / logitScale

    // Keras's `<layer>/<index>` through the model's key map to FineTune's parameter path.
    var gradients: [String: Tensor] = [:]
    for (parameterPath, tensor) in base.namedParameters() { gradients[parameterPath] = tensor.gradient }
    let keyMap = base.checkpointKeyMap
    func norm(_ key: String) throws -> Double {
        let gradient: Tensor?
        switch key {
        case "head/0": gradient = head.weight?.gradient
        case "head/1": gradient = head.bias?.gradient
        default:
            let parameterPath = try #require(keyMap.modelPath(for: key), "\(name): the key map leaves out \(key)")
            gradient = gradients[parameterPath]
        }
        let values = try #require(gradient, "\(name): no gradient for \(key)").scalars
        return values.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
    }
    func relative(_ key: String) throws -> (ours: Double, keras: Double) {
        let expected = try #require(step.gradient_norms[key], "\(name): no reference norm for \(key)")
        let kerasFloat32 = try #require(step.float32.gradient_norms[key])
        return (abs(try norm(key) - expected) / expected, abs(kerasFloat32 - expected) / expected)
    }
    #expect(Set(step.gradient_norms.keys).count == base.namedParameters().count + 2, "\(name): every parameter has a reference norm")
    for key in step.late_layers {
        let (ours, keras) = try relative(key)
        errors.late.append((key, ours, keras))
    }
    for key in step.zero_gradient {
        let kernelKey = String(key.dropLast(2)) + "/0"
        errors.zero.append((key, try norm(key) / (try #require(step.gradient_norms[kernelKey]))))
    }
    for key in step.gradient_norms.keys.sorted() where !step.late_layers.contains(key) && !step.zero_gradient.contains(key) {
        let (ours, keras) = try relative(key)
        if ours > errors.worstOther.ours { errors.worstOther = (key, ours, keras) }
    }
    // The loss of our float32 logits taken in Double: what the logits alone account for.
    let rows = logits.scalars.count / reference.batch
    let lossOfLogits = (0..<reference.batch).map { sample -> Double in
        let row = logits.scalars[(sample * rows)..<((sample + 1) * rows)].map(Double.init)
        let top = row.max() ?? 0
        return top + log(row.map { exp($0 - top) }.reduce(0, +)) - row[reference.labels[sample]]
    }.reduce(0, +) / Double(reference.batch)
    print("\(name) \(mode) step: loss relative error \(errors.loss) (Keras float32: \(errors.kerasLoss); of our logits "
          + "in Double: \(abs(lossOfLogits - step.loss) / step.loss)), max |Δlogit| \(errors.logits) of the largest")
    for entry in errors.late { print("  ‖∇\(entry.key)‖ relative error \(entry.ours) (Keras float32: \(entry.keras))") }
    print("  worst late layer \(errors.worstLate) (Keras float32: \(errors.worstKerasLate)); worst zero gradient "
          + "\(errors.zero.map(\.ours).max() ?? 0) of its kernel's; worst other layer \(errors.worstOther.key): "
          + "\(errors.worstOther.ours) (Keras float32: \(errors.worstOther.keras)); file \(errors.seconds.file) s, step \(errors.seconds.step) s")
    return errors
}

/// One training step of Keras-flavour VGG16 and ResNet50 (headless, 64², batch 4, labels [1, 3, 0, 2], a 4-class
/// formula `Dense` head on the pooled features) in float32 against Keras's float64 step. The weights are the scrambled
/// formula (`reference/training_step_fixtures.py` says why), written into a headless Keras legacy `.h5` rebuilt from
/// the structure `<model>.json` records, and loaded strictly through `VGG16(weights: .file(…))` / `ResNet50(…)`;
/// Keras's `<layer>/<index>` names reach FineTune's parameters through the model's key map.
@Suite("Keras training-step parity (VGG16, ResNet50)", .serialized, .requires(.applicationsReference("vgg16")),
       .requires(.applicationsReference("resnet50")), .requires(.trainingStepReference("vgg16")),
       .requires(.trainingStepReference("resnet50")))
struct TrainingStepApplicationsTests {
    /// Loss within 1e-5 relative, logits within 1e-4 of the largest, late-layer gradient norms within 1e-4 relative:
    /// VGG16 (no BatchNorm), and ResNet50 with its BatchNorms on running statistics while γ and β train (Keras's
    /// `training=False`).
    @Test("loss, logits and late-layer gradient norms of one float32 step match Keras's float64 step",
          arguments: [("vgg16", "training"), ("resnet50", "frozen_batchnorm")])
    func oneTrainingStep(model name: String, mode: String) throws {
        let errors = try measureTrainingStep(name, mode: mode)
        #expect(errors.loss <= 1e-5, "\(name) \(mode): loss \(errors.loss) off")
        #expect(errors.logits <= 1e-4, "\(name) \(mode): logits \(errors.logits) off")
        for entry in errors.late { #expect(entry.ours <= 1e-4, "\(name) \(mode): ‖∇\(entry.key)‖ \(entry.ours) off") }
    }

    /// ResNet50 with every BatchNorm on batch statistics (`training=True`), the step a fine-tuning run of the whole
    /// model takes. Its float64 truth is out of float32's reach here: at this initialization a deep network normalized
    /// by batch statistics amplifies rounding (about 1.4× per bottleneck). Rounding nothing but the stem
    /// convolution's output to float32 (at most 3e-8 relative) moves the float64 step's loss by 2.1e-5 and a late
    /// gradient norm by 7.4e-4 (`training_step_fixtures.py --stem-rounding`; VGG16: 1.1e-8 and 2.4e-7), and Keras's
    /// own float32 step is 3.0e-5 off the loss and up to 7.9e-3 off the late-layer norms. The claim's bounds are
    /// checked as a known issue; what is held is that FineTune is no further from the truth than that floor: loss
    /// within 1e-4, logits within 1e-3 of the largest, late-layer norms within the worst of Keras's own float32
    /// late-layer errors (and 1e-4), the zero gradients of the convolution biases below 1e-5 of their kernels'.
    @Test("ResNet50 on batch statistics: one float32 step is as close to Keras's float64 step as Keras's float32 step is")
    func resnet50BatchStatistics() throws {
        let errors = try measureTrainingStep("resnet50", mode: "training")
        let floor = max(1e-4, errors.worstKerasLate)
        #expect(errors.loss <= 1e-4, "loss \(errors.loss) off")
        #expect(errors.logits <= 1e-3, "logits \(errors.logits) off")
        for entry in errors.late { #expect(entry.ours <= floor, "‖∇\(entry.key)‖ \(entry.ours) off (floor \(floor))") }
        for entry in errors.zero { #expect(entry.ours <= 1e-5, "‖∇\(entry.key)‖ is \(entry.ours) of its kernel's, not 0") }
        withKnownIssue("float32 cannot reach the float64 step to 1e-5 / 1e-4 with batch statistics at this initialization") {
            #expect(errors.loss <= 1e-5, "loss \(errors.loss) off")
            #expect(errors.worstLate <= 1e-4, "worst late-layer norm \(errors.worstLate) off")
        }
    }
}
