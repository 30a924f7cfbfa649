/* strtod's locale is "C": kiln-run never calls setlocale. */
#include "json.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest number text accepted (digits, sign, point, exponent). */
#define MAX_NUMBER_TEXT 128

typedef struct parser {
  const unsigned char *text;
  size_t size, pos;
  size_t line, line_start; /* line of pos, and the offset where it starts */
  size_t values;
  kiln_json_limits limits;
  char *error;
  size_t error_size;
  bool failed;
} parser;

/* Records the first error, at the current position. */
static bool fail_at(parser *p, size_t pos, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static bool fail_at(parser *p, size_t pos, const char *fmt, ...) {
  if (p->failed)
    return false;
  p->failed = true;
  if (!p->error || p->error_size == 0)
    return false;
  /* Columns count from the start of pos's line; only whitespace holds
   * newlines, so a position is never before its line's start. */
  size_t column = pos >= p->line_start ? pos - p->line_start + 1 : 1;
  int n = snprintf(p->error, p->error_size, "%zu:%zu: ", p->line, column);
  if (n < 0 || (size_t)n >= p->error_size)
    return false;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->error + n, p->error_size - (size_t)n, fmt, ap);
  va_end(ap);
  return false;
}

/* "'x'" for a printable character, "byte 0xNN" otherwise, "the end of the
 * input" past it. */
static const char *describe(const parser *p, size_t pos, char *buf,
                            size_t size) {
  if (pos >= p->size)
    return "the end of the input";
  unsigned char c = p->text[pos];
  if (c >= 0x20 && c < 0x7f)
    snprintf(buf, size, "'%c'", c);
  else
    snprintf(buf, size, "byte 0x%02x", c);
  return buf;
}

static void skip_whitespace(parser *p) {
  while (p->pos < p->size) {
    unsigned char c = p->text[p->pos];
    if (c == '\n') {
      ++p->line;
      p->line_start = p->pos + 1;
    } else if (c != ' ' && c != '\t' && c != '\r') {
      return;
    }
    ++p->pos;
  }
}

static void free_value(kiln_json_value *v) {
  if (v->type == KILN_JSON_STRING)
    free((void *)v->string);
  if (v->type == KILN_JSON_ARRAY || v->type == KILN_JSON_OBJECT) {
    for (size_t i = 0; i < v->count; ++i) {
      free_value(&v->items[i]);
      if (v->keys)
        free((void *)v->keys[i]);
    }
    free(v->items);
    free(v->keys);
  }
  memset(v, 0, sizeof *v);
}

/* A growable byte buffer for a decoded string, capped at max_string. */
typedef struct buffer {
  char *data;
  size_t length, capacity;
} buffer;

static bool buffer_put(parser *p, buffer *b, const unsigned char *bytes,
                       size_t n, size_t start) {
  if (b->length + n > p->limits.max_string)
    return fail_at(p, start, "string longer than %zu bytes",
                   p->limits.max_string);
  if (b->length + n + 1 > b->capacity) {
    size_t capacity = b->capacity ? b->capacity : 32;
    while (capacity < b->length + n + 1)
      capacity *= 2;
    char *data = realloc(b->data, capacity);
    if (!data)
      return fail_at(p, start, "out of memory");
    b->data = data;
    b->capacity = capacity;
  }
  memcpy(b->data + b->length, bytes, n);
  b->length += n;
  b->data[b->length] = '\0';
  return true;
}

