/* NumPy .npy files: https://numpy.org/doc/stable/reference/generated/
 * numpy.lib.format.html. The header is a Python dict literal; this reader
 * accepts what numpy writes ('descr', 'fortran_order', 'shape' in any
 * order) and nothing that would need a Python parser. */
#include "io_util.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char kMagic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

/* Reading takes the first entry with the descr, writing the first with the
 * dtype. NumPy has no bfloat16: bf16 is written as its bits, '<u2' (which
 * reads back as u16; kiln-run takes u16 data for a bf16 input). */
static const struct {
  const char *descr;
  kiln_dtype dtype;
} kDescrs[] = {
    {"<f4", KILN_DTYPE_F32},  {"<f8", KILN_DTYPE_F64}, {"<f2", KILN_DTYPE_F16},
    {"<i8", KILN_DTYPE_I64},  {"<i4", KILN_DTYPE_I32}, {"<i2", KILN_DTYPE_I16},
    {"|i1", KILN_DTYPE_I8},   {"<u8", KILN_DTYPE_U64}, {"<u4", KILN_DTYPE_U32},
    {"<u2", KILN_DTYPE_U16},  {"|u1", KILN_DTYPE_U8},  {"|b1", KILN_DTYPE_BOOL},
    {"<u2", KILN_DTYPE_BF16},
};

typedef struct cursor {
  const char *p;
  const char *end;
  kiln_error *error;
} cursor;

static kiln_status bad_header(cursor *c, const char *what) {
  return kiln_io_fail(c->error, KILN_ERROR_INVALID_ARGUMENT,
                      "malformed .npy header: %s", what);
}

static void skip_space(cursor *c) {
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n'))
    ++c->p;
}

static bool accept(cursor *c, char ch) {
  skip_space(c);
  if (c->p < c->end && *c->p == ch) {
    ++c->p;
    return true;
  }
  return false;
}

static bool accept_word(cursor *c, const char *word) {
  skip_space(c);
  size_t n = strlen(word);
  if ((size_t)(c->end - c->p) >= n && memcmp(c->p, word, n) == 0) {
    c->p += n;
    return true;
  }
  return false;
}

/* A quoted string without escapes, copied into buf (NUL terminated). */
static kiln_status parse_string(cursor *c, char *buf, size_t size) {
  skip_space(c);
  if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
    return bad_header(c, "expected a string");
  char quote = *c->p++;
  const char *start = c->p;
  while (c->p < c->end && *c->p != quote && *c->p != '\\')
    ++c->p;
  if (c->p >= c->end || *c->p != quote)
    return bad_header(c, "unterminated string");
  size_t n = (size_t)(c->p - start);
  ++c->p;
  if (n >= size)
    return bad_header(c, "string too long");
  memcpy(buf, start, n);
  buf[n] = '\0';
  return KILN_OK;
}

static kiln_status parse_shape(cursor *c, kiln_host_tensor *out) {
  if (!accept(c, '('))
    return bad_header(c, "expected '(' for the shape");
  out->rank = 0;
  while (!accept(c, ')')) {
    skip_space(c);
    if (c->p >= c->end || *c->p < '0' || *c->p > '9')
      return bad_header(c, "expected a dimension");
    int64_t dim = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
      int digit = *c->p++ - '0';
      if (dim > (INT64_MAX - digit) / 10)
        return bad_header(c, "dimension too large");
      dim = dim * 10 + digit;
    }
    if (c->p < c->end && *c->p == 'L') /* Python 2 long */
      ++c->p;
    if (out->rank == KILN_MAX_RANK)
      return kiln_io_fail(c->error, KILN_ERROR_UNSUPPORTED,
                          "array rank exceeds %d", KILN_MAX_RANK);
    out->dims[out->rank++] = dim;
    if (!accept(c, ',')) {
      if (!accept(c, ')'))
        return bad_header(c, "expected ',' or ')' in the shape");
      break;
    }
  }
  return KILN_OK;
}

static kiln_status parse_header(cursor *c, kiln_host_tensor *out) {
  bool have_descr = false, have_order = false, have_shape = false;
  char descr[16];
  kiln_status st;
  if (!accept(c, '{'))
    return bad_header(c, "expected '{'");
  while (!accept(c, '}')) {
    char key[32];
    if ((st = parse_string(c, key, sizeof key)) != KILN_OK)
      return st;
    if (!accept(c, ':'))
      return bad_header(c, "expected ':'");
    if (strcmp(key, "descr") == 0) {
      if ((st = parse_string(c, descr, sizeof descr)) != KILN_OK)
        return st;
      have_descr = true;
    } else if (strcmp(key, "fortran_order") == 0) {
      if (accept_word(c, "True"))
        return kiln_io_fail(c->error, KILN_ERROR_UNSUPPORTED,
                            "Fortran-ordered arrays are not supported "
                            "(save a C-contiguous array)");
      if (!accept_word(c, "False"))
        return bad_header(c, "fortran_order is not True or False");
      have_order = true;
    } else if (strcmp(key, "shape") == 0) {
      if ((st = parse_shape(c, out)) != KILN_OK)
        return st;
      have_shape = true;
    } else {
      return bad_header(c, "unknown key");
    }
    if (!accept(c, ',')) {
      if (!accept(c, '}'))
        return bad_header(c, "expected ',' or '}'");
      break;
    }
  }
  skip_space(c);
  if (c->p != c->end)
    return bad_header(c, "trailing characters after the dict");
  if (!have_descr || !have_order || !have_shape)
    return bad_header(c, "missing 'descr', 'fortran_order' or 'shape'");
  for (size_t i = 0; i < sizeof kDescrs / sizeof kDescrs[0]; ++i)
    if (strcmp(descr, kDescrs[i].descr) == 0) {
      out->dtype = kDescrs[i].dtype;
      return KILN_OK;
    }
  if (descr[0] == '>')
    return kiln_io_fail(c->error, KILN_ERROR_UNSUPPORTED,
                        "big-endian dtype '%s' is not supported", descr);
  return kiln_io_fail(c->error, KILN_ERROR_UNSUPPORTED,
                      "dtype '%s' is not supported (f4, f8, f2, i8, i4, i2, "
                      "i1, u8, u4, u2, u1, b1 are)",
                      descr);
}

