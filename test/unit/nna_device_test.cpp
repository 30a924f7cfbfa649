// The NNA device: the plan parser (kiln/nna_plan.h) with a rejected plan per
// rule, and sessions on the NNA variant of the add model (a, b -> out, f32
// 2x3): CPU steps quantise the inputs into the arena, the simulator runs
// hand-built streams on it (an ADD, then a 1x1 CONV), a CPU step
// dequantises the result into the output, which is checked against values
// worked out by hand; the profile against the simulator's own report; the
// fallback to the CPU variant; ABI 3 models; and kiln-run --device=nna-sim.
#include "descriptor_writer.h"
#include "fake_entries.h"
#include "fuzz_inputs.h"
#include "kiln/model_format.h"
#include "kiln/nna_plan.h"
#include "kiln/nna_stream.h"
#include "kiln/runtime.h"
#include "kiln_run.h"
#include "kiln_tensor_io.h"
#include "nna_plan.h"
#include "nna_sim.h"
#include "nna_stream.h"
#include "nna_stream_builder.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

using namespace kiln_test;

namespace {

// ---- Plan builder: the layout of kiln/nna_plan.h --------------------------

struct PlanRef {
  uint8_t kind;
  uint64_t index, size;
};

struct PlanStep {
  uint8_t kind = KILN_NNA_STEP_NNA;
  uint32_t stream = 0;  // NNA
  uint32_t entry = 0;   // CPU
  uint8_t parallel = 0; // CPU
  std::vector<PlanRef> args;
};

PlanStep nnaStep(uint32_t stream) {
  PlanStep s;
  s.stream = stream;
  return s;
}

PlanStep cpuStep(uint32_t entry, std::vector<PlanRef> args) {
  PlanStep s;
  s.kind = KILN_NNA_STEP_CPU;
  s.entry = entry;
  s.args = std::move(args);
  return s;
}

struct PlanSpec {
  uint32_t config = KILN_NNA_CONFIG_SMALL;
  uint64_t arena = 32, cpuArena = 16;
  std::vector<std::vector<uint8_t>> streams;
  std::vector<PlanStep> steps;
};

std::vector<uint8_t> planPayload(const PlanSpec &spec) {
  Bytes p;
  p.u32(spec.config).u64(spec.arena).u64(spec.cpuArena);
  p.u32(spec.streams.size());
  for (const std::vector<uint8_t> &s : spec.streams) {
    p.u64(s.size());
    p.data.insert(p.data.end(), s.begin(), s.end());
  }
  p.u32(spec.steps.size());
  for (const PlanStep &s : spec.steps) {
    p.u8(s.kind);
    if (s.kind != KILN_NNA_STEP_CPU) {
      p.u32(s.stream);
      continue;
    }
    p.u32(s.entry).u8(s.parallel).u32(s.args.size());
    for (const PlanRef &r : s.args)
      p.u8(r.kind).u64(r.index).u64(r.size);
  }
  return p.data;
}

std::vector<uint8_t> withPlanHeader(const std::vector<uint8_t> &payload) {
  return withBlobHeader(KILN_NNA_PLAN_MAGIC, KILN_NNA_PLAN_VERSION, payload);
}

std::vector<uint8_t> encodePlan(const PlanSpec &spec) {
  return withPlanHeader(planPayload(spec));
}

// ---- The add model's NNA variant ------------------------------------------

// Entries of the NNA model: FakeModel's, then the quantising ones.
enum : uint32_t { kQuantize = 5, kDequantize = 6, kNumNnaEntries = 7 };
constexpr kiln_entry_fn kNnaEntries[kNumNnaEntries] = {
    kiln_test_add_into_arena, kiln_test_copy_from_arena,
    kiln_test_record_arena,   kiln_test_parallel_square,
    kiln_test_marked_square,  kiln_test_quantize,
    kiln_test_dequantize};

constexpr PlanRef input(uint64_t i) { return {KILN_NNA_REF_INPUT, i, 24}; }
constexpr PlanRef output(uint64_t i) { return {KILN_NNA_REF_OUTPUT, i, 24}; }
constexpr PlanRef arena(uint64_t at, uint64_t size = KILN_TEST_ELEMENTS) {
  return {KILN_NNA_REF_ARENA, at, size};
}

/// t = a + 2b + 3 on int8, saturated: the int8 a (arena 0..6) and b (arena
/// 8..14) loaded into SRAM, one ADD (b's multiplier is twice a's, the output
/// rescale undoes the 2^20 of the add's fixed point), t stored at arena 16.
/// Small config: 65 + 65 cycles of loads, the ADD 17 after both, the store
/// 65 after it: 212 cycles, 12 bytes read, 6 written.
std::vector<uint8_t> addStream(uint32_t config = KILN_NNA_CONFIG_SMALL) {
  Stream s;
  s.config = config;
  s.arenaSize = 24;
  s.load(kArena, 0, 6, 0, 6, 1, 6);
  s.load(kArena, 8, 6, 64, 6, 1, 6);
  AddCmd a;
  a.a = cube(0, 1, 1, 6);
  a.b = cube(64, 1, 1, 6);
  a.out = cube(128, 1, 1, 6);
  a.q.bShift = 1;   // b * 2^20, a * 2^19
  a.q.oShift = -18; // (a + 2b) * 2^19 -> a + 2b
  a.q.oZero = 3;
  s.add(a);
  s.store(128, 6, 16, 6, 1, 6);
  return s.bytes();
}

/// u = 5 - t as a 1x1 CONV of t (arena 16, as 2x3x1) with weight -1, bias 5,
/// multiplier 2^30 and shift 1 (an exact identity requantisation), stored
/// at arena 24. `shift` replaces the per-channel shift (31: only the
/// simulator refuses it).
std::vector<uint8_t> convStream(int32_t shift = 1) {
  Stream s;
  s.arenaSize = 30;
  Bytes consts;
  consts.u8(0xff).u32(5).u32(1u << 30).u32(static_cast<uint32_t>(shift));
  s.constants = consts.data;
  s.load(kConst, 0, 13, 256, 13, 1, 13); // weight at 256, params at 257
  s.load(kArena, 16, 6, 0, 6, 1, 6);
  ConvCmd c;
  c.in = cube(0, 2, 3, 1);
  c.out = cube(64, 2, 3, 1);
  c.weights = 256;
  c.params = 257;
  s.conv(c);
  s.store(64, 6, 24, 6, 1, 6);
  return s.bytes();
}

/// Quantise a and b into the arena, ADD on the NNA, dequantise t into out.
PlanSpec addPlan() {
  PlanSpec spec;
  spec.streams = {addStream()};
  spec.steps = {cpuStep(kQuantize, {input(0), arena(0)}),
                cpuStep(kQuantize, {input(1), arena(8)}), nnaStep(0),
                cpuStep(kDequantize, {arena(16), output(0)})};
  return spec;
}

/// The same, then the CONV on t before dequantising u.
PlanSpec twoStreamPlan() {
  PlanSpec spec;
  spec.streams = {addStream(), convStream()};
  spec.steps = {cpuStep(kQuantize, {input(0), arena(0)}),
                cpuStep(kQuantize, {input(1), arena(8)}), nnaStep(0),
                nnaStep(1), cpuStep(kDequantize, {arena(24), output(0)})};
  return spec;
}

const std::vector<float> kA = {1, -2, 3.4f, 100, -50, 0.6f};
const std::vector<float> kB = {10, 20, -30, 40, -50, 60};
// By hand: a quantises to 1, -2, 3, 100, -50, 1; t = a + 2b + 3 = 24, 41,
// -54, 183, -147, 124, saturated to int8; u = 5 - t, saturated.
const std::vector<float> kT = {24, 41, -54, 127, -128, 124};
const std::vector<float> kU = {-19, -36, 59, -122, 127, -119};

/// The add model with an NNA variant.
struct NnaModel : FakeModel {
  explicit NnaModel(std::vector<uint8_t> planBytes)
      : FakeModel(addSpec()), plan(std::move(planBytes)) {
    model.entries = kNnaEntries;
    model.num_entries = kNumNnaEntries;
    model.nna_plan = plan.data();
    model.nna_plan_size = plan.size();
  }
  std::vector<uint8_t> plan;
};

kiln_tensor_info info(const char *name) {
  static const int64_t dims[2] = {2, 3};
  return {name, KILN_DTYPE_F32, 2, dims, 24};
}

std::string parseError(const std::vector<uint8_t> &bytes,
                       uint32_t numEntries = kNumNnaEntries) {
  kiln_tensor_info in[2] = {info("a"), info("b")};
  kiln_tensor_info out[1] = {info("out")};
  kiln_nna_plan plan;
  kiln_error error{};
  kiln_status st = kiln_nna_plan_parse(bytes.data(), bytes.size(), in, 2, out,
                                       1, numEntries, &plan, &error);
  kiln_nna_plan_free(&plan);
  if (st != KILN_OK && st != KILN_ERROR_INVALID_MODEL)
    return "unexpected status " + std::to_string(st);
  return st == KILN_OK ? "" : error.message;
}

/// Parsing fails with a message holding `text`.
::testing::AssertionResult rejects(const std::vector<uint8_t> &bytes,
                                   const std::string &text) {
  return refusalHolds(parseError(bytes), text);
}

// ---- The parser -----------------------------------------------------------

TEST(NnaPlan, Parses) {
  std::vector<uint8_t> bytes = encodePlan(twoStreamPlan());
  kiln_tensor_info in[2] = {info("a"), info("b")};
  kiln_tensor_info out[1] = {info("out")};
  kiln_nna_plan plan;
  kiln_error error{};
  ASSERT_EQ(kiln_nna_plan_parse(bytes.data(), bytes.size(), in, 2, out, 1,
                                kNumNnaEntries, &plan, &error),
            KILN_OK)
      << error.message;
  EXPECT_EQ(plan.config->id, KILN_NNA_CONFIG_SMALL);
  EXPECT_EQ(plan.arena_size, 32u);
  EXPECT_EQ(plan.cpu_arena_size, 16u);
  ASSERT_EQ(plan.num_streams, 2u);
  EXPECT_EQ(plan.streams[0].num_commands, 4u);
  EXPECT_EQ(plan.streams[0].commands[2].opcode, uint32_t(KILN_NNA_ADD));
  EXPECT_EQ(plan.streams[1].commands[2].opcode, uint32_t(KILN_NNA_CONV));
  EXPECT_EQ(plan.streams[1].const_size, 13u);
  ASSERT_EQ(plan.num_steps, 5u);
  EXPECT_EQ(plan.steps[0].kind, uint32_t(KILN_NNA_STEP_CPU));
  EXPECT_EQ(plan.steps[0].entry, kQuantize);
  ASSERT_EQ(plan.steps[0].num_args, 2u);
  EXPECT_EQ(plan.steps[1].args[1].kind, uint32_t(KILN_NNA_REF_ARENA));
  EXPECT_EQ(plan.steps[1].args[1].index, 8u);
  EXPECT_EQ(plan.steps[3].kind, uint32_t(KILN_NNA_STEP_NNA));
  EXPECT_EQ(plan.steps[3].stream, 1u);
  EXPECT_EQ(plan.steps[4].args[1].kind, uint32_t(KILN_NNA_REF_OUTPUT));
  kiln_nna_plan_free(&plan);
}

TEST(NnaPlan, RejectsCorruptHeaders) {
  std::vector<uint8_t> good = encodePlan(addPlan());
  std::vector<uint8_t> flipped = good;
  flipped.back() ^= 1;
  EXPECT_TRUE(rejects(flipped, "NNA plan: checksum mismatch"));
  std::vector<uint8_t> magic = good;
  magic[0] ^= 1;
  EXPECT_TRUE(rejects(magic, "bad magic"));
  std::vector<uint8_t> version = good;
  patchU32(version, 4, 2);
  EXPECT_TRUE(rejects(version, "version 2, this runtime reads 1"));
  std::vector<uint8_t> reserved = good;
  patchU32(reserved, 20, 1);
  EXPECT_TRUE(rejects(reserved, "reserved header field is 1"));
  EXPECT_TRUE(rejects({}, "shorter than its header"));
  std::vector<uint8_t> extra = planPayload(addPlan());
  extra.push_back(0);
  EXPECT_TRUE(rejects(withPlanHeader(extra), "1 bytes after the last step"));
  PlanSpec config = addPlan();
  config.config = 2;
  EXPECT_TRUE(rejects(encodePlan(config), "unknown config 2"));
  PlanSpec none = addPlan();
  none.steps.clear();
  EXPECT_TRUE(rejects(encodePlan(none), "no steps"));
}

// Cut inside the header, the sizes, a stream's size, a stream, the step
// count, a step and a step's argument; with the header repaired, so that
// each cut reaches the part it truncates.
TEST(NnaPlan, RejectsTruncatedPlans) {
  std::vector<uint8_t> payload = planPayload(addPlan());
  size_t stream = 4 + 8 + 8 + 4 + 8; // the stream's bytes start here
  size_t streamSize = addStream().size();
  size_t steps = stream + streamSize;
  struct Cut {
    size_t at;
    const char *message;
  };
  const Cut cuts[] = {{2, "truncated config and sizes"},
                      {21, "truncated streams"},
                      {stream - 3, "truncated streams"},
                      {stream + 40, "truncated stream 0"},
                      {steps + 2, "truncated step count"},
                      {steps + 4 + 3, "truncated step"},
                      {steps + 4 + 1 + 4 + 1 + 4 + 10, "truncated step"},
                      {payload.size() - 1, "truncated step"}};
  for (const Cut &cut : cuts) {
    SCOPED_TRACE(cut.at);
    std::vector<uint8_t> cutPayload(payload.begin(), payload.begin() + cut.at);
    EXPECT_TRUE(rejects(withPlanHeader(cutPayload), cut.message));
  }
  // Without the repair a cut plan fails at the header.
  std::vector<uint8_t> good = encodePlan(addPlan());
  for (size_t at : {size_t(0), size_t(10), size_t(23), good.size() - 1}) {
    std::vector<uint8_t> cut(good.begin(), good.begin() + at);
    EXPECT_NE(parseError(cut), "") << at;
  }
}

TEST(NnaPlan, RejectsABadStreamInside) {
  // A stream the validator refuses: its message, named after the stream.
  PlanSpec badCmd = twoStreamPlan();
  Stream s;
  s.arenaSize = 16;
  s.store(0, 6, 12, 6, 1, 6); // 6 bytes at 12 pass its 16-byte arena
  badCmd.streams[1] = s.bytes();
  EXPECT_TRUE(rejects(encodePlan(badCmd),
                      "NNA plan: stream 1: command 0 (DMA_STORE): "));
  EXPECT_TRUE(rejects(encodePlan(badCmd), "pass region 1 (arena, 16 bytes)"));
  PlanSpec badSum = twoStreamPlan();
  badSum.streams[1].back() ^= 1;
  EXPECT_TRUE(rejects(encodePlan(badSum),
                      "NNA plan: stream 1: checksum mismatch (corrupt "
                      "stream)"));
  PlanSpec cut = twoStreamPlan();
  cut.streams[0].resize(20);
  EXPECT_TRUE(
      rejects(encodePlan(cut), "NNA plan: stream 0: 20 bytes, shorter than"));
}

TEST(NnaPlan, RejectsAStreamOfAnotherConfig) {
  PlanSpec spec = addPlan();
  spec.streams = {addStream(KILN_NNA_CONFIG_LARGE)};
  EXPECT_TRUE(rejects(encodePlan(spec),
                      "stream 0 is for the large config, the plan for small"));
  spec.config = KILN_NNA_CONFIG_LARGE; // both large: fine
  EXPECT_EQ(parseError(encodePlan(spec)), "");
}

TEST(NnaPlan, RejectsAStreamArenaLargerThanThePlans) {
  PlanSpec spec = twoStreamPlan();
  spec.arena = 29; // the CONV stream's is 30
  EXPECT_TRUE(rejects(encodePlan(spec),
                      "stream 1 needs a 30-byte arena, the plan's has 29"));
}

TEST(NnaPlan, RejectsBadSteps) {
  PlanSpec entry = addPlan();
  entry.steps[0].entry = kNumNnaEntries;
  EXPECT_TRUE(rejects(encodePlan(entry), "step 0 calls entry 7 of 7"));
  PlanSpec stream = addPlan();
  stream.steps[2].stream = 1;
  EXPECT_TRUE(rejects(encodePlan(stream), "step 2 runs stream 1 of 1"));
  PlanSpec kind = addPlan();
  kind.steps[2].kind = 2;
  EXPECT_TRUE(rejects(encodePlan(kind), "step 2 of unknown kind 2"));
  PlanSpec parallel = addPlan();
  parallel.steps[1].parallel = 2;
  EXPECT_TRUE(rejects(encodePlan(parallel), "step 1: parallel is 2"));
}

TEST(NnaPlan, RejectsRefsOutsideTheirMemory) {
  PlanSpec outside = addPlan();
  outside.steps[3].args[0] = arena(27); // 6 bytes at 27 pass the 32
  EXPECT_TRUE(rejects(encodePlan(outside),
                      "step 3 argument 0 (6 bytes at 27) is not inside the "
                      "32-byte arena"));
  PlanSpec wraps = addPlan();
  wraps.steps[3].args[0] = arena(8, ~uint64_t(0) - 3);
  EXPECT_TRUE(rejects(encodePlan(wraps), "is not inside the 32-byte arena"));
  PlanSpec big = addPlan();
  big.steps[0].args[0].size = 28;
  EXPECT_TRUE(rejects(encodePlan(big),
                      "step 0 argument 0: 28 bytes exceed input 'a' (24 "
                      "bytes)"));
  PlanSpec index = addPlan();
  index.steps[1].args[0].index = 2;
  EXPECT_TRUE(
      rejects(encodePlan(index), "step 1 argument 0 refers to input 2 of 2"));
  PlanSpec kind = addPlan();
  kind.steps[1].args[1].kind = 3;
  EXPECT_TRUE(rejects(encodePlan(kind), "step 1 argument 1 of unknown kind 3"));
}

TEST(NnaPlan, RejectsAnOutputNoStepWrites) {
  PlanSpec spec = addPlan();
  spec.steps[3].args[1] = arena(24); // dequantised into the arena instead
  EXPECT_TRUE(rejects(encodePlan(spec),
                      "no CPU step writes output 'out' (the NNA writes only "
                      "its arena)"));
}

// kiln_nna_plan_fuzz's corpus and regressions, as the target tries them: as
// is and with the payload size and checksum repaired; each parses or fails
// with a message (under ASan: within the bytes).
TEST(NnaPlan, FuzzCorpusReplay) {
  std::vector<std::string> files = fuzzInputs("nna_plan");
  if (files.empty())
    GTEST_SKIP() << "runtime/fuzz/corpus/nna_plan not found";
  int parsed = 0;
  for (const std::string &path : files) {
    SCOPED_TRACE(path);
    std::vector<uint8_t> bytes = readBytes(path);
    parsed += parseError(bytes).empty();
    if (bytes.size() < KILN_NNA_PLAN_HEADER_SIZE)
      continue;
    uint64_t payload = bytes.size() - KILN_NNA_PLAN_HEADER_SIZE;
    patchU64(bytes, 8, payload);
    patchU32(bytes, 16,
             kiln_fnv1a32(bytes.data() + KILN_NNA_PLAN_HEADER_SIZE, payload));
    parsed += parseError(bytes).empty();
  }
  EXPECT_GT(parsed, 0); // the seeds are valid plans
}

// ---- Sessions -------------------------------------------------------------

kiln_status create(const kiln_model *model, uint32_t fallback,
                   kiln_session **session, std::string *message = nullptr,
                   bool profile = false) {
  kiln_session_options options{};
  options.struct_size = sizeof options;
  options.device = KILN_DEVICE_NNA;
  options.fallback = fallback;
  options.profile = profile;
  kiln_error error{};
  kiln_status st = kiln_session_create(model, &options, session, &error);
  if (message)
    *message = error.message;
  return st;
}

/// Runs the model on kA, kB; `out` gets the output.
kiln_status run(kiln_session *s, std::vector<float> &out,
                std::string *message = nullptr) {
  std::vector<float> a = kA, b = kB;
  out.assign(6, -1000.0f);
  int64_t dims[2] = {2, 3};
  kiln_tensor in[2] = {{KILN_DTYPE_F32, 2, dims, a.data(), 24},
                       {KILN_DTYPE_F32, 2, dims, b.data(), 24}};
  kiln_tensor o[1] = {{KILN_DTYPE_F32, 2, dims, out.data(), 24}};
  kiln_error error{};
  kiln_status st = kiln_session_run(s, in, 2, o, 1, &error);
  if (message)
    *message = error.message;
  return st;
}

/// What the CPU variant computes: a + b.
std::vector<float> cpuSum() {
  std::vector<float> sum(6);
  for (int i = 0; i < 6; ++i)
    sum[i] = kA[i] + kB[i];
  return sum;
}

TEST(NnaSession, RunsAnAddOnTheNna) {
  NnaModel nna(encodePlan(addPlan()));
  kiln_session *s = nullptr;
  std::string message;
  ASSERT_EQ(create(&nna.model, KILN_FALLBACK_NONE, &s, &message), KILN_OK)
      << message;
  EXPECT_EQ(kiln_session_device(s), KILN_DEVICE_NNA);
  EXPECT_STREQ(kiln_session_fallback_reason(s), "");
  EXPECT_EQ(kiln_session_program_source(s), KILN_PROGRAM_NONE);
  for (int r = 0; r < 2; ++r) {
    int calls = kiln_test_calls;
    std::vector<float> out;
    ASSERT_EQ(run(s, out, &message), KILN_OK) << message;
    EXPECT_EQ(out, kT);
    EXPECT_EQ(kiln_test_calls, calls + 3); // the three CPU steps, once each
  }
  kiln_nna_info info{};
  kiln_error error{};
  ASSERT_EQ(kiln_session_nna_info(s, &info, &error), KILN_OK);
  EXPECT_EQ(info.config, uint32_t(KILN_NNA_CONFIG_SMALL));
  EXPECT_STREQ(info.config_name, "small");
  EXPECT_EQ(info.clock_mhz, 800u);
  EXPECT_EQ(info.num_streams, 1u);
  EXPECT_EQ(info.num_steps, 4u);
  EXPECT_EQ(info.arena_size, 32u);
  EXPECT_EQ(info.cpu_arena_size, 16u);
  // Not profiling: the steps are described, nothing is counted.
  ASSERT_EQ(kiln_session_nna_segments(s), 4u);
  const kiln_nna_segment_profile *seg = kiln_session_nna_segment(s, 2);
  ASSERT_NE(seg, nullptr);
  EXPECT_EQ(seg->device, uint32_t(KILN_DEVICE_NNA));
  EXPECT_EQ(seg->num_commands, 4u);
  EXPECT_EQ(seg->runs, 0u);
  EXPECT_EQ(seg->cycles, 0u);
  EXPECT_EQ(kiln_session_nna_segment(s, 4), nullptr);
  EXPECT_EQ(kiln_session_profiled_runs(s), 0u);
  kiln_session_destroy(s);
}

TEST(NnaSession, RunsTwoStreamsInTurn) {
  NnaModel nna(encodePlan(twoStreamPlan()));
  kiln_session *s = nullptr;
  std::string message;
  ASSERT_EQ(create(&nna.model, KILN_FALLBACK_NONE, &s, &message), KILN_OK)
      << message;
  std::vector<float> out;
  ASSERT_EQ(run(s, out, &message), KILN_OK) << message;
  EXPECT_EQ(out, kU);
  kiln_session_destroy(s);
}

// The same stream in the large configuration computes the same bits.
TEST(NnaSession, RunsTheLargeConfig) {
  PlanSpec spec = addPlan();
  spec.config = KILN_NNA_CONFIG_LARGE;
  spec.streams = {addStream(KILN_NNA_CONFIG_LARGE)};
  NnaModel nna(encodePlan(spec));
  kiln_session *s = nullptr;
  ASSERT_EQ(create(&nna.model, KILN_FALLBACK_NONE, &s), KILN_OK);
  std::vector<float> out;
  ASSERT_EQ(run(s, out), KILN_OK);
  EXPECT_EQ(out, kT);
  kiln_nna_info info{};
  ASSERT_EQ(kiln_session_nna_info(s, &info, nullptr), KILN_OK);
  EXPECT_STREQ(info.config_name, "large");
  EXPECT_EQ(info.clock_mhz, 1000u);
  kiln_session_destroy(s);
}

/// The simulator's report for one stream, run on its own.
struct Report {
  kiln_nna_report r{};
  ~Report() { kiln_nna_report_free(&r); }
};

void simulateAlone(const std::vector<uint8_t> &bytes, Report &report) {
  kiln_nna_stream st;
  kiln_error error{};
  ASSERT_EQ(kiln_nna_stream_parse(bytes.data(), bytes.size(), &st, &error),
            KILN_OK)
      << error.message;
  std::vector<uint8_t> arena(st.arena_size);
  EXPECT_EQ(
      kiln_nna_simulate(&st, arena.data(), arena.size(), &report.r, &error),
      KILN_OK)
      << error.message;
  kiln_nna_stream_free(&st);
}

TEST(NnaSession, ProfileIsTheSimulatorsReport) {
  NnaModel nna(encodePlan(twoStreamPlan()));
  kiln_session *s = nullptr;
  ASSERT_EQ(create(&nna.model, KILN_FALLBACK_NONE, &s, nullptr, true), KILN_OK);
  std::vector<float> out;
  const uint64_t runs = 3;
  for (uint64_t r = 0; r < runs; ++r)
    ASSERT_EQ(run(s, out), KILN_OK);
  EXPECT_EQ(out, kU);
  EXPECT_EQ(kiln_session_profiled_runs(s), runs);
  ASSERT_EQ(kiln_session_nna_segments(s), 5u);

  Report add, conv;
  simulateAlone(addStream(), add);
  simulateAlone(convStream(), conv);
  // The add stream's schedule by hand (see addStream).
  EXPECT_EQ(add.r.cycles, 212u);
  EXPECT_EQ(add.r.dram_read, 12u);
  EXPECT_EQ(add.r.dram_written, 6u);
  // The CONV stream: loads of 13 and 6 bytes (65 each, in turn), the CONV
  // (16 + 2 * 3 = 22) after both, the store (65) after it.
  EXPECT_EQ(conv.r.cycles, 65u + 65 + 22 + 65);

  const Report *reports[5] = {nullptr, nullptr, &add, &conv, nullptr};
  const uint32_t entries[5] = {kQuantize, kQuantize, 0, 1, kDequantize};
  for (size_t i = 0; i < 5; ++i) {
    SCOPED_TRACE(i);
    const kiln_nna_segment_profile *seg = kiln_session_nna_segment(s, i);
    ASSERT_NE(seg, nullptr);
    EXPECT_EQ(seg->runs, runs);
    EXPECT_EQ(seg->index, entries[i]);
    if (!reports[i]) {
      EXPECT_EQ(seg->device, uint32_t(KILN_DEVICE_CPU));
      EXPECT_EQ(seg->cycles, 0u);
      EXPECT_EQ(seg->num_commands, 0u);
      EXPECT_EQ(seg->commands, nullptr);
      EXPECT_EQ(seg->clock_mhz, 0u);
      continue;
    }
    const kiln_nna_report &r = reports[i]->r;
    EXPECT_EQ(seg->device, uint32_t(KILN_DEVICE_NNA));
    EXPECT_EQ(seg->clock_mhz, 800u);
    EXPECT_EQ(seg->cycles, runs * r.cycles);
    EXPECT_EQ(seg->dram_read, runs * r.dram_read);
    EXPECT_EQ(seg->dram_written, runs * r.dram_written);
    EXPECT_GT(seg->host_ns, 0u);
    ASSERT_EQ(seg->num_commands, r.num_commands);
    for (uint32_t c = 0; c < r.num_commands; ++c) {
      EXPECT_EQ(seg->commands[c].opcode, r.commands[c].opcode) << c;
      EXPECT_EQ(seg->commands[c].cycles, runs * r.commands[c].cycles) << c;
      EXPECT_EQ(seg->commands[c].dram_read, runs * r.commands[c].dram_read)
          << c;
      EXPECT_EQ(seg->commands[c].dram_written,
                runs * r.commands[c].dram_written)
          << c;
    }
  }
  // The ADD's own cycles: 16 + ceil(6 / 16).
  EXPECT_EQ(kiln_session_nna_segment(s, 2)->commands[2].cycles, runs * 17);

  kiln_session_reset_profile(s);
  EXPECT_EQ(kiln_session_profiled_runs(s), 0u);
  for (size_t i = 0; i < 5; ++i) {
    const kiln_nna_segment_profile *seg = kiln_session_nna_segment(s, i);
    EXPECT_EQ(seg->runs, 0u);
    EXPECT_EQ(seg->host_ns, 0u);
    EXPECT_EQ(seg->cycles + seg->dram_read + seg->dram_written, 0u);
    for (uint32_t c = 0; c < seg->num_commands; ++c)
      EXPECT_EQ(seg->commands[c].cycles + seg->commands[c].dram_read +
                    seg->commands[c].dram_written,
                0u);
  }
  ASSERT_EQ(run(s, out), KILN_OK);
  EXPECT_EQ(kiln_session_nna_segment(s, 3)->cycles, conv.r.cycles);
  kiln_session_destroy(s);
}

TEST(NnaSession, ModelsWithoutAnNnaVariant) {
  FakeModel cpuOnly(addSpec());
  kiln_session *s = nullptr;
  std::string message;
  EXPECT_EQ(create(&cpuOnly.model, KILN_FALLBACK_NONE, &s, &message),
            KILN_ERROR_DEVICE);
  EXPECT_EQ(s, nullptr);
  EXPECT_EQ(message, "the model has no NNA variant (compile it with kilnc "
                     "--devices=cpu,nna)");
  ASSERT_EQ(create(&cpuOnly.model, KILN_FALLBACK_CPU, &s), KILN_OK);
  EXPECT_EQ(kiln_session_device(s), KILN_DEVICE_CPU);
  EXPECT_NE(std::string(kiln_session_fallback_reason(s)).find("no NNA variant"),
            std::string::npos);
  EXPECT_EQ(kiln_session_nna_segments(s), 0u);
  kiln_nna_info info{};
  kiln_error error{};
  EXPECT_EQ(kiln_session_nna_info(s, &info, &error), KILN_ERROR_DEVICE);
  std::vector<float> out;
  ASSERT_EQ(run(s, out), KILN_OK);
  EXPECT_EQ(out, cpuSum());
  kiln_session_destroy(s);
}

TEST(NnaSession, CorruptPlansAreRefusedBeforeRunning) {
  std::vector<uint8_t> bytes = encodePlan(addPlan());
  bytes[40] ^= 0xff;
  NnaModel corrupt(bytes);
  kiln_session *s = nullptr;
  std::string message;
  EXPECT_EQ(create(&corrupt.model, KILN_FALLBACK_NONE, &s, &message),
            KILN_ERROR_INVALID_MODEL);
  EXPECT_NE(message.find("NNA plan: checksum mismatch"), std::string::npos)
      << message;
  // With a fallback the CPU variant runs instead, and says why.
  ASSERT_EQ(create(&corrupt.model, KILN_FALLBACK_CPU, &s), KILN_OK);
  EXPECT_EQ(kiln_session_device(s), KILN_DEVICE_CPU);
  EXPECT_NE(std::string(kiln_session_fallback_reason(s)).find("checksum"),
            std::string::npos);
  std::vector<float> out;
  ASSERT_EQ(run(s, out), KILN_OK);
  EXPECT_EQ(out, cpuSum());
  kiln_session_destroy(s);

  // A CPU step calling a NULL entry is refused too.
  NnaModel nullEntry(encodePlan(addPlan()));
  kiln_entry_fn entries[kNumNnaEntries];
  std::copy(kNnaEntries, kNnaEntries + kNumNnaEntries, entries);
  entries[kDequantize] = nullptr;
  nullEntry.model.entries = entries;
  EXPECT_EQ(create(&nullEntry.model, KILN_FALLBACK_NONE, &s, &message),
            KILN_ERROR_INVALID_MODEL);
  EXPECT_NE(message.find("step 3 calls entry 6, which is NULL"),
            std::string::npos)
      << message;
}

// A per-channel shift of 31 lies in SRAM, so only running sees it: the run
// fails, or with a fallback is redone on the CPU, which runs from then on.
TEST(NnaSession, AFailedRunIsRedoneOnTheCpu) {
  PlanSpec spec = twoStreamPlan();
  spec.streams[1] = convStream(31);
  NnaModel nna(encodePlan(spec));
  kiln_session *s = nullptr;
  std::string message;
  ASSERT_EQ(create(&nna.model, KILN_FALLBACK_NONE, &s), KILN_OK);
  std::vector<float> out;
  EXPECT_EQ(run(s, out, &message), KILN_ERROR_INVALID_MODEL);
  EXPECT_NE(message.find("NNA step 3 (stream 1): "), std::string::npos)
      << message;
  EXPECT_NE(message.find("shift"), std::string::npos) << message;
  EXPECT_EQ(kiln_session_device(s), KILN_DEVICE_NNA);
  kiln_session_destroy(s);

  ASSERT_EQ(create(&nna.model, KILN_FALLBACK_CPU, &s, nullptr, true), KILN_OK);
  EXPECT_EQ(kiln_session_device(s), KILN_DEVICE_NNA);
  ASSERT_EQ(run(s, out), KILN_OK);
  EXPECT_EQ(out, cpuSum());
  EXPECT_EQ(kiln_session_device(s), KILN_DEVICE_CPU);
  EXPECT_NE(std::string(kiln_session_fallback_reason(s)).find("shift"),
            std::string::npos);
  EXPECT_EQ(kiln_session_nna_segments(s), 0u);
  ASSERT_EQ(run(s, out), KILN_OK);
  EXPECT_EQ(out, cpuSum());
  kiln_session_destroy(s);
}

TEST(NnaSession, RejectsUnknownDevices) {
  NnaModel nna(encodePlan(addPlan()));
  kiln_session_options options{};
  options.struct_size = sizeof options;
  options.device = KILN_DEVICE_NNA + 1;
  kiln_session *s = nullptr;
  kiln_error error{};
  EXPECT_EQ(kiln_session_create(&nna.model, &options, &s, &error),
            KILN_ERROR_INVALID_ARGUMENT);
  // The CPU variant of a model with an NNA plan ignores the plan.
  options.device = KILN_DEVICE_CPU;
  ASSERT_EQ(kiln_session_create(&nna.model, &options, &s, &error), KILN_OK);
  EXPECT_EQ(kiln_session_device(s), KILN_DEVICE_CPU);
  std::vector<float> out;
  ASSERT_EQ(run(s, out), KILN_OK);
  EXPECT_EQ(out, cpuSum());
  kiln_session_destroy(s);
}

/// kiln_model as ABI version 3 laid it out: no NNA plan fields.
struct ModelV3 {
  uint32_t magic, abi_version;
  const uint8_t *descriptor;
  uint64_t descriptor_size;
  const kiln_entry_fn *entries;
  uint32_t num_entries;
  const uint8_t *opencl_plan;
  uint64_t opencl_plan_size;
};
static_assert(sizeof(ModelV3) == offsetof(kiln_model, nna_plan),
              "ABI 4 appends the NNA plan to ABI 3's struct");

// A version 3 artifact's struct ends before nna_plan: the runtime must not
// read past it (in its own allocation of exactly that size, ASan would
// see it), loads it on the CPU and says it has no NNA variant.
TEST(NnaSession, Abi3ModelsStillLoad) {
  FakeModel fake(addSpec());
  auto *v3 = static_cast<ModelV3 *>(std::malloc(sizeof(ModelV3)));
  ASSERT_NE(v3, nullptr);
  *v3 = {KILN_MODEL_MAGIC,
         3,
         fake.model.descriptor,
         fake.model.descriptor_size,
         fake.model.entries,
         fake.model.num_entries,
         nullptr,
         0};
  const kiln_model *model = reinterpret_cast<const kiln_model *>(v3);
  kiln_session *s = nullptr;
  kiln_session_options options{};
  options.struct_size = sizeof options;
  kiln_error error{};
  ASSERT_EQ(kiln_session_create(model, &options, &s, &error), KILN_OK)
      << error.message;
  std::vector<float> out;
  ASSERT_EQ(run(s, out), KILN_OK);
  EXPECT_EQ(out, cpuSum());
  kiln_session_destroy(s);
  std::string message;
  EXPECT_EQ(create(model, KILN_FALLBACK_NONE, &s, &message), KILN_ERROR_DEVICE);
  EXPECT_NE(message.find("no NNA variant"), std::string::npos) << message;
  ASSERT_EQ(create(model, KILN_FALLBACK_CPU, &s), KILN_OK);
  EXPECT_EQ(kiln_session_device(s), KILN_DEVICE_CPU);
  kiln_session_destroy(s);
  std::free(v3);
}

// ---- kiln-run --device=nna-sim --------------------------------------------

class NnaKilnRun : public ::testing::Test {
protected:
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() /
          ("kiln-nna-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
  }
  void TearDown() override { std::filesystem::remove_all(dir); }

