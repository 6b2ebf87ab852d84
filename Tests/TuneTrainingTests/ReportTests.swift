import Foundation
import Testing
import TuneData
import TuneFormats
import TuneTraining

/// A fresh empty directory under the system temporary directory.
private func makeReportDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("finetune-report-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A `width × height` RGB test pattern: a red–green gradient with a blue square in the middle.
private func patternImage(width: Int, height: Int, seed: Int = 0) throws -> PixelImage {
    var pixels = [UInt8](repeating: 0, count: width * height * 3)
    for y in 0..<height {
        for x in 0..<width {
            let base = (y * width + x) * 3
            pixels[base] = UInt8((x * 255) / max(1, width - 1))
            pixels[base + 1] = UInt8((y * 255) / max(1, height - 1))
            let inside = abs(x - width / 2) < width / 4 && abs(y - height / 2) < height / 4
            pixels[base + 2] = inside ? 230 : UInt8((seed * 40) % 256)
        }
    }
    return try PixelImage(width: width, height: height, channels: 3, pixels: pixels)
}

/// Writes `image` as a PNG at `path`.
private func writePNG(_ image: PixelImage, to path: String) throws {
    try Data(ImageCodec.encodePNG(image)).write(to: URL(fileURLWithPath: path))
}

/// 3 classes; class c is never predicted. Confusion matrix (rows true): [2 1 0] [0 2 0] [1 1 0].
private func smallReport(names: [String] = ["a", "b", "c"]) throws -> ClassificationReport {
    try ClassificationReport(classNames: names, trueLabels: [0, 0, 0, 1, 1, 2, 2],
                             predictedLabels: [0, 0, 1, 1, 1, 0, 1])
}

private func twoPhaseHistory() -> [RunReport.EpochRow] {
    [
        .init(phase: 1, epoch: 1, loss: 1.2, accuracy: 0.55, validationLoss: 1.0, validationAccuracy: 0.6),
        .init(phase: 1, epoch: 2, loss: 0.9, accuracy: 0.68, validationLoss: 0.85, validationAccuracy: 0.7),
        .init(phase: 2, epoch: 3, loss: 0.6, accuracy: 0.8, validationLoss: 0.7, validationAccuracy: 0.77),
        .init(phase: 2, epoch: 4, loss: 0.45, accuracy: 0.86, validationLoss: 0.66, validationAccuracy: 0.8),
    ]
}

@Suite("ClassificationReport")
struct ClassificationReportTests {
    @Test("a hand-computed 3-class example: confusion matrix, precision, recall, F1, support, accuracy")
    func handComputed() throws {
        let report = try smallReport()
        #expect(report.confusionMatrix == [[2, 1, 0], [0, 2, 0], [1, 1, 0]])
        #expect(abs(report.accuracy - 4.0 / 7.0) < 1e-12)
        let a = report.perClass[0], b = report.perClass[1], c = report.perClass[2]
        #expect(a.name == "a" && b.name == "b" && c.name == "c")
        #expect(abs(a.precision - 2.0 / 3.0) < 1e-12)
        #expect(abs(a.recall - 2.0 / 3.0) < 1e-12)
        #expect(abs(a.f1 - 2.0 / 3.0) < 1e-12)
        #expect(abs(b.precision - 0.5) < 1e-12)
        #expect(b.recall == 1)
        #expect(abs(b.f1 - 2.0 / 3.0) < 1e-12)
        // Never predicted: zero_division = 0 for precision, and recall/F1 are 0 as nothing was found.
        #expect(c.precision == 0 && c.recall == 0 && c.f1 == 0)
        #expect(report.perClass.map(\.support) == [3, 2, 2])
        #expect(abs(report.macroF1 - 4.0 / 9.0) < 1e-12)
    }

    @Test("a class absent from the data has recall 0 and support 0; a perfect classifier scores 1")
    func edgeCases() throws {
        let perfect = try ClassificationReport(classNames: ["x", "y", "z"], trueLabels: [0, 1, 1],
                                               predictedLabels: [0, 1, 1])
        #expect(perfect.accuracy == 1)
        #expect(perfect.perClass[2].support == 0 && perfect.perClass[2].recall == 0)
        #expect(perfect.perClass[0].f1 == 1 && perfect.perClass[1].f1 == 1)
    }

    @Test("mismatched counts, empty input and out-of-range labels throw errors that name the problem")
    func errors() throws {
        #expect(throws: EvaluationError.countMismatch(trueLabels: 2, predictedLabels: 1)) {
            try ClassificationReport(classNames: ["a", "b"], trueLabels: [0, 1], predictedLabels: [0])
        }
        #expect(throws: EvaluationError.emptyInput(what: "trueLabels")) {
            try ClassificationReport(classNames: ["a"], trueLabels: [], predictedLabels: [])
        }
        #expect(throws: EvaluationError.emptyInput(what: "classNames")) {
            try ClassificationReport(classNames: [], trueLabels: [0], predictedLabels: [0])
        }
        do {
            _ = try ClassificationReport(classNames: ["a", "b"], trueLabels: [0, 1, 1], predictedLabels: [1, 7, 0])
            Issue.record("an out-of-range label was accepted")
        } catch let error as EvaluationError {
            #expect(error == .labelOutOfRange(array: "predictedLabels", index: 1, value: 7, classCount: 2))
            #expect(error.description.contains("predictedLabels[1] = 7"))
        }
        #expect(throws: EvaluationError.labelOutOfRange(array: "trueLabels", index: 0, value: -1, classCount: 2)) {
            try ClassificationReport(classNames: ["a", "b"], trueLabels: [-1], predictedLabels: [0])
        }
    }

    @Test("jsonData holds exactly accuracy, per_class, confusion_matrix and class_names")
    func json() throws {
        let report = try smallReport()
        let object = try #require(try JSONSerialization.jsonObject(with: report.jsonData()) as? [String: Any])
        #expect(Set(object.keys) == ["accuracy", "per_class", "confusion_matrix", "class_names"])
        #expect(abs(try #require(object["accuracy"] as? Double) - 4.0 / 7.0) < 1e-12)
        #expect(object["confusion_matrix"] as? [[Int]] == [[2, 1, 0], [0, 2, 0], [1, 1, 0]])
        #expect(object["class_names"] as? [String] == ["a", "b", "c"])
        let perClass = try #require(object["per_class"] as? [[String: Any]])
        #expect(perClass.compactMap { $0["class"] as? String } == ["a", "b", "c"])
        #expect(Set(perClass[0].keys) == ["class", "precision", "recall", "f1", "support"])
        #expect(abs(try #require(perClass[1]["precision"] as? Double) - 0.5) < 1e-12)
        #expect(perClass[1]["recall"] as? Double == 1)
        #expect(perClass[2]["precision"] as? Double == 0)
        #expect(perClass.compactMap { $0["support"] as? Int } == [3, 2, 2])
    }

    @Test("text has the score table, the accuracy and macro avg lines and a labelled confusion matrix")
    func text() throws {
        let lines = try smallReport(names: ["cat", "dog", "bird"]).text.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.contains("precision") && $0.contains("recall") && $0.contains("support") })
        #expect(lines.contains { $0.hasSuffix("0.5000     1.0000     0.6667         2") && $0.contains("dog") })
        #expect(lines.contains { $0.contains("accuracy") && $0.contains("0.5714") && $0.hasSuffix("7") })
        #expect(lines.contains { $0.contains("macro avg") && $0.contains("0.4444") })
        let header = try #require(lines.first { $0.contains("true \\ predicted") })
        #expect(header.contains("cat") && header.contains("dog") && header.contains("bird"))
        let birdRow = try #require(lines.last { $0.hasPrefix("bird") })
        #expect(birdRow.split(separator: " ") == ["bird", "1", "1", "0"])
    }
}

