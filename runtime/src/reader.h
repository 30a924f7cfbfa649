/* Bounds-checked little-endian reading of untrusted bytes, shared by the
 * runtime's parsers (model descriptor, OpenCL plan): every read checks the
 * bytes left first. */
#ifndef KILN_RT_READER_H
#define KILN_RT_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct reader {
  const uint8_t *p;
  size_t left;
} reader;

static inline bool read_bytes(reader *r, size_t n, const uint8_t **out) {
  if (r->left < n)
    return false;
  *out = r->p;
  r->p += n;
  r->left -= n;
  return true;
}

/* Little-endian unsigned integer of n <= 8 bytes. */
static inline bool read_uint(reader *r, size_t n, uint64_t *value) {
  const uint8_t *b;
  if (!read_bytes(r, n, &b))
    return false;
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i)
    v |= (uint64_t)b[i] << (8 * i);
  *value = v;
  return true;
}

static inline bool read_u8(reader *r, uint32_t *value) {
  uint64_t v;
  if (!read_uint(r, 1, &v))
    return false;
  *value = (uint32_t)v;
  return true;
}

static inline bool read_u16(reader *r, uint32_t *value) {
  uint64_t v;
  if (!read_uint(r, 2, &v))
    return false;
  *value = (uint32_t)v;
  return true;
}

static inline bool read_u32(reader *r, uint32_t *value) {
  uint64_t v;
  if (!read_uint(r, 4, &v))
    return false;
  *value = (uint32_t)v;
  return true;
}

static inline bool read_u64(reader *r, uint64_t *value) {
  return read_uint(r, 8, value);
}

#endif /* KILN_RT_READER_H */
