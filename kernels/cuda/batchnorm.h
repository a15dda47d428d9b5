// batchnorm launchers (placeholder: filled by the batchnorm op family). No include guard: see kernels/gpu.h.
