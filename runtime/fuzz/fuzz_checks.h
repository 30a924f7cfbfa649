/* What every fuzz target checks beyond "no crash": CHECK aborts (a crash
 * libFuzzer keeps) when one of the API's promises does not hold. */
#ifndef KILN_FUZZ_CHECKS_H
#define KILN_FUZZ_CHECKS_H

#include "io_util.h"
#include "kiln_tensor_io.h"

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__,        \
              #cond);                                                          \
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

#endif /* KILN_FUZZ_CHECKS_H */
