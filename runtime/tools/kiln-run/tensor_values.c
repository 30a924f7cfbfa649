#include "tensor_values.h"

#include <math.h>
#include <string.h>

static uint64_t splitmix64(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* IEEE half bits of x, for x = 0 or 2^-10 <= |x| <= 1 on a 2^-10 grid: such
 * values are exact normal halves, so no rounding is needed. */
static uint16_t half_from_grid(float x) {
  if (x == 0.0f)
    return 0;
  uint16_t sign = x < 0 ? 0x8000 : 0;
  int exp;
  float m = frexpf(fabsf(x), &exp); /* |x| = m * 2^exp, m in [0.5, 1) */
  uint16_t mantissa = (uint16_t)((m * 2.0f - 1.0f) * 1024.0f);
  return (uint16_t)(sign | (uint16_t)(exp - 1 + 15) << 10 | mantissa);
}

/* bfloat16 is the top half of a float: exact for the values it holds. */
static uint16_t bf16_from_float(float x) {
  uint32_t bits;
  memcpy(&bits, &x, 4);
  return (uint16_t)(bits >> 16);
}

static float bf16_to_float(uint16_t b) {
  uint32_t bits = (uint32_t)b << 16;
  float v;
  memcpy(&v, &bits, 4);
  return v;
}

static float half_to_float(uint16_t h) {
  int exp = (h >> 10) & 0x1f;
  int mantissa = h & 0x3ff;
  float v;
  if (exp == 0)
    v = ldexpf((float)mantissa, -24);
  else if (exp == 31)
    v = mantissa ? NAN : INFINITY;
  else
    v = ldexpf((float)(mantissa | 0x400), exp - 25);
  return (h & 0x8000) ? -v : v;
}

void kiln_fill_random(kiln_dtype dtype, void *data, size_t count,
                      uint64_t *state) {
  uint8_t *bytes = data;
  for (size_t i = 0; i < count; ++i) {
    uint64_t r = splitmix64(state);
    switch (dtype) {
    case KILN_DTYPE_F32: {
      /* 24 random bits: exact in a float. */
      float v = (float)(r >> 40) * 0x1p-23f - 1.0f;
      memcpy(bytes + 4 * i, &v, 4);
      break;
    }
    case KILN_DTYPE_F64: {
      double v = (double)(r >> 11) * 0x1p-52 - 1.0;
      memcpy(bytes + 8 * i, &v, 8);
      break;
    }
    case KILN_DTYPE_F16: {
      uint16_t v = half_from_grid((float)(r >> 53) * 0x1p-10f - 1.0f);
      memcpy(bytes + 2 * i, &v, 2);
      break;
    }
    case KILN_DTYPE_BF16: {
      /* 8 random bits: exact in a bfloat16. */
      uint16_t v = bf16_from_float((float)(r >> 56) * 0x1p-7f - 1.0f);
      memcpy(bytes + 2 * i, &v, 2);
      break;
    }
    case KILN_DTYPE_BOOL:
      bytes[i] = (uint8_t)(r >> 63);
      break;
    case KILN_DTYPE_U8:
    case KILN_DTYPE_I8:
      bytes[i] = (uint8_t)((r >> 32) % 10);
      break;
    case KILN_DTYPE_I16:
    case KILN_DTYPE_U16: {
      uint16_t v = (uint16_t)((r >> 32) % 10);
      memcpy(bytes + 2 * i, &v, 2);
      break;
    }
    case KILN_DTYPE_I32:
    case KILN_DTYPE_U32: {
      uint32_t v = (uint32_t)((r >> 32) % 10);
      memcpy(bytes + 4 * i, &v, 4);
      break;
    }
    case KILN_DTYPE_I64:
    case KILN_DTYPE_U64: {
      uint64_t v = (r >> 32) % 10;
      memcpy(bytes + 8 * i, &v, 8);
      break;
    }
    }
  }
}

/* Integer-valued dtypes are returned exactly through `integer` (u64 as its
 * bits: kiln_format_value prints it unsigned). */
static double value_at(kiln_dtype dtype, const void *data, size_t i,
                       int64_t *integer, int *is_integer) {
  const uint8_t *bytes = data;
  *is_integer = 1;
  switch (dtype) {
  case KILN_DTYPE_F32: {
    float v;
    memcpy(&v, bytes + 4 * i, 4);
    *is_integer = 0;
    return v;
  }
  case KILN_DTYPE_F64: {
    double v;
    memcpy(&v, bytes + 8 * i, 8);
    *is_integer = 0;
    return v;
  }
  case KILN_DTYPE_F16: {
    uint16_t v;
    memcpy(&v, bytes + 2 * i, 2);
    *is_integer = 0;
    return half_to_float(v);
  }
  case KILN_DTYPE_BF16: {
    uint16_t v;
    memcpy(&v, bytes + 2 * i, 2);
    *is_integer = 0;
    return bf16_to_float(v);
  }
  case KILN_DTYPE_U8:
  case KILN_DTYPE_BOOL:
    *integer = bytes[i];
    break;
  case KILN_DTYPE_I8:
    *integer = (int8_t)bytes[i];
    break;
  case KILN_DTYPE_I16: {
    int16_t v;
    memcpy(&v, bytes + 2 * i, 2);
    *integer = v;
    break;
  }
  case KILN_DTYPE_U16: {
    uint16_t v;
    memcpy(&v, bytes + 2 * i, 2);
    *integer = v;
    break;
  }
  case KILN_DTYPE_I32: {
    int32_t v;
    memcpy(&v, bytes + 4 * i, 4);
    *integer = v;
    break;
  }
  case KILN_DTYPE_U32: {
    uint32_t v;
    memcpy(&v, bytes + 4 * i, 4);
    *integer = v;
    break;
  }
  case KILN_DTYPE_I64:
    memcpy(integer, bytes + 8 * i, 8);
    break;
  case KILN_DTYPE_U64: {
    uint64_t v;
    memcpy(&v, bytes + 8 * i, 8);
    *integer = (int64_t)v;
    return (double)v;
  }
  }
  return (double)*integer;
}

void kiln_format_value(char *buf, size_t size, kiln_dtype dtype,
                       const void *data, size_t i) {
  int64_t integer = 0;
  int is_integer;
  double v = value_at(dtype, data, i, &integer, &is_integer);
  if (dtype == KILN_DTYPE_U64)
    snprintf(buf, size, "%llu", (unsigned long long)integer);
  else if (is_integer)
    snprintf(buf, size, "%lld", (long long)integer);
  else
    snprintf(buf, size, "%g", v);
}

static double rank_value(kiln_dtype dtype, const void *data, size_t i) {
  int64_t integer = 0;
  int is_integer;
  double v = value_at(dtype, data, i, &integer, &is_integer);
  return isnan(v) ? -INFINITY : v;
}

void kiln_top_k(kiln_dtype dtype, const void *data, size_t count, size_t k,
                size_t *top) {
  if (k == 0)
    return;
  size_t filled = 0;
  for (size_t i = 0; i < count; ++i) {
    double v = rank_value(dtype, data, i);
    if (filled == k && v <= rank_value(dtype, data, top[k - 1]))
      continue;
    /* Insert after every kept element that is >= v, so ties keep index
     * order. */
    size_t pos = filled < k ? filled : k - 1;
    while (pos > 0 && rank_value(dtype, data, top[pos - 1]) < v) {
      top[pos] = top[pos - 1];
      --pos;
    }
    top[pos] = i;
    if (filled < k)
      ++filled;
  }
}
