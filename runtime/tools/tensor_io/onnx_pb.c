/* onnx.TensorProto in protobuf wire format, read by hand so that the tools
 * need no protobuf library. Field numbers are from onnx/onnx.proto. */
#include "io_util.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum {
  FIELD_DIMS = 1,
  FIELD_DATA_TYPE = 2,
  FIELD_FLOAT_DATA = 4,
  FIELD_INT32_DATA = 5,
  FIELD_INT64_DATA = 7,
  FIELD_NAME = 8,
  FIELD_RAW_DATA = 9,
  FIELD_DOUBLE_DATA = 10,
  FIELD_UINT64_DATA = 11,
  FIELD_EXTERNAL_DATA = 13,
  FIELD_DATA_LOCATION = 14,
};

enum { WIRE_VARINT = 0, WIRE_FIXED64 = 1, WIRE_LEN = 2, WIRE_FIXED32 = 5 };

typedef struct reader {
  const uint8_t *p;
  size_t left;
} reader;

typedef struct field {
  uint32_t number;
  uint32_t wire;
  uint64_t value;      /* WIRE_VARINT, WIRE_FIXED64, WIRE_FIXED32 */
  const uint8_t *data; /* WIRE_LEN */
  size_t size;
} field;

static bool read_varint(reader *r, uint64_t *value) {
  uint64_t v = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    if (r->left == 0)
      return false;
    uint8_t b = *r->p++;
    --r->left;
    /* The tenth byte holds bit 63 only. */
    if (shift == 63 && b > 1)
      return false;
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *value = v;
      return true;
    }
  }
  return false;
}

static bool read_fixed(reader *r, size_t n, uint64_t *value) {
  if (r->left < n)
    return false;
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i)
    v |= (uint64_t)r->p[i] << (8 * i);
  r->p += n;
  r->left -= n;
  *value = v;
  return true;
}

static kiln_status malformed(kiln_error *error, const char *what) {
  return kiln_io_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                      "malformed TensorProto: %s", what);
}

/* Reads the next field; groups (wire types 3 and 4) are rejected since
 * TensorProto has none. */
static kiln_status next_field(reader *r, field *f, kiln_error *error) {
  uint64_t key;
  if (!read_varint(r, &key))
    return malformed(error, "truncated field key");
  f->number = (uint32_t)(key >> 3);
  f->wire = (uint32_t)(key & 7);
  if (f->number == 0 || key >> 3 > UINT32_MAX)
    return malformed(error, "bad field number");
  bool ok;
  switch (f->wire) {
  case WIRE_VARINT:
    ok = read_varint(r, &f->value);
    break;
  case WIRE_FIXED64:
    ok = read_fixed(r, 8, &f->value);
    break;
  case WIRE_FIXED32:
    ok = read_fixed(r, 4, &f->value);
    break;
  case WIRE_LEN: {
    uint64_t size;
    ok = read_varint(r, &size) && size <= r->left;
    if (ok) {
      f->data = r->p;
      f->size = (size_t)size;
      r->p += size;
      r->left -= (size_t)size;
    }
    break;
  }
  default:
    return malformed(error, "unsupported wire type");
  }
  return ok ? KILN_OK : malformed(error, "truncated field");
}

/* The values of one occurrence of a repeated scalar field: either a single
 * value or a packed run. */
typedef struct values {
  reader packed;
  uint32_t wire; /* element wire type */
  bool single;
  uint64_t single_value;
} values;

static kiln_status values_begin(const field *f, uint32_t elem_wire, values *v,
                                kiln_error *error) {
  memset(v, 0, sizeof *v);
  v->wire = elem_wire;
  if (f->wire == elem_wire) {
    v->single = true;
    v->single_value = f->value;
    return KILN_OK;
  }
  if (f->wire != WIRE_LEN)
    return malformed(error, "repeated field with the wrong wire type");
  size_t width = elem_wire == WIRE_FIXED32   ? 4
                 : elem_wire == WIRE_FIXED64 ? 8
                                             : 1;
  if (f->size % width != 0)
    return malformed(error, "packed field size is not a multiple of its "
                            "element size");
  v->packed.p = f->data;
  v->packed.left = f->size;
  return KILN_OK;
}

