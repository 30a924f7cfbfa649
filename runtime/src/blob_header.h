/* The 24-byte header the OpenCL and NNA plans share (kiln/opencl_plan.h,
 * kiln/nna_plan.h): u32 magic, u32 version, u64 payload size, u32 FNV-1a
 * 32 checksum of the payload, u32 reserved (0). */
#ifndef KILN_RT_BLOB_HEADER_H
#define KILN_RT_BLOB_HEADER_H

#include "error.h"
#include "reader.h"

#include "kiln/model_format.h"

#include <stdint.h>

#define KILN_BLOB_HEADER_SIZE 24u

/* Checks the header of the `size` bytes at `data` (`what` names the blob in
 * messages: "OpenCL plan"); on success `payload` reads what follows it,
 * whose size and checksum matched. */
static inline kiln_status kiln_blob_header(const uint8_t *data, uint64_t size,
                                           const char *what, uint32_t magic,
                                           uint32_t version, reader *payload,
                                           kiln_error *error) {
  if (!data || size < KILN_BLOB_HEADER_SIZE)
    return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                     "%s: %llu bytes, shorter than its header", what,
                     (unsigned long long)(data ? size : 0));
  if (size > SIZE_MAX)
    return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                     "%s: %llu bytes do not fit in memory", what,
                     (unsigned long long)size);
  reader c = {data, (size_t)size};
  uint32_t got_magic, got_version, checksum, reserved;
  uint64_t length;
  read_u32(&c, &got_magic);
  read_u32(&c, &got_version);
  read_u64(&c, &length);
  read_u32(&c, &checksum);
  read_u32(&c, &reserved);
  if (got_magic != magic)
    return kiln_fail(error, KILN_ERROR_INVALID_MODEL, "%s: bad magic 0x%08x",
                     what, got_magic);
  if (got_version != version)
    return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                     "%s: version %u, this runtime reads %u", what, got_version,
                     version);
  if (length != c.left)
    return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                     "%s: payload of %llu bytes, %llu present", what,
                     (unsigned long long)length, (unsigned long long)c.left);
  if (kiln_fnv1a32(c.p, c.left) != checksum)
    return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                     "%s: checksum mismatch (corrupt artifact)", what);
  if (reserved != 0)
    return kiln_fail(error, KILN_ERROR_INVALID_MODEL,
                     "%s: reserved header field is %u, not 0", what, reserved);
  *payload = c;
  return KILN_OK;
}

#endif /* KILN_RT_BLOB_HEADER_H */