@Suite("RunReport")
struct RunReportTests {
    @Test("html has the charts, the phase marker, the matrix, escaped names, inline thumbnails and no remote resources")
    func html() throws {
        let directory = try makeReportDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let imagePath = file(directory, "sample.png")
        try writePNG(patternImage(width: 40, height: 20), to: imagePath)
        let hostile = "<b>&\"x'"
        let evaluation = try smallReport(names: ["a", "b", hostile])
        let report = RunReport(
            title: "Run <1>",
            facts: [(key: "model", value: "efficientnet-lite0"), (key: "data", value: "a < b & c")],
            history: twoPhaseHistory(), evaluation: evaluation,
            mistakes: [RunReport.Mistake(path: file(directory, "it's <odd>.png"), trueClass: hostile,
                                         predictedClass: "a", confidence: 0.93,
                                         thumbnailPNG: try RunReport.thumbnail(ofImageAt: imagePath, side: 32))])
        let html = report.html()
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.components(separatedBy: "<svg").count - 1 == 2)
        #expect(html.contains("fine-tuning starts"))
        #expect(html.contains("class=\"phase-marker\""))
        for count in [2, 1, 0] { #expect(html.contains(">\(count)</td>")) }
        for forbidden in ["http://", "https://", "src=\"/", "<script", "<link", "@import", "url("] {
            #expect(!html.contains(forbidden), "found \(forbidden)")
        }
        #expect(!html.contains(hostile))
        #expect(!html.contains("<b>"))
        #expect(html.contains("&lt;b&gt;&amp;&quot;x&#39;"))
        #expect(html.contains("a &lt; b &amp; c"))
        #expect(html.contains("it&#39;s &lt;odd&gt;.png"))
        #expect(html.contains("<title>Run &lt;1&gt;</title>"))
        #expect(html.contains("data:image/png;base64,"))
        #expect(html.contains("93.0%"))
    }

