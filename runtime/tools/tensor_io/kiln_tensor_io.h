/* Reading and writing tensors for Kiln's tools and tests: NumPy .npy files
 * and ONNX TensorProto .pb files (as in ONNX's test data sets).
 *
 * Data is little-endian and row-major on both sides; the host must be
 * little-endian (x86-64, aarch64). Errors use kiln_error from the runtime:
 * KILN_ERROR_INVALID_ARGUMENT for unreadable or malformed files,
 * KILN_ERROR_UNSUPPORTED for valid files this reader does not handle
 * (Fortran order, big-endian, other dtypes), KILN_ERROR_OUT_OF_MEMORY. */
#ifndef KILN_TENSOR_IO_H
#define KILN_TENSOR_IO_H

#include "kiln/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A tensor owning its data (malloc'ed; release with kiln_host_tensor_free).
 * Dims may be 0 here; the runtime rejects such tensors when they are run. */
typedef struct kiln_host_tensor {
  kiln_dtype dtype;
  int32_t rank;
  int64_t dims[KILN_MAX_RANK];
  void *data;
  size_t size_bytes;
} kiln_host_tensor;

void kiln_host_tensor_free(kiln_host_tensor *tensor);

/* Parses a whole .npy file image (format versions 1 and 2). */
kiln_status kiln_npy_parse(const uint8_t *bytes, size_t size,
                           kiln_host_tensor *out, kiln_error *error);
kiln_status kiln_npy_read(const char *path, kiln_host_tensor *out,
                          kiln_error *error);
/* Writes a version 1 file, as numpy.save does. */
kiln_status kiln_npy_write(const char *path, kiln_dtype dtype, int32_t rank,
                           const int64_t *dims, const void *data,
                           kiln_error *error);

/* Parses a serialized onnx.TensorProto (dims, data_type, name, and one of
 * raw_data, float_data, int32_data, int64_data, double_data). */
kiln_status kiln_pb_parse(const uint8_t *bytes, size_t size,
                          kiln_host_tensor *out, kiln_error *error);
kiln_status kiln_pb_read(const char *path, kiln_host_tensor *out,
                         kiln_error *error);

/* Reads `path` as .npy or .pb, chosen by its extension. */
kiln_status kiln_tensor_read(const char *path, kiln_host_tensor *out,
                             kiln_error *error);

#ifdef __cplusplus
}
#endif
#endif /* KILN_TENSOR_IO_H */
