/* A small, strict JSON reader for kiln-run's scenario traces (RFC 8259):
 * objects, arrays, strings with every escape, numbers, true, false, null.
 *
 * Strict: no comments, no trailing commas, no duplicate keys, no bytes
 * after the value but whitespace, strings must be valid UTF-8 without
 * control characters or NUL (escaped or not: the strings are C strings).
 * Bounded: the text's size, the nesting depth, a string's length and the
 * number of values are limited (kiln_json_limits), so a hostile file costs
 * at most the memory those allow; the reader never reads past `size`.
 * Errors name the line and column (1-based, in bytes) where the problem
 * is. */
#ifndef KILN_RUN_JSON_H
#define KILN_RUN_JSON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum kiln_json_type {
  KILN_JSON_NULL = 0,
  KILN_JSON_FALSE,
  KILN_JSON_TRUE,
  KILN_JSON_NUMBER,
  KILN_JSON_STRING,
  KILN_JSON_ARRAY,
  KILN_JSON_OBJECT
} kiln_json_type;

typedef struct kiln_json_value kiln_json_value;

struct kiln_json_value {
  kiln_json_type type;
  uint32_t line, column; /* where the value starts, 1-based */
  double number;         /* KILN_JSON_NUMBER: finite */
  const char *string;    /* KILN_JSON_STRING: UTF-8, NUL terminated */
  size_t length;         /* its bytes, NUL excluded */
  /* KILN_JSON_ARRAY: count elements in items. KILN_JSON_OBJECT: count
   * members, keys[i] naming items[i], in the file's order. */
  size_t count;
  kiln_json_value *items;
  const char **keys;
};

typedef struct kiln_json_limits {
  size_t max_size;   /* bytes of text */
  uint32_t max_depth; /* nested arrays and objects */
  size_t max_string; /* bytes of one decoded string or key */
  size_t max_values; /* values in the document, keys not counted */
} kiln_json_limits;

/* 1 MiB, depth 32, strings of 4 KiB, 100000 values. */
#define KILN_JSON_DEFAULT_LIMITS                                               \
  { (size_t)1 << 20, 32u, (size_t)4096, (size_t)100000 }

/* A parsed document; release with kiln_json_free. */
typedef struct kiln_json_document {
  kiln_json_value *root;
} kiln_json_document;

/* Parses text[0..size) (need not be NUL terminated) under `limits` (NULL:
 * the defaults). Returns 0 and fills *out, or -1 with "LINE:COLUMN: what"
 * in error (error_size bytes, truncated if need be) and *out empty. */
int kiln_json_parse(const char *text, size_t size,
                    const kiln_json_limits *limits, kiln_json_document *out,
                    char *error, size_t error_size);
void kiln_json_free(kiln_json_document *doc);

/* The member `key` of an object, or NULL (also when v is not an object). */
const kiln_json_value *kiln_json_get(const kiln_json_value *v,
                                     const char *key);
/* "null", "boolean", "number", "string", "array" or "object". */
const char *kiln_json_type_name(kiln_json_type type);

#ifdef __cplusplus
}
#endif
#endif /* KILN_RUN_JSON_H */
