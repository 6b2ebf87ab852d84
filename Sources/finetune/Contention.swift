import ArgumentParser
import FineTune
import Foundation

/// What competes for the cores in `finetune bench --contend N`.
enum Competitor: String, CaseIterable, ExpressibleByArgument {
    /// A process that keeps as many threads busy with integer arithmetic as the row may use (`--threads`, or all
    /// cores), with no memory traffic, never sleeping.
    case busy
    /// Another `finetune bench` of the same row, with the same thread count, started at the same moment.
    case bench
}

/// One round of a contended row: the row alone, then right after beside the competitors (and PyTorch's the same
/// way), so that the host's drift over minutes falls on both sides of the ratio alike. Speeds are medians over a
/// timed window (not the fastest step, which a competitor's idle moment would flatter).
struct ContentionRound {
    /// Median images/s alone.
    let quiet: Double
    /// Median images/s with the competitors running.
    let contended: Double
    /// Our compute team's mean size while contended.
    let threads: Double?
    /// The share of the contended steps' time spent in lanes.
    let laneShare: Double?
    /// The competitors' own median images/s (for `bench` competitors).
    let competitors: [Double]
    /// PyTorch's out-of-the-box NCHW run, quiet and contended, when compared.
    var pytorchQuiet: Double?
    var pytorchContended: Double?

    var slowdown: Double { quiet / contended }
    var pytorchSlowdown: Double? { pytorchQuiet.flatMap { quiet in pytorchContended.map { quiet / $0 } } }
    /// All processes of the row together, over the row alone.
    var sumOverQuiet: Double? { competitors.isEmpty ? nil : (contended + competitors.reduce(0, +)) / quiet }
    /// How far apart ours and the competing benches ran: the fastest over the slowest, minus one.
    var apart: Double? {
        guard !competitors.isEmpty, let low = (competitors + [contended]).min(), let high = (competitors + [contended]).max(),
              low > 0 else { return nil }
        return high / low - 1
    }
}

/// A row measured quiet and beside competing processes in one or more rounds; every figure is the median over the
/// rounds, each ratio taken within a round first.
struct ContendedRow {
    let rounds: [ContentionRound]
    /// What a fair share of the cores would cost: all busy threads over the cores (at least 1).
    let fairSlowdown: Double

    var quiet: Double { Self.median(rounds.map(\.quiet)) }
    var contended: Double { Self.median(rounds.map(\.contended)) }
    var slowdown: Double { Self.median(rounds.map(\.slowdown)) }
    var shareOfFair: Double { fairSlowdown / slowdown }
    var threads: Double? { Self.median(rounds.compactMap(\.threads)) }
    var laneShare: Double? { Self.median(rounds.compactMap(\.laneShare)) }
    var competitors: [Double] {
        guard let count = rounds.first?.competitors.count else { return [] }
        return (0..<count).map { index in Self.median(rounds.map { $0.competitors[index] }) }
    }
    var sumOverQuiet: Double? { Self.median(rounds.compactMap(\.sumOverQuiet)) }
    var apart: Double? { Self.median(rounds.compactMap(\.apart)) }
    var pytorchQuiet: Double? { Self.median(rounds.compactMap(\.pytorchQuiet)) }
    var pytorchContended: Double? { Self.median(rounds.compactMap(\.pytorchContended)) }
    var pytorchSlowdown: Double? { Self.median(rounds.compactMap(\.pytorchSlowdown)) }

