// Sessions over fake models: create, query, run, and the checks run makes
// before anything executes.
#include "descriptor_writer.h"
#include "kiln/runtime.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

using namespace kiln_test;

namespace {

class Session : public ::testing::Test {
protected:
  void SetUp() override {
    kiln_error error{};
    ASSERT_EQ(kiln_session_create(&fake.model, nullptr, &session, &error),
              KILN_OK)
        << error.message;
    for (int i = 0; i < KILN_TEST_ELEMENTS; ++i) {
      a[i] = static_cast<float>(i);
      b[i] = 0.5f * static_cast<float>(i) - 1.0f;
    }
    inputs[0] = {KILN_DTYPE_F32, 2, dims, a, sizeof a};
    inputs[1] = {KILN_DTYPE_F32, 2, dims, b, sizeof b};
    outputs[0] = {KILN_DTYPE_F32, 2, dims, out, sizeof out};
  }
  void TearDown() override { kiln_session_destroy(session); }

  // Runs and expects `status` with `message`; nothing may have executed.
  void expectRunError(kiln_status status, const std::string &message) {
    int calls = kiln_test_calls;
    kiln_error error{};
    EXPECT_EQ(kiln_session_run(session, inputs, 2, outputs, 1, &error), status);
    EXPECT_EQ(error.status, status);
    EXPECT_EQ(message, error.message);
    EXPECT_EQ(kiln_test_calls, calls);
  }

