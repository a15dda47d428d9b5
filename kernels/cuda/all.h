// Every launcher header of kernels/cuda (no include guard: see kernels/gpu.h). Add new op
// families here.
#include "kernels/cuda/copy.h"
#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/reduce.h"
#include "kernels/cuda/unary.h"
#include "kernels/cuda/softmax.h"
#include "kernels/cuda/shape.h"
#include "kernels/cuda/matmul.h"
#include "kernels/cuda/pool.h"
#include "kernels/cuda/upsample.h"
#include "kernels/cuda/batchnorm.h"
#include "kernels/cuda/conv2d.h"
#include "kernels/cuda/optim.h"