    @Test("one phase draws no phase marker; one epoch, NaN and missing validation values still render")
    func onePhase() throws {
        let rows: [RunReport.EpochRow] = [
            .init(phase: 1, epoch: 1, loss: 0.8, accuracy: 0.7),
            .init(phase: 1, epoch: 2, loss: .nan, accuracy: 0.75, validationLoss: .infinity),
            .init(phase: 1, epoch: 3, loss: 0.5, accuracy: nil, validationLoss: 0.6),
        ]
        let html = RunReport(title: "t", history: rows).html()
        #expect(html.contains("<svg"))
        #expect(!html.contains("fine-tuning starts"))
        #expect(!html.contains("phase-marker"))
        // Non-finite values are skipped in the charts: no "nan"/"inf" coordinates, and the gap splits the train
        // loss line into two pieces (a path with two move-to commands).
        let charts = html.components(separatedBy: "<svg").dropFirst().map { $0.components(separatedBy: "</svg>")[0] }
        #expect(charts.count == 2)
        for chart in charts { #expect(!chart.lowercased().contains("nan") && !chart.lowercased().contains("inf")) }
        let lossPaths = charts[0].components(separatedBy: "<path d=\"").dropFirst()
            .map { $0.components(separatedBy: "\"")[0] }
        #expect(lossPaths.map { $0.filter { $0 == "M" }.count } == [2, 1])
        #expect(!html.contains("Evaluation"))
        #expect(html.contains("Most confident mistakes"))

        let single = RunReport(title: "t", history: [.init(phase: 2, epoch: 1, loss: 0.4)]).html()
        #expect(single.contains("<svg"))
        #expect(single.contains("<circle"))
        #expect(single.contains("No accuracy values were recorded."))
        #expect(!single.contains("fine-tuning starts"))
    }

    @Test("an empty report says there is no history and no mistakes")
    func empty() {
        let html = RunReport(title: "Nothing").html()
        #expect(!html.contains("<svg"))
        #expect(html.contains("No epochs were recorded."))
        #expect(html.contains("None."))
        #expect(html.contains("</html>"))
    }

    @Test("thumbnail keeps the aspect ratio with the longest side at `side`, shrinking and enlarging")
    func thumbnail() throws {
        let directory = try makeReportDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let wide = file(directory, "wide.png"), tall = file(directory, "tall.png")
        try writePNG(patternImage(width: 300, height: 150), to: wide)
        try writePNG(patternImage(width: 10, height: 28), to: tall)

        let small = try ImageCodec.decode(RunReport.thumbnail(ofImageAt: wide), path: "thumbnail")
        #expect((small.width, small.height, small.channels) == (96, 48, 3))
        // The centre of the pattern is the blue square, which survives averaging.
        #expect(small.pixels[(24 * 96 + 48) * 3 + 2] == 230)

        let large = try ImageCodec.decode(RunReport.thumbnail(ofImageAt: tall, side: 56), path: "thumbnail")
        #expect((large.width, large.height) == (20, 56))

        #expect(throws: ReportError.invalidArgument(name: "side", message: "0 is not in 1…4096")) {
            try RunReport.thumbnail(ofImageAt: wide, side: 0)
        }
        #expect(throws: DataError.self) { try RunReport.thumbnail(ofImageAt: file(directory, "missing.png")) }
    }