kiln_status kiln_npy_parse(const uint8_t *bytes, size_t size,
                           kiln_host_tensor *out, kiln_error *error) {
  memset(out, 0, sizeof *out);
  if (size < 10 || memcmp(bytes, kMagic, sizeof kMagic) != 0)
    return kiln_io_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                        "not a .npy file (bad magic)");
  unsigned major = bytes[6];
  size_t header_len, start;
  if (major == 1) {
    header_len = (size_t)bytes[8] | (size_t)bytes[9] << 8;
    start = 10;
  } else if (major == 2) {
    if (size < 12)
      return kiln_io_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                          ".npy file truncated in its preamble");
    header_len = (size_t)bytes[8] | (size_t)bytes[9] << 8 |
                 (size_t)bytes[10] << 16 | (size_t)bytes[11] << 24;
    start = 12;
  } else {
    return kiln_io_fail(error, KILN_ERROR_UNSUPPORTED,
                        ".npy format version %u is not supported (1 and 2 "
                        "are)",
                        major);
  }
  if (header_len > size - start)
    return kiln_io_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                        ".npy file truncated in its header");
  cursor c = {(const char *)bytes + start,
              (const char *)bytes + start + header_len, error};
  kiln_status st = parse_header(&c, out);
  if (st != KILN_OK)
    return st;
  /* Check the size before allocating: a corrupt shape must not trigger a
   * huge allocation. */
  size_t needed, data_size = size - start - header_len;
  if ((st = kiln_io_size(out->dtype, out->rank, out->dims, &needed, error)) !=
      KILN_OK)
    return st;
  if (data_size != needed)
    return kiln_io_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                        ".npy data is %zu bytes, its shape needs %zu",
                        data_size, needed);
  if ((st = kiln_io_alloc(out, error)) != KILN_OK)
    return st;
  memcpy(out->data, bytes + start + header_len, data_size);
  return KILN_OK;
}

kiln_status kiln_npy_read(const char *path, kiln_host_tensor *out,
                          kiln_error *error) {
  uint8_t *bytes;
  size_t size;
  memset(out, 0, sizeof *out);
  kiln_status st = kiln_io_read_file(path, &bytes, &size, error);
  if (st != KILN_OK)
    return st;
  st = kiln_npy_parse(bytes, size, out, error);
  free(bytes);
  if (st != KILN_OK)
    kiln_io_prefix_path(error, path);
  return st;
}

static const char *descr_of(kiln_dtype dtype) {
  for (size_t i = 0; i < sizeof kDescrs / sizeof kDescrs[0]; ++i)
    if (kDescrs[i].dtype == dtype)
      return kDescrs[i].descr;
  return NULL;
}

kiln_status kiln_npy_write(const char *path, kiln_dtype dtype, int32_t rank,
                           const int64_t *dims, const void *data,
                           kiln_error *error) {
  const char *descr = descr_of(dtype);
  if (!descr)
    return kiln_io_fail(error, KILN_ERROR_UNSUPPORTED,
                        "%s: cannot write dtype %d", path, (int)dtype);
  if (rank < 0 || rank > KILN_MAX_RANK)
    return kiln_io_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                        "%s: rank %d not in 0..%d", path, (int)rank,
                        KILN_MAX_RANK);
  for (int32_t i = 0; i < rank; ++i)
    if (dims[i] < 0)
      return kiln_io_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                          "%s: negative dimension", path);
  size_t size;
  kiln_status st = kiln_io_size(dtype, rank, dims, &size, error);
  if (st != KILN_OK)
    return st;

  /* Rank <= 8 keeps the header far below the 64 KiB limit of version 1. */
  char header[512];
  int n = snprintf(header, sizeof header,
                   "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
  for (int32_t i = 0; i < rank; ++i)
    n += snprintf(header + n, sizeof header - (size_t)n, "%lld%s",
                  (long long)dims[i],
                  rank == 1      ? ","
                  : i + 1 < rank ? ", "
                                 : "");
  n += snprintf(header + n, sizeof header - (size_t)n, "), }");
  /* numpy pads with spaces and a newline so that data starts at a multiple
   * of 64 bytes. */
  size_t total = ((size_t)n + 10 + 1 + 63) / 64 * 64;
  size_t header_len = total - 10;
  memset(header + n, ' ', header_len - (size_t)n - 1);
  header[header_len - 1] = '\n';

  FILE *f = fopen(path, "wb");
  if (!f)
    return kiln_io_fail(error, KILN_ERROR_INVALID_ARGUMENT, "%s: %s", path,
                        strerror(errno));
  uint8_t preamble[10] = {0x93,
                          'N',
                          'U',
                          'M',
                          'P',
                          'Y',
                          1,
                          0,
                          (uint8_t)(header_len & 0xff),
                          (uint8_t)(header_len >> 8)};
  bool ok = fwrite(preamble, 1, sizeof preamble, f) == sizeof preamble &&
            fwrite(header, 1, header_len, f) == header_len &&
            (size == 0 || fwrite(data, 1, size, f) == size);
  if (fclose(f) != 0)
    ok = false;
  if (!ok)
    return kiln_io_fail(error, KILN_ERROR_INVALID_ARGUMENT, "%s: write failed",
                        path);
  return KILN_OK;
}
