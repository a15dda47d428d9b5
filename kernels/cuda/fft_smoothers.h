// The per-pixel steps of the FFT-based smoothers on the GPU, L0 gradient minimisation and ILS
// (data/smoothers/gpu_fft_smoothers.h; the CPU references are data/smoothers/l0_smoothing.cpp and
// data/smoothers/ils.cpp), in double precision: see kernels/cuda/fft_smoothers.cu. The 2-D FFTs
// between them are cuFFT's (or the CPU's on the emulator): data/smoothers/gpu_fft.h. No include
// guard: see kernels/gpu.h.
//
// Planes are W x H row-major, `planes` of them back to back; half spectra are (W/2 + 1) x H complex
// values per plane, row-major, stored as interleaved (re, im) doubles (cuFFT's cufftDoubleComplex
// and std::complex<double> layout). Every buffer is device memory; outputs must not alias inputs
// unless stated.
#include <cstdint>

typedef struct CUstream_st* cudaStream_t;

namespace csgis {
namespace CSGIS_GPU_NS {

// HWC float image (width x height x channels) <-> `channels` double planes.
void hwc_to_planes_f64(const float* hwc, double* planes, int width, int height, int channels,
                       cudaStream_t stream);
void planes_to_hwc_f32(const double* planes, float* hwc, int width, int height, int channels,
                       cudaStream_t stream);

// L0's auxiliary gradients: (h, v)_c = the circular forward differences (dx S_c, dy S_c), or 0 for
// every channel where sum_c (dx S_c)^2 + (dy S_c)^2 < threshold (= lambda / beta).
void l0_sparse_gradients(const double* S, double* h, double* v, int width, int height, int channels,
                         double threshold, cudaStream_t stream);

// ILS's Welsch half-quadratic terms m = c g - phi'(g), phi'(g) = 2 g exp(-g^2 inv_two_gamma2), of
// the circular forward differences g = dx u (into mx) and dy u (into my), every plane on its own.
void ils_welsch_terms(const double* u, double* mx, double* my, int width, int height, int planes, double c,
                      double inv_two_gamma2, cudaStream_t stream);

// div = dx^T h + dy^T v = (h(x-1) - h(x)) + (v(y-1) - v(y)), circular.
void circular_divergence(const double* h, const double* v, double* div, int width, int height, int planes,
                         cudaStream_t stream);

// The solve in the frequency domain, per half-spectrum value i of every plane (otf2 is one plane of
// 4 sin^2(pi kx / W) + 4 sin^2(pi ky / H), shared by the planes):
//   s = (data[i] + rhs_weight spec[i]) / (1 + otf_weight otf2[i]);  spec[i] = out_scale s;
//   and, when data_out is not null, data_out[i] = s (ILS feeds the result back as its data term;
//   data_out may be data itself).
void spectral_solve(const double* data, double* spec, double* data_out, const double* otf2,
                    int64_t spectrum_size, int planes, double rhs_weight, double otf_weight, double out_scale,
                    cudaStream_t stream);

}  // namespace CSGIS_GPU_NS
}  // namespace csgis
