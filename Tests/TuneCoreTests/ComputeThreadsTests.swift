import Foundation
import Synchronization
import Testing
@testable import TuneCore

@Suite("Reading how busy the cores are")
struct CoreLoadTests {
    static let stat = """
        cpu  300 0 100 600 0 0 0 0 0 0
        cpu0 100 0 50 340 10 0 0 0 0 0
        cpu1 200 0 50 260 0 5 5 30 0 0
        intr 12345
        ctxt 6789
        """

    @Test("CPU lists as /proc/self/status writes them")
    func cpuLists() {
        #expect(CoreLoad.parseCPUList("0-3,8,10-11") == [0, 1, 2, 3, 8, 10, 11])
        #expect(CoreLoad.parseCPUList(" 1\t") == [1])
        #expect(CoreLoad.parseCPUList("3-1") == nil)
        #expect(CoreLoad.parseCPUList("0,x") == nil)
        #expect(CoreLoad.parseCPUList("1-2-3") == nil)
    }

    @Test("busy ticks are everything but idle and iowait, over our CPUs only, steal included")
    func ticksOfOurCPUs() throws {
        let one = try #require(CoreLoad.ticks(inStat: Self.stat, cpus: [1]))
        #expect(one.busy == 200 + 50 + 5 + 5 + 30 && one.total == 550)
        let both = try #require(CoreLoad.ticks(inStat: Self.stat, cpus: [0, 1]))
        #expect(both.busy == 150 + 290 && both.total == 500 + 550)
        #expect(CoreLoad.ticks(inStat: Self.stat, cpus: [0, 2]) == nil, "a CPU without a line")
        #expect(CoreLoad.ticks(inStat: "cpu0 1 2 x 4\n", cpus: [0]) == nil, "a malformed line")
    }

    @Test("others' load is the cores' busy time minus our own, per second of wall time")
    func othersLoad() {
        let load = CoreLoad(cpus: [0, 1], ticksPerSecond: 100)
        let start = CoreLoad.Reading(busyTicks: 1000, totalTicks: 5000, ownCPUSeconds: 10, wallSeconds: 50)
        let end = CoreLoad.Reading(busyTicks: 1150, totalTicks: 5100, ownCPUSeconds: 10.4, wallSeconds: 50.5)
        #expect(abs(load.othersBusyCores(from: start, to: end) - 2.2) < 1e-9)    // (1.5 s − 0.4 s) / 0.5 s
        let idle = CoreLoad.Reading(busyTicks: 1010, totalTicks: 5100, ownCPUSeconds: 10.4, wallSeconds: 50.5)
        #expect(load.othersBusyCores(from: start, to: idle) == 0, "our own time is never negative for others")
        #expect(load.othersBusyCores(from: end, to: start) == 0, "readings out of order say nothing")
    }

    @Test("this machine's /proc is readable")
    func readsProc() throws {
        let load = try #require(CoreLoad())
        #expect(load.cpus.count >= 1)
        let first = try #require(load.read()), second = try #require(load.read())
        #expect(second.totalTicks >= first.totalTicks && second.ownCPUSeconds >= first.ownCPUSeconds)
    }
}

@Suite("Sizing the compute team to the free cores")
struct ThreadGovernorTests {
    @Test("a quiet machine keeps every thread; a busy one gives them up at once")
    func shrinksAtOnce() {
        var governor = ThreadGovernor(maximum: 2)
        governor.observe(othersBusyCores: 0.05, cores: 2)
        #expect(governor.size == 2)
        governor.observe(othersBusyCores: 0.3, cores: 2)
        #expect(governor.size == 2, "a third of a core taken by others is within the slack")
        governor.observe(othersBusyCores: 0.67, cores: 2)
        #expect(governor.size == 1, "one busy thread beside our two takes two thirds of a core")
        governor.observe(othersBusyCores: 1.9, cores: 2)
        #expect(governor.size == 1, "never below one thread")
    }

    @Test("it grows back only after two quiet windows in a row")
    func growsAfterTwoWindows() {
        var governor = ThreadGovernor(maximum: 2)
        governor.observe(othersBusyCores: 1, cores: 2)
        governor.observe(othersBusyCores: 0, cores: 2)
        #expect(governor.size == 1)
        governor.observe(othersBusyCores: 1, cores: 2)
        governor.observe(othersBusyCores: 0, cores: 2)
        #expect(governor.size == 1, "the quiet windows were not in a row")
        governor.observe(othersBusyCores: 0, cores: 2)
        #expect(governor.size == 2)
    }

    @Test("on many cores the team takes what others leave, up to its maximum")
    func manyCores() {
        var governor = ThreadGovernor(maximum: 8)
        governor.observe(othersBusyCores: 3, cores: 8)
        #expect(governor.size == 5)
        var capped = ThreadGovernor(maximum: 4)
        capped.observe(othersBusyCores: 2, cores: 16)
        #expect(capped.size == 4)
        #expect(ThreadGovernor(maximum: 0).size == 1)
        governor.observe(othersBusyCores: .nan, cores: 8)
        #expect(governor.size == 5, "a window that measured nothing changes nothing")
    }
}

@Suite("The compute team's size", .serialized)
struct ComputeThreadsTests {
    /// Runs `body` with a fixed team of `count` threads and puts the previous policy back.
    static func withFixedTeam<R>(_ count: Int, _ body: () throws -> R) rethrows -> R {
        try ComputeThreads.withPolicy(.fixed(count), body)
    }

    @Test("the team size reaches every thread that computes, not only the one that set it")
    func sizeOnEveryThread() throws {
        try PrimitiveThreadingTests.onNewThread {
            OpenMPTeam.useThreadCount(7)    // a stale size on this thread
            let size = ComputeThreads.forNextWork()
            #expect(OpenMPTeam.threadCount == size, "oneDNN reads this thread's OpenMP size when it creates a primitive")
        }
        Self.withFixedTeam(1) {
            #expect(ComputeThreads.policy == .fixed(1))
        }
    }

    @Test("convolutions give the same values whatever the team size (one primitive per size)")
    func primitivesPerTeamSize() throws {
        let x = Make.uniform([4, 32, 12, 12], seed: 7), w = Make.uniform([48, 32, 3, 3], seed: 8)
        let one = try Self.withFixedTeam(1) { try Tensor.conv2d(x, weight: w, padding: .same).scalars }
        let two = try Self.withFixedTeam(2) { try Tensor.conv2d(x, weight: w, padding: .same).scalars }
        let again = try Self.withFixedTeam(1) { try Tensor.conv2d(x, weight: w, padding: .same).scalars }
        // Other suites may change the size meanwhile; the values must agree whichever sizes ran.
        for other in [two, again] {
            #expect(zip(one, other).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($0)) })
        }
    }

    @Test("usage adds up the time at each size")
    func usage() {
        let usage = ThreadUsage(secondsByCount: [2: 3, 1: 1])
        #expect(usage.meanThreads == 1.75)
        #expect(usage.description == "2 threads 75 %, 1 thread 25 %")
        #expect(ThreadUsage(secondsByCount: [:]).meanThreads == nil)
        // Half the time in two lanes; the team's sizes share the other half in their own proportion.
        let withLanes = ThreadUsage(secondsByCount: [2: 3, 1: 1], laneSecondsByCount: [2: 2])
        #expect(withLanes.meanThreads == 1.875)
        #expect(withLanes.description == "2 lanes 50 %, 2 threads 38 %, 1 thread 13 %")
        #expect(ThreadPolicy.adaptive(maximum: 4).description == "adaptive, up to 4 threads")
        #expect(ThreadPolicy.fixed(1).description == "1 thread")
    }
}
