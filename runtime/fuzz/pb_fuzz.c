/* kiln_pb_fuzz: untrusted bytes -> kiln_pb_parse (runtime/tools/tensor_io),
 * the hand-written onnx.TensorProto reader behind kiln-run's .pb inputs and
 * the ONNX test data. Besides "no crash, no leak", it checks: on success the
 * tensor's size_bytes is dtype x dims and its data was written; on failure
 * the tensor holds no data and the error has a message. */
#include "fuzz_checks.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  kiln_host_tensor t;
  kiln_error error;
  memset(&error, 0, sizeof error);
  if (!check_read(kiln_pb_parse(data, size, &t, &error), &t, &error))
    return 0;
  /* Every element comes from the input: raw_data holds size_bytes, and a
   * typed field at least one byte per element. */
  CHECK(t.size_bytes / kiln_dtype_size(t.dtype) <= size);
  /* Read every byte, so that MSan-style uninitialised data or a short
   * allocation would show (ASan: the read is in bounds). */
  volatile uint8_t sink = 0;
  for (size_t i = 0; i < t.size_bytes; ++i)
    sink ^= ((const uint8_t *)t.data)[i];
  (void)sink;
  kiln_host_tensor_free(&t);
  return 0;
}
