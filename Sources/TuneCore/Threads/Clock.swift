import Foundation

/// Seconds on one of the kernel's clocks (`clock_gettime`).
enum Clock {
    /// Wall time that never jumps (`CLOCK_MONOTONIC`).
    static var monotonicSeconds: Double { seconds(CLOCK_MONOTONIC) }
    /// CPU time this process has used, all threads together (`CLOCK_PROCESS_CPUTIME_ID`).
    static var processCPUSeconds: Double { seconds(CLOCK_PROCESS_CPUTIME_ID) }

    private static func seconds(_ clock: clockid_t) -> Double {
        var time = timespec()
        clock_gettime(clock, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