  /// kiln_run_main in this process on `model`; returns the exit status.
  int runLinked(const kiln_model *model, std::vector<std::string> args) {
    args.insert(args.begin(), "kiln-run");
    std::vector<char *> argv;
    for (std::string &a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    ::testing::internal::CaptureStdout();
    ::testing::internal::CaptureStderr();
    int code = kiln_run_main(static_cast<int>(args.size()), argv.data(), model);
    out = ::testing::internal::GetCapturedStdout();
    err = ::testing::internal::GetCapturedStderr();
    return code;
  }

  /// The kiln-run executable on the add fixture (no NNA variant).
  int runExe(const std::string &args) {
    std::string errPath = (dir / "stderr.txt").string();
    std::string command = std::string("'") + KILN_RUN_EXE + "' '" +
                          KILN_TEST_ADD_MODEL + "' " + args + " 2>'" + errPath +
                          "'";
    FILE *pipe = popen(command.c_str(), "r");
    EXPECT_NE(pipe, nullptr);
    if (!pipe)
      return -1;
    out.clear();
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, pipe)) > 0)
      out.append(chunk, n);
    int status = pclose(pipe);
    std::ifstream f(errPath);
    err.assign(std::istreambuf_iterator<char>(f), {});
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  /// The fields of the profile's row for step `step` but the last (the
  /// host time, which varies), empty if none.
  std::vector<std::string> row(const std::string &step) const {
    std::istringstream lines(out);
    std::string line;
    while (std::getline(lines, line)) {
      std::istringstream fields(line);
      std::vector<std::string> row;
      for (std::string f; fields >> f;)
        row.push_back(f);
      if (row.size() > 2 && row[0] == step &&
          (row[1] == "cpu" || row[1] == "nna")) {
        row.pop_back();
        return row;
      }
    }
    return {};
  }

