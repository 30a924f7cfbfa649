#include "fake_entries.h"

#include "kiln/model_format.h"

#include <stdint.h>
#include <string.h>

int kiln_test_calls;
void *kiln_test_seen_arena;

void kiln_test_add_into_arena(void **args) {
  const float *a = args[0], *b = args[1];
  float *sum = args[2];
  for (int i = 0; i < KILN_TEST_ELEMENTS; ++i)
    sum[i] = a[i] + b[i];
  ++kiln_test_calls;
}

void kiln_test_copy_from_arena(void **args) {
  memcpy(args[1], args[0], KILN_TEST_ELEMENTS * sizeof(float));
  ++kiln_test_calls;
}

void kiln_test_record_arena(void **args) {
  kiln_test_seen_arena = args[0];
  ++kiln_test_calls;
}

/* What compiled code hands to run(): its own array of pointers. */
static void square_task(void *const *args, int64_t begin, int64_t end) {
  const float *in = args[0];
  float *out = args[1];
  for (int64_t i = begin; i < end; ++i)
    out[i] = in[i] * in[i];
}

void kiln_test_parallel_square(void **args) {
  kiln_parallel *parallel = args[0];
  void *const task_args[2] = {args[1], args[2]};
  parallel->run(parallel, square_task, task_args, KILN_TEST_PARALLEL_ELEMENTS);
  ++kiln_test_calls;
}

void kiln_test_marked_square(void **args) {
  kiln_parallel *parallel = args[0];
  void *const task_args[2] = {args[1], args[2]};
  parallel->mark(parallel, 1);
  parallel->run(parallel, square_task, task_args, KILN_TEST_PARALLEL_ELEMENTS);
  parallel->mark(parallel, 0);
  parallel->mark(parallel, 1);
  parallel->run(parallel, square_task, task_args, KILN_TEST_PARALLEL_ELEMENTS);
  parallel->mark(parallel, 7);
  parallel->mark(parallel, KILN_LAYER_END);
  ++kiln_test_calls;
}

void kiln_test_quantize(void **args) {
  const float *in = args[0];
  int8_t *q = args[1];
  for (int i = 0; i < KILN_TEST_ELEMENTS; ++i) {
    float x = in[i];
    /* Saturate before converting: out-of-range conversions are UB. */
    if (!(x == x))
      x = 0;
    x = x < -128 ? -128 : x > 127 ? 127 : x;
    q[i] = (int8_t)(x >= 0 ? x + 0.5f : x - 0.5f);
  }
  ++kiln_test_calls;
}

void kiln_test_dequantize(void **args) {
  const int8_t *q = args[0];
  float *out = args[1];
  for (int i = 0; i < KILN_TEST_ELEMENTS; ++i)
    out[i] = q[i];
  ++kiln_test_calls;
}
