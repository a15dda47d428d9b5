// unary launchers (placeholder: filled by the unary op family). No include guard: see kernels/gpu.h.