  std::filesystem::path dir;
  std::string out, err;
};

TEST_F(NnaKilnRun, RunsAndProfilesTheNnaVariant) {
  NnaModel nna(encodePlan(twoStreamPlan()));
  int64_t dims[2] = {2, 3};
  kiln_error error{};
  std::string a = (dir / "a.npy").string(), b = (dir / "b.npy").string();
  ASSERT_EQ(
      kiln_npy_write(a.c_str(), KILN_DTYPE_F32, 2, dims, kA.data(), &error),
      KILN_OK);
  ASSERT_EQ(
      kiln_npy_write(b.c_str(), KILN_DTYPE_F32, 2, dims, kB.data(), &error),
      KILN_OK);
  std::string outDir = (dir / "out").string();
  ASSERT_EQ(runLinked(&nna.model, {"--device=nna-sim", "--profile", "--runs",
                                   "2", "--input", "a=" + a, "--input",
                                   "b=" + b, "--output-dir", outDir}),
            0)
      << err;
  EXPECT_NE(err.find("kiln-run: device nna-sim (config small, 2 streams)"),
            std::string::npos)
      << err;
  EXPECT_NE(out.find("profile: NNA config small (800 MHz), 5 steps, per run "
                     "(mean over 2 runs)"),
            std::string::npos)
      << out;
  // Per run: step 2, the add stream, 4 commands, 212 cycles = 0.265 us at
  // 800 MHz, 12 bytes read, 6 written; step 3, the CONV stream, 217 cycles,
  // 19 bytes read, 6 written. Host ms last.
  using Row = std::vector<std::string>;
  EXPECT_EQ(row("2"), (Row{"2", "nna", "stream", "0", "4", "212", "0.0003",
                           "0.000012", "0.000006"}))
      << out;
  EXPECT_EQ(row("3"), (Row{"3", "nna", "stream", "1", "4", "217", "0.0003",
                           "0.000019", "0.000006"}))
      << out;
  EXPECT_EQ(row("0"), (Row{"0", "cpu", "entry", "5"})) << out;
  EXPECT_NE(out.find("NNA: 2 steps, 429 cycles = 0.0005 ms simulated, "
                     "0.000031 MB read, 0.000012 MB written"),
            std::string::npos)
      << out;
  kiln_host_tensor result{};
  ASSERT_EQ(
      kiln_tensor_read((dir / "out" / "out.npy").c_str(), &result, &error),
      KILN_OK)
      << error.message;
  ASSERT_EQ(result.size_bytes, 24u);
  std::vector<float> got(6);
  std::memcpy(got.data(), result.data, 24);
  kiln_host_tensor_free(&result);
  EXPECT_EQ(got, kU);

  // "nna" is the same device.
  EXPECT_EQ(runLinked(&nna.model, {"--device=nna", "--info"}), 0) << err;
  EXPECT_NE(err.find("kiln-run: device nna-sim (config small, 2 streams)"),
            std::string::npos)
      << err;
}

