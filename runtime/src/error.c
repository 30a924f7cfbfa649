#include "error.h"

#include <stdarg.h>
#include <stdio.h>

kiln_status kiln_fail(kiln_error *error, kiln_status status, const char *fmt,
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

void kiln_format_shape(char *buf, size_t size, int32_t rank,
                       const int64_t *dims) {
  if (size == 0)
    return;
  buf[0] = '\0';
  if (rank == 0) {
    snprintf(buf, size, "scalar");
    return;
  }
  size_t used = 0;
  for (int32_t i = 0; i < rank && used < size; ++i) {
    int n = snprintf(buf + used, size - used, "%s%lld", i ? "x" : "",
                     (long long)dims[i]);
    if (n < 0)
      return;
    used += (size_t)n;
  }
}

void kiln_format_dtype(char *buf, size_t size, int dtype) {
  if (kiln_dtype_size((uint32_t)dtype) != 0)
    snprintf(buf, size, "%s", kiln_dtype_name((kiln_dtype)dtype));
  else
    snprintf(buf, size, "dtype(%d)", dtype);
}

const char *kiln_status_string(kiln_status status) {
  switch (status) {
  case KILN_OK:
    return "ok";
  case KILN_ERROR_INVALID_ARGUMENT:
    return "invalid argument";
  case KILN_ERROR_INVALID_MODEL:
    return "invalid model";
  case KILN_ERROR_OUT_OF_MEMORY:
    return "out of memory";
  case KILN_ERROR_SHAPE_MISMATCH:
    return "shape mismatch";
  case KILN_ERROR_DTYPE_MISMATCH:
    return "dtype mismatch";
  case KILN_ERROR_UNSUPPORTED:
    return "unsupported";
  case KILN_ERROR_DEVICE:
    return "device error";
  case KILN_ERROR_INFEASIBLE:
    return "infeasible";
  }
  return "unknown status";
}

const char *kiln_dtype_name(kiln_dtype dtype) {
  const char *name = kiln_dtype_short_name((uint32_t)dtype);
  return name ? name : "unknown";
}
