#!/usr/bin/env bash
# Dev-only: packs what tools/gpu-check.sh needs on a lent GPU machine into .gpu-carry/ (git-ignored
# through .git/info/exclude). That machine has nvcc, cuDNN and PyTorch but none of our Debian -dev
# packages, so the binaries are built here (Release, sm_90 machine code + compute_90 PTX) and travel
# with every shared library they load except glibc's own and CUDA's (cuBLAS, cuDNN and cuFFT are on
# that machine; carrying them would pass the 64 MiB limit).
#
#   cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release && ninja -C build && tools/gpu-pack.sh
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
dest=.gpu-carry
grep -qx '/.gpu-carry/' .git/info/exclude 2>/dev/null || echo '/.gpu-carry/' >> .git/info/exclude
rm -rf "$dest"
mkdir -p "$dest/bin" "$dest/lib"
cp "$build/csgis" "$build/tests/csgis_tests" "$dest/bin/"
strip "$dest/bin/csgis" "$dest/bin/csgis_tests"
# Every resolved library of both binaries, less glibc and the CUDA toolkit's.
ldd "$build/csgis" "$build/tests/csgis_tests" | awk '/=> \//{print $3}' | sort -u | while read -r lib; do
  case "$(basename "$lib")" in
    libc.so.*|libm.so.*|libdl.so.*|libpthread.so.*|librt.so.*|libresolv.so.*|ld-linux*) continue ;;
    libcublas*|libcudnn*|libcufft*|libcuda.so*) continue ;;
  esac
  cp -L "$lib" "$dest/lib/$(basename "$lib")"
done
strip --strip-unneeded "$dest"/lib/*.so* 2>/dev/null || true
# One xz archive: the uncompressed set (OpenBLAS alone is 36 MB) would pass the limit.
tar -C "$dest" -cf - bin lib | xz -T2 -6 > "$dest.tar.xz"
rm -rf "$dest"/bin "$dest"/lib
mv "$dest.tar.xz" "$dest/carry.tar.xz"
# gimp-data's patterns, for a short procedural training run there (1.4 MB).
cp -r /usr/share/gimp/2.0/patterns "$dest/patterns"
du -sh "$dest/carry.tar.xz" "$dest/patterns"
