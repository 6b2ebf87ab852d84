import Foundation

/// A line chart of per-epoch values rendered as inline SVG, for ``RunReport``.
///
/// The layout keeps text clear of the data: a band above the plot holds the optional vertical marker's label, and
/// the band below holds the tick labels, the axis label and the legend. Points that are missing or not finite are
/// skipped and break their line, so a NaN loss shows as a gap rather than a wrong value.
struct SVGLineChart {
    /// One line of the chart.
    struct Series {
        var name: String
        /// A CSS colour.
        var color: String
        var dashed: Bool
        /// (epoch, value) pairs in drawing order; `nil` or non-finite values are gaps.
        var points: [(x: Double, y: Double?)]

        var finitePoints: [(x: Double, y: Double)] {
            points.compactMap { point in point.y.flatMap { $0.isFinite ? (point.x, $0) : nil } }
        }
    }

    /// How y-axis values are written.
    enum ValueStyle {
        case plain
        /// Fractions shown as percentages.
        case percent
    }

    var yLabel: String
    var xLabel = "epoch"
    var series: [Series]
    var style: ValueStyle = .plain
    /// A dashed vertical line at `x` with `label` above the plot.
    var marker: (x: Double, label: String)?
    var width = 520.0
    var height = 340.0

    private let left = 64.0, right = 24.0, top = 30.0, bottom = 78.0

    /// Whether any series has a point to draw.
    var hasData: Bool { series.contains { !$0.finitePoints.isEmpty } }

    /// The chart as an `<svg>` element (no XML namespace needed inside HTML).
    func svg(accessibleName: String) -> String {
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let xs = series.flatMap { $0.points.map(\.x) } + (marker.map { [$0.x] } ?? [])
        let ys = series.flatMap { $0.finitePoints.map(\.y) }
        let xDomain = Self.xDomain(xs)
        let yScale = Self.niceScale(ys, cap: style == .percent ? 1 : nil)
        func px(_ x: Double) -> Double { left + (x - xDomain.lo) / (xDomain.hi - xDomain.lo) * plotWidth }
        func py(_ y: Double) -> Double { top + plotHeight - (y - yScale.lo) / (yScale.hi - yScale.lo) * plotHeight }

        var out = "<svg class=\"chart\" viewBox=\"0 0 \(f(width)) \(f(height))\" width=\"\(f(width))\" "
            + "height=\"\(f(height))\" role=\"img\" aria-label=\"\(HTML.escape(accessibleName))\">\n"
        out += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\" "
            + "fill=\"#fbfcfe\" stroke=\"none\"/>\n"

        // Horizontal grid lines and y tick labels.
        for tick in yScale.ticks {
            let y = py(tick)
            out += "<line x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(y))\" "
                + "stroke=\"#e3e7ee\" stroke-width=\"1\"/>\n"
            out += "<text x=\"\(f(left - 8))\" y=\"\(f(y + 4))\" text-anchor=\"end\" class=\"tick\">"
                + "\(format(tick, step: yScale.step))</text>\n"
        }
        // X ticks at whole epochs.
        for tick in Self.epochTicks(xDomain) {
            let x = px(tick)
            out += "<line x1=\"\(f(x))\" y1=\"\(f(top + plotHeight))\" x2=\"\(f(x))\" y2=\"\(f(top + plotHeight + 5))\" "
                + "stroke=\"#6b7280\" stroke-width=\"1\"/>\n"
            out += "<text x=\"\(f(x))\" y=\"\(f(top + plotHeight + 19))\" text-anchor=\"middle\" class=\"tick\">"
                + "\(Int(tick.rounded()))</text>\n"
        }
        // Axes.
        out += "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(top + plotHeight))\" "
            + "stroke=\"#6b7280\" stroke-width=\"1\"/>\n"
        out += "<line x1=\"\(f(left))\" y1=\"\(f(top + plotHeight))\" x2=\"\(f(left + plotWidth))\" "
            + "y2=\"\(f(top + plotHeight))\" stroke=\"#6b7280\" stroke-width=\"1\"/>\n"
        out += "<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(top + plotHeight + 38))\" text-anchor=\"middle\" "
            + "class=\"axis-label\">\(HTML.escape(xLabel))</text>\n"
        let yMid = top + plotHeight / 2
        out += "<text x=\"16\" y=\"\(f(yMid))\" text-anchor=\"middle\" class=\"axis-label\" "
            + "transform=\"rotate(-90 16 \(f(yMid)))\">\(HTML.escape(yLabel))</text>\n"

        // The phase marker, with its label in the band above the plot.
        if let marker {
            let x = px(marker.x)
            out += "<line x1=\"\(f(x))\" y1=\"\(f(top))\" x2=\"\(f(x))\" y2=\"\(f(top + plotHeight))\" "
                + "stroke=\"#7c3aed\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\" class=\"phase-marker\"/>\n"
            let labelWidth = Double(marker.label.count) * 6.6
            let labelX = min(max(x, left + labelWidth / 2), width - right - labelWidth / 2)
            out += "<text x=\"\(f(labelX))\" y=\"\(f(top - 10))\" text-anchor=\"middle\" class=\"marker-label\">"
                + "\(HTML.escape(marker.label))</text>\n"
        }

        // The lines: one path per series, restarted after every gap, and a dot per point.
        for line in series {
            var path = ""
            var penDown = false
            for point in line.points {
                guard let y = point.y, y.isFinite else { penDown = false; continue }
                path += "\(penDown ? "L" : "M")\(f(px(point.x))) \(f(py(y))) "
                penDown = true
            }
            if !path.isEmpty {
                out += "<path d=\"\(path.trimmingCharacters(in: .whitespaces))\" fill=\"none\" "
                    + "stroke=\"\(line.color)\" stroke-width=\"2\" stroke-linejoin=\"round\""
                    + (line.dashed ? " stroke-dasharray=\"7 4\"" : "") + "/>\n"
            }
            for point in line.finitePoints {
                out += "<circle cx=\"\(f(px(point.x)))\" cy=\"\(f(py(point.y)))\" r=\"3.5\" fill=\"\(line.color)\" "
                    + "stroke=\"#ffffff\" stroke-width=\"1\"><title>\(HTML.escape(line.name)), epoch "
                    + "\(Int(point.x.rounded())): \(format(point.y, step: nil))</title></circle>\n"
            }
        }

        // The legend, centred in the bottom band.
        let entries = series.filter { !$0.finitePoints.isEmpty }
        let entryWidths = entries.map { 34 + Double($0.name.count) * 7 + 18 }
        var x = left + (plotWidth - entryWidths.reduce(0, +)) / 2
        let legendY = top + plotHeight + 62
        for (entry, entryWidth) in zip(entries, entryWidths) {
            out += "<line x1=\"\(f(x))\" y1=\"\(f(legendY - 4))\" x2=\"\(f(x + 26))\" y2=\"\(f(legendY - 4))\" "
                + "stroke=\"\(entry.color)\" stroke-width=\"2\"" + (entry.dashed ? " stroke-dasharray=\"7 4\"" : "")
                + "/>\n"
            out += "<circle cx=\"\(f(x + 13))\" cy=\"\(f(legendY - 4))\" r=\"3.5\" fill=\"\(entry.color)\"/>\n"
            out += "<text x=\"\(f(x + 34))\" y=\"\(f(legendY))\" class=\"legend\">\(HTML.escape(entry.name))</text>\n"
            x += entryWidth
        }
        out += "</svg>"
        return out
    }