TEST_F(NnaKilnRun, ModelsWithoutAnNnaVariant) {
  EXPECT_EQ(runExe("--device=nna-sim"), 1);
  EXPECT_NE(err.find("kiln-run: error: device error: the model has no NNA "
                     "variant (compile it with kilnc --devices=cpu,nna)"),
            std::string::npos)
      << err;
  EXPECT_EQ(runExe("--device=nna-sim --fallback=cpu"), 0) << err;
  EXPECT_NE(err.find("kiln-run: device cpu (fallback: the model has no NNA "
                     "variant"),
            std::string::npos)
      << err;
  EXPECT_EQ(runExe("--device=npu"), 1);
  EXPECT_NE(err.find("--device expects cpu, gpu or nna-sim, got 'npu'"),
            std::string::npos)
      << err;
  EXPECT_EQ(runExe("--help"), 0);
  EXPECT_NE(out.find("--device=cpu|gpu|nna-sim"), std::string::npos) << out;
}

} // namespace

namespace {

// Allocation failures at session creation (KILN_ALLOC_FAULT): the session's
// own block is a clear status and nothing leaks; the NNA's arenas are too,
// or with a fallback the CPU variant runs, with the CPU's outputs, and a
// following session without the fault runs on the NNA again.
TEST(NnaSession, AllocationFailuresAtCreation) {
  NnaModel nna(encodePlan(addPlan()));
  kiln_session *s = nullptr;
  std::string message;
  setenv("KILN_ALLOC_FAULT", "session", 1);
  EXPECT_EQ(create(&nna.model, KILN_FALLBACK_CPU, &s, &message),
            KILN_ERROR_OUT_OF_MEMORY);
  EXPECT_EQ(s, nullptr);
  EXPECT_NE(message.find("cannot allocate"), std::string::npos) << message;

  setenv("KILN_ALLOC_FAULT", "device", 1);
  EXPECT_EQ(create(&nna.model, KILN_FALLBACK_NONE, &s, &message),
            KILN_ERROR_OUT_OF_MEMORY);
  EXPECT_EQ(s, nullptr);
  EXPECT_NE(message.find("NNA: cannot allocate"), std::string::npos) << message;
  ASSERT_EQ(create(&nna.model, KILN_FALLBACK_CPU, &s, &message), KILN_OK)
      << message;
  EXPECT_EQ(kiln_session_device(s), KILN_DEVICE_CPU);
  EXPECT_NE(
      std::string(kiln_session_fallback_reason(s)).find("cannot allocate"),
      std::string::npos);
  std::vector<float> out;
  ASSERT_EQ(run(s, out, &message), KILN_OK) << message;
  EXPECT_EQ(out, cpuSum());
  kiln_session_destroy(s);

  unsetenv("KILN_ALLOC_FAULT");
  ASSERT_EQ(create(&nna.model, KILN_FALLBACK_CPU, &s, &message), KILN_OK);
  EXPECT_EQ(kiln_session_device(s), KILN_DEVICE_NNA);
  ASSERT_EQ(run(s, out, &message), KILN_OK) << message;
  EXPECT_EQ(out, kT);
  kiln_session_destroy(s);
}

} // namespace
