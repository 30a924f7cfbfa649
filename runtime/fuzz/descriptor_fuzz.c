/* kiln_descriptor_fuzz: a model descriptor (kiln/model_format.h) from
 * untrusted bytes -> kiln_session_create -> every query -> a run with
 * zeroed buffers of the declared sizes (when they are small) -> destroy.
 *
 * Each input is tried twice:
 *   1. as is, with NULL options: this exercises the header checks (magic,
 *      version, payload size, checksum);
 *   2. with payload_size and the FNV-1a checksum rewritten to match the
 *      bytes (when at least a header's worth is there), with options
 *      (profiling on, one thread): random mutations almost never keep a
 *      checksum right, so without this the fuzzer would seldom get past
 *      the header.
 *
 * The fake model's entry table holds no-op entries and one NULL entry
 * (index KILN_FUZZ_NULL_ENTRY), so that segments can name any of them; the
 * entries never touch their arguments, so running with zeroed buffers is
 * safe whatever the descriptor says.
 *
 * Beyond "no crash", the target checks what the API promises: a failure
 * leaves the session NULL and a NUL-terminated message with the status; a
 * session reports tensor infos whose size_bytes match dtype x dims, whose
 * names are unique, non-empty and found by kiln_session_find_*; queries out
 * of range return NULL; a run with correct buffers succeeds and one with a
 * wrong count fails. */
#include "fuzz_checks.h"
#include "descriptor.h" /* runtime/src: the validating pass, to size things */
#include "kiln/runtime.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KILN_FUZZ_NUM_ENTRIES 8u
#define KILN_FUZZ_NULL_ENTRY 7u

/* Arenas above this are not allocated: the runtime asks malloc for what the
 * descriptor says (by design), and libFuzzer reports mallocs above its
 * -malloc_limit_mb as out-of-memory. Arenas within 64 bytes of PTRDIFF_MAX
 * are tried: the session's size check refuses them before malloc (its
 * bookkeeping and alignment reserve take more than 64 bytes). The path
 * where malloc itself returns NULL is test/unit's Descriptor.HugeArena:
 * here each such try would print an ASan warning. */
#define KILN_FUZZ_MAX_ARENA (UINT64_C(16) << 20)
#define KILN_FUZZ_REFUSED_ARENA ((uint64_t)PTRDIFF_MAX - 64)

/* Input and output buffers of a run, in total. */
#define KILN_FUZZ_MAX_RUN_BYTES (UINT64_C(1) << 20)

static int entry_calls;

static void noop_entry(void **args) {
  (void)args;
  ++entry_calls;
}

static const kiln_entry_fn kEntries[KILN_FUZZ_NUM_ENTRIES] = {
    noop_entry, noop_entry, noop_entry, noop_entry,
    noop_entry, noop_entry, noop_entry, NULL /* KILN_FUZZ_NULL_ENTRY */};


static void check_error(kiln_status st, const kiln_error *error) {
  CHECK(st != KILN_OK);
  CHECK(error->status == st);
  CHECK(memchr(error->message, 0, sizeof error->message) != NULL);
  CHECK(error->message[0] != '\0');
}

/* One tensor info: consistent, and found under its own name. */
static void check_info(const kiln_session *s, const kiln_tensor_info *info,
                       size_t index, int is_input) {
  CHECK(info != NULL);
  CHECK(info->name != NULL);
  size_t len = strlen(info->name);
  CHECK(len >= 1 && len <= KILN_MAX_NAME_LEN);
  CHECK(info->rank >= 0 && info->rank <= KILN_MAX_RANK);
  size_t size = kiln_dtype_size((uint32_t)info->dtype);
  CHECK(size != 0);
  CHECK(info->rank == 0 || info->dims != NULL);
  for (int32_t i = 0; i < info->rank; ++i) {
    CHECK(info->dims[i] >= 0);
    /* parse_tensor checked this product for overflow. */
    size *= (size_t)info->dims[i];
  }
  CHECK(info->size_bytes == size);
  int64_t found = is_input ? kiln_session_find_input(s, info->name)
                           : kiln_session_find_output(s, info->name);
  CHECK(found == (int64_t)index);
}

