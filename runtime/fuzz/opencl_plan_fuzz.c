/* kiln_opencl_plan_fuzz: untrusted bytes -> kiln_cl_plan_parse, the reader
 * of a model's GPU variant (kiln/opencl_plan.h, version 2), checked against
 * a fixed signature (inputs a, b and output out: f32 2x3, 24 bytes each) and
 * a model of 2 CPU entries. Like the descriptor target, each input is tried
 * as is and with its payload size and checksum rewritten to match, so that
 * mutations get past the header. Beyond "no crash, no leak": on success
 * there is at least one step; every launch names a kernel and has sizes the
 * local size divides; every GPU step's launches lie within the launch list,
 * and each of its uploads and downloads is 4-byte aligned and inside the
 * arena; every ref (copy or CPU argument) of kind HOST lies inside the host
 * block, one of kind INPUT or OUTPUT names one of the tensors and takes at
 * most its 24 bytes, and no other kind appears; every CPU step calls entry
 * 0 or 1 and waits only for earlier GPU steps; some step writes the output;
 * the source and the weights lie inside the input, the weights at its end.
 * On failure the message is set. */
#include "fuzz_checks.h"
#include "kiln/opencl_plan.h"
#include "opencl_plan.h" /* runtime/src */

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { NUM_INPUTS = 2, NUM_OUTPUTS = 1, NUM_ENTRIES = 2, TENSOR_BYTES = 24 };

/* A ref lies inside its tensor or the host block. */
static void check_ref(const kiln_cl_plan *plan, const kiln_cl_ref *ref) {
  switch (ref->kind) {
  case KILN_CL_REF_INPUT:
    CHECK(ref->index < NUM_INPUTS && ref->size <= TENSOR_BYTES);
    break;
  case KILN_CL_REF_OUTPUT:
    CHECK(ref->index < NUM_OUTPUTS && ref->size <= TENSOR_BYTES);
    break;
  case KILN_CL_REF_HOST:
    CHECK(ref->index <= plan->host_size &&
          ref->size <= plan->host_size - ref->index);
    break;
  default:
    CHECK(!"a ref of unknown kind");
  }
}

/* A copy: aligned, inside the arena, from or to a valid ref. */
static void check_copy(const kiln_cl_plan *plan, const kiln_cl_copy *copy) {
  check_ref(plan, &copy->ref);
  CHECK(copy->device_offset % 4 == 0);
  CHECK(copy->device_offset <= plan->arena_size &&
        copy->ref.size <= plan->arena_size - copy->device_offset);
}

static void try_plan(const uint8_t *data, size_t size) {
  static const int64_t dims[2] = {2, 3};
  kiln_tensor_info in[NUM_INPUTS] = {
      {"a", KILN_DTYPE_F32, 2, dims, TENSOR_BYTES},
      {"b", KILN_DTYPE_F32, 2, dims, TENSOR_BYTES}};
  kiln_tensor_info out[NUM_OUTPUTS] = {
      {"out", KILN_DTYPE_F32, 2, dims, TENSOR_BYTES}};
  kiln_cl_plan plan;
  kiln_error error;
  memset(&error, 0, sizeof error);
  kiln_status st = kiln_cl_plan_parse(data, size, in, NUM_INPUTS, out,
                                      NUM_OUTPUTS, NUM_ENTRIES, &plan, &error);
  if (st != KILN_OK) {
    CHECK(error.status == st && error.message[0] != '\0');
  } else {
    for (uint32_t l = 0; l < plan.num_launches; ++l) {
      const kiln_cl_launch *launch = &plan.launches[l];
      CHECK(launch->kernel < plan.num_kernels);
      CHECK(launch->work_dim >= 1 && launch->work_dim <= 3);
      for (int d = 0; d < 3; ++d)
        CHECK(launch->global[d] > 0 &&
              (launch->local[d] == 0 ||
               launch->global[d] % launch->local[d] == 0));
    }
    CHECK(plan.num_steps > 0);
    bool written = false;
    for (uint32_t i = 0; i < plan.num_steps; ++i) {
      const kiln_cl_step *s = &plan.steps[i];
      if (s->kind == KILN_CL_STEP_GPU) {
        CHECK((uint64_t)s->first_launch + s->num_launches <= plan.num_launches);
        for (uint32_t u = 0; u < s->num_uploads; ++u)
          check_copy(&plan, &s->uploads[u]);
        for (uint32_t d = 0; d < s->num_downloads; ++d) {
          check_copy(&plan, &s->downloads[d]);
          written |= s->downloads[d].ref.kind == KILN_CL_REF_OUTPUT;
        }
      } else {
        CHECK(s->kind == KILN_CL_STEP_CPU);
        CHECK(s->entry < NUM_ENTRIES);
        for (uint32_t a = 0; a < s->num_args; ++a) {
          check_ref(&plan, &s->args[a]);
          written |= s->args[a].kind == KILN_CL_REF_OUTPUT;
        }
        for (uint32_t w = 0; w < s->num_waits; ++w)
          CHECK(s->waits[w] < i &&
                plan.steps[s->waits[w]].kind == KILN_CL_STEP_GPU);
      }
    }
    CHECK(written);
    CHECK((const uint8_t *)plan.source >= data &&
          (const uint8_t *)plan.source + plan.source_size <= data + size);
    CHECK(plan.weights + plan.weights_size == data + size);
    for (uint32_t k = 0; k < plan.num_kernels; ++k)
      CHECK(strlen(plan.kernel_names[k]) > 0);
  }
  kiln_cl_plan_free(&plan);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  _Static_assert(KILN_OPENCL_PLAN_HEADER_SIZE == 24,
                 "the shared repair knows a 24-byte header");
  try_with_repaired_header(data, size, try_plan);
  return 0;
}
