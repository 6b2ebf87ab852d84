import Foundation

/// A self-contained HTML report of a fine-tuning run: facts, loss and accuracy curves, the evaluation's confusion
/// matrix and per-class scores, and the most confident mistakes with thumbnails.
///
/// The page needs nothing from the network: styles are inline, charts are SVG generated here and images are
/// `data:` URIs, so the single file can be mailed or archived. Every string taken from the data (class names,
/// paths, facts) is HTML-escaped.
public struct RunReport: Sendable {
    /// One epoch of the training history.
    public struct EpochRow: Sendable {
        /// The training phase (1 = head only, 2 = fine-tuning, …).
        public var phase: Int
        /// 1-based, global across phases.
        public var epoch: Int
        /// The mean training loss.
        public var loss: Double
        /// The training accuracy, a fraction in 0…1.
        public var accuracy: Double?
        /// The validation loss.
        public var validationLoss: Double?
        /// The validation accuracy, a fraction in 0…1.
        public var validationAccuracy: Double?

        public init(phase: Int, epoch: Int, loss: Double, accuracy: Double? = nil, validationLoss: Double? = nil,
                    validationAccuracy: Double? = nil) {
            self.phase = phase
            self.epoch = epoch
            self.loss = loss
            self.accuracy = accuracy
            self.validationLoss = validationLoss
            self.validationAccuracy = validationAccuracy
        }
    }

    /// A wrongly classified sample.
    public struct Mistake: Sendable {
        /// The sample's file.
        public var path: String
        public var trueClass: String
        public var predictedClass: String
        /// The probability given to the predicted class, in 0…1.
        public var confidence: Double
        /// A PNG of the sample (see ``RunReport/thumbnail(ofImageAt:side:)``); empty for none.
        public var thumbnailPNG: [UInt8]
        /// The sample itself when it is a text (shown instead of a thumbnail, cut to 400 characters).
        public var text: String?

        public init(path: String, trueClass: String, predictedClass: String, confidence: Double,
                    thumbnailPNG: [UInt8] = [], text: String? = nil) {
            self.text = text
            self.path = path
            self.trueClass = trueClass
            self.predictedClass = predictedClass
            self.confidence = confidence
            self.thumbnailPNG = thumbnailPNG
        }
    }

    /// The page heading.
    public var title: String
    /// Key/value facts shown in a table at the top (model, image size, data summary, timing …), in order.
    public var facts: [(key: String, value: String)]
    /// The epochs trained, in order.
    public var history: [EpochRow]
    /// The evaluation on held-out data.
    public var evaluation: ClassificationReport?
    /// The most confident mistakes; shown most confident first.
    public var mistakes: [Mistake]

    public init(title: String, facts: [(key: String, value: String)] = [], history: [EpochRow] = [],
                evaluation: ClassificationReport? = nil, mistakes: [Mistake] = []) {
        self.title = title
        self.facts = facts
        self.history = history
        self.evaluation = evaluation
        self.mistakes = mistakes
    }

    /// The label of the dashed line drawn between the phases.
    static let phaseMarkerLabel = "fine-tuning starts"

