/* Calls the C API from C (compiled as C, not C++), the way a binding would, including the misuses
 * a binding can make: every check that fails writes what it was into `report` and returns nonzero. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csgis/c_api.h"

#define EXPECT(cond)                                                                       \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      snprintf(report, report_size, "line %d: %s (last error: %s)", __LINE__, #cond, csgis_last_error()); \
      return 1;                                                                            \
    }                                                                                      \
  } while (0)

int csgis_c_api_selftest(const char* weights, char* report, size_t report_size) {
  csgis_context* ctx = NULL;
  csgis_model* model = NULL;
  enum { W = 19, H = 13, STRIDE = W * 3 + 5 }; /* odd sizes, padded rows */
  unsigned char in[H * STRIDE], out[H * STRIDE], again[H * STRIDE];
  int i;
  report[0] = '\0';
  EXPECT(strlen(csgis_version()) >= 5);

  EXPECT(csgis_context_create("gpu-please", &ctx) == CSGIS_INVALID_ARGUMENT);
  EXPECT(strstr(csgis_last_error(), "gpu-please") != NULL);
  EXPECT(csgis_context_create("cpu", NULL) == CSGIS_INVALID_ARGUMENT);
  EXPECT(csgis_context_create("cpu", &ctx) == CSGIS_OK && ctx != NULL);
  EXPECT(csgis_last_error()[0] == '\0');

  EXPECT(csgis_model_load(ctx, "/nonexistent/weights.safetensors", &model) == CSGIS_FAILED);
  EXPECT(strstr(csgis_last_error(), "/nonexistent/weights.safetensors") != NULL);
  EXPECT(model == NULL);
  EXPECT(csgis_model_load(ctx, weights, &model) == CSGIS_OK && model != NULL);

  for (i = 0; i < H * STRIDE; ++i) in[i] = (unsigned char)((i * 37 + i / 7) & 0xff);
  memset(out, 0, sizeof out);
  EXPECT(csgis_smooth_rgb8(ctx, model, in, W, H, STRIDE, out, STRIDE) == CSGIS_OK);
  memcpy(again, out, sizeof out);
  EXPECT(csgis_smooth_rgb8(ctx, model, in, W, H, STRIDE, out, STRIDE) == CSGIS_OK);
  EXPECT(memcmp(again, out, sizeof out) == 0); /* deterministic */
  EXPECT(csgis_smooth_rgb8(ctx, model, in, W, H, W * 3 - 1, out, STRIDE) == CSGIS_INVALID_ARGUMENT);
  EXPECT(strstr(csgis_last_error(), "stride") != NULL);
  EXPECT(csgis_smooth_rgb8(ctx, model, NULL, W, H, STRIDE, out, STRIDE) == CSGIS_INVALID_ARGUMENT);
  EXPECT(csgis_smooth_rgb8(ctx, model, in, 0, H, STRIDE, out, STRIDE) == CSGIS_INVALID_ARGUMENT);

  /* A handle of the other kind is refused, not used as one (each kind has its own live set). */
  EXPECT(csgis_smooth_rgb8((csgis_context*)(void*)model, model, in, W, H, STRIDE, out, STRIDE) == CSGIS_INVALID_HANDLE);
  EXPECT(csgis_smooth_rgb8(ctx, (csgis_model*)(void*)ctx, in, W, H, STRIDE, out, STRIDE) == CSGIS_INVALID_HANDLE);
  EXPECT(csgis_model_destroy((csgis_model*)(void*)ctx) == CSGIS_INVALID_HANDLE);
  EXPECT(csgis_context_destroy((csgis_context*)(void*)model) == CSGIS_INVALID_HANDLE);

  EXPECT(csgis_model_destroy(model) == CSGIS_OK);
  EXPECT(csgis_smooth_rgb8(ctx, model, in, W, H, STRIDE, out, STRIDE) == CSGIS_INVALID_HANDLE);
  EXPECT(csgis_model_destroy(model) == CSGIS_INVALID_HANDLE);
  EXPECT(csgis_model_load(ctx, weights, &model) == CSGIS_OK);
  EXPECT(csgis_context_destroy(ctx) == CSGIS_OK); /* takes its models with it */
  EXPECT(csgis_smooth_rgb8(ctx, model, in, W, H, STRIDE, out, STRIDE) == CSGIS_INVALID_HANDLE);
  EXPECT(strstr(csgis_last_error(), "destroyed") != NULL);
  EXPECT(csgis_model_load(ctx, weights, &model) == CSGIS_INVALID_HANDLE);
  EXPECT(csgis_context_destroy(ctx) == CSGIS_INVALID_HANDLE);
  EXPECT(csgis_context_destroy(NULL) == CSGIS_OK);
  return 0;
}