/* Four hex digits at pos (bounds checked) into *out. */
static bool read_hex4(parser *p, size_t pos, unsigned *out) {
  unsigned v = 0;
  for (size_t i = 0; i < 4; ++i) {
    if (pos + i >= p->size)
      return fail_at(p, pos + i, "unterminated \\u escape");
    unsigned char c = p->text[pos + i];
    unsigned d;
    if (c >= '0' && c <= '9')
      d = (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f')
      d = (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      d = (unsigned)(c - 'A' + 10);
    else
      return fail_at(p, pos + i, "\\u needs four hex digits");
    v = v * 16 + d;
  }
  *out = v;
  return true;
}

static size_t encode_utf8(unsigned code, unsigned char out[4]) {
  if (code < 0x80) {
    out[0] = (unsigned char)code;
    return 1;
  }
  if (code < 0x800) {
    out[0] = (unsigned char)(0xc0 | (code >> 6));
    out[1] = (unsigned char)(0x80 | (code & 0x3f));
    return 2;
  }
  if (code < 0x10000) {
    out[0] = (unsigned char)(0xe0 | (code >> 12));
    out[1] = (unsigned char)(0x80 | ((code >> 6) & 0x3f));
    out[2] = (unsigned char)(0x80 | (code & 0x3f));
    return 3;
  }
  out[0] = (unsigned char)(0xf0 | (code >> 18));
  out[1] = (unsigned char)(0x80 | ((code >> 12) & 0x3f));
  out[2] = (unsigned char)(0x80 | ((code >> 6) & 0x3f));
  out[3] = (unsigned char)(0x80 | (code & 0x3f));
  return 4;
}

/* The length of the well-formed UTF-8 sequence at pos (Unicode table 3-7:
 * no overlong forms, no surrogates, nothing past U+10FFFF), or 0. */
static size_t utf8_sequence(const parser *p, size_t pos) {
  const unsigned char *t = p->text;
  unsigned char c = t[pos];
  size_t n;
  unsigned char lo = 0x80, hi = 0xbf; /* the second byte's range */
  if (c >= 0xc2 && c <= 0xdf)
    n = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0)
      lo = 0xa0;
    if (c == 0xed)
      hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0)
      lo = 0x90;
    if (c == 0xf4)
      hi = 0x8f;
  } else {
    return 0;
  }
  if (p->size - pos < n)
    return 0;
  if (t[pos + 1] < lo || t[pos + 1] > hi)
    return 0;
  for (size_t i = 2; i < n; ++i)
    if (t[pos + i] < 0x80 || t[pos + i] > 0xbf)
      return 0;
  return n;
}

/* A string at p->pos (the opening quote) into a malloc'ed C string. */
static bool parse_string(parser *p, char **out, size_t *length) {
  size_t start = p->pos;
  buffer b = {NULL, 0, 0};
  ++p->pos;
  for (;;) {
    if (p->pos >= p->size) {
      free(b.data);
      return fail_at(p, start, "unterminated string");
    }
    unsigned char c = p->text[p->pos];
    if (c == '"') {
      ++p->pos;
      break;
    }
    if (c < 0x20) {
      free(b.data);
      return fail_at(p, p->pos,
                     "control character 0x%02x in a string (escape it)", c);
    }
    if (c == '\\') {
      size_t at = p->pos;
      if (p->pos + 1 >= p->size) {
        free(b.data);
        return fail_at(p, start, "unterminated string");
      }
      unsigned char e = p->text[p->pos + 1];
      static const char from[] = "\"\\/bfnrt";
      static const char to[] = "\"\\/\b\f\n\r\t";
      const char *simple = e ? strchr(from, e) : NULL;
      if (simple) {
        unsigned char byte = (unsigned char)to[simple - from];
        p->pos += 2;
        if (!buffer_put(p, &b, &byte, 1, start)) {
          free(b.data);
          return false;
        }
        continue;
      }
      if (e != 'u') {
        free(b.data);
        char what[16];
        return fail_at(p, at + 1, "invalid escape: backslash then %s",
                       describe(p, at + 1, what, sizeof what));
      }
      unsigned code;
      if (!read_hex4(p, p->pos + 2, &code)) {
        free(b.data);
        return false;
      }
      p->pos += 6;
      if (code >= 0xdc00 && code <= 0xdfff) {
        free(b.data);
        return fail_at(p, at, "\\u%04x is a lone low surrogate", code);
      }
      if (code >= 0xd800 && code <= 0xdbff) {
        unsigned low;
        if (p->pos + 1 >= p->size || p->text[p->pos] != '\\' ||
            p->text[p->pos + 1] != 'u') {
          free(b.data);
          return fail_at(p, at,
                         "\\u%04x is a high surrogate without a low one",
                         code);
        }
        if (!read_hex4(p, p->pos + 2, &low)) {
          free(b.data);
          return false;
        }
        if (low < 0xdc00 || low > 0xdfff) {
          free(b.data);
          return fail_at(p, at,
                         "\\u%04x is a high surrogate without a low one",
                         code);
        }
        p->pos += 6;
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
      }
      if (code == 0) {
        free(b.data);
        return fail_at(p, at, "\\u0000 is not allowed (strings are C "
                              "strings)");
      }
      unsigned char bytes[4];
      size_t n = encode_utf8(code, bytes);
      if (!buffer_put(p, &b, bytes, n, start)) {
        free(b.data);
        return false;
      }
      continue;
    }
    size_t n = 1;
    if (c >= 0x80 && (n = utf8_sequence(p, p->pos)) == 0) {
      free(b.data);
      return fail_at(p, p->pos, "invalid UTF-8 in a string");
    }
    if (!buffer_put(p, &b, p->text + p->pos, n, start)) {
      free(b.data);
      return false;
    }
    p->pos += n;
  }
  if (!b.data) {
    b.data = malloc(1);
    if (!b.data)
      return fail_at(p, start, "out of memory");
    b.data[0] = '\0';
  }
  *out = b.data;
  *length = b.length;
  return true;
}

