/* kiln_npy_fuzz: untrusted bytes -> kiln_npy_parse (runtime/tools/tensor_io),
 * the reader behind kiln-run's .npy inputs. Besides "no crash, no leak", it
 * checks the reader's promises: on success the tensor's size_bytes is
 * dtype x dims, its data is the file's tail, byte for byte; on failure the
 * tensor holds no data and the error has a message. */
#include "fuzz_checks.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  kiln_host_tensor t;
  kiln_error error;
  memset(&error, 0, sizeof error);
  if (!check_read(kiln_npy_parse(data, size, &t, &error), &t, &error))
    return 0;
  CHECK(t.size_bytes <= size);
  CHECK(memcmp(t.data, data + size - t.size_bytes, t.size_bytes) == 0);
  kiln_host_tensor_free(&t);
  CHECK(t.data == NULL);
  return 0;
}
