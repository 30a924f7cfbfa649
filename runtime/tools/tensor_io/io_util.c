/* fileno, fstat */
#define _POSIX_C_SOURCE 200809L

#include "io_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

kiln_status kiln_io_fail(kiln_error *error, kiln_status status, const char *fmt,
                         ...) {
  if (error) {
    error->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(error->message, sizeof error->message, fmt, ap);
    va_end(ap);
  }
  return status;
}

kiln_status kiln_io_size(kiln_dtype dtype, int32_t rank, const int64_t *dims,
                         size_t *size, kiln_error *error) {
  size_t total = kiln_dtype_size(dtype);
  for (int32_t i = 0; i < rank; ++i) {
    uint64_t dim = (uint64_t)dims[i];
    if (dim != 0 && total > SIZE_MAX / dim)
      return kiln_io_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                          "tensor size in bytes overflows");
    total *= (size_t)dim;
  }
  *size = total;
  return KILN_OK;
}

kiln_status kiln_io_alloc(kiln_host_tensor *out, kiln_error *error) {
  size_t size;
  kiln_status st = kiln_io_size(out->dtype, out->rank, out->dims, &size, error);
  if (st != KILN_OK)
    return st;
  out->data = malloc(size ? size : 1);
  if (!out->data)
    return kiln_io_fail(error, KILN_ERROR_OUT_OF_MEMORY,
                        "cannot allocate %zu bytes", size);
  out->size_bytes = size;
  return KILN_OK;
}

kiln_status kiln_io_read_file(const char *path, uint8_t **bytes, size_t *size,
                              kiln_error *error) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return kiln_io_fail(error, KILN_ERROR_INVALID_ARGUMENT, "%s: %s", path,
                        strerror(errno));
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) ||
      (uintmax_t)st.st_size > SIZE_MAX) {
    fclose(f);
    return kiln_io_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                        "%s: not a regular file", path);
  }
  size_t length = (size_t)st.st_size;
  uint8_t *buf = malloc(length ? length : 1);
  if (!buf) {
    fclose(f);
    return kiln_io_fail(error, KILN_ERROR_OUT_OF_MEMORY,
                        "%s: cannot allocate %zu bytes", path, length);
  }
  size_t got = fread(buf, 1, length, f);
  fclose(f);
  if (got != length) {
    free(buf);
    return kiln_io_fail(error, KILN_ERROR_INVALID_ARGUMENT, "%s: short read",
                        path);
  }
  *bytes = buf;
  *size = got;
  return KILN_OK;
}

/* Appends text to buf (capacity size) at *used, truncating. */
static void append(char *buf, size_t size, size_t *used, const char *text) {
  while (*text && *used + 1 < size)
    buf[(*used)++] = *text++;
  buf[*used] = '\0';
}

void kiln_io_prefix_path(kiln_error *error, const char *path) {
  if (!error)
    return;
  char message[sizeof error->message];
  memcpy(message, error->message, sizeof message);
  size_t used = 0;
  append(error->message, sizeof error->message, &used, path);
  append(error->message, sizeof error->message, &used, ": ");
  append(error->message, sizeof error->message, &used, message);
}

void kiln_host_tensor_free(kiln_host_tensor *tensor) {
  if (!tensor)
    return;
  free(tensor->data);
  tensor->data = NULL;
  tensor->size_bytes = 0;
}

kiln_status kiln_tensor_read(const char *path, kiln_host_tensor *out,
                             kiln_error *error) {
  const char *dot = strrchr(path, '.');
  if (dot && strcmp(dot, ".npy") == 0)
    return kiln_npy_read(path, out, error);
  if (dot && strcmp(dot, ".pb") == 0)
    return kiln_pb_read(path, out, error);
  return kiln_io_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                      "%s: unknown file type (expected .npy or .pb)", path);
}