    @Test("write(to:) creates the file, replaces an old one and leaves no temporary files behind")
    func write() throws {
        let directory = try makeReportDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = file(directory, "report.html")
        try Data("old".utf8).write(to: URL(fileURLWithPath: path))
        let report = RunReport(title: "Written", history: twoPhaseHistory(), evaluation: try smallReport())
        try report.write(to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == report.html())
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["report.html"])

        #expect(throws: FormatError.self) { try report.write(to: file(directory, "no/such/dir/report.html")) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["report.html"])
    }

    @Test("a realistic 10-class, two-phase report renders completely")
    func realisticSample() throws {
        // Set FINETUNE_REPORT_SAMPLE_DIR to keep the sample (e.g. to look at it in a browser).
        let keep = ProcessInfo.processInfo.environment["FINETUNE_REPORT_SAMPLE_DIR"]
        let directory = try keep ?? makeReportDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { if keep == nil { try? FileManager.default.removeItem(atPath: directory) } }

        let names = ["T-shirt_top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                     "Ankle_boot"]
        var truth: [Int] = [], predicted: [Int] = []
        for index in 0..<1000 {
            let label = index % 10
            truth.append(label)
            // A deterministic sprinkling of confusions, heaviest between the upper-body garments.
            let hash = (index * 7919 + 13) % 100
            let confusable = [0, 2, 4, 6].contains(label)
            if hash < (confusable ? 22 : 5) {
                predicted.append(confusable ? [0, 2, 4, 6][(hash + label) % 4] : (label + 1 + hash % 3) % 10)
            } else {
                predicted.append(label)
            }
        }
        let evaluation = try ClassificationReport(classNames: names, trueLabels: truth, predictedLabels: predicted)
        let history: [RunReport.EpochRow] = [
            .init(phase: 1, epoch: 1, loss: 0.912, accuracy: 0.694, validationLoss: 0.655, validationAccuracy: 0.771),
            .init(phase: 1, epoch: 2, loss: 0.604, accuracy: 0.789, validationLoss: 0.561, validationAccuracy: 0.803),
            .init(phase: 2, epoch: 3, loss: 0.471, accuracy: 0.834, validationLoss: 0.437, validationAccuracy: 0.846),
            .init(phase: 2, epoch: 4, loss: 0.382, accuracy: 0.866, validationLoss: 0.391, validationAccuracy: 0.861),
            .init(phase: 2, epoch: 5, loss: 0.331, accuracy: 0.884, validationLoss: 0.372, validationAccuracy: 0.869),
        ]
        let pairs = [(6, 0), (4, 2), (0, 6), (2, 4), (9, 7), (5, 7)]
        var mistakes: [RunReport.Mistake] = []
        for (index, pair) in pairs.enumerated() {
            let path = file(directory, "test/\(names[pair.0])/img_\(index).png")
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try writePNG(patternImage(width: 28 + 20 * index, height: 28 + 8 * (5 - index), seed: index), to: path)
            mistakes.append(.init(path: path, trueClass: names[pair.0], predictedClass: names[pair.1],
                                  confidence: 0.99 - 0.07 * Double(index),
                                  thumbnailPNG: try RunReport.thumbnail(ofImageAt: path)))
        }
        let report = RunReport(
            title: "Fine-tuning efficientnet-lite0 on Fashion-MNIST",
            facts: [(key: "model", value: "efficientnet-lite0 (ImageNet weights)"),
                    (key: "image size", value: "224 × 224"),
                    (key: "data", value: "6000 train / 1000 validation / 1000 test images, 10 classes"),
                    (key: "phases", value: "2 epochs head only (lr 1e-3), then 3 epochs fine-tuning (lr 1e-4)"),
                    (key: "time", value: "41 min 12 s")],
            history: history, evaluation: evaluation, mistakes: mistakes)
        let path = file(directory, "report.html")
        try report.write(to: path)
        let html = try String(contentsOfFile: path, encoding: .utf8)
        #expect(html.contains("fine-tuning starts"))
        #expect(html.components(separatedBy: "data:image/png;base64,").count - 1 == 6)
        for name in names { #expect(html.contains(">\(name)</th>")) }
    }
}

/// `name` inside `directory`.
private func file(_ directory: String, _ name: String) -> String {
    (directory as NSString).appendingPathComponent(name)
}