    /// `value` for a label: percentages for ``ValueStyle/percent``; decimals from the tick step when given.
    private func format(_ value: Double, step: Double?) -> String {
        let shown = style == .percent ? value * 100 : value
        let decimals: Int
        if let step {
            let shownStep = style == .percent ? step * 100 : step
            decimals = max(0, min(6, Int((-log10(shownStep)).rounded(.up))))
        } else {
            decimals = style == .percent ? 2 : 4
        }
        return String(format: "%.\(decimals)f", shown) + (style == .percent ? "%" : "")
    }

    /// Numbers in SVG attributes: two decimals, no exponent.
    private func f(_ value: Double) -> String { String(format: "%.2f", value) }

    /// The epoch range drawn: the data's range, widened around a single epoch.
    private static func xDomain(_ xs: [Double]) -> (lo: Double, hi: Double) {
        guard let lo = xs.min(), let hi = xs.max() else { return (0, 1) }
        return hi - lo < 1e-9 ? (lo - 0.5, hi + 0.5) : (lo, hi)
    }

    /// Whole-number ticks inside `domain`, at most about ten.
    private static func epochTicks(_ domain: (lo: Double, hi: Double)) -> [Double] {
        let first = domain.lo.rounded(.up), last = domain.hi.rounded(.down)
        guard first <= last else { return [] }
        let step = max(1, niceStep(for: (last - first) / 10).rounded(.up))
        return Array(stride(from: first, through: last + 1e-9, by: step))
    }

    /// A range covering `values` with a little headroom that starts and ends on round ticks (about five of them).
    /// It does not go below 0 for non-negative data, nor above `cap` for data at most `cap`.
    private static func niceScale(_ values: [Double], cap: Double?) -> (lo: Double, hi: Double, step: Double,
                                                                        ticks: [Double]) {
        let dataLo = values.min() ?? 0, dataHi = values.max() ?? 1
        var lo = dataLo, hi = dataHi
        let span = hi - lo
        let pad = span > 1e-12 ? span * 0.06 : (abs(lo) > 1e-12 ? abs(lo) * 0.1 : 0.5)
        lo -= pad
        hi += pad
        let step = niceStep(for: (hi - lo) / 5)
        lo = (lo / step).rounded(.down) * step
        hi = (hi / step).rounded(.up) * step
        if dataLo >= 0 { lo = max(lo, 0) }
        if let cap, dataHi <= cap { hi = min(hi, cap) }
        let ticks = stride(from: lo, through: hi + step / 2, by: step).map { abs($0) < step * 1e-9 ? 0 : $0 }
        return (lo, hi, step, ticks)
    }

    /// 1, 2 or 5 times a power of ten, at least `raw`.
    private static func niceStep(for raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let magnitude = pow(10, log10(raw).rounded(.down))
        let fraction = raw / magnitude
        let nice: Double = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        return nice * magnitude
    }
}
