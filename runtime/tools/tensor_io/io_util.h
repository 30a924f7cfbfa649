/* Helpers shared by the .npy and .pb readers. */
#ifndef KILN_IO_UTIL_H
#define KILN_IO_UTIL_H

#include "kiln_tensor_io.h"

#if defined(__GNUC__)
#define KILN_IO_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define KILN_IO_PRINTF(fmt, args)
#endif

/* Fills `error` (when non-NULL) and returns `status`. */
kiln_status kiln_io_fail(kiln_error *error, kiln_status status, const char *fmt,
                         ...) KILN_IO_PRINTF(3, 4);

/* Size in bytes of a dense tensor, checked for overflow. Dims are >= 0. */
kiln_status kiln_io_size(kiln_dtype dtype, int32_t rank, const int64_t *dims,
                         size_t *size, kiln_error *error);

/* Sets out->size_bytes from dtype, rank and dims (checked for overflow) and
 * allocates out->data (at least one byte, so it is never NULL). */
kiln_status kiln_io_alloc(kiln_host_tensor *out, kiln_error *error);

/* Reads a whole file into a malloc'ed buffer. */
kiln_status kiln_io_read_file(const char *path, uint8_t **bytes, size_t *size,
                              kiln_error *error);

/* Prefixes error->message with "path: ". */
void kiln_io_prefix_path(kiln_error *error, const char *path);

#endif /* KILN_IO_UTIL_H */
