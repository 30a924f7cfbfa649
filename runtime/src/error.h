/* Internal helpers for filling kiln_error and formatting messages. */
#ifndef KILN_RT_ERROR_H
#define KILN_RT_ERROR_H

#include "kiln/runtime.h"

#include <stddef.h>

#if defined(__GNUC__)
#define KILN_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define KILN_PRINTF(fmt, args)
#endif

/* Fills `error` (when non-NULL) and returns `status`, so that callers can
 * write `return kiln_fail(...)`. */
kiln_status kiln_fail(kiln_error *error, kiln_status status, const char *fmt,
                      ...) KILN_PRINTF(3, 4);

/* Writes a shape as "1x3x224x224" ("scalar" for rank 0) into buf. */
void kiln_format_shape(char *buf, size_t size, int32_t rank,
                       const int64_t *dims);

/* Writes a dtype name, or "dtype(N)" for values that are not kiln dtypes. */
void kiln_format_dtype(char *buf, size_t size, int dtype);

#endif /* KILN_RT_ERROR_H */