static bool is_digit(const parser *p, size_t pos) {
  return pos < p->size && p->text[pos] >= '0' && p->text[pos] <= '9';
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool parse_number(parser *p, kiln_json_value *v) {
  size_t start = p->pos, i = p->pos;
  if (i < p->size && p->text[i] == '-')
    ++i;
  if (!is_digit(p, i))
    return fail_at(p, i, "expected a digit in a number");
  if (p->text[i] == '0') {
    ++i;
    if (is_digit(p, i))
      return fail_at(p, start, "numbers may not start with 0");
  } else {
    while (is_digit(p, i))
      ++i;
  }
  if (i < p->size && p->text[i] == '.') {
    ++i;
    if (!is_digit(p, i))
      return fail_at(p, i, "expected a digit after the decimal point");
    while (is_digit(p, i))
      ++i;
  }
  if (i < p->size && (p->text[i] == 'e' || p->text[i] == 'E')) {
    ++i;
    if (i < p->size && (p->text[i] == '+' || p->text[i] == '-'))
      ++i;
    if (!is_digit(p, i))
      return fail_at(p, i, "expected a digit in the exponent");
    while (is_digit(p, i))
      ++i;
  }
  size_t n = i - start;
  if (n >= MAX_NUMBER_TEXT)
    return fail_at(p, start, "number longer than %d characters",
                   MAX_NUMBER_TEXT - 1);
  char text[MAX_NUMBER_TEXT];
  memcpy(text, p->text + start, n);
  text[n] = '\0';
  double d = strtod(text, NULL);
  if (!isfinite(d))
    return fail_at(p, start, "number %s is out of range", text);
  v->type = KILN_JSON_NUMBER;
  v->number = d;
  p->pos = i;
  return true;
}

static bool parse_value(parser *p, kiln_json_value *v, uint32_t depth);

/* Appends a zeroed slot to items (and keys, for objects). */
static kiln_json_value *grow(parser *p, kiln_json_value *v, size_t *capacity,
                             bool with_keys) {
  if (v->count == *capacity) {
    size_t n = *capacity ? *capacity * 2 : 4;
    kiln_json_value *items = realloc(v->items, n * sizeof *items);
    if (!items)
      return fail_at(p, p->pos, "out of memory"), NULL;
    v->items = items;
    if (with_keys) {
      const char **keys = realloc(v->keys, n * sizeof *keys);
      if (!keys)
        return fail_at(p, p->pos, "out of memory"), NULL;
      v->keys = keys;
    }
    *capacity = n;
  }
  kiln_json_value *slot = &v->items[v->count];
  memset(slot, 0, sizeof *slot);
  if (with_keys)
    v->keys[v->count] = NULL;
  return slot;
}

static bool parse_array(parser *p, kiln_json_value *v, uint32_t depth) {
  char what[16];
  size_t capacity = 0;
  v->type = KILN_JSON_ARRAY;
  ++p->pos;
  skip_whitespace(p);
  if (p->pos < p->size && p->text[p->pos] == ']') {
    ++p->pos;
    return true;
  }
  for (;;) {
    kiln_json_value *slot = grow(p, v, &capacity, false);
    if (!slot)
      return false;
    ++v->count; /* freed with the array even if only partly parsed */
    if (!parse_value(p, slot, depth + 1))
      return false;
    skip_whitespace(p);
    if (p->pos < p->size && p->text[p->pos] == ',') {
      ++p->pos;
      skip_whitespace(p);
      if (p->pos < p->size && p->text[p->pos] == ']')
        return fail_at(p, p->pos, "trailing comma in an array");
      continue;
    }
    if (p->pos < p->size && p->text[p->pos] == ']') {
      ++p->pos;
      return true;
    }
    return fail_at(p, p->pos, "expected ',' or ']' in an array, got %s",
                   describe(p, p->pos, what, sizeof what));
  }
}

static bool parse_object(parser *p, kiln_json_value *v, uint32_t depth) {
  char what[16];
  size_t capacity = 0;
  v->type = KILN_JSON_OBJECT;
  ++p->pos;
  skip_whitespace(p);
  if (p->pos < p->size && p->text[p->pos] == '}') {
    ++p->pos;
    return true;
  }
  for (;;) {
    if (p->pos >= p->size || p->text[p->pos] != '"')
      return fail_at(p, p->pos, "expected a string key in an object, got %s",
                     describe(p, p->pos, what, sizeof what));
    size_t key_pos = p->pos;
    char *key;
    size_t key_length;
    if (!parse_string(p, &key, &key_length))
      return false;
    for (size_t i = 0; i < v->count; ++i)
      if (strcmp(v->keys[i], key) == 0) {
        fail_at(p, key_pos, "duplicate key \"%s\"", key);
        free(key);
        return false;
      }
    kiln_json_value *slot = grow(p, v, &capacity, true);
    if (!slot) {
      free(key);
      return false;
    }
    v->keys[v->count++] = key;
    skip_whitespace(p);
    if (p->pos >= p->size || p->text[p->pos] != ':')
      return fail_at(p, p->pos, "expected ':' after the key \"%s\", got %s",
                     key, describe(p, p->pos, what, sizeof what));
    ++p->pos;
    if (!parse_value(p, slot, depth + 1))
      return false;
    skip_whitespace(p);
    if (p->pos < p->size && p->text[p->pos] == ',') {
      ++p->pos;
      skip_whitespace(p);
      if (p->pos < p->size && p->text[p->pos] == '}')
        return fail_at(p, p->pos, "trailing comma in an object");
      continue;
    }
    if (p->pos < p->size && p->text[p->pos] == '}') {
      ++p->pos;
      return true;
    }
    return fail_at(p, p->pos, "expected ',' or '}' in an object, got %s",
                   describe(p, p->pos, what, sizeof what));
  }
}

static bool parse_literal(parser *p, kiln_json_value *v, const char *word,
                          kiln_json_type type) {
  size_t n = strlen(word);
  if (p->size - p->pos < n || memcmp(p->text + p->pos, word, n) != 0)
    return false;
  v->type = type;
  p->pos += n;
  return true;
}

static bool parse_value(parser *p, kiln_json_value *v, uint32_t depth) {
  char what[16];
  skip_whitespace(p);
  v->line = (uint32_t)(p->line < UINT32_MAX ? p->line : UINT32_MAX);
  size_t column = p->pos - p->line_start + 1;
  v->column = (uint32_t)(column < UINT32_MAX ? column : UINT32_MAX);
  if (p->pos >= p->size)
    return fail_at(p, p->pos, "expected a value, got the end of the input");
  if (++p->values > p->limits.max_values)
    return fail_at(p, p->pos, "more than %zu values", p->limits.max_values);
  unsigned char c = p->text[p->pos];
  if (c == '{' || c == '[') {
    if (depth >= p->limits.max_depth)
      return fail_at(p, p->pos, "nested deeper than %u arrays and objects",
                     p->limits.max_depth);
    return c == '{' ? parse_object(p, v, depth) : parse_array(p, v, depth);
  }
  if (c == '"') {
    char *s;
    size_t n;
    if (!parse_string(p, &s, &n))
      return false;
    v->type = KILN_JSON_STRING;
    v->string = s;
    v->length = n;
    return true;
  }
  if (c == '-' || (c >= '0' && c <= '9'))
    return parse_number(p, v);
  if (parse_literal(p, v, "true", KILN_JSON_TRUE) ||
      parse_literal(p, v, "false", KILN_JSON_FALSE) ||
      parse_literal(p, v, "null", KILN_JSON_NULL))
    return true;
  if (c == 0xef && p->size - p->pos >= 3 && p->text[p->pos + 1] == 0xbb &&
      p->text[p->pos + 2] == 0xbf)
    return fail_at(p, p->pos, "a byte order mark is not allowed");
  return fail_at(p, p->pos, "expected a value, got %s",
                 describe(p, p->pos, what, sizeof what));
}

int kiln_json_parse(const char *text, size_t size,
                    const kiln_json_limits *limits, kiln_json_document *out,
                    char *error, size_t error_size) {
  static const kiln_json_limits defaults = KILN_JSON_DEFAULT_LIMITS;
  parser p = {
      .text = (const unsigned char *)text,
      .size = size,
      .line = 1,
      .limits = limits ? *limits : defaults,
      .error = error,
      .error_size = error_size,
  };
  if (error && error_size)
    error[0] = '\0';
  if (!out)
    return -1;
  out->root = NULL;
  if (!text && size)
    return fail_at(&p, 0, "no text"), -1;
  if (size > p.limits.max_size)
    return fail_at(&p, 0, "the text is %zu bytes, more than the %zu allowed",
                   size, p.limits.max_size),
           -1;
  kiln_json_value *root = calloc(1, sizeof *root);
  if (!root)
    return fail_at(&p, 0, "out of memory"), -1;
  bool ok = parse_value(&p, root, 0);
  if (ok) {
    skip_whitespace(&p);
    if (p.pos < size) {
      char what[16];
      ok = fail_at(&p, p.pos, "unexpected %s after the value",
                   describe(&p, p.pos, what, sizeof what));
    }
  }
  if (!ok) {
    free_value(root);
    free(root);
    return -1;
  }
  out->root = root;
  return 0;
}

void kiln_json_free(kiln_json_document *doc) {
  if (!doc || !doc->root)
    return;
  free_value(doc->root);
  free(doc->root);
  doc->root = NULL;
}

const kiln_json_value *kiln_json_get(const kiln_json_value *v,
                                     const char *key) {
  if (!v || v->type != KILN_JSON_OBJECT || !key)
    return NULL;
  for (size_t i = 0; i < v->count; ++i)
    if (strcmp(v->keys[i], key) == 0)
      return &v->items[i];
  return NULL;
}

const char *kiln_json_type_name(kiln_json_type type) {
  switch (type) {
  case KILN_JSON_NULL:
    return "null";
  case KILN_JSON_FALSE:
  case KILN_JSON_TRUE:
    return "boolean";
  case KILN_JSON_NUMBER:
    return "number";
  case KILN_JSON_STRING:
    return "string";
  case KILN_JSON_ARRAY:
    return "array";
  case KILN_JSON_OBJECT:
    return "object";
  }
  return "unknown";
}