  FakeModel fake{addSpec()};
  kiln_session *session = nullptr;
  int64_t dims[2] = {2, 3};
  float a[KILN_TEST_ELEMENTS], b[KILN_TEST_ELEMENTS], out[KILN_TEST_ELEMENTS];
  kiln_tensor inputs[2];
  kiln_tensor outputs[1];
};

TEST_F(Session, RunsSegmentsInOrder) {
  kiln_error error{};
  int calls = kiln_test_calls;
  ASSERT_EQ(kiln_session_run(session, inputs, 2, outputs, 1, &error), KILN_OK)
      << error.message;
  EXPECT_EQ(kiln_test_calls, calls + 2);
  for (int i = 0; i < KILN_TEST_ELEMENTS; ++i)
    EXPECT_EQ(out[i], a[i] + b[i]) << i;
  // Runs repeat with new data.
  a[0] = 100.0f;
  ASSERT_EQ(kiln_session_run(session, inputs, 2, outputs, 1, &error), KILN_OK);
  EXPECT_EQ(out[0], 100.0f + b[0]);
}

TEST_F(Session, Queries) {
  EXPECT_EQ(kiln_session_num_inputs(session), 2u);
  EXPECT_EQ(kiln_session_num_outputs(session), 1u);
  const kiln_tensor_info *in = kiln_session_input(session, 1);
  ASSERT_NE(in, nullptr);
  EXPECT_STREQ(in->name, "b");
  EXPECT_EQ(in->dtype, KILN_DTYPE_F32);
  ASSERT_EQ(in->rank, 2);
  EXPECT_EQ(in->dims[0], 2);
  EXPECT_EQ(in->dims[1], 3);
  EXPECT_EQ(in->size_bytes, 24u);
  const kiln_tensor_info *o = kiln_session_output(session, 0);
  ASSERT_NE(o, nullptr);
  EXPECT_STREQ(o->name, "out");
  EXPECT_EQ(kiln_session_input(session, 2), nullptr);
  EXPECT_EQ(kiln_session_output(session, 1), nullptr);
  EXPECT_EQ(kiln_session_arena_size(session), 24u);
  EXPECT_GT(kiln_session_memory_bytes(session), 24u);
}

TEST_F(Session, FindByName) {
  EXPECT_EQ(kiln_session_find_input(session, "a"), 0);
  EXPECT_EQ(kiln_session_find_input(session, "b"), 1);
  EXPECT_EQ(kiln_session_find_input(session, "out"), -1);
  EXPECT_EQ(kiln_session_find_input(session, "A"), -1);
  EXPECT_EQ(kiln_session_find_input(session, nullptr), -1);
  EXPECT_EQ(kiln_session_find_output(session, "out"), 0);
  EXPECT_EQ(kiln_session_find_output(session, "a"), -1);
  EXPECT_EQ(kiln_session_find_input(nullptr, "a"), -1);
}

TEST(SessionNull, QueriesOnNullSession) {
  EXPECT_EQ(kiln_session_num_inputs(nullptr), 0u);
  EXPECT_EQ(kiln_session_num_outputs(nullptr), 0u);
  EXPECT_EQ(kiln_session_input(nullptr, 0), nullptr);
  EXPECT_EQ(kiln_session_output(nullptr, 0), nullptr);
  EXPECT_EQ(kiln_session_memory_bytes(nullptr), 0u);
  EXPECT_EQ(kiln_session_arena_size(nullptr), 0u);
  kiln_session_destroy(nullptr);
  kiln_error error{};
  EXPECT_EQ(kiln_session_run(nullptr, nullptr, 0, nullptr, 0, &error),
            KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(error.message, "session is NULL");
}

TEST_F(Session, CountErrors) {
  kiln_error error{};
  EXPECT_EQ(kiln_session_run(session, inputs, 1, outputs, 1, &error),
            KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(error.message, "expected 2 inputs, got 1");
  EXPECT_EQ(kiln_session_run(session, inputs, 2, outputs, 2, &error),
            KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(error.message, "expected 1 outputs, got 2");
  EXPECT_EQ(kiln_session_run(session, nullptr, 2, outputs, 1, &error),
            KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(error.message, "inputs array is NULL");
  EXPECT_EQ(kiln_session_run(session, inputs, 2, nullptr, 1, &error),
            KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(error.message, "outputs array is NULL");
  // No error struct: still a clean failure.
  EXPECT_EQ(kiln_session_run(session, inputs, 0, outputs, 1, nullptr),
            KILN_ERROR_INVALID_ARGUMENT);
}

TEST_F(Session, DtypeMismatch) {
  inputs[1].dtype = KILN_DTYPE_I64;
  expectRunError(KILN_ERROR_DTYPE_MISMATCH,
                 "input 'b': expected dtype f32, got i64");
  inputs[1].dtype = static_cast<kiln_dtype>(99);
  expectRunError(KILN_ERROR_DTYPE_MISMATCH,
                 "input 'b': expected dtype f32, got dtype(99)");
  inputs[1].dtype = KILN_DTYPE_F32;
  outputs[0].dtype = KILN_DTYPE_F16;
  expectRunError(KILN_ERROR_DTYPE_MISMATCH,
                 "output 'out': expected dtype f32, got f16");
}

TEST_F(Session, ShapeMismatch) {
  int64_t wrong[2] = {2, 4};
  inputs[0].dims = wrong;
  expectRunError(KILN_ERROR_SHAPE_MISMATCH,
                 "input 'a': expected shape 2x3, got 2x4");
  int64_t flat[1] = {6};
  inputs[0] = {KILN_DTYPE_F32, 1, flat, a, sizeof a};
  expectRunError(KILN_ERROR_SHAPE_MISMATCH,
                 "input 'a': expected shape 2x3, got 6");
  inputs[0].rank = 0;
  expectRunError(KILN_ERROR_SHAPE_MISMATCH,
                 "input 'a': expected shape 2x3, got scalar");
  inputs[0].rank = -1;
  expectRunError(KILN_ERROR_SHAPE_MISMATCH,
                 "input 'a': expected shape 2x3, got rank -1");
  inputs[0].rank = 100;
  expectRunError(KILN_ERROR_SHAPE_MISMATCH,
                 "input 'a': expected shape 2x3, got rank 100");
  inputs[0] = {KILN_DTYPE_F32, 2, nullptr, a, sizeof a};
  expectRunError(KILN_ERROR_INVALID_ARGUMENT, "input 'a': dims is NULL");
  inputs[0] = {KILN_DTYPE_F32, 2, dims, a, sizeof a};
  int64_t big[2] = {3, 3};
  outputs[0].dims = big;
  expectRunError(KILN_ERROR_SHAPE_MISMATCH,
                 "output 'out': expected shape 2x3, got 3x3");
}

TEST_F(Session, BufferErrors) {
  inputs[1].data = nullptr;
  expectRunError(KILN_ERROR_INVALID_ARGUMENT, "input 'b': data is NULL");
  inputs[1].data = b;
  inputs[1].size_bytes = 20;
  expectRunError(KILN_ERROR_INVALID_ARGUMENT,
                 "input 'b': buffer holds 20 bytes, needs 24");
  inputs[1].size_bytes = sizeof b;
  outputs[0].size_bytes = 0;
  expectRunError(KILN_ERROR_INVALID_ARGUMENT,
                 "output 'out': buffer holds 0 bytes, needs 24");
  // Larger buffers are fine.
  outputs[0].size_bytes = 1000;
  kiln_error error{};
  EXPECT_EQ(kiln_session_run(session, inputs, 2, outputs, 1, &error), KILN_OK);
}

TEST(SessionOptions, StructSizeAndThreads) {
  FakeModel fake(addSpec());
  kiln_session *session = nullptr;
  kiln_error error{};
  kiln_session_options options{sizeof options, 4, 0, 0, 0, nullptr};
  ASSERT_EQ(kiln_session_create(&fake.model, &options, &session, &error),
            KILN_OK);
  kiln_session_destroy(session);
  options.struct_size = 4;
  EXPECT_EQ(kiln_session_create(&fake.model, &options, &session, &error),
            KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(error.message, "options->struct_size is 4, expected at least 8");
  EXPECT_EQ(session, nullptr);
  options = {sizeof options, 257, 0, 0, 0, nullptr};
  EXPECT_EQ(kiln_session_create(&fake.model, &options, &session, &error),
            KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(error.message,
               "options->threads is 257, at most 256 are supported");
  EXPECT_EQ(session, nullptr);
}

// A KILN_ARG_PARALLEL arg hands the entry the session's pool, whose run()
// covers every element whatever the thread count (0 = 1).
TEST(SessionParallel, EntryRunsLoopOnPool) {
  DescriptorSpec spec;
  const int64_t n = KILN_TEST_PARALLEL_ELEMENTS;
  spec.inputs = {{"x", KILN_DTYPE_F32, {n}}};
  spec.outputs = {{"y", KILN_DTYPE_F32, {n}}};
  spec.segments = {{kParallelSquare,
                    {{KILN_ARG_PARALLEL, 0},
                     {KILN_ARG_INPUT, 0},
                     {KILN_ARG_OUTPUT, 0}}}};
  FakeModel fake(spec);
  std::vector<float> x(n), y(n);
  for (int64_t i = 0; i < n; ++i)
    x[i] = static_cast<float>(i % 100) - 50.0f;
  kiln_tensor in{KILN_DTYPE_F32, 1, &n, x.data(), n * sizeof(float)};
  kiln_tensor out{KILN_DTYPE_F32, 1, &n, y.data(), n * sizeof(float)};
  for (uint32_t threads : {0u, 1u, 2u, 4u, 7u}) {
    kiln_session_options options{sizeof options, threads, 0, 0, 0, nullptr};
    kiln_session *session = nullptr;
    kiln_error error{};
    ASSERT_EQ(kiln_session_create(&fake.model, &options, &session, &error),
              KILN_OK)
        << error.message;
    for (int run = 0; run < 3; ++run) {
      std::fill(y.begin(), y.end(), -1.0f);
      ASSERT_EQ(kiln_session_run(session, &in, 1, &out, 1, &error), KILN_OK)
          << error.message;
      for (int64_t i = 0; i < n; ++i)
        ASSERT_EQ(y[i], x[i] * x[i]) << "threads " << threads << " i " << i;
    }
    kiln_session_destroy(session);
  }
}

// With options.profile, the spans between the entry's marks are timed per
// layer; out-of-range marks are ignored; without it nothing is recorded.
// Times are only checked to be non-zero where work ran (no timing bounds).
TEST(SessionProfile, MarksTimeLayers) {
  DescriptorSpec spec;
  const int64_t n = KILN_TEST_PARALLEL_ELEMENTS;
  spec.inputs = {{"x", KILN_DTYPE_F32, {n}}};
  spec.outputs = {{"y", KILN_DTYPE_F32, {n}}};
  spec.segments = {
      {kMarkedSquare,
       {{KILN_ARG_PARALLEL, 0}, {KILN_ARG_INPUT, 0}, {KILN_ARG_OUTPUT, 0}}}};
  spec.layers = {"/empty/Identity", "/square/Mul"};
  FakeModel fake(spec);
  std::vector<float> x(n, 3.0f), y(n);
  kiln_tensor in{KILN_DTYPE_F32, 1, &n, x.data(), n * sizeof(float)};
  kiln_tensor out{KILN_DTYPE_F32, 1, &n, y.data(), n * sizeof(float)};
  for (uint32_t profile : {0u, 1u}) {
    for (uint32_t threads : {1u, 2u}) {
      kiln_session_options options{sizeof options, threads, profile, 0, 0,
                                   nullptr};
      kiln_session *session = nullptr;
      kiln_error error{};
      ASSERT_EQ(kiln_session_create(&fake.model, &options, &session, &error),
                KILN_OK)
          << error.message;
      ASSERT_EQ(kiln_session_num_layers(session), 2u);
      EXPECT_STREQ(kiln_session_layer(session, 1)->name, "/square/Mul");
      EXPECT_EQ(kiln_session_layer(session, 2), nullptr);
      for (int run = 0; run < 3; ++run) {
        std::fill(y.begin(), y.end(), 0.0f);
        ASSERT_EQ(kiln_session_run(session, &in, 1, &out, 1, &error), KILN_OK)
            << error.message;
        ASSERT_EQ(y[n - 1], 9.0f);
      }
      const kiln_layer_profile *square = kiln_session_layer(session, 1);
      const kiln_layer_profile *empty = kiln_session_layer(session, 0);
      if (profile) {
        EXPECT_EQ(kiln_session_profiled_runs(session), 3u);
        EXPECT_EQ(square->spans, 6u);
        EXPECT_EQ(empty->spans, 3u);
        EXPECT_GT(square->total_ns, 0u);
      } else {
        EXPECT_EQ(kiln_session_profiled_runs(session), 0u);
        EXPECT_EQ(square->spans, 0u);
        EXPECT_EQ(square->total_ns, 0u);
      }
      kiln_session_reset_profile(session);
      EXPECT_EQ(kiln_session_profiled_runs(session), 0u);
      EXPECT_EQ(square->spans, 0u);
      EXPECT_EQ(square->total_ns, 0u);
      kiln_session_destroy(session);
    }
  }
  // Options from before the profile field (struct_size 8) still work.
  kiln_session_options old{8, 2, 1, 0, 0, nullptr};
  kiln_session *session = nullptr;
  ASSERT_EQ(kiln_session_create(&fake.model, &old, &session, nullptr), KILN_OK);
  ASSERT_EQ(kiln_session_run(session, &in, 1, &out, 1, nullptr), KILN_OK);
  EXPECT_EQ(kiln_session_profiled_runs(session), 0u);
  kiln_session_destroy(session);
  EXPECT_EQ(kiln_session_num_layers(nullptr), 0u);
  EXPECT_EQ(kiln_session_layer(nullptr, 0), nullptr);
  kiln_session_reset_profile(nullptr);
}

// The arena is aligned to the model's alignment, and to at least 64.
TEST(SessionArena, Alignment) {
  for (uint32_t alignment : {1u, 16u, 64u, 128u, 4096u, 65536u}) {
    for (uint64_t size : {0u, 1u, 24u, 100000u}) {
      DescriptorSpec spec;
      spec.arena_size = size;
      spec.arena_alignment = alignment;
      spec.segments = {{kRecordArena, {{KILN_ARG_ARENA, 0}}}};
      FakeModel fake(spec);
      kiln_session *session = nullptr;
      kiln_error error{};
      ASSERT_EQ(kiln_session_create(&fake.model, nullptr, &session, &error),
                KILN_OK)
          << error.message;
      ASSERT_EQ(kiln_session_run(session, nullptr, 0, nullptr, 0, &error),
                KILN_OK);
      uintptr_t arena = reinterpret_cast<uintptr_t>(kiln_test_seen_arena);
      uint32_t expected = alignment < 64 ? 64 : alignment;
      EXPECT_EQ(arena % expected, 0u) << alignment;
      EXPECT_GE(kiln_session_memory_bytes(session), size);
      // The whole arena is usable (ASan/valgrind check the bounds).
      if (size)
        static_cast<volatile uint8_t *>(kiln_test_seen_arena)[size - 1] = 1;
      kiln_session_destroy(session);
    }
  }
}

// Scalars (rank 0) and several dtypes through one model.
TEST(SessionScalar, RankZeroTensors) {
  DescriptorSpec spec;
  spec.inputs = {{"s", KILN_DTYPE_I64, {}}};
  spec.outputs = {{"o", KILN_DTYPE_U8, {7}}};
  spec.segments = {{kRecordArena, {{KILN_ARG_INPUT, 0}}}};
  FakeModel fake(spec);
  kiln_session *session = nullptr;
  kiln_error error{};
  ASSERT_EQ(kiln_session_create(&fake.model, nullptr, &session, &error),
            KILN_OK);
  EXPECT_EQ(kiln_session_input(session, 0)->size_bytes, 8u);
  EXPECT_EQ(kiln_session_output(session, 0)->size_bytes, 7u);
  int64_t s = 5;
  uint8_t o[7];
  int64_t seven = 7;
  kiln_tensor in{KILN_DTYPE_I64, 0, nullptr, &s, sizeof s};
  kiln_tensor out{KILN_DTYPE_U8, 1, &seven, o, sizeof o};
  ASSERT_EQ(kiln_session_run(session, &in, 1, &out, 1, &error), KILN_OK)
      << error.message;
  EXPECT_EQ(kiln_test_seen_arena, &s);
  kiln_session_destroy(session);
}

// Empty tensors (a dim of 0): size 0, data may be NULL, the entry still runs.
TEST(SessionEmpty, ZeroDimTensors) {
  DescriptorSpec spec;
  spec.inputs = {{"e", KILN_DTYPE_F32, {3, 0, 5}}, {"s", KILN_DTYPE_I64, {}}};
  spec.outputs = {{"o", KILN_DTYPE_F32, {0}}};
  spec.segments = {{kRecordArena, {{KILN_ARG_INPUT, 1}}}};
  FakeModel fake(spec);
  kiln_session *session = nullptr;
  kiln_error error{};
  ASSERT_EQ(kiln_session_create(&fake.model, nullptr, &session, &error),
            KILN_OK)
      << error.message;
  const kiln_tensor_info *e = kiln_session_input(session, 0);
  EXPECT_EQ(e->size_bytes, 0u);
  ASSERT_EQ(e->rank, 3);
  EXPECT_EQ(e->dims[1], 0);
  EXPECT_EQ(kiln_session_output(session, 0)->size_bytes, 0u);
  int64_t edims[3] = {3, 0, 5}, odims[1] = {0}, s = 1;
  kiln_tensor in[2] = {{KILN_DTYPE_F32, 3, edims, nullptr, 0},
                       {KILN_DTYPE_I64, 0, nullptr, &s, sizeof s}};
  kiln_tensor out{KILN_DTYPE_F32, 1, odims, nullptr, 0};
  ASSERT_EQ(kiln_session_run(session, in, 2, &out, 1, &error), KILN_OK)
      << error.message;
  EXPECT_EQ(kiln_test_seen_arena, &s);
  // A shape check still applies: 3x1x5 is not 3x0x5.
  edims[1] = 1;
  EXPECT_EQ(kiln_session_run(session, in, 2, &out, 1, &error),
            KILN_ERROR_SHAPE_MISMATCH);
  // NULL data is only fine when the tensor is empty.
  edims[1] = 0;
  in[1].data = nullptr;
  EXPECT_EQ(kiln_session_run(session, in, 2, &out, 1, &error),
            KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(error.message).find("input 's': data is NULL"),
            std::string::npos)
      << error.message;
  kiln_session_destroy(session);
}

TEST(Status, Strings) {
  EXPECT_STREQ(kiln_status_string(KILN_OK), "ok");
  EXPECT_STREQ(kiln_status_string(KILN_ERROR_INVALID_ARGUMENT),
               "invalid argument");
  EXPECT_STREQ(kiln_status_string(KILN_ERROR_INVALID_MODEL), "invalid model");
  EXPECT_STREQ(kiln_status_string(KILN_ERROR_OUT_OF_MEMORY), "out of memory");
  EXPECT_STREQ(kiln_status_string(KILN_ERROR_SHAPE_MISMATCH), "shape mismatch");
  EXPECT_STREQ(kiln_status_string(KILN_ERROR_DTYPE_MISMATCH), "dtype mismatch");
  EXPECT_STREQ(kiln_status_string(KILN_ERROR_UNSUPPORTED), "unsupported");
  EXPECT_STREQ(kiln_status_string(static_cast<kiln_status>(42)),
               "unknown status");
}

TEST(Status, DtypeNames) {
  EXPECT_STREQ(kiln_dtype_name(KILN_DTYPE_F32), "f32");
  EXPECT_STREQ(kiln_dtype_name(KILN_DTYPE_U8), "u8");
  EXPECT_STREQ(kiln_dtype_name(KILN_DTYPE_I8), "i8");
  EXPECT_STREQ(kiln_dtype_name(KILN_DTYPE_I32), "i32");
  EXPECT_STREQ(kiln_dtype_name(KILN_DTYPE_I64), "i64");
  EXPECT_STREQ(kiln_dtype_name(KILN_DTYPE_BOOL), "bool");
  EXPECT_STREQ(kiln_dtype_name(KILN_DTYPE_F16), "f16");
  EXPECT_STREQ(kiln_dtype_name(KILN_DTYPE_F64), "f64");
  EXPECT_STREQ(kiln_dtype_name(static_cast<kiln_dtype>(0)), "unknown");
}

} // namespace
