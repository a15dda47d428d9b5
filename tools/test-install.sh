#!/usr/bin/env bash
# Installs a built tree into a scratch prefix and builds the examples/ consumers against it, as an
# embedding program would (find_package(csgis 0.2)): the installed package must be complete, carry
# no path of this build tree, and let a consumer compile with -Werror -pedantic. Then the same with
# the shared libraries: a second, CPU-only tree configured with BUILD_SHARED_LIBS=ON (its objects
# are the compiler cache's), whose libcsgis.so / libcsgis_models.so must export the public API only
# and carry the version in their soname (CSGIS_INSTALL_SHARED=0 skips this half).
#   tools/test-install.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:?usage: tools/test-install.sh BUILD_DIR}" && pwd)
cd "$(dirname "$0")/.."
src=$(pwd)
soversion=0.2

# PREFIX LABEL: builds and runs the four consumers against the package installed in PREFIX
# (cuda_interop on the GPU where there is one, else on the emulated CUDA device).
check_consumers() {
  local prefix=$1 label=$2 dir
  if grep -rl -e "$src" -e "$build" "$prefix/lib/cmake" "$prefix/include" >/dev/null 2>&1; then
    echo "installed files name paths of the build machine:"; grep -rn -e "$src" -e "$build" "$prefix/lib/cmake" "$prefix/include" | head
    exit 1
  fi
  for ex in smooth_image custom_op train_tiny cuda_interop; do
    dir="$build/example-$label-$ex"
    rm -rf "$dir"
    cmake -S "examples/$ex" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_PREFIX_PATH="$prefix" >"$dir.log" 2>&1 || { cat "$dir.log"; exit 1; }
    cmake --build "$dir" >>"$dir.log" 2>&1 || { cat "$dir.log"; exit 1; }
  done
  "$build/example-$label-custom_op/custom_op"
  "$build/example-$label-train_tiny/train_tiny" | tail -1
  "$build/example-$label-cuda_interop/cuda_interop" weights/jess-real.safetensors 24
  local out="$build/example-$label-smooth_image/smoothed.png"
  rm -f "$out"
  "$build/example-$label-smooth_image/smooth_image" weights/jess-real.safetensors examples/photo_dog.png "$out"
  test -s "$out"
}

# LIB: the versioned soname.
check_soname() {
  # (the output is read whole first: `grep -q` on a pipe may end objdump early, which pipefail counts)
  local soname want
  soname=$(objdump -p "$1" | awk '$1 == "SONAME" {print $2}')
  want="$(basename "$1").$soversion"
  [ "$soname" = "$want" ] || { echo "$(basename "$1"): soname '$soname', expected $want"; exit 1; }
}

# ---- static archives (the default build)
prefix="$build/install-check"
rm -rf "$prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null
# What is installed is what is public: exactly the headers of include/csgis/ and the generated op
# umbrella engine/ops.h, nothing of the internal headers beside the sources.
want=$( (cd include/csgis && find . -name '*.h'; echo ./engine/ops.h) | sort)
have=$(cd "$prefix/include/csgis" && find . -type f | sort)
if [ "$want" != "$have" ]; then
  echo "installed headers differ from include/csgis/ (< source, > installed):"; diff <(echo "$want") <(echo "$have") || true; exit 1
fi
check_consumers "$prefix" static
# The C API's shared library: only csgis_* exported, versioned soname, and usable from Python's ctypes.
lib="$prefix/lib/libcsgis_c.so"
exported=$(nm -D --defined-only "$lib" | awk '$2 == "T" && $3 !~ /^csgis_/ {print $3}')
if [ -n "$exported" ]; then echo "libcsgis_c.so exports more than the C API:"; echo "$exported" | head; exit 1; fi
check_soname "$lib"
if command -v python3 >/dev/null; then
  OMP_NUM_THREADS=2 python3 examples/python/smooth_ctypes.py --lib "$lib" --weights weights/jess-real.safetensors --size 64
fi
echo "installed package (static): $(du -sh "$prefix/lib" | cut -f1) of libraries; smooth_image, custom_op, train_tiny and cuda_interop built against it and ran"

[ "${CSGIS_INSTALL_SHARED:-1}" = 0 ] && exit 0

# ---- shared libraries
shared="$build/shared-check"
prefix="$build/install-check-shared"
rm -rf "$prefix"
cmake -S . -B "$shared" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON -DCSGIS_CUDA=OFF \
  -DCSGIS_BUILD_TESTS=OFF -DCSGIS_BUILD_BENCH=OFF >"$shared.log" 2>&1 || { cat "$shared.log"; exit 1; }
cmake --build "$shared" --target csgis_shared csgis_models_shared csgis_c >>"$shared.log" 2>&1 || { tail -n 40 "$shared.log"; exit 1; }
cmake --install "$shared" --prefix "$prefix" >/dev/null
for name in csgis csgis_models; do
  lib="$prefix/lib/lib$name.so"
  [ -f "$lib" ] || { echo "BUILD_SHARED_LIBS=ON installed no $(basename "$lib")"; exit 1; }
  check_soname "$lib"
  # The public API only: the kernels (csgis::cpu, csgis::simt_cuda), the CUDA bridge, the SIMT
  # emulator and the bundled JSON code stay inside.
  leaked=$(nm -DC --defined-only "$lib" | grep -E 'csgis::(cpu|cuda|simt_cuda|cuda_backend)::| simt::|nlohmann' || true)
  if [ -n "$leaked" ]; then echo "$(basename "$lib") exports internal symbols:"; echo "$leaked" | head; exit 1; fi
done
check_consumers "$prefix" shared
needed=$(objdump -p "$build/example-shared-smooth_image/smooth_image" | awk '$1 == "NEEDED" {print $2}')
echo "$needed" | grep -qx "libcsgis.so.$soversion" || { echo "smooth_image does not load libcsgis.so.$soversion:"; echo "$needed"; exit 1; }
echo "installed package (shared): $(du -shL "$prefix/lib/libcsgis.so" | cut -f1) libcsgis.so, $(du -shL "$prefix/lib/libcsgis_models.so" | cut -f1) libcsgis_models.so, $(nm -D --defined-only "$prefix/lib/libcsgis.so" | wc -l) exported symbols; the consumers built against it and ran"
