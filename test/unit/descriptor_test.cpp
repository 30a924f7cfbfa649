// Descriptor validation: every corrupt or inconsistent descriptor is
// rejected by kiln_session_create with a clear message, without reading
// outside the descriptor (run these under ASan/valgrind to be sure).
#include "descriptor_writer.h"
#include "kiln/runtime.h"

#include "fuzz_inputs.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <system_error>
#include <vector>

using namespace kiln_test;

// HugeArena asks for 2^62 bytes on purpose: under AddressSanitizer, malloc
// must return NULL for it rather than abort. (Ignored without ASan.)
extern "C" const char *__asan_default_options() {
  return "allocator_may_return_null=1";
}

namespace {

// Creates a session from `model`, destroys it on success; returns the
// status and leaves the message in `message`.
kiln_status tryCreate(const kiln_model *model, std::string *message = nullptr) {
  kiln_session *session = nullptr;
  kiln_error error{};
  kiln_status status = kiln_session_create(model, nullptr, &session, &error);
  if (status == KILN_OK) {
    EXPECT_NE(session, nullptr);
    kiln_session_destroy(session);
  } else {
    EXPECT_EQ(session, nullptr);
    EXPECT_EQ(error.status, status);
    EXPECT_NE(error.message[0], '\0');
  }
  if (message)
    *message = error.message;
  return status;
}

kiln_status tryCreate(const DescriptorSpec &spec,
                      std::string *message = nullptr) {
  FakeModel fake(spec);
  return tryCreate(&fake.model, message);
}

// Expects INVALID_MODEL with `fragment` in the message.
void expectInvalid(const DescriptorSpec &spec, const std::string &fragment) {
  std::string message;
  EXPECT_EQ(tryCreate(spec, &message), KILN_ERROR_INVALID_MODEL) << fragment;
  EXPECT_NE(message.find(fragment), std::string::npos) << message;
}

TEST(Descriptor, ValidModelCreates) {
  EXPECT_EQ(tryCreate(addSpec()), KILN_OK);
}

TEST(Descriptor, NullArguments) {
  kiln_error error{};
  kiln_session *session = nullptr;
  EXPECT_EQ(kiln_session_create(nullptr, nullptr, &session, &error),
            KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(error.message, "model is NULL");
  FakeModel fake(addSpec());
  EXPECT_EQ(kiln_session_create(&fake.model, nullptr, nullptr, &error),
            KILN_ERROR_INVALID_ARGUMENT);
  // A NULL error pointer is allowed.
  EXPECT_EQ(kiln_session_create(nullptr, nullptr, &session, nullptr),
            KILN_ERROR_INVALID_ARGUMENT);
}

TEST(Descriptor, BadModelStruct) {
  std::string message;
  FakeModel magic(addSpec());
  magic.model.magic = 0xdeadbeef;
  EXPECT_EQ(tryCreate(&magic.model, &message), KILN_ERROR_INVALID_MODEL);
  EXPECT_NE(message.find("bad model magic 0xdeadbeef"), std::string::npos);

  FakeModel abi(addSpec());
  abi.model.abi_version = KILN_MODEL_ABI_VERSION + 1;
  EXPECT_EQ(tryCreate(&abi.model, &message), KILN_ERROR_INVALID_MODEL);
  EXPECT_NE(message.find("model ABI version 6, this runtime supports versions "
                         "1 to 5"),
            std::string::npos)
      << message;
  abi.model.abi_version = 0;
  EXPECT_EQ(tryCreate(&abi.model), KILN_ERROR_INVALID_MODEL);
  // Version 1 models (before kiln_parallel::mark) still load.
  abi.model.abi_version = 1;
  EXPECT_EQ(tryCreate(&abi.model), KILN_OK);

  FakeModel no_descriptor(addSpec());
  no_descriptor.model.descriptor = nullptr;
  EXPECT_EQ(tryCreate(&no_descriptor.model), KILN_ERROR_INVALID_MODEL);

  FakeModel no_entries(addSpec());
  no_entries.model.entries = nullptr;
  EXPECT_EQ(tryCreate(&no_entries.model, &message), KILN_ERROR_INVALID_MODEL);
  EXPECT_NE(message.find("no entry table"), std::string::npos);
}

TEST(Descriptor, BadHeader) {
  std::vector<uint8_t> good = withHeader(encodePayload(addSpec()));
  std::string message;
  struct Case {
    size_t offset;
    uint32_t value;
    const char *fragment;
  } cases[] = {
      {0, 0x11223344, "bad descriptor magic"},
      {4, KILN_DESCRIPTOR_VERSION + 1,
       "descriptor version 5, this runtime reads versions 1 to 4"},
      {4, 0, "descriptor version 0"},
      {8, 7, "announces 7 payload bytes"},
      {8, 0xffffffff, "payload bytes"},
      {12, 0, "checksum mismatch"},
  };
  for (const Case &c : cases) {
    std::vector<uint8_t> bytes = good;
    patchU32(bytes, c.offset, c.value);
    FakeModel fake(bytes);
    EXPECT_EQ(tryCreate(&fake.model, &message), KILN_ERROR_INVALID_MODEL);
    EXPECT_NE(message.find(c.fragment), std::string::npos) << message;
  }
  // A flipped payload byte is caught by the checksum.
  std::vector<uint8_t> flipped = good;
  flipped[20] ^= 1;
  FakeModel fake(flipped);
  EXPECT_EQ(tryCreate(&fake.model, &message), KILN_ERROR_INVALID_MODEL);
  EXPECT_NE(message.find("checksum"), std::string::npos);
}

// Prefixes of a valid descriptor, each in its own exact-size buffer so that
// a sanitizer would see any read past the end.
TEST(Descriptor, TruncatedAtEveryOffset) {
  std::vector<uint8_t> good = withHeader(encodePayload(addSpec()));
  for (size_t n = 0; n < good.size(); ++n) {
    FakeModel fake(std::vector<uint8_t>(good.begin(), good.begin() + n));
    EXPECT_EQ(tryCreate(&fake.model), KILN_ERROR_INVALID_MODEL) << n;
  }
}

// The same, but with a header that matches the short payload, so that the
// payload parser itself meets the end at every offset.
TEST(Descriptor, TruncatedPayloadWithConsistentHeader) {
  std::vector<uint8_t> payload = encodePayload(addSpec());
  for (size_t n = 0; n < payload.size(); ++n) {
    FakeModel fake(
        withHeader(std::vector<uint8_t>(payload.begin(), payload.begin() + n)));
    std::string message;
    EXPECT_EQ(tryCreate(&fake.model, &message), KILN_ERROR_INVALID_MODEL) << n;
    EXPECT_NE(message.find("truncated"), std::string::npos)
        << n << ": " << message;
  }
}

TEST(Descriptor, TrailingBytes) {
  std::vector<uint8_t> payload = encodePayload(addSpec());
  payload.push_back(0);
  FakeModel fake(withHeader(payload));
  std::string message;
  EXPECT_EQ(tryCreate(&fake.model, &message), KILN_ERROR_INVALID_MODEL);
  EXPECT_NE(message.find("1 trailing bytes"), std::string::npos) << message;
}

TEST(Descriptor, HugeCounts) {
  // num_inputs = 2^32 - 1 with a few bytes behind it.
  Bytes counts;
  counts.u32(0xffffffff).u32(0).u64(0);
  FakeModel inputs(withHeader(counts.data));
  std::string message;
  EXPECT_EQ(tryCreate(&inputs.model, &message), KILN_ERROR_INVALID_MODEL);
  EXPECT_NE(message.find("cannot fit"), std::string::npos) << message;

  // A segment claiming 2^32 - 1 args (version 2: no layer table after it).
  DescriptorSpec spec = addSpec();
  spec.version = 2;
  std::vector<uint8_t> payload = encodePayload(spec);
  size_t num_args_offset = payload.size() - (1 + 4 + 4 + 2 * 5) + 5;
  patchU32(payload, num_args_offset, 0xffffffff);
  FakeModel args(withHeader(payload, 2));
  EXPECT_EQ(tryCreate(&args.model, &message), KILN_ERROR_INVALID_MODEL);
  EXPECT_NE(message.find("segment 1: truncated"), std::string::npos) << message;

  // 2^32 - 1 segments.
  Bytes segments;
  segments.u32(0).u32(0).u64(0).u32(64).u32(0xffffffff).u8(0);
  FakeModel segs(withHeader(segments.data));
  EXPECT_EQ(tryCreate(&segs.model, &message), KILN_ERROR_INVALID_MODEL);
  EXPECT_NE(message.find("segments cannot fit"), std::string::npos) << message;

  // A name length of 0xffff, beyond KILN_MAX_NAME_LEN.
  Bytes name;
  name.u32(1).u32(0).u16(0xffff).raw(std::string(100, 'x'));
  FakeModel names(withHeader(name.data));
  EXPECT_EQ(tryCreate(&names.model, &message), KILN_ERROR_INVALID_MODEL);
  EXPECT_NE(message.find("name length 65535"), std::string::npos) << message;
}

TEST(Descriptor, HugeArena) {
  DescriptorSpec spec = addSpec();
  spec.arena_size = UINT64_MAX;
  std::string message;
  EXPECT_EQ(tryCreate(spec, &message), KILN_ERROR_OUT_OF_MEMORY);
  EXPECT_NE(message.find("arena"), std::string::npos) << message;
  // Representable, but more than any machine has (2^62 bytes).
  spec.arena_size = uint64_t{1} << 62;
  EXPECT_EQ(tryCreate(spec, &message), KILN_ERROR_OUT_OF_MEMORY);
}

TEST(Descriptor, BadDims) {
  DescriptorSpec spec = addSpec();
  spec.inputs[0].dims = {INT64_MAX, INT64_MAX};
  expectInvalid(spec, "input 'a': size in bytes overflows");
  spec.inputs[0].dims = {int64_t{1} << 32, int64_t{1} << 31};
  expectInvalid(spec, "size in bytes overflows");
  spec.inputs[0].dims = {-5};
  expectInvalid(spec, "input 'a': dim 0 is -5, must be >= 0");
  // A 0 dim makes the size 0, and a later huge dim must not divide by it.
  spec.inputs[0].dims = {0, INT64_MAX};
  EXPECT_EQ(tryCreate(spec, nullptr), KILN_OK);
  spec.inputs[0].dims = std::vector<int64_t>(KILN_MAX_RANK + 1, 1);
  expectInvalid(spec, "rank 9 exceeds 8");
  spec = addSpec();
  spec.outputs[0].dtype = 8; // STRING: an ONNX type Kiln does not have
  expectInvalid(spec, "output 'out': unknown dtype 8");
  spec.outputs[0].dtype = 0;
  expectInvalid(spec, "unknown dtype 0");
}

// Every boundary dtype (ONNX's numbering) is accepted, with its element
// size in the tensor's size_bytes and its short name.
TEST(Descriptor, EveryDtype) {
  struct Case {
    kiln_dtype dtype;
    size_t size;
    const char *name;
  } cases[] = {{KILN_DTYPE_F32, 4, "f32"},  {KILN_DTYPE_U8, 1, "u8"},
               {KILN_DTYPE_I8, 1, "i8"},    {KILN_DTYPE_U16, 2, "u16"},
               {KILN_DTYPE_I16, 2, "i16"},  {KILN_DTYPE_I32, 4, "i32"},
               {KILN_DTYPE_I64, 8, "i64"},  {KILN_DTYPE_BOOL, 1, "bool"},
               {KILN_DTYPE_F16, 2, "f16"},  {KILN_DTYPE_F64, 8, "f64"},
               {KILN_DTYPE_U32, 4, "u32"},  {KILN_DTYPE_U64, 8, "u64"},
               {KILN_DTYPE_BF16, 2, "bf16"}};
  EXPECT_EQ(KILN_DTYPE_U16, 4);
  EXPECT_EQ(KILN_DTYPE_I16, 5);
  EXPECT_EQ(KILN_DTYPE_U32, 12);
  EXPECT_EQ(KILN_DTYPE_U64, 13);
  EXPECT_EQ(KILN_DTYPE_BF16, 16);
  for (const Case &c : cases) {
    EXPECT_EQ(kiln_dtype_size(c.dtype), c.size) << c.name;
    EXPECT_STREQ(kiln_dtype_name(c.dtype), c.name);
    DescriptorSpec spec = addSpec();
    spec.inputs[1].dtype = c.dtype;
    spec.outputs[0].dtype = c.dtype;
    FakeModel fake(spec);
    kiln_session *session = nullptr;
    kiln_error error{};
    ASSERT_EQ(kiln_session_create(&fake.model, nullptr, &session, &error),
              KILN_OK)
        << c.name << ": " << error.message;
    EXPECT_EQ(kiln_session_input(session, 1)->dtype, c.dtype);
    EXPECT_EQ(kiln_session_input(session, 1)->size_bytes, 6 * c.size);
    EXPECT_EQ(kiln_session_output(session, 0)->size_bytes, 6 * c.size);
    kiln_session_destroy(session);
  }
  EXPECT_STREQ(kiln_dtype_name(static_cast<kiln_dtype>(8)), "unknown");
}

TEST(Descriptor, Names) {
  DescriptorSpec spec = addSpec();
  spec.inputs[0].name = "";
  expectInvalid(spec, "input 0: name length 0");
  spec.inputs[0].name = std::string("a\0b", 3);
  expectInvalid(spec, "NUL");
  spec.inputs[0].name = "b";
  expectInvalid(spec, "two inputs are named 'b'");
  spec = addSpec();
  spec.outputs.push_back(spec.outputs[0]);
  expectInvalid(spec, "two outputs are named 'out'");
  spec = addSpec();
  spec.inputs[0].name = std::string(KILN_MAX_NAME_LEN, 'n');
  EXPECT_EQ(tryCreate(spec), KILN_OK);
  spec.inputs[0].name += "n";
  expectInvalid(spec, "name length 1025");
}

TEST(Descriptor, BadArena) {
  DescriptorSpec spec = addSpec();
  for (uint32_t alignment : {0u, 3u, 96u, 1u << 17}) {
    spec.arena_alignment = alignment;
    expectInvalid(spec, "alignment");
  }
}

TEST(Descriptor, BadSegments) {
  DescriptorSpec spec = addSpec();
  spec.segments.clear();
  expectInvalid(spec, "no segments");

  spec = addSpec();
  spec.segments[1].entry = 5;
  expectInvalid(spec, "segment 1: entry index 5 out of range (model has 5 "
                      "entries)");
  spec = addSpec();
  spec.segments[0].args[1] = {KILN_ARG_INPUT, 2};
  expectInvalid(spec, "segment 0 arg 1: index 2 out of range");
  spec = addSpec();
  spec.segments[1].args[1] = {KILN_ARG_OUTPUT, 1};
  expectInvalid(spec, "segment 1 arg 1: index 1 out of range");
  spec = addSpec();
  spec.segments[0].args[2] = {KILN_ARG_ARENA, 1};
  expectInvalid(spec, "segment 0 arg 2: index 1 out of range");
  spec = addSpec();
  spec.segments[0].args[0] = {7, 0};
  expectInvalid(spec, "segment 0 arg 0: unknown kind 7");

  spec = addSpec();
  spec.segments[0].device = 3;
  std::string message;
  EXPECT_EQ(tryCreate(spec, &message), KILN_ERROR_UNSUPPORTED);
  EXPECT_NE(message.find("device 3 is not supported"), std::string::npos);

  // An entry table with a NULL slot.
  FakeModel fake(addSpec());
  kiln_entry_fn entries[] = {kiln_test_add_into_arena, nullptr};
  fake.model.entries = entries;
  fake.model.num_entries = 2;
  EXPECT_EQ(tryCreate(&fake.model, &message), KILN_ERROR_INVALID_MODEL);
  EXPECT_NE(message.find("segment 1: entry 1 is NULL"), std::string::npos)
      << message;
}

// Version 1 (before KILN_ARG_PARALLEL) still reads; kind 3 needs version 2
// and index 0.
TEST(Descriptor, VersionsAndParallelArgs) {
  DescriptorSpec spec = addSpec();
  spec.version = 1;
  EXPECT_EQ(tryCreate(spec), KILN_OK);

  spec = addSpec();
  spec.segments[1].args.push_back({KILN_ARG_PARALLEL, 0});
  EXPECT_EQ(tryCreate(spec), KILN_OK);
  spec.version = 1;
  expectInvalid(spec, "segment 1 arg 2: kind 3 (parallel) needs descriptor "
                      "version 2, this one is version 1");

  spec = addSpec();
  spec.segments[0].args[2] = {KILN_ARG_PARALLEL, 1};
  expectInvalid(spec, "segment 0 arg 2: a parallel arg must have index 0, "
                      "got 1");
}

// Version 3's layer table: names as tensor names are checked, counts
// against the bytes left; versions 1 and 2 have no table.
TEST(Descriptor, Layers) {
  DescriptorSpec spec = addSpec();
  spec.version = 2;
  EXPECT_EQ(tryCreate(spec), KILN_OK);
  spec.version = 3;
  spec.layers = {};
  EXPECT_EQ(tryCreate(spec), KILN_OK);
  spec.layers = {"abc", "", "x"};
  expectInvalid(spec, "layer 1: name length 0 not in 1..1024");
  spec.layers = {std::string("a\0b", 3)};
  expectInvalid(spec, "layer 0: name contains a NUL byte");
  spec.layers = {std::string(1025, 'x')};
  expectInvalid(spec, "layer 0: name length 1025 not in 1..1024");

  // A layer count far beyond the bytes left.
  std::vector<uint8_t> payload = encodePayload(addSpec());
  size_t count_at = payload.size() - (4 + 2 + 8 + 2 + 4);
  patchU32(payload, count_at, 0xffffffffu);
  FakeModel huge(withHeader(payload));
  std::string message;
  EXPECT_EQ(tryCreate(&huge.model, &message), KILN_ERROR_INVALID_MODEL);
  EXPECT_NE(message.find("4294967295 layers cannot fit"), std::string::npos)
      << message;
}

TEST(Descriptor, EmptyModelParts) {
  // No inputs, no outputs, no args: legal.
  DescriptorSpec spec;
  spec.segments = {{kRecordArena, {}}};
  EXPECT_EQ(tryCreate(spec), KILN_OK);
}

// Random byte edits with a repaired checksum: the parser must reject or
// accept each one cleanly.
TEST(Descriptor, RandomMutations) {
  std::vector<uint8_t> payload = encodePayload(addSpec());
  std::mt19937 rng(1234);
  int accepted = 0;
  for (int iteration = 0; iteration < 5000; ++iteration) {
    std::vector<uint8_t> mutated = payload;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      size_t at = rng() % mutated.size();
      switch (rng() % 3) {
      case 0:
        mutated[at] = static_cast<uint8_t>(rng());
        break;
      case 1:
        mutated.erase(mutated.begin() + static_cast<long>(at));
        break;
      default:
        mutated.insert(mutated.begin() + static_cast<long>(at),
                       static_cast<uint8_t>(rng()));
        break;
      }
    }
    FakeModel fake(withHeader(mutated));
    accepted += tryCreate(&fake.model) == KILN_OK;
  }
  // Most edits break something; a few (a changed dim, a renamed tensor)
  // leave a valid model.
  EXPECT_LT(accepted, 5000);
}

// runtime/fuzz/regressions/descriptor/harness-size-sum-wraps, the one input
// the fuzz runs stopped on: tensors whose sizes are each representable but
// add up past 2^64 (the fuzz harness summed them unchecked, then asked
// calloc for 1.4e18 bytes). The runtime keeps each size apart: the session
// reports them, and a run with short buffers is refused before any entry
// runs.
TEST(Descriptor, SizesThatSumPast64Bits) {
  DescriptorSpec spec;
  spec.inputs = {{"in", KILN_DTYPE_U8, {1}}};
  spec.outputs = {{"o1", KILN_DTYPE_F32, {int64_t{1} << 61}},
                  {"o2", KILN_DTYPE_F32, {int64_t{1} << 61}},
                  {"o3", KILN_DTYPE_U8, {16}}};
  spec.segments = {{kRecordArena, {{KILN_ARG_ARENA, 0}}}};
  FakeModel fake(spec);
  kiln_session *session = nullptr;
  kiln_error error{};
  ASSERT_EQ(kiln_session_create(&fake.model, nullptr, &session, &error),
            KILN_OK)
      << error.message;
  EXPECT_EQ(kiln_session_output(session, 0)->size_bytes, size_t{1} << 63);
  EXPECT_EQ(kiln_session_output(session, 1)->size_bytes, size_t{1} << 63);
  EXPECT_EQ(kiln_session_output(session, 2)->size_bytes, 16u);
  uint8_t in = 0, out[16] = {};
  kiln_tensor input = {KILN_DTYPE_U8, 1, kiln_session_input(session, 0)->dims,
                       &in, sizeof in};
  kiln_tensor outputs[3];
  for (size_t i = 0; i < 3; ++i) {
    const kiln_tensor_info *info = kiln_session_output(session, i);
    outputs[i] = {info->dtype, info->rank, info->dims, out, sizeof out};
  }
  int calls = kiln_test_calls;
  EXPECT_EQ(kiln_session_run(session, &input, 1, outputs, 3, &error),
            KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(error.message)
                .find("output 'o1': buffer holds 16 bytes, needs "
                      "9223372036854775808"),
            std::string::npos)
      << error.message;
  EXPECT_EQ(kiln_test_calls, calls);
  kiln_session_destroy(session);
}



// kiln_descriptor_fuzz's corpus and regressions, tried as the fuzz target
// tries them: as is, and with the header's payload size and checksum
// repaired. Each must give a session or a clean error (tryCreate checks the
// status, the message and the NULL session); under ASan, without reading
// outside the bytes.
TEST(Descriptor, FuzzCorpusReplay) {
  std::vector<std::string> files = fuzzInputs("descriptor");
  if (files.empty())
    GTEST_SKIP() << "runtime/fuzz/corpus/descriptor not found";
  int created = 0;
  for (const std::string &path : files) {
    SCOPED_TRACE(path);
    std::vector<uint8_t> bytes = readBytes(path);
    FakeModel raw(bytes);
    created += tryCreate(&raw.model) == KILN_OK;
    if (bytes.size() < KILN_DESCRIPTOR_HEADER_SIZE)
      continue;
    const uint8_t *payload = bytes.data() + KILN_DESCRIPTOR_HEADER_SIZE;
    size_t payload_size = bytes.size() - KILN_DESCRIPTOR_HEADER_SIZE;
    patchU32(bytes, 8, static_cast<uint32_t>(payload_size));
    patchU32(bytes, 12, kiln_fnv1a32(payload, payload_size));
    FakeModel repaired(bytes);
    created += tryCreate(&repaired.model) == KILN_OK;
  }
  // The seeds include valid descriptors of real models.
  EXPECT_GT(created, 0);
}

} // namespace
