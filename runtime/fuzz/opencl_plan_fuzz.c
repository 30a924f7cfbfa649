/* kiln_opencl_plan_fuzz: untrusted bytes -> kiln_cl_plan_parse, the reader
 * of a model's GPU variant (kiln/opencl_plan.h), checked against a fixed
 * signature (inputs a, b and output out: f32 2x3, 24 bytes each). Like the
 * descriptor target, each input is tried as is and with its payload size
 * and checksum rewritten to match, so that mutations get past the header.
 * Beyond "no crash, no leak": on success every input and output lies inside
 * the arena, every launch names a kernel and has sizes the local size
 * divides, the weights and source lie inside the input; on failure the
 * message is set. */
#include "fuzz_checks.h"
#include "kiln/opencl_plan.h"
#include "opencl_plan.h" /* runtime/src */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void try_plan(const uint8_t *data, size_t size) {
  static const int64_t dims[2] = {2, 3};
  kiln_tensor_info in[2] = {{"a", KILN_DTYPE_F32, 2, dims, 24},
                            {"b", KILN_DTYPE_F32, 2, dims, 24}};
  kiln_tensor_info out[1] = {{"out", KILN_DTYPE_F32, 2, dims, 24}};
  kiln_cl_plan plan;
  kiln_error error;
  memset(&error, 0, sizeof error);
  kiln_status st = kiln_cl_plan_parse(data, size, in, 2, out, 1, &plan, &error);
  if (st != KILN_OK) {
    CHECK(error.status == st && error.message[0] != '\0');
  } else {
    for (size_t i = 0; i < 2; ++i)
      CHECK(plan.input_offsets[i] + 24 <= plan.arena_size);
    CHECK(plan.output_offsets[0] + 24 <= plan.arena_size);
    for (uint32_t l = 0; l < plan.num_launches; ++l) {
      const kiln_cl_launch *launch = &plan.launches[l];
      CHECK(launch->kernel < plan.num_kernels);
      for (int d = 0; d < 3; ++d)
        CHECK(launch->global[d] > 0 &&
              (launch->local[d] == 0 ||
               launch->global[d] % launch->local[d] == 0));
    }
    CHECK((const uint8_t *)plan.source >= data &&
          (const uint8_t *)plan.source + plan.source_size <= data + size);
    CHECK(plan.weights + plan.weights_size == data + size);
    for (uint32_t k = 0; k < plan.num_kernels; ++k)
      CHECK(strlen(plan.kernel_names[k]) > 0);
  }
  kiln_cl_plan_free(&plan);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  try_plan(data, size);
  if (size >= KILN_OPENCL_PLAN_HEADER_SIZE) {
    uint8_t *copy = malloc(size);
    if (!copy)
      return 0;
    memcpy(copy, data, size);
    uint64_t payload = size - KILN_OPENCL_PLAN_HEADER_SIZE;
    uint32_t sum = kiln_fnv1a32(copy + KILN_OPENCL_PLAN_HEADER_SIZE, payload);
    for (int i = 0; i < 8; ++i)
      copy[8 + i] = (uint8_t)(payload >> (8 * i));
    for (int i = 0; i < 4; ++i)
      copy[16 + i] = (uint8_t)(sum >> (8 * i));
    try_plan(copy, size);
    free(copy);
  }
  return 0;
}
