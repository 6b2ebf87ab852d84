#!/usr/bin/env bash
# Sets up the machine, builds the `finetune` CLI in release mode and runs the main job:
# for now a small CNN trained from scratch on Fashion-MNIST, printing test accuracy.
# Extra arguments go to `finetune fashion-mnist-cnn`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
swift build -c release --product finetune
exec .build/release/finetune fashion-mnist-cnn "$@"
