import Foundation
import Testing
import TuneCore
@testable import TuneNN

@Suite("LearningRateSchedule")
struct LearningRateScheduleTests {
    func rates(_ schedule: LearningRateSchedule, base: Float = 1, steps: [Int]) -> [Float] {
        steps.map { schedule.rate(base: base, step: $0) }
    }

    @Test("constant returns the base rate at every step")
    func constant() {
        #expect(rates(.constant, base: 0.1, steps: [0, 1, 1000]) == [0.1, 0.1, 0.1])
    }

    @Test("step decay multiplies by the factor every N steps")
    func stepDecay() {
        expectClose(rates(.stepDecay(every: 10, factor: 0.5), base: 0.1, steps: [0, 9, 10, 19, 20, 35]),
                    [0.1, 0.1, 0.05, 0.05, 0.025, 0.0125])
    }

    @Test("cosine decay falls from the base to the minimum over T steps, then stays there")
    func cosineDecay() {
        let schedule = LearningRateSchedule.cosineDecay(steps: 100, minimumFactor: 0.1)
        expectClose(rates(schedule, base: 2, steps: [0, 25, 50, 100, 150]), [2, 1.7363961, 1.1, 0.2, 0.2])
        expectClose(rates(.cosineDecay(steps: 4), steps: [0, 2, 4]), [1, 0.5, 0])
    }

    @Test("linear warm-up ramps to the base rate, then runs the inner schedule from its step 0")
    func warmup() {
        let schedule = LearningRateSchedule.warmup(steps: 4, then: .cosineDecay(steps: 10))
        expectClose(rates(schedule, base: 0.4, steps: [0, 1, 2, 3, 4, 9, 14, 20]), [0.1, 0.2, 0.3, 0.4, 0.4, 0.2, 0, 0])
        expectClose(rates(.warmup(steps: 2), steps: [0, 1, 2, 50]), [0.5, 1, 1, 1])
        expectClose(rates(.warmup(steps: 0, then: .stepDecay(every: 1, factor: 0.5)), steps: [0, 1]), [1, 0.5])
    }

    @Test("an optimizer follows its schedule from iteration 0 and scales it by the base rate")
    func drivesOptimizer() throws {
        let (model, parameter) = try makeHolder()
        let optimizer = SGD(learningRate: 1, schedule: .warmup(steps: 2, then: .stepDecay(every: 1, factor: 0.5)))
        var seen: [Float] = []
        try backpropagateConstantGradient(parameter, [1, 0])
        for _ in 0..<4 {
            seen.append(optimizer.currentLearningRate)
            try optimizer.step(model)
        }
        #expect(seen == [0.5, 1, 1, 0.5])
        expectClose(parameter.scalars, [-2, -2])
        optimizer.learningRate = 0.5
        #expect(optimizer.currentLearningRate == 0.125)
    }

    @Test("a misconfigured schedule is reported by the optimizer")
    func invalidSchedule() throws {
        let (model, parameter) = try makeHolder()
        try backpropagateConstantGradient(parameter, [1, 1])
        let error = #expect(throws: OptimizerError.self) {
            try Adam(schedule: .warmup(steps: 3, then: .stepDecay(every: 0, factor: 0.5))).step(model)
        }
        #expect(error == .invalidSchedule(optimizer: "Adam", message: "stepDecay needs every > 0, got 0"))
        #expect(error?.description == "Adam: schedule: stepDecay needs every > 0, got 0")
    }
}
