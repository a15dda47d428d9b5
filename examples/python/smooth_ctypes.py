#!/usr/bin/env python3
"""Dev-only example: the C API (include/csgis/c_api.h) from Python through ctypes, no other module.

    python3 examples/python/smooth_ctypes.py --lib P/lib/libcsgis_c.so --weights weights/jess-real.safetensors

Smooths a synthetic 8-bit RGB picture (flat squares plus a fine texture) and prints how much the
texture was removed; a binding of your own would hand it the bytes of a real image instead.
"""
import argparse
import ctypes
import sys

OK = 0


def load(lib_path):
    lib = ctypes.CDLL(lib_path)
    lib.csgis_version.restype = ctypes.c_char_p
    lib.csgis_last_error.restype = ctypes.c_char_p
    lib.csgis_context_create.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
    lib.csgis_context_destroy.argtypes = [ctypes.c_void_p]
    lib.csgis_model_load.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
    lib.csgis_smooth_rgb8.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_int,
                                      ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t]
    return lib


def check(lib, status, what):
    if status != OK:
        sys.exit(f"{what} failed ({status}): {lib.csgis_last_error().decode()}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lib", required=True, help="path of libcsgis_c.so")
    ap.add_argument("--weights", required=True, help="JESS weights (.safetensors)")
    ap.add_argument("--size", type=int, default=96, help="side of the synthetic picture in pixels")
    a = ap.parse_args()
    lib = load(a.lib)
    n = a.size
    flat = bytearray(n * n * 3)
    for y in range(n):
        for x in range(n):
            base = (60, 170, 90) if (x // 24 + y // 24) % 2 else (200, 80, 140)
            stripe = 25 if (x + y) % 4 < 2 else -25
            for c in range(3):
                flat[(y * n + x) * 3 + c] = max(0, min(255, base[c] + stripe))
    ctx, model = ctypes.c_void_p(), ctypes.c_void_p()
    check(lib, lib.csgis_context_create(b"cpu", ctypes.byref(ctx)), "csgis_context_create")
    check(lib, lib.csgis_model_load(ctx, a.weights.encode(), ctypes.byref(model)), "csgis_model_load")
    out = ctypes.create_string_buffer(n * n * 3)
    check(lib, lib.csgis_smooth_rgb8(ctx, model, bytes(flat), n, n, n * 3, out, n * 3), "csgis_smooth_rgb8")
    lib.csgis_context_destroy(ctx)

    def stripe_energy(img):  # mean |difference| between horizontal neighbours inside the squares
        total = count = 0
        for y in range(n):
            for x in range(n - 1):
                if x % 24 != 23:
                    total += abs(img[(y * n + x) * 3] - img[(y * n + x + 1) * 3])
                    count += 1
        return total / count

    before, after = stripe_energy(flat), stripe_energy(out.raw)
    print(f"csgis {lib.csgis_version().decode()}: texture (neighbour difference) {before:.1f} -> {after:.1f}")
    return 0 if after < before else 1


if __name__ == "__main__":
    sys.exit(main())
