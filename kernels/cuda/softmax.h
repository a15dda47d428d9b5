// softmax launchers (placeholder: filled by the softmax op family). No include guard: see kernels/gpu.h.
