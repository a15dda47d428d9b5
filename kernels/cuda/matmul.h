// matmul launchers (placeholder: filled by the matmul op family). No include guard: see kernels/gpu.h.
