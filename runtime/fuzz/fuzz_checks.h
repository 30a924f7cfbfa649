/* What every fuzz target checks beyond "no crash": CHECK aborts (a crash
 * libFuzzer keeps) when one of the API's promises does not hold. */
#ifndef KILN_FUZZ_CHECKS_H
#define KILN_FUZZ_CHECKS_H

#include "io_util.h"
#include "kiln_tensor_io.h"

#include "kiln/model_format.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      abort();                                                                 \
    }                                                                          \
  } while (0)

/* A tensor reader's result: on failure no data and an error with a
 * message; on success data and a size of dtype size x dims. Returns
 * whether the read succeeded. */
static inline int check_read(kiln_status st, const kiln_host_tensor *t,
                             const kiln_error *error) {
  if (st != KILN_OK) {
    CHECK(t->data == NULL);
    CHECK(error->status == st);
    CHECK(error->message[0] != '\0');
    return 0;
  }
  CHECK(t->data != NULL);
  CHECK(t->rank >= 0 && t->rank <= KILN_MAX_RANK);
  CHECK(kiln_dtype_size(t->dtype) != 0);
  size_t expected;
  CHECK(kiln_io_size(t->dtype, t->rank, t->dims, &expected, NULL) == KILN_OK);
  CHECK(t->size_bytes == expected);
  return 1;
}

/* Tries a blob with the 24-byte header of the OpenCL plan, NNA plan and
 * NNA stream (u64 payload size at 8, FNV-1a 32 checksum at 16) as it is,
 * then with its size and checksum repaired, so that mutations get past the
 * header. */
static inline void try_with_repaired_header(const uint8_t *data, size_t size,
                                            void (*try_blob)(const uint8_t *,
                                                             size_t)) {
  try_blob(data, size);
  if (size < 24)
    return;
  uint8_t *copy = malloc(size);
  if (!copy)
    return;
  memcpy(copy, data, size);
  uint64_t payload = size - 24;
  uint32_t sum = kiln_fnv1a32(copy + 24, payload);
  for (int i = 0; i < 8; ++i)
    copy[8 + i] = (uint8_t)(payload >> (8 * i));
  for (int i = 0; i < 4; ++i)
    copy[16 + i] = (uint8_t)(sum >> (8 * i));
  try_blob(copy, size);
  free(copy);
}

#endif /* KILN_FUZZ_CHECKS_H */