/* Zeroed buffers of the declared sizes; the entries do nothing with them. */
static void try_run(kiln_session *s) {
  size_t n_in = kiln_session_num_inputs(s), n_out = kiln_session_num_outputs(s);
  /* Each size is checked before it is added: a sum of sizes near 2^64
   * wraps (regressions/descriptor/harness-size-sum-wraps, the one crash the
   * runs found, in this harness rather than the runtime). */
  uint64_t total = 0;
  for (size_t i = 0; i < n_in + n_out; ++i) {
    size_t size = i < n_in ? kiln_session_input(s, i)->size_bytes
                           : kiln_session_output(s, i - n_in)->size_bytes;
    if (size > KILN_FUZZ_MAX_RUN_BYTES - total)
      return;
    total += size;
  }
  kiln_tensor *tensors = calloc(n_in + n_out + 1, sizeof *tensors);
  CHECK(tensors != NULL);
  for (size_t i = 0; i < n_in + n_out; ++i) {
    const kiln_tensor_info *info = i < n_in ? kiln_session_input(s, i)
                                            : kiln_session_output(s, i - n_in);
    tensors[i] = (kiln_tensor){info->dtype, info->rank, info->dims,
                               calloc(info->size_bytes ? info->size_bytes : 1,
                                      1),
                               info->size_bytes};
    CHECK(tensors[i].data != NULL);
  }
  kiln_error error;
  entry_calls = 0;
  kiln_status st =
      kiln_session_run(s, tensors, n_in, tensors + n_in, n_out, &error);
  CHECK(st == KILN_OK);
  /* Every segment's entry is a no-op entry: parse_segment refused NULL. */
  CHECK(entry_calls > 0);
  /* One output too many (or one input): rejected before anything runs. */
  entry_calls = 0;
  st = kiln_session_run(s, tensors, n_in, tensors + n_in, n_out + 1, &error);
  check_error(st, &error);
  CHECK(entry_calls == 0);
  /* A buffer one byte short, when there is one to shorten. */
  for (size_t i = 0; i < n_in + n_out; ++i)
    if (tensors[i].size_bytes) {
      tensors[i].size_bytes--;
      st = kiln_session_run(s, tensors, n_in, tensors + n_in, n_out, &error);
      check_error(st, &error);
      CHECK(entry_calls == 0);
      tensors[i].size_bytes++;
      break;
    }
  for (size_t i = 0; i < n_in + n_out; ++i)
    free(tensors[i].data);
  free(tensors);
}

static void try_model(const uint8_t *bytes, size_t size, uint32_t abi_version,
                      const kiln_session_options *options) {
  kiln_model model = {
      .magic = KILN_MODEL_MAGIC,
      .abi_version = abi_version,
      .descriptor = bytes,
      .descriptor_size = size,
      .entries = kEntries,
      .num_entries = KILN_FUZZ_NUM_ENTRIES,
  };
  kiln_desc_counts counts;
  kiln_error error;
  if (kiln_desc_parse(&model, &counts, NULL, &error) == KILN_OK &&
      counts.arena_size > KILN_FUZZ_MAX_ARENA &&
      counts.arena_size <= KILN_FUZZ_REFUSED_ARENA)
    return;

  kiln_session *s = (kiln_session *)&model; /* must be overwritten */
  memset(&error, 0x55, sizeof error);
  kiln_status st = kiln_session_create(&model, options, &s, &error);
  if (st != KILN_OK) {
    check_error(st, &error);
    CHECK(s == NULL);
    return;
  }
  CHECK(s != NULL);
  size_t n_in = kiln_session_num_inputs(s), n_out = kiln_session_num_outputs(s);
  for (size_t i = 0; i < n_in; ++i)
    check_info(s, kiln_session_input(s, i), i, 1);
  for (size_t i = 0; i < n_out; ++i)
    check_info(s, kiln_session_output(s, i), i, 0);
  CHECK(kiln_session_input(s, n_in) == NULL);
  CHECK(kiln_session_output(s, n_out) == NULL);
  CHECK(kiln_session_find_input(s, "") == -1);
  CHECK(kiln_session_find_output(s, NULL) == -1);
  CHECK(kiln_session_arena_size(s) == counts.arena_size);
  CHECK(kiln_session_memory_bytes(s) >= kiln_session_arena_size(s));
  size_t n_layers = kiln_session_num_layers(s);
  for (size_t i = 0; i < n_layers; ++i) {
    const kiln_layer_profile *layer = kiln_session_layer(s, i);
    CHECK(layer && layer->name && layer->name[0] != '\0');
    CHECK(strlen(layer->name) <= KILN_MAX_NAME_LEN);
    CHECK(layer->total_ns == 0 && layer->spans == 0);
  }
  CHECK(kiln_session_layer(s, n_layers) == NULL);
  try_run(s);
  kiln_session_reset_profile(s);
  CHECK(kiln_session_profiled_runs(s) == 0);
  kiln_session_destroy(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* libFuzzer hands over an exact-size heap copy, so any read past the end
   * is caught by ASan. */
  try_model(data, size, KILN_MODEL_ABI_VERSION, NULL);
  if (size < KILN_DESCRIPTOR_HEADER_SIZE)
    return 0;
  uint8_t *fixed = malloc(size);
  CHECK(fixed != NULL);
  memcpy(fixed, data, size);
  size_t payload = size - KILN_DESCRIPTOR_HEADER_SIZE;
  uint32_t words[2] = {(uint32_t)payload,
                       kiln_fnv1a32(fixed + KILN_DESCRIPTOR_HEADER_SIZE,
                                    payload)};
  for (int w = 0; w < 2; ++w)
    for (int i = 0; i < 4; ++i)
      fixed[8 + 4 * w + i] = (uint8_t)(words[w] >> (8 * i));
  /* Run even when the header was right already: this run profiles. Model
   * ABI 1 (no layer marks) still loads; a checksum bit picks it so that
   * both are seen. */
  kiln_session_options options = {
      .struct_size = sizeof options, .threads = 1, .profile = 1};
  try_model(fixed, size, (words[1] & 0x100) ? 1u : KILN_MODEL_ABI_VERSION,
            &options);
  free(fixed);
  return 0;
}
