#!/usr/bin/env bash
# Installs every Debian package the project needs to build and test. Idempotent and quiet:
# packages already present are skipped; any failure stops the script with a message.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libopenblas-dev libomp-dev
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
  exit 0
fi

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
