/* The C interface of CSGIS: enough to smooth 8-bit RGB images with a JESS model from any language
 * that can call C (a ctypes binding: examples/python/smooth_ctypes.py).
 *
 * Every function that can fail returns a csgis_status; on failure csgis_last_error() gives a
 * one-line message (for the calling thread, valid until its next call into the API) naming the
 * argument and what was expected. Handles are checked on every call: a destroyed or unknown handle
 * is CSGIS_INVALID_HANDLE, never a crash. A context and the models loaded into it may be used from
 * one thread at a time; different contexts may run on different threads.
 *
 * Link: csgis::models (which brings csgis::engine) from the installed CMake package. */
#ifndef CSGIS_C_API_H
#define CSGIS_C_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct csgis_context csgis_context;
typedef struct csgis_model csgis_model;

typedef enum csgis_status {
  CSGIS_OK = 0,
  CSGIS_INVALID_ARGUMENT = 1, /* a null pointer, a bad size, an unknown device name */
  CSGIS_INVALID_HANDLE = 2,   /* a context or model that was destroyed or never created */
  CSGIS_FAILED = 3            /* anything else: unreadable weights, a non-finite output, ... */
} csgis_status;

/* "major.minor.patch" of the library. */
const char* csgis_version(void);

/* The message of the calling thread's last failed call ("" when none failed). */
const char* csgis_last_error(void);

/* device: "cpu", "simt" (the CUDA kernels on the CPU emulator) or "cuda" / "cuda:N". */
csgis_status csgis_context_create(const char* device, csgis_context** out);
/* Destroys the context and every model loaded into it. Null is ignored. */
csgis_status csgis_context_destroy(csgis_context* ctx);

/* Loads JESS weights (safetensors: a csgis export or a plain PyTorch state_dict) for inference on
 * the context's device (BatchNorm folded into the convolutions). */
csgis_status csgis_model_load(csgis_context* ctx, const char* path, csgis_model** out);
csgis_status csgis_model_destroy(csgis_model* model);

/* Smooths one interleaved 8-bit RGB image (row r of `in` at in + r * in_stride bytes) into `out`
 * (same width and height, its own stride), as `csgis smooth` writes it: uint8(clip(S1 * 255)). The
 * whole image runs through the network at once, so memory grows with width * height. */
csgis_status csgis_smooth_rgb8(csgis_context* ctx, csgis_model* model, const uint8_t* in, int width,
                               int height, size_t in_stride, uint8_t* out, size_t out_stride);

#ifdef __cplusplus
}
#endif

#endif /* CSGIS_C_API_H */