/* 1: a value, 0: no more, -1: malformed. */
static int values_next(values *v, uint64_t *out) {
  if (v->single) {
    v->single = false;
    *out = v->single_value;
    return 1;
  }
  if (v->packed.left == 0)
    return 0;
  bool ok = v->wire == WIRE_VARINT    ? read_varint(&v->packed, out)
            : v->wire == WIRE_FIXED32 ? read_fixed(&v->packed, 4, out)
                                      : read_fixed(&v->packed, 8, out);
  return ok ? 1 : -1;
}

/* The typed field that carries the data of `dtype` and its wire type. */
static void typed_field(kiln_dtype dtype, uint32_t *number, uint32_t *wire) {
  switch (dtype) {
  case KILN_DTYPE_F32:
    *number = FIELD_FLOAT_DATA;
    *wire = WIRE_FIXED32;
    return;
  case KILN_DTYPE_F64:
    *number = FIELD_DOUBLE_DATA;
    *wire = WIRE_FIXED64;
    return;
  case KILN_DTYPE_I64:
    *number = FIELD_INT64_DATA;
    *wire = WIRE_VARINT;
    return;
  case KILN_DTYPE_U32:
  case KILN_DTYPE_U64:
    *number = FIELD_UINT64_DATA;
    *wire = WIRE_VARINT;
    return;
  default: /* i32, 16- and 8-bit integers, bool, f16 and bf16 (as bits) live
            * in int32_data */
    *number = FIELD_INT32_DATA;
    *wire = WIRE_VARINT;
    return;
  }
}

static void store(kiln_host_tensor *out, size_t i, uint64_t v) {
  switch (out->dtype) {
  case KILN_DTYPE_F32: {
    uint32_t bits = (uint32_t)v;
    memcpy((uint8_t *)out->data + 4 * i, &bits, 4);
    break;
  }
  case KILN_DTYPE_F64:
  case KILN_DTYPE_I64:
  case KILN_DTYPE_U64:
    memcpy((uint8_t *)out->data + 8 * i, &v, 8);
    break;
  case KILN_DTYPE_I32:
  case KILN_DTYPE_U32: {
    uint32_t x = (uint32_t)v;
    memcpy((uint8_t *)out->data + 4 * i, &x, 4);
    break;
  }
  case KILN_DTYPE_F16:
  case KILN_DTYPE_BF16:
  case KILN_DTYPE_I16:
  case KILN_DTYPE_U16: {
    uint16_t x = (uint16_t)v;
    memcpy((uint8_t *)out->data + 2 * i, &x, 2);
    break;
  }
  case KILN_DTYPE_BOOL:
    ((uint8_t *)out->data)[i] = v != 0;
    break;
  default: /* u8, i8 */
    ((uint8_t *)out->data)[i] = (uint8_t)v;
    break;
  }
}

/* First pass: dims, dtype, raw_data and the number of typed values. */
typedef struct summary {
  uint64_t data_type;
  const uint8_t *raw;
  size_t raw_size;
  bool has_raw;
  size_t typed_count[FIELD_UINT64_DATA + 1];
} summary;

