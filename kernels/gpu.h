// Declares the CUDA launchers of one op family, twice: in csgis::simt_cuda (the kernels/cuda
// sources built by the host compiler against the SIMT emulator, always present) and, in CUDA
// builds, in csgis::cuda (the same sources built by nvcc). Engine code calls them through
// CSGIS_GPU_CALL (engine/dispatch.h). Each source names the families it launches beside its own
// code, so adding a family edits no central list:
//   #define CSGIS_GPU_LAUNCHERS "kernels/cuda/reduce.h"
//   #include "kernels/gpu.h"
// No include guard (and neither have the launcher headers): include it once per family.
#ifndef CSGIS_GPU_LAUNCHERS
#error "define CSGIS_GPU_LAUNCHERS as a launcher header of kernels/cuda/ before including kernels/gpu.h"
#endif

#define CSGIS_GPU_NS simt_cuda
#include CSGIS_GPU_LAUNCHERS
#undef CSGIS_GPU_NS

#if CSGIS_HAS_CUDA
#define CSGIS_GPU_NS cuda
#include CSGIS_GPU_LAUNCHERS
#undef CSGIS_GPU_NS
#endif

#undef CSGIS_GPU_LAUNCHERS
