// upsample launchers (placeholder: filled by the upsample op family). No include guard: see kernels/gpu.h.
