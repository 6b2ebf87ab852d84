import Foundation

/// How busy the cores this process may run on are with other work: other processes' threads, and time the hypervisor
/// gives to other guests ("steal"). Read from Linux's `/proc`: the `cpuN` lines of `/proc/stat` for the CPUs in
/// `Cpus_allowed_list` of `/proc/self/status`, minus this process's own CPU time.
struct CoreLoad {
    /// One reading: busy and total time of our cores (in clock ticks), this process's CPU time, and the wall clock.
    struct Reading: Equatable {
        var busyTicks: UInt64
        var totalTicks: UInt64
        var ownCPUSeconds: Double
        var wallSeconds: Double
    }

    /// The CPUs this process may run on.
    let cpus: Set<Int>
    /// Clock ticks per second of `/proc/stat` (`USER_HZ`).
    let ticksPerSecond: Double

    /// Reads the CPU set from `/proc/self/status`; nil where `/proc` does not say (the thread count then stays fixed).
    init?() {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }),
              let cpus = Self.parseCPUList(line.dropFirst("Cpus_allowed_list:".count)), !cpus.isEmpty else { return nil }
        let ticks = sysconf(Int32(_SC_CLK_TCK))
        self.init(cpus: cpus, ticksPerSecond: ticks > 0 ? Double(ticks) : 100)
    }

    init(cpus: Set<Int>, ticksPerSecond: Double) {
        self.cpus = cpus
        self.ticksPerSecond = ticksPerSecond
    }

    /// The current reading, or nil if `/proc/stat` cannot be read.
    func read() -> Reading? {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let (busy, total) = Self.ticks(inStat: stat, cpus: cpus) else { return nil }
        return Reading(busyTicks: busy, totalTicks: total, ownCPUSeconds: Clock.processCPUSeconds,
                       wallSeconds: Clock.monotonicSeconds)
    }

    /// Cores' worth of time other work took between two readings (0 if the readings say nothing).
    func othersBusyCores(from start: Reading, to end: Reading) -> Double {
        let wall = end.wallSeconds - start.wallSeconds
        guard wall > 0, end.busyTicks >= start.busyTicks else { return 0 }
        let busy = Double(end.busyTicks - start.busyTicks) / ticksPerSecond
        return max(0, busy - (end.ownCPUSeconds - start.ownCPUSeconds)) / wall
    }

    /// Busy and total ticks summed over the `cpuN` lines of `/proc/stat` whose N is in `cpus`. Busy is everything but
    /// `idle` and `iowait` (the 4th and 5th values): user, nice, system, irq, softirq and steal (guest time is already
    /// inside user). Nil if a wanted CPU has no line or a line is malformed.
    static func ticks(inStat stat: String, cpus: Set<Int>) -> (busy: UInt64, total: UInt64)? {
        var busy: UInt64 = 0, total: UInt64 = 0, seen = 0
        for line in stat.split(separator: "\n") where line.hasPrefix("cpu") {
            let fields = line.split(separator: " ")
            guard let cpu = Int(fields[0].dropFirst(3)), cpus.contains(cpu) else { continue }
            let values = fields.dropFirst().prefix(8).compactMap { UInt64($0) }
            guard values.count >= 4, values.count == min(fields.count - 1, 8) else { return nil }
            let idle = values[3] + (values.count > 4 ? values[4] : 0)
            let sum = values.reduce(0, +)
            total += sum
            busy += sum - idle
            seen += 1
        }
        return seen == cpus.count ? (busy, total) : nil
    }

    /// Parses a Linux CPU list such as `0-3,8,10-11`.
    static func parseCPUList<S: StringProtocol>(_ text: S) -> Set<Int>? {
        var cpus = Set<Int>()
        for part in text.trimmingCharacters(in: .whitespaces).split(separator: ",") {
            let bounds = part.split(separator: "-").map { Int($0) }
            switch bounds.count {
            case 1:
                guard let cpu = bounds[0], cpu >= 0 else { return nil }
                cpus.insert(cpu)
            case 2:
                guard let low = bounds[0], let high = bounds[1], low >= 0, low <= high else { return nil }
                cpus.formUnion(low...high)
            default:
                return nil
            }
        }
        return cpus
    }

}
