import Foundation

/// Prints training progress like Keras: on a terminal a bar redrawn in place with steps, time per step and running
/// metrics; otherwise (a log file, CI) one plain line per epoch.
public final class ProgressLogger: Callback {
    private let interactive: Bool
    private let write: (String) -> Void
    private var epochCount = 0
    private var batchCount = 0
    private var epochStart = Date()
    private var lastDraw = Date.distantPast

    /// - Parameters:
    ///   - batchesPerEpoch: the number of batches in one epoch, for the bar.
    ///   - interactive: draw a live bar; defaults to whether standard output is a terminal.
    ///   - write: where text goes; defaults to standard output.
    public init(batchesPerEpoch: Int, interactive: Bool? = nil, write: ((String) -> Void)? = nil) {
        self.batchCount = batchesPerEpoch
        self.interactive = interactive ?? (isatty(STDOUT_FILENO) != 0)
        self.write = write ?? { text in
            // Through `print`, so progress interleaves correctly with the caller's own output.
            print(text, terminator: "")
            fflush(nil)
        }
    }

    public func trainingDidBegin(_ trainer: Trainer) throws {}

    /// Set by the trainer's caller so lines read "Epoch 3/10".
    public func setEpochCount(_ count: Int) { epochCount = count }

    public func epochDidBegin(_ epoch: Int, trainer: Trainer) throws {
        epochStart = Date()
        lastDraw = .distantPast
        if interactive { write("Epoch \(epoch + 1)/\(max(epochCount, epoch + 1))\n") }
    }

    public func batchDidEnd(_ batch: Int, logs: [MetricName: Float], trainer: Trainer) throws {
        guard interactive else { return }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) > 0.1 || batch + 1 == batchCount else { return }
        lastDraw = now
        let done = batch + 1
        let elapsed = now.timeIntervalSince(epochStart)
        let perStep = elapsed / Double(done)
        let remaining = perStep * Double(max(batchCount - done, 0))
        write("\r" + Self.bar(done: done, total: batchCount) + " - ETA: \(Self.duration(remaining))"
              + Self.metricsText(logs) + "\u{1B}[K")
    }

    public func epochDidEnd(_ epoch: Int, logs: [MetricName: Float], trainer: Trainer) throws {
        let elapsed = Date().timeIntervalSince(epochStart)
        let perStep = elapsed / Double(max(batchCount, 1))
        let timing = " - \(Self.duration(elapsed)) \(Int((perStep * 1000).rounded()))ms/step"
        if interactive {
            write("\r" + Self.bar(done: batchCount, total: batchCount) + timing + Self.metricsText(logs) + "\u{1B}[K\n")
        } else {
            write("Epoch \(epoch + 1)/\(max(epochCount, epoch + 1))" + timing + Self.metricsText(logs) + "\n")
        }
    }

    static func bar(done: Int, total: Int, width: Int = 30) -> String {
        let total = max(total, 1)
        let filled = min(width, done * width / total)
        let head = filled == 0 ? "" : (done >= total ? "=" : ">")
        let body = String(repeating: "=", count: max(filled - 1, 0)) + head
        let padded = body.padding(toLength: width, withPad: ".", startingAt: 0)
        let digits = String(total).count
        let count = String(done).leftPadded(to: digits)
        return "\(count)/\(total) [\(padded)]"
    }

    static func metricsText(_ logs: [MetricName: Float]) -> String {
        History(epochs: [logs]).metricNames.map { " - \($0): \(String(format: "%.4f", logs[$0] ?? 0))" }.joined()
    }

    static func duration(_ seconds: Double) -> String {
        if seconds < 60 { return "\(Int(seconds.rounded()))s" }
        let minutes = Int(seconds) / 60
        return "\(minutes)m\(String(Int(seconds) % 60).leftPadded(to: 2, with: "0"))s"
    }
}

extension History {
    init(epochs: [[MetricName: Float]]) {
        self.init()
        self.epochs = epochs
    }
}

extension String {
    func leftPadded(to length: Int, with pad: Character = " ") -> String {
        count >= length ? self : String(repeating: pad, count: length - count) + self
    }
}
