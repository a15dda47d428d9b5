// pool launchers (placeholder: filled by the pool op family). No include guard: see kernels/gpu.h.
