/* kiln_npy_fuzz: untrusted bytes -> kiln_npy_parse (runtime/tools/tensor_io),
 * the reader behind kiln-run's .npy inputs. Besides "no crash, no leak", it
 * checks the reader's promises: on success the tensor's size_bytes is
 * dtype x dims, its data is the file's tail, byte for byte; on failure the
 * tensor holds no data and the error has a message. */
#include "io_util.h"
#include "kiln_tensor_io.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__,        \
              #cond);                                                          \
      abort();                                                                 \
    }                                                                          \
  } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  kiln_host_tensor t;
  kiln_error error;
  memset(&error, 0, sizeof error);
  kiln_status st = kiln_npy_parse(data, size, &t, &error);
  if (st != KILN_OK) {
    CHECK(t.data == NULL);
    CHECK(error.status == st);
    CHECK(error.message[0] != '\0');
    return 0;
  }
  CHECK(t.data != NULL);
  CHECK(t.rank >= 0 && t.rank <= KILN_MAX_RANK);
  size_t expected;
  CHECK(kiln_io_size(t.dtype, t.rank, t.dims, &expected, NULL) == KILN_OK);
  CHECK(kiln_dtype_size(t.dtype) != 0);
  CHECK(t.size_bytes == expected);
  CHECK(t.size_bytes <= size);
  CHECK(memcmp(t.data, data + size - t.size_bytes, t.size_bytes) == 0);
  kiln_host_tensor_free(&t);
  CHECK(t.data == NULL);
  return 0;
}
