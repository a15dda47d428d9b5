#!/usr/bin/env bash
# Installs a built tree into a scratch prefix and builds the examples/ consumers against it, as an
# embedding program would (find_package(csgis 0.2)): the installed package must be complete, carry
# no path of this build tree, and let a consumer compile with -Werror -pedantic.
#   tools/test-install.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:?usage: tools/test-install.sh BUILD_DIR}" && pwd)
cd "$(dirname "$0")/.."
src=$(pwd)
prefix="$build/install-check"
rm -rf "$prefix" "$build"/example-*
cmake --install "$build" --prefix "$prefix" >/dev/null
if grep -rl -e "$src" -e "$build" "$prefix/lib/cmake" "$prefix/include" >/dev/null 2>&1; then
  echo "installed files name paths of the build machine:"; grep -rn -e "$src" -e "$build" "$prefix/lib/cmake" "$prefix/include" | head
  exit 1
fi
for ex in smooth_image custom_op train_tiny; do
  log="$build/example-$ex.log"
  cmake -S "examples/$ex" -B "$build/example-$ex" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$prefix" >"$log" 2>&1 || { cat "$log"; exit 1; }
  cmake --build "$build/example-$ex" >>"$log" 2>&1 || { cat "$log"; exit 1; }
done
"$build/example-custom_op/custom_op"
"$build/example-train_tiny/train_tiny" | tail -1
out="$build/example-smooth_image/smoothed.png"
rm -f "$out"
"$build/example-smooth_image/smooth_image" weights/jess-real.safetensors examples/photo_dog.png "$out"
test -s "$out"
# The C API's shared library: only csgis_* exported, versioned soname, and usable from Python's ctypes.
lib="$prefix/lib/libcsgis_c.so"
exported=$(nm -D --defined-only "$lib" | awk '$2 == "T" && $3 !~ /^csgis_/ {print $3}')
if [ -n "$exported" ]; then echo "libcsgis_c.so exports more than the C API:"; echo "$exported" | head; exit 1; fi
# (the output is read whole first: `grep -q` on a pipe may end objdump early, which pipefail counts)
soname=$(objdump -p "$lib" | awk '$1 == "SONAME" {print $2}')
[ "$soname" = "libcsgis_c.so.0.2" ] || { echo "libcsgis_c.so: soname '$soname', expected libcsgis_c.so.0.2"; exit 1; }
if command -v python3 >/dev/null; then
  OMP_NUM_THREADS=2 python3 examples/python/smooth_ctypes.py --lib "$lib" --weights weights/jess-real.safetensors --size 64
fi
echo "installed package: $(du -sh "$prefix/lib" | cut -f1) of libraries; smooth_image, custom_op and train_tiny built against it and ran"