static kiln_status summarize(const uint8_t *bytes, size_t size,
                             kiln_host_tensor *out, summary *s,
                             kiln_error *error) {
  reader r = {bytes, size};
  field f;
  kiln_status st;
  while (r.left > 0) {
    if ((st = next_field(&r, &f, error)) != KILN_OK)
      return st;
    switch (f.number) {
    case FIELD_DIMS: {
      values v;
      uint64_t dim;
      int got;
      if ((st = values_begin(&f, WIRE_VARINT, &v, error)) != KILN_OK)
        return st;
      while ((got = values_next(&v, &dim)) == 1) {
        if ((int64_t)dim < 0)
          return malformed(error, "negative dimension");
        if (out->rank == KILN_MAX_RANK)
          return kiln_io_fail(error, KILN_ERROR_UNSUPPORTED,
                              "tensor rank exceeds %d", KILN_MAX_RANK);
        out->dims[out->rank++] = (int64_t)dim;
      }
      if (got < 0)
        return malformed(error, "truncated packed dims");
      break;
    }
    case FIELD_DATA_TYPE:
      if (f.wire != WIRE_VARINT)
        return malformed(error, "data_type has the wrong wire type");
      s->data_type = f.value;
      break;
    case FIELD_RAW_DATA:
      if (f.wire != WIRE_LEN)
        return malformed(error, "raw_data has the wrong wire type");
      s->raw = f.data;
      s->raw_size = f.size;
      s->has_raw = true;
      break;
    case FIELD_FLOAT_DATA:
    case FIELD_INT32_DATA:
    case FIELD_INT64_DATA:
    case FIELD_DOUBLE_DATA:
    case FIELD_UINT64_DATA: {
      uint32_t wire = f.number == FIELD_FLOAT_DATA    ? WIRE_FIXED32
                      : f.number == FIELD_DOUBLE_DATA ? WIRE_FIXED64
                                                      : WIRE_VARINT;
      values v;
      uint64_t ignored;
      int got;
      if ((st = values_begin(&f, wire, &v, error)) != KILN_OK)
        return st;
      while ((got = values_next(&v, &ignored)) == 1)
        ++s->typed_count[f.number];
      if (got < 0)
        return malformed(error, "truncated packed values");
      break;
    }
    case FIELD_EXTERNAL_DATA:
      return kiln_io_fail(error, KILN_ERROR_UNSUPPORTED,
                          "tensors with external data are not supported");
    case FIELD_DATA_LOCATION:
      if (f.wire == WIRE_VARINT && f.value != 0)
        return kiln_io_fail(error, KILN_ERROR_UNSUPPORTED,
                            "tensors with external data are not supported");
      break;
    default: /* name, doc_string, segment, ...: not needed */
      break;
    }
  }
  return KILN_OK;
}

kiln_status kiln_pb_parse(const uint8_t *bytes, size_t size,
                          kiln_host_tensor *out, kiln_error *error) {
  memset(out, 0, sizeof *out);
  summary s = {0};
  kiln_status st = summarize(bytes, size, out, &s, error);
  if (st != KILN_OK)
    return st;
  if (s.data_type == 0)
    return malformed(error, "no data_type");
  if (s.data_type > 0xff || kiln_dtype_size((uint32_t)s.data_type) == 0)
    return kiln_io_fail(error, KILN_ERROR_UNSUPPORTED,
                        "TensorProto data_type %llu is not supported",
                        (unsigned long long)s.data_type);
  out->dtype = (kiln_dtype)s.data_type;
  size_t needed;
  if ((st = kiln_io_size(out->dtype, out->rank, out->dims, &needed, error)) !=
      KILN_OK)
    return st;
  size_t count = needed / kiln_dtype_size(out->dtype);
  uint32_t number, wire;
  typed_field(out->dtype, &number, &wire);
  for (uint32_t n = 0; n <= FIELD_UINT64_DATA; ++n)
    if (s.typed_count[n] && (s.has_raw || n != number))
      return malformed(error, "data in a field that does not match "
                              "data_type");
  if (s.has_raw ? s.raw_size != needed : s.typed_count[number] != count)
    return kiln_io_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                        "TensorProto holds %zu %s, its shape needs %zu",
                        s.has_raw ? s.raw_size : s.typed_count[number],
                        s.has_raw ? "bytes" : "values",
                        s.has_raw ? needed : count);
  if ((st = kiln_io_alloc(out, error)) != KILN_OK)
    return st;
  if (s.has_raw) {
    memcpy(out->data, s.raw, needed);
    return KILN_OK;
  }
  /* Second pass: decode the typed values; the first pass checked them. */
  reader r = {bytes, size};
  field f;
  size_t i = 0;
  while (r.left > 0) {
    next_field(&r, &f, error);
    if (f.number != number)
      continue;
    values v;
    uint64_t value;
    values_begin(&f, wire, &v, error);
    while (values_next(&v, &value) == 1)
      store(out, i++, value);
  }
  return KILN_OK;
}

kiln_status kiln_pb_read(const char *path, kiln_host_tensor *out,
                         kiln_error *error) {
  uint8_t *bytes;
  size_t size;
  memset(out, 0, sizeof *out);
  kiln_status st = kiln_io_read_file(path, &bytes, &size, error);
  if (st != KILN_OK)
    return st;
  st = kiln_pb_parse(bytes, size, out, error);
  free(bytes);
  if (st != KILN_OK)
    kiln_io_prefix_path(error, path);
  return st;
}
