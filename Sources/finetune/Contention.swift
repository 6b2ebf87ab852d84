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

/// A row measured quiet and again beside competing processes. Speeds are medians over a timed window (not the
/// fastest step, which a competitor's idle moment would flatter).
struct ContendedRow {
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
    /// What a fair share of the cores would cost: all busy threads over the cores (at least 1).
    let fairSlowdown: Double

    static func header(comparing: Bool) -> String {
        "configuration".padding(toLength: 16, withPad: " ", startingAt: 0)
            + "  quiet (median)  contended  threads  in lanes  slowdown  fair slowdown  of fair share  competitors images/s"
            + (comparing ? "  PyTorch quiet  contended  slowdown" : "")
    }

    func line(name: String) -> String {
        let slowdown = quiet / contended
        var text = name.padding(toLength: 16, withPad: " ", startingAt: 0)
            + String(format: "  %14.1f  %9.1f  %7.2f  %7.0f%%  %7.2f×  %12.2f×  %12.2f", quiet, contended, threads ?? .nan,
                     (laneShare ?? .nan) * 100, slowdown, fairSlowdown, fairSlowdown / slowdown)
        let others = competitors.map { String(format: "%.1f", $0) }.joined(separator: ", ")
        text += "  " + (others.isEmpty ? "–" : others).padding(toLength: 20, withPad: " ", startingAt: 0)
        if let pytorchQuiet, let pytorchContended {
            text += String(format: "  %13.1f  %9.1f  %7.2f×", pytorchQuiet, pytorchContended, pytorchQuiet / pytorchContended)
        }
        return text
    }

    var jsonObject: [String: Any] {
        var object: [String: Any] = ["quiet_images_per_s_median": quiet, "contended_images_per_s": contended, "slowdown": quiet / contended,
                                     "fair_slowdown": fairSlowdown, "share_of_fair": fairSlowdown / (quiet / contended)]
        if let threads { object["mean_threads"] = threads }
        if let laneShare { object["lane_share"] = laneShare }
        if !competitors.isEmpty {
            object["competitor_images_per_s"] = competitors
            object["sum_over_quiet"] = (contended + competitors.reduce(0, +)) / quiet
        }
        if let pytorchQuiet, let pytorchContended {
            object["pytorch_quiet_images_per_s"] = pytorchQuiet
            object["pytorch_contended_images_per_s"] = pytorchContended
            object["pytorch_slowdown"] = pytorchQuiet / pytorchContended
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