    /// The report as one HTML document.
    public func html() -> String {
        let esc = HTML.escape
        var out = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(esc(title))</title>
        <style>\(Self.style)</style>
        </head>
        <body>
        <main>
        <h1>\(esc(title))</h1>

        """
        if !facts.isEmpty {
            out += "<table class=\"facts\">\n<tbody>\n"
            for fact in facts { out += "<tr><th scope=\"row\">\(esc(fact.key))</th><td>\(esc(fact.value))</td></tr>\n" }
            out += "</tbody>\n</table>\n"
        }
        out += historySection()
        out += evaluationSection()
        out += mistakesSection()
        out += "</main>\n</body>\n</html>\n"
        return out
    }

    /// The x position of the boundary between the first phase and the next: halfway between the last epoch of the
    /// first phase and the first epoch after it; `nil` when the history has a single phase.
    var phaseBoundary: Double? {
        let rows = history.sorted { $0.epoch < $1.epoch }
        guard let firstPhase = rows.first?.phase,
              let next = rows.firstIndex(where: { $0.phase != firstPhase }), next > 0 else { return nil }
        return Double(rows[next - 1].epoch + rows[next].epoch) / 2
    }

    private func historySection() -> String {
        var out = "<section>\n<h2>Training history</h2>\n"
        guard !history.isEmpty else { return out + "<p class=\"none\">No epochs were recorded.</p>\n</section>\n" }
        let rows = history.sorted { $0.epoch < $1.epoch }
        let marker = phaseBoundary.map { (x: $0, label: Self.phaseMarkerLabel) }
        func points(_ value: (EpochRow) -> Double?) -> [(x: Double, y: Double?)] {
            rows.map { (Double($0.epoch), value($0)) }
        }
        let train = "#2563eb", validation = "#ea580c"
        let charts = [
            ("Loss", SVGLineChart(yLabel: "loss", series: [
                .init(name: "train loss", color: train, dashed: false, points: points { $0.loss }),
                .init(name: "validation loss", color: validation, dashed: true, points: points { $0.validationLoss }),
            ], marker: marker)),
            ("Accuracy", SVGLineChart(yLabel: "accuracy", series: [
                .init(name: "train accuracy", color: train, dashed: false, points: points { $0.accuracy }),
                .init(name: "validation accuracy", color: validation, dashed: true,
                      points: points { $0.validationAccuracy }),
            ], style: .percent, marker: marker)),
        ]
        out += "<div class=\"charts\">\n"
        for (name, chart) in charts {
            out += "<figure>\n<figcaption>\(name)</figcaption>\n"
            out += chart.hasData ? chart.svg(accessibleName: "\(name) per epoch") + "\n"
                : "<p class=\"none\">No \(name.lowercased()) values were recorded.</p>\n"
            out += "</figure>\n"
        }
        out += "</div>\n"

        out += "<table class=\"numbers history\">\n<thead><tr><th>epoch</th><th>phase</th><th>loss</th>"
            + "<th>accuracy</th><th>val loss</th><th>val accuracy</th></tr></thead>\n<tbody>\n"
        for row in rows {
            out += "<tr><td>\(row.epoch)</td><td>\(row.phase)</td><td>\(Self.number(row.loss))</td>"
                + "<td>\(Self.percent(row.accuracy))</td><td>\(Self.number(row.validationLoss))</td>"
                + "<td>\(Self.percent(row.validationAccuracy))</td></tr>\n"
        }
        return out + "</tbody>\n</table>\n</section>\n"
    }

    private func evaluationSection() -> String {
        guard let evaluation else { return "" }
        let esc = HTML.escape
        var out = "<section>\n<h2>Evaluation</h2>\n"
        out += "<p class=\"summary\">Accuracy <strong>\(Self.percent(evaluation.accuracy))</strong> · macro F1 "
            + "<strong>\(String(format: "%.4f", evaluation.macroF1))</strong> · \(evaluation.sampleCount) samples</p>\n"

        out += "<h3>Confusion matrix</h3>\n<p class=\"note\">Rows are the true class, columns the predicted class; "
            + "shading is proportional to the count.</p>\n"
        out += "<div class=\"scroll\"><table class=\"confusion\">\n<thead>\n"
        out += "<tr><th class=\"corner\" rowspan=\"2\">true ↓</th>"
            + "<th class=\"axis\" colspan=\"\(evaluation.classNames.count)\">predicted →</th></tr>\n<tr>"
        for name in evaluation.classNames { out += "<th class=\"col\" scope=\"col\">\(esc(name))</th>" }
        out += "</tr>\n</thead>\n<tbody>\n"
        let largest = max(1, evaluation.confusionMatrix.flatMap { $0 }.max() ?? 1)
        for (rowIndex, row) in evaluation.confusionMatrix.enumerated() {
            out += "<tr><th scope=\"row\">\(esc(evaluation.classNames[rowIndex]))</th>"
            for (column, count) in row.enumerated() {
                let share = Double(count) / Double(largest)
                // Blue for the diagonal (correct), red off it; white text once the shade is dark.
                let rgb = rowIndex == column ? "37, 99, 235" : "220, 38, 38"
                let ink = share > 0.55 ? "#ffffff" : "#111827"
                out += "<td style=\"background-color: rgba(\(rgb), \(String(format: "%.3f", share))); "
                    + "color: \(ink)\">\(count)</td>"
            }
            out += "</tr>\n"
        }
        out += "</tbody>\n</table></div>\n"

        out += "<h3>Per-class scores</h3>\n<table class=\"numbers scores\">\n<thead><tr><th>class</th>"
            + "<th>precision</th><th>recall</th><th>F1</th><th>support</th></tr></thead>\n<tbody>\n"
        for metrics in evaluation.perClass {
            out += "<tr><th scope=\"row\">\(esc(metrics.name))</th>\(Self.scoreCell(metrics.precision))"
                + "\(Self.scoreCell(metrics.recall))\(Self.scoreCell(metrics.f1))<td>\(metrics.support)</td></tr>\n"
        }
        out += "</tbody>\n<tfoot>\n"
        out += "<tr><th scope=\"row\">accuracy</th><td></td><td></td>\(Self.scoreCell(evaluation.accuracy))"
            + "<td>\(evaluation.sampleCount)</td></tr>\n"
        out += "<tr><th scope=\"row\">macro avg</th>\(Self.scoreCell(evaluation.macroPrecision))"
            + "\(Self.scoreCell(evaluation.macroRecall))\(Self.scoreCell(evaluation.macroF1))"
            + "<td>\(evaluation.sampleCount)</td></tr>\n"
        return out + "</tfoot>\n</table>\n</section>\n"
    }

    private func mistakesSection() -> String {
        let esc = HTML.escape
        var out = "<section>\n<h2>Most confident mistakes</h2>\n"
        guard !mistakes.isEmpty else { return out + "<p class=\"none\">None.</p>\n</section>\n" }
        let ordered = mistakes.enumerated().sorted { lhs, rhs in
            lhs.element.confidence != rhs.element.confidence
                ? lhs.element.confidence > rhs.element.confidence : lhs.offset < rhs.offset
        }.map(\.element)
        out += "<div class=\"mistakes\">\n"
        for mistake in ordered {
            out += "<figure class=\"mistake\">\n"
            if let text = mistake.text {
                let shown = text.count > 400 ? String(text.prefix(400)) + "…" : text
                out += "<blockquote class=\"text\">\(esc(shown))</blockquote>\n"
            } else if mistake.thumbnailPNG.isEmpty {
                out += "<div class=\"thumb missing\">no image</div>\n"
            } else {
                out += "<img class=\"thumb\" alt=\"\(esc(mistake.path))\" "
                    + "src=\"data:image/png;base64,\(Data(mistake.thumbnailPNG).base64EncodedString())\">\n"
            }
            out += "<figcaption><span class=\"true\">\(esc(mistake.trueClass))</span> → "
                + "<span class=\"predicted\">\(esc(mistake.predictedClass))</span><br>"
                + "<span class=\"confidence\">\(Self.percent(mistake.confidence, decimals: 1)) confident</span><br>"
                + "<span class=\"path\" title=\"\(esc(mistake.path))\">\(esc(Self.shortPath(mistake.path)))</span>"
                + "</figcaption>\n"
            out += "</figure>\n"
        }
        return out + "</div>\n</section>\n"
    }

    /// A table cell holding a score in 0…1.
    private static func scoreCell(_ value: Double) -> String {
        "<td>\(String(format: "%.4f", value))</td>"
    }

    /// The last two components of `path` (the class folder and the file name, in an image-folder layout).
    static func shortPath(_ path: String) -> String {
        let components = path.split(separator: "/", omittingEmptySubsequences: true)
        return components.count <= 2 ? path : "…/" + components.suffix(2).joined(separator: "/")
    }

    private static func number(_ value: Double?) -> String {
        guard let value else { return "–" }
        return value.isFinite ? String(format: "%.4f", value) : "\(value)"
    }

    private static func percent(_ value: Double?, decimals: Int = 2) -> String {
        guard let value else { return "–" }
        return value.isFinite ? String(format: "%.\(decimals)f%%", value * 100) : "\(value)"
    }

    private static let style = """

    :root { color-scheme: light; }
    body { margin: 0; background: #f3f4f6; color: #111827;
      font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
    main { max-width: 1160px; margin: 0 auto; padding: 24px 28px 40px; background: #ffffff; }
    h1 { font-size: 24px; margin: 0 0 16px; }
    h2 { font-size: 19px; margin: 32px 0 12px; padding-bottom: 6px; border-bottom: 1px solid #e5e7eb; }
    h3 { font-size: 15px; margin: 22px 0 6px; }
    table { border-collapse: collapse; }
    th, td { padding: 5px 10px; }
    .facts th { text-align: left; color: #4b5563; font-weight: 600; padding-left: 0; }
    .facts td { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, monospace; font-size: 13px; }
    .facts tr + tr { border-top: 1px solid #f0f1f3; }
    .charts { display: flex; flex-wrap: wrap; gap: 16px; }
    figure { margin: 0; }
    .charts figure { border: 1px solid #e5e7eb; border-radius: 6px; padding: 10px 8px 4px; }
    .charts figcaption { font-weight: 600; margin: 0 0 0 8px; }
    svg.chart { display: block; max-width: 100%; height: auto; font-family: inherit; }
    svg .tick { font-size: 11px; fill: #4b5563; }
    svg .axis-label { font-size: 12px; fill: #374151; }
    svg .legend { font-size: 12px; fill: #1f2937; }
    svg .marker-label { font-size: 11px; fill: #6d28d9; font-weight: 600; }
    .numbers td, .numbers th { text-align: right; font-variant-numeric: tabular-nums; }
    .numbers th[scope="row"] { text-align: left; }
    .numbers thead th { border-bottom: 2px solid #d1d5db; color: #374151; }
    .numbers tbody tr:nth-child(even) { background: #f9fafb; }
    .numbers tfoot tr:first-child { border-top: 2px solid #d1d5db; }
    .history { margin-top: 14px; font-size: 13px; }
    .summary { font-size: 15px; }
    .note { color: #6b7280; margin: 0 0 8px; font-size: 13px; }
    .scroll { overflow-x: auto; }
    .confusion { font-variant-numeric: tabular-nums; font-size: 13px; }
    .confusion td { text-align: center; min-width: 46px; border: 1px solid #e5e7eb; }
    .confusion th[scope="row"] { text-align: right; white-space: nowrap; }
    .confusion th.col { font-weight: 600; font-size: 12px; vertical-align: bottom; max-width: 80px;
      overflow-wrap: anywhere; }
    .confusion th.corner, .confusion th.axis { color: #6b7280; font-weight: 500; font-size: 12px; }
    .confusion th.corner { text-align: right; vertical-align: bottom; }
    .scores td, .scores thead th { min-width: 76px; }
    .none { color: #6b7280; font-style: italic; }
    .mistakes { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 14px; }
    .mistake { border: 1px solid #e5e7eb; border-radius: 6px; padding: 10px; text-align: center; }
    .thumb { display: block; margin: 0 auto 8px; width: 96px; height: 96px; object-fit: contain;
      image-rendering: auto; background: #f3f4f6; }
    .thumb.missing { line-height: 96px; color: #9ca3af; font-size: 12px; }
    .mistake blockquote.text { margin: 0 0 8px; text-align: left; font-size: 12px; white-space: pre-wrap; max-height: 12em; overflow: auto; }
    .mistake figcaption { font-size: 13px; }
    .mistake .true { color: #1d4ed8; font-weight: 600; white-space: nowrap; }
    .mistake .predicted { color: #b91c1c; font-weight: 600; white-space: nowrap; }
    .mistake .confidence { color: #374151; }
    .mistake .path { color: #6b7280; font-size: 11px; overflow-wrap: anywhere; }

    """
}
