// shape launchers (placeholder: filled by the shape op family). No include guard: see kernels/gpu.h.
