#!/usr/bin/env bash
# Fetches ordinary test photos for `finetune predict`'s tests: scikit-image's wheel on PyPI ships a few
# (skimage/data/chelsea.png, coffee.png, rocket.jpg, …). The wheel is kept in $FINETUNE_HOME/test-data and the
# tests read the photos out of it; nothing is installed. Idempotent and offline once downloaded.
set -euo pipefail
home="${FINETUNE_HOME:-$HOME/.cache/finetune}"
folder="$home/test-data"
mkdir -p "$folder"
if compgen -G "$folder/scikit_image-0.26.0-*.whl" >/dev/null; then
    echo "fetch-test-photos: already in $folder"
    exit 0
fi
python3 -m pip download --no-deps --only-binary :all: --disable-pip-version-check --quiet \
    --python-version 3.11 --implementation cp --abi cp311 --platform manylinux_2_28_x86_64 \
    --dest "$folder" scikit-image==0.26.0
echo "fetch-test-photos: downloaded scikit-image 0.26.0 into $folder"