    /// The middle value (the mean of the two middle ones for an even count); nil for none.
    static func median(_ values: [Double]) -> Double? {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return nil }
        let middle = sorted.count / 2
        return sorted.count.isMultiple(of: 2) ? (sorted[middle - 1] + sorted[middle]) / 2 : sorted[middle]
    }

    private static func median(_ values: [Double]) -> Double { median(values) ?? .nan }

    static func header(comparing: Bool, rounds: Int) -> String {
        "configuration".padding(toLength: 16, withPad: " ", startingAt: 0)
            + "  quiet (median)  contended  threads  in lanes  slowdown  fair slowdown  of fair share"
            + (rounds > 1 ? "  (each round)".padding(toLength: 22, withPad: " ", startingAt: 0) : "")
            + "  competitors images/s  apart  sum ÷ quiet"
            + (comparing ? "  PyTorch quiet  contended  slowdown" : "")
    }

    func line(name: String) -> String {
        var text = name.padding(toLength: 16, withPad: " ", startingAt: 0)
            + String(format: "  %14.1f  %9.1f  %7.2f  %7.0f%%  %7.2f×  %12.2f×  %12.2f", quiet, contended, threads ?? .nan,
                     (laneShare ?? .nan) * 100, slowdown, fairSlowdown, shareOfFair)
        if rounds.count > 1 {
            let each = rounds.map { String(format: "%.2f", fairSlowdown / $0.slowdown) }.joined(separator: " ")
            text += "  " + each.padding(toLength: 20, withPad: " ", startingAt: 0)
        }
        let others = competitors.map { String(format: "%.1f", $0) }.joined(separator: ", ")
        text += "  " + (others.isEmpty ? "–" : others).padding(toLength: 20, withPad: " ", startingAt: 0)
        text += apart.map { String(format: "  %4.0f%%", $0 * 100) } ?? "      –"
        text += sumOverQuiet.map { String(format: "  %11.2f", $0) } ?? "            –"
        if let pytorchQuiet, let pytorchContended, let pytorchSlowdown {
            text += String(format: "  %13.1f  %9.1f  %7.2f×", pytorchQuiet, pytorchContended, pytorchSlowdown)
        }
        return text
    }

    var jsonObject: [String: Any] {
        var object: [String: Any] = ["quiet_images_per_s_median": quiet, "contended_images_per_s": contended, "slowdown": slowdown,
                                     "fair_slowdown": fairSlowdown, "share_of_fair": shareOfFair, "rounds": rounds.count,
                                     "share_of_fair_by_round": rounds.map { fairSlowdown / $0.slowdown }]
        if let threads { object["mean_threads"] = threads }
        if let laneShare { object["lane_share"] = laneShare }
        if !competitors.isEmpty { object["competitor_images_per_s"] = competitors }
        if let sumOverQuiet { object["sum_over_quiet"] = sumOverQuiet }
        if let apart { object["apart"] = apart }
        if let pytorchQuiet, let pytorchContended, let pytorchSlowdown {
            object["pytorch_quiet_images_per_s"] = pytorchQuiet
            object["pytorch_contended_images_per_s"] = pytorchContended
            object["pytorch_slowdown"] = pytorchSlowdown
        }
        return object
    }
}

/// Starts and stops the competing processes of `finetune bench --contend`.
struct Contention {
    let count: Int
    let competitor: Competitor
    let threads: Int
    /// Start each competitor in a session of its own (`setsid`), as a program started from another terminal or by a
    /// service runs. With the kernel's autogroup scheduling (`/proc/sys/kernel/sched_autogroup_enabled`) the cores
    /// are then shared equally between sessions, not between threads.
    let separateSession: Bool
    /// The arguments that run one row as a `finetune bench --child` process.
    let childArguments: (String) -> [String]

    /// The slowdown a fair scheduler would give: our quiet run used `min(threads, cores)` cores; beside the
    /// competitors every one of the `threads × (count + 1)` busy threads gets `cores / busy` of a core.
    var fairSlowdown: Double {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let busy = threads * (count + 1)
        guard busy > cores else { return 1 }
        return Double(min(threads, cores) * busy) / Double(threads * cores)
    }

    /// Runs `body` (our row, or PyTorch's) while the competitors run; returns its value and, for `bench`
    /// competitors, their images/s.
    func beside<T>(row name: String, _ body: () throws -> T) throws -> (T, [Double]) {
        let processes = try (0..<count).map { _ in try start(row: name) }
        defer {
            // SIGKILL: a process started by Foundation inherits a signal mask that blocks SIGTERM.
            for running in processes where running.process.isRunning { kill(running.process.processIdentifier, SIGKILL) }
            processes.forEach { $0.process.waitUntilExit() }
        }
        if competitor == .busy { usleep(300_000) }    // let the busy loops take the cores first
        let value = try body()
        guard competitor == .bench else { return (value, []) }
        let speeds = try processes.map { running -> Double in
            let output = String(decoding: running.output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            running.process.waitUntilExit()
            guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix("RESULT ") }) else {
                throw ValidationError("the competing bench of \(name) failed:\n\(output)")
            }
            return try JSONDecoder().decode(ThroughputBenchmark.Result.self, from: Data(line.dropFirst("RESULT ".count).utf8))
                .imagesPerSecondMedian
        }
        return (value, speeds)
    }

    private func start(row name: String) throws -> (process: Process, output: Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        process.arguments = (competitor == .busy ? ["bench", "--spin", "\(threads)"] : childArguments(name))
            + (separateSession ? ["--own-session"] : [])
        let output = Pipe()
        process.standardOutput = output
        process.standardError = competitor == .busy ? FileHandle.nullDevice : output
        try process.run()
        return (process, output)
    }

    /// Keeps `threads` threads busy until the process is killed (or its parent, the bench, is gone).
    static func spin(threads: Int) -> Never {
        let parent = getppid()
        for _ in 1..<max(threads, 1) { Thread.detachNewThread { busyLoop(parent: parent) } }
        busyLoop(parent: parent)
    }

    /// Integer arithmetic forever, with a result the optimizer cannot drop; every few million steps it checks that
    /// the bench that started it is still there, so an interrupted bench leaves no spinner behind.
    @inline(never)
    private static func busyLoop(parent: pid_t) -> Never {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var step: UInt64 = 0
        while true {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            step &+= 1
            if step & 0x3F_FFFF == 0, getppid() != parent { exit(0) }
            if state == 0 { print(state) }
        }
    }
}
