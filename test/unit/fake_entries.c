#include "fake_entries.h"

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
