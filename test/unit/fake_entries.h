/* Entries of the fake models in the unit tests: hand-written C stand-ins
 * for compiled code, on f32 tensors of KILN_TEST_ELEMENTS elements. */
#ifndef KILN_TEST_FAKE_ENTRIES_H
#define KILN_TEST_FAKE_ENTRIES_H

#ifdef __cplusplus
extern "C" {
#endif

#define KILN_TEST_ELEMENTS 6

/* Every entry increments this, so tests can tell whether anything ran. */
extern int kiln_test_calls;
/* args[0] of the last kiln_test_record_arena call. */
extern void *kiln_test_seen_arena;

/* args: a, b, arena. arena[0..6) = a + b. */
void kiln_test_add_into_arena(void **args);
/* args: arena, out. out = arena[0..6). */
void kiln_test_copy_from_arena(void **args);
/* args: arena. Records its address. */
void kiln_test_record_arena(void **args);
/* args: parallel, in, out (f32, KILN_TEST_PARALLEL_ELEMENTS each).
 * out[i] = in[i] * in[i], one run() iteration per element. */
#define KILN_TEST_PARALLEL_ELEMENTS 1000
void kiln_test_parallel_square(void **args);
/* The same, between layer marks as compiled code makes them: layer 1 (the
 * squares), layer 0 (nothing), layer 1 again, layer 7 (out of range for the
 * tests' models: ignored), then KILN_LAYER_END. */
void kiln_test_marked_square(void **args);

/* CPU steps of an NNA plan, on int8 values of scale 1 and zero point 0 in
 * the NNA's arena. args: in (f32), q (i8), KILN_TEST_ELEMENTS each.
 * q[i] = in[i] rounded to the nearest integer (halves away from 0),
 * saturated to -128..127 (NaN: 0). */
void kiln_test_quantize(void **args);
/* args: q (i8), out (f32). out[i] = q[i]. */
void kiln_test_dequantize(void **args);

#ifdef __cplusplus
}
#endif
#endif /* KILN_TEST_FAKE_ENTRIES_H */
