// Declarations of every CUDA launcher, twice: in csgis::simt_cuda (the kernels/cuda sources built
// by the host compiler against the SIMT emulator, always present) and, in CUDA builds, in
// csgis::cuda (the same sources built by nvcc). Engine code calls them through CSGIS_GPU_CALL.
#pragma once

#define CSGIS_GPU_NS simt_cuda
#include "kernels/cuda/all.h"
#undef CSGIS_GPU_NS

#if CSGIS_HAS_CUDA
#define CSGIS_GPU_NS cuda
#include "kernels/cuda/all.h"
#undef CSGIS_GPU_NS
#endif
