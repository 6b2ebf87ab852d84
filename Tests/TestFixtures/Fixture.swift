import Foundation
import Testing

/// Something a test needs that the repository does not hold: downloaded weights, photos, a data set, a program.
///
/// A test (or a whole suite) declares what it needs with the ``Testing/Trait/requires(_:sourceLocation:)`` trait.
/// When a fixture is missing the test is skipped with a comment saying how to get it — unless
/// `FINETUNE_REQUIRE_FIXTURES=1` is set (`.ci/run` sets it): then the test fails with that message instead, so a
/// run cannot pass by skipping.
public struct Fixture: Sendable {
    /// What is needed, e.g. "the EfficientNet-Lite0 ImageNet weights".
    public let name: String
    /// How to get it, e.g. "run `finetune models fetch efficientnet-lite0` (scripts/test.sh does)".
    public let remedy: String
    /// Whether it is here now.
    public let isPresent: @Sendable () -> Bool

    public init(_ name: String, remedy: String, isPresent: @escaping @Sendable () -> Bool) {
        self.name = name
        self.remedy = remedy
        self.isPresent = isPresent
    }

    /// The environment variable that turns a missing fixture from a skip into a failure.
    public static let requirementVariable = "FINETUNE_REQUIRE_FIXTURES"

    /// Whether missing fixtures fail tests (`FINETUNE_REQUIRE_FIXTURES=1`) rather than skip them.
    public static var areRequired: Bool { ProcessInfo.processInfo.environment[requirementVariable] == "1" }

    /// "<name>: <remedy>".
    var explanation: String { "\(name): \(remedy)" }
}

/// The trait ``Testing/Trait/requires(_:sourceLocation:)`` makes: skips the test (or each test of a suite) when a
/// fixture is missing, or fails it when ``Fixture/areRequired``.
///
/// A test disabled by `.enabled(if:)` cannot fail, and a test whose trait throws while being prepared is not counted
/// as a test; so when fixtures are required the test starts and this trait records the issue in its place.
public struct FixtureTrait: TestTrait, SuiteTrait, TestScoping {
    let fixtures: [Fixture]
    let sourceLocation: SourceLocation

    public var isRecursive: Bool { true }

    /// The fixtures that are missing now.
    var missing: [Fixture] { fixtures.filter { !$0.isPresent() } }

    /// Skips, as `.enabled(if:)` does, when a fixture is missing and fixtures are not required.
    public func prepare(for test: Test) async throws {
        guard !Fixture.areRequired else { return }
        let needs = Comment(rawValue: "needs " + fixtures.map(\.explanation).joined(separator: "; "))
        try await ConditionTrait.enabled(needs, sourceLocation: sourceLocation) { missing.isEmpty }.prepare(for: test)
    }

    /// Runs the test, or, when a required fixture is missing, fails it with a message naming what is missing and
    /// how to get it.
    public func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void)
        async throws
    {
        let missing = test.isSuite || !Fixture.areRequired ? [] : missing
        guard !missing.isEmpty else { return try await function() }
        Issue.record(Comment(rawValue: "missing \(missing.map(\.explanation).joined(separator: "; ")) "
                                 + "(\(Fixture.requirementVariable)=1: missing fixtures fail instead of skipping)"),
                     sourceLocation: sourceLocation)
    }
}

extension Trait where Self == FixtureTrait {
    /// Runs the test (every test of a suite) only when all `fixtures` are present. When one is missing it skips,
    /// naming what is missing and how to get it; with `FINETUNE_REQUIRE_FIXTURES=1` it fails with that message.
    public static func requires(_ fixtures: Fixture..., sourceLocation: SourceLocation = #_sourceLocation) -> Self {
        FixtureTrait(fixtures: fixtures, sourceLocation: sourceLocation)
    }
}
