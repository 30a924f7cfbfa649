// Models with per-segment variants (kiln/variants.h, docs/variants.md): the
// variant table parser (a rejected table per rule), the checks of the
// sub-models and of the model's own descriptor, and sessions on a two
// segment chain x -> h -> y whose variants are fake models that add a
// different constant (the CPU ones) or compute 3x + 3 on the simulated NNA,
// so that the outputs tell which variants ran: the default choice,
// constraints (memory, latency, devices, accuracy, objectives), infeasible
// requests, device failures during a run (KILN_DEVICE_FAULT), the arena the
// CPU variants share, calibration and profiles; and the variant queries on
// a model without variants.
#include "descriptor_writer.h"
#include "fake_entries.h"
#include "fuzz_inputs.h"
#include "kiln/model_format.h"
#include "kiln/nna_plan.h"
#include "kiln/runtime.h"
#include "kiln/variants.h"
#include "nna_stream_builder.h"
#include "variant_session.h"
#include "variants.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

using namespace kiln_test;

namespace {

// ---- Table builder: the layout of kiln/variants.h -------------------------

struct ValueSpec {
  std::string name;
  uint32_t dtype = KILN_DTYPE_F32;
  std::vector<int64_t> dims = {2, 3};
};

struct SegSpec {
  std::vector<uint32_t> inputs, outputs;
};

struct VariantSpec {
  uint32_t segment = 0, model = 0;
  uint32_t kind = KILN_VARIANT_FP32, device = KILN_DEVICE_CPU;
  uint32_t threads = 0;
  double latency = 0;
  uint64_t weights = 0, arena = 0;
  double error = 0;
  std::string label;
};

struct TableSpec {
  std::vector<ValueSpec> values;
  std::vector<SegSpec> segments;
  std::vector<VariantSpec> variants;
};

uint64_t bits(double d) {
  uint64_t b;
  std::memcpy(&b, &d, sizeof b);
  return b;
}

std::vector<uint8_t> tablePayload(const TableSpec &t) {
  Bytes b;
  b.u32(t.values.size());
  for (const ValueSpec &v : t.values) {
    b.u16(v.name.size()).raw(v.name).u8(v.dtype).u8(v.dims.size());
    for (int64_t d : v.dims)
      b.u64(static_cast<uint64_t>(d));
  }
  b.u32(t.segments.size());
  for (const SegSpec &s : t.segments) {
    b.u32(s.inputs.size());
    for (uint32_t v : s.inputs)
      b.u32(v);
    b.u32(s.outputs.size());
    for (uint32_t v : s.outputs)
      b.u32(v);
  }
  b.u32(t.variants.size());
  for (const VariantSpec &v : t.variants) {
    b.u32(v.segment).u32(v.model).u8(v.kind).u8(v.device).u16(v.threads);
    b.u64(bits(v.latency)).u64(v.weights).u64(v.arena).u64(bits(v.error));
    b.u16(v.label.size()).raw(v.label);
  }
  return b.data;
}

std::vector<uint8_t> withTableHeader(const std::vector<uint8_t> &payload) {
  return withBlobHeader(KILN_VARIANT_TABLE_MAGIC, KILN_VARIANT_TABLE_VERSION, payload);
}

std::vector<uint8_t> encodeTable(const TableSpec &t) {
  return withTableHeader(tablePayload(t));
}

// ---- Sub-models -------------------------------------------------------------

// Arenas the CPU variants' entries ran in, in order.
std::vector<void *> gArenas;

// A CPU variant: out = in + C through the arena. args: in, out, arena.
template <int C> void addConst(void **args) {
  const float *in = static_cast<const float *>(args[0]);
  float *out = static_cast<float *>(args[1]);
  float *arena = static_cast<float *>(args[2]);
  for (int i = 0; i < KILN_TEST_ELEMENTS; ++i)
    arena[i] = in[i] + C;
  std::memcpy(out, arena, KILN_TEST_ELEMENTS * sizeof(float));
  gArenas.push_back(arena);
  ++kiln_test_calls;
}

// in -> out (f32 2x3), one segment calling entry 0 on in, out and the arena.
DescriptorSpec subSpec(const std::string &in, const std::string &out,
                       uint64_t arena = 96) {
  DescriptorSpec spec;
  spec.inputs = {{in, KILN_DTYPE_F32, {2, 3}}};
  spec.outputs = {{out, KILN_DTYPE_F32, {2, 3}}};
  spec.arena_size = arena;
  spec.segments = {
      {0, {{KILN_ARG_INPUT, 0}, {KILN_ARG_OUTPUT, 0}, {KILN_ARG_ARENA, 0}}}};
  return spec;
}

// A kiln_model owning its descriptor, entries and NNA plan.
struct SubModel {
  SubModel(const DescriptorSpec &spec, std::vector<kiln_entry_fn> fns,
           std::vector<uint8_t> nnaPlan = {})
      : descriptor(withHeader(encodePayload(spec), spec.version)),
        entries(std::move(fns)), plan(std::move(nnaPlan)) {
    model.magic = KILN_MODEL_MAGIC;
    model.abi_version = KILN_MODEL_ABI_VERSION;
    model.descriptor = descriptor.data();
    model.descriptor_size = descriptor.size();
    model.entries = entries.data();
    model.num_entries = entries.size();
    if (!plan.empty()) {
      model.nna_plan = plan.data();
      model.nna_plan_size = plan.size();
    }
  }
  SubModel(const SubModel &) = delete;
  SubModel &operator=(const SubModel &) = delete;
  std::vector<uint8_t> descriptor;
  std::vector<kiln_entry_fn> entries;
  std::vector<uint8_t> plan;
  kiln_model model{};
};

// kiln_model_fn takes no argument: the sub-models of the model under test
// sit here (tests run one at a time).
constexpr int kMaxModels = 8;
const kiln_model *gModels[kMaxModels];
template <int I> const kiln_model *modelFn() { return gModels[I]; }
const kiln_model_fn kModelFns[kMaxModels] = {modelFn<0>, modelFn<1>, modelFn<2>,
                                             modelFn<3>, modelFn<4>, modelFn<5>,
                                             modelFn<6>, modelFn<7>};

// ---- The NNA variant: h = 3x + 3 on int8 ----------------------------------

// The NNA device test's ADD stream: arena 16..22 = a + 2b + 3 of the int8 a
// (arena 0..6) and b (8..14).
std::vector<uint8_t> addStream() {
  Stream s;
  s.arenaSize = 24;
  s.load(kArena, 0, 6, 0, 6, 1, 6);
  s.load(kArena, 8, 6, 64, 6, 1, 6);
  AddCmd a;
  a.a = cube(0, 1, 1, 6);
  a.b = cube(64, 1, 1, 6);
  a.out = cube(128, 1, 1, 6);
  a.q.bShift = 1;
  a.q.oShift = -18;
  a.q.oZero = 3;
  s.add(a);
  s.store(128, 6, 16, 6, 1, 6);
  return s.bytes();
}

// Quantise x twice (a = b = x), ADD, dequantise into h. Entries 1 and 2.
std::vector<uint8_t> nnaPlan() {
  std::vector<uint8_t> stream = addStream();
  Bytes p;
  p.u32(KILN_NNA_CONFIG_SMALL).u64(32).u64(16).u32(1);
  p.u64(stream.size());
  p.data.insert(p.data.end(), stream.begin(), stream.end());
  p.u32(4);
  auto cpu = [&p](uint32_t entry, uint8_t k0, uint64_t i0, uint64_t s0,
                  uint8_t k1, uint64_t i1, uint64_t s1) {
    p.u8(KILN_NNA_STEP_CPU).u32(entry).u8(0).u32(2);
    p.u8(k0).u64(i0).u64(s0).u8(k1).u64(i1).u64(s1);
  };
  cpu(1, KILN_NNA_REF_INPUT, 0, 24, KILN_NNA_REF_ARENA, 0, 6);
  cpu(1, KILN_NNA_REF_INPUT, 0, 24, KILN_NNA_REF_ARENA, 8, 6);
  p.u8(KILN_NNA_STEP_NNA).u32(0);
  cpu(2, KILN_NNA_REF_ARENA, 16, 6, KILN_NNA_REF_OUTPUT, 0, 24);
  Bytes b;
  b.u32(KILN_NNA_PLAN_MAGIC)
      .u32(KILN_NNA_PLAN_VERSION)
      .u64(p.data.size())
      .u32(kiln_fnv1a32(p.data.data(), p.data.size()))
      .u32(0);
  b.data.insert(b.data.end(), p.data.begin(), p.data.end());
  return b.data;
}

// ---- The chain --------------------------------------------------------------

// x -> h -> y. Segment 0: fp32 (h = x + 1), int8 (x + 2), nna (3x + 3);
// segment 1: fp32 at 1 and at 2 threads (y = h + 100, one sub-model), int8
// (h + 200, an arena of 4096 bytes). Estimates chosen so that the default
// (minimum latency) is nna + fp32x2.
TableSpec chainTable() {
  TableSpec t;
  t.values = {{"x"}, {"h"}, {"y"}};
  t.segments = {{{0}, {1}}, {{1}, {2}}};
  t.variants = {
      {0, 0, KILN_VARIANT_FP32, KILN_DEVICE_CPU, 0, 100, 4000, 64, 0, "fp32"},
      {0, 1, KILN_VARIANT_INT8, KILN_DEVICE_CPU, 0, 40, 1000, 32, 0.01, "int8"},
      {0, 2, KILN_VARIANT_NNA, KILN_DEVICE_NNA, 0, 10, 1500, 0, 0.02, "nna"},
      {1, 3, KILN_VARIANT_FP32, KILN_DEVICE_CPU, 0, 100, 4000, 64, 0, "fp32"},
      {1, 3, KILN_VARIANT_FP32, KILN_DEVICE_CPU, 2, 30, 4000, 64, 0, "fp32x2"},
      {1, 4, KILN_VARIANT_INT8, KILN_DEVICE_CPU, 0, 50, 1000, 128, 0.01,
       "int8"}};
  return t;
}

DescriptorSpec topSpec(std::vector<std::string> inputs = {"x"},
                       std::vector<std::string> outputs = {"y"}) {
  DescriptorSpec spec;
  for (const std::string &n : inputs)
    spec.inputs.push_back({n, KILN_DTYPE_F32, {2, 3}});
  for (const std::string &n : outputs)
    spec.outputs.push_back({n, KILN_DTYPE_F32, {2, 3}});
  return spec; // no segments, version 4
}

// The chain's sub-models, registered in gModels.
struct ChainModels {
  ChainModels() {
    const SubModel *all[] = {&a, &b, &nna, &c, &d};
    for (int i = 0; i < 5; ++i)
      gModels[i] = &all[i]->model;
    for (int i = 5; i < kMaxModels; ++i)
      gModels[i] = nullptr;
  }
  SubModel a{subSpec("x", "h"), {addConst<1>}};
  SubModel b{subSpec("x", "h"), {addConst<2>}};
  SubModel nna{subSpec("x", "h"),
               {addConst<3>, kiln_test_quantize, kiln_test_dequantize},
               nnaPlan()};
  SubModel c{subSpec("h", "y"), {addConst<100>}};
  SubModel d{subSpec("h", "y", 4096), {addConst<200>}};
};

// A model running through the variants of `table` (bytes as given).
struct VariantModel {
  VariantModel(std::vector<uint8_t> tableBytes,
               const DescriptorSpec &top = topSpec(), uint32_t numModels = 5)
      : descriptor(withHeader(encodePayload(top), top.version)),
        table(std::move(tableBytes)) {
    model.magic = KILN_MODEL_MAGIC;
    model.abi_version = KILN_MODEL_ABI_VERSION;
    model.descriptor = descriptor.data();
    model.descriptor_size = descriptor.size();
    model.variant_table = table.data();
    model.variant_table_size = table.size();
    model.variant_models = kModelFns;
    model.num_variant_models = numModels;
  }
  explicit VariantModel(const TableSpec &spec)
      : VariantModel(encodeTable(spec)) {}
  std::vector<uint8_t> descriptor;
  std::vector<uint8_t> table;
  kiln_model model{};
};

// "" when a session is created (and destroyed), else its message.
std::string createError(const kiln_model *model,
                        kiln_status expected = KILN_ERROR_INVALID_MODEL) {
  kiln_session *session = nullptr;
  kiln_error error{};
  kiln_status st = kiln_session_create(model, nullptr, &session, &error);
  if (st == KILN_OK) {
    kiln_session_destroy(session);
    return "";
  }
  EXPECT_EQ(session, nullptr);
  EXPECT_EQ(st, expected) << error.message;
  EXPECT_EQ(error.status, st);
  return error.message;
}

::testing::AssertionResult rejects(const TableSpec &spec,
                                   const std::string &text) {
  ChainModels models;
  VariantModel m(spec);
  return refusalHolds(createError(&m.model), text);
}

::testing::AssertionResult rejectsBytes(std::vector<uint8_t> bytes,
                                        const std::string &text) {
  ChainModels models;
  VariantModel m(std::move(bytes));
  return refusalHolds(createError(&m.model), text);
}

// ---- The parser -------------------------------------------------------------

TEST(VariantTable, ParsesTheChain) {
  std::vector<uint8_t> bytes = encodeTable(chainTable());
  kiln_variant_table t;
  kiln_error error{};
  ASSERT_EQ(kiln_vt_parse(bytes.data(), bytes.size(), 5, &t, &error), KILN_OK)
      << error.message;
  ASSERT_EQ(t.num_values, 3u);
  EXPECT_STREQ(t.values[1].name, "h");
  EXPECT_EQ(t.values[1].size_bytes, 24u);
  EXPECT_EQ(t.producer[0], -1);
  EXPECT_EQ(t.producer[1], 0);
  EXPECT_EQ(t.producer[2], 1);
  ASSERT_EQ(t.num_segments, 2u);
  EXPECT_EQ(t.segments[1].inputs[0], 1u);
  ASSERT_EQ(t.num_variants, 6u);
  EXPECT_STREQ(t.variants[4].label, "fp32x2");
  EXPECT_EQ(t.variants[4].threads, 2u);
  EXPECT_EQ(t.variants[2].device, uint32_t(KILN_DEVICE_NNA));
  EXPECT_DOUBLE_EQ(t.variants[5].error, 0.01);
  EXPECT_EQ(t.variants[5].arena_bytes, 128u);
  kiln_vt_free(&t);
  EXPECT_EQ(t.values, nullptr);
}

TEST(VariantTable, RejectsCorruptHeaders) {
  std::vector<uint8_t> good = encodeTable(chainTable());
  std::vector<uint8_t> flipped = good;
  flipped.back() ^= 1;
  EXPECT_TRUE(rejectsBytes(flipped, "variant table: checksum mismatch"));
  std::vector<uint8_t> magic = good;
  magic[0] ^= 1;
  EXPECT_TRUE(rejectsBytes(magic, "variant table: bad magic"));
  std::vector<uint8_t> version = good;
  patchU32(version, 4, 2);
  EXPECT_TRUE(rejectsBytes(version, "version 2, this runtime reads 1"));
  std::vector<uint8_t> reserved = good;
  patchU32(reserved, 20, 7);
  EXPECT_TRUE(rejectsBytes(reserved, "reserved header field is 7"));
  EXPECT_TRUE(rejectsBytes({1, 2, 3}, "shorter than its header"));
  std::vector<uint8_t> extra = tablePayload(chainTable());
  extra.push_back(0);
  EXPECT_TRUE(
      rejectsBytes(withTableHeader(extra), "1 bytes after the last variant"));
}

// Every cut of the payload, with the header repaired, is refused (and
// under ASan read within the bytes); without the repair at the header.
TEST(VariantTable, RejectsEveryTruncation) {
  std::vector<uint8_t> payload = tablePayload(chainTable());
  for (size_t at = 0; at < payload.size(); ++at) {
    SCOPED_TRACE(at);
    std::vector<uint8_t> cut(payload.begin(), payload.begin() + at);
    EXPECT_TRUE(rejectsBytes(withTableHeader(cut), "variant table: "));
  }
  std::vector<uint8_t> good = encodeTable(chainTable());
  EXPECT_TRUE(rejectsBytes(std::vector<uint8_t>(good.begin(), good.end() - 1),
                           "payload of"));
  // Counts that cannot fit in what is left.
  EXPECT_TRUE(rejectsBytes(withTableHeader(Bytes().u32(1000000).data),
                           "truncated values: 1000000 cannot fit"));
}

TEST(VariantTable, RejectsBadValues) {
  TableSpec t = chainTable();
  t.values[1].name = "";
  EXPECT_TRUE(rejects(t, "value 1: name length 0 not in 1..1024"));
  t = chainTable();
  t.values[1].name = std::string("h\0i", 3);
  EXPECT_TRUE(rejects(t, "value 1: name contains a NUL byte"));
  t = chainTable();
  t.values[2].dtype = 99;
  EXPECT_TRUE(rejects(t, "value 2 ('y'): unknown dtype 99"));
  t = chainTable();
  t.values[0].dims = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  EXPECT_TRUE(rejects(t, "value 0 ('x'): rank 9 exceeds 8"));
  t = chainTable();
  t.values[0].dims = {2, -3};
  EXPECT_TRUE(rejects(t, "value 0 ('x'): dim 1 is -3, must be >= 0"));
  t = chainTable();
  t.values[0].dims = {int64_t(1) << 40, int64_t(1) << 40};
  EXPECT_TRUE(rejects(t, "value 0 ('x'): size in bytes overflows"));
  t = chainTable();
  t.values[2].name = "x";
  EXPECT_TRUE(rejects(t, "values 0 and 2 are both named 'x'"));
}

TEST(VariantTable, RejectsBadSegments) {
  TableSpec t = chainTable();
  t.segments.clear();
  EXPECT_TRUE(rejects(t, "variant table: no segments"));
  t = chainTable();
  t.segments[1].inputs = {3};
  EXPECT_TRUE(rejects(t, "segment 1 input 0 refers to value 3 of 3"));
  t = chainTable();
  t.segments[0].outputs = {1, 1};
  EXPECT_TRUE(rejects(t, "segment 0 lists output 'h' twice"));
  t = chainTable();
  t.segments[1].outputs = {};
  EXPECT_TRUE(rejects(t, "segment 1 has no outputs"));
  t = chainTable();
  t.segments[1].outputs = {1};
  EXPECT_TRUE(rejects(t, "value 'h' is written by segments 0 and 1 (values "
                         "are written once)"));
  t = chainTable();
  t.segments[0].inputs = {2}; // y before segment 1 writes it
  EXPECT_TRUE(rejects(t, "segment 0 reads 'y' before segment 1 writes it"));
  t = chainTable();
  t.segments[1].inputs = {2};
  EXPECT_TRUE(rejects(t, "segment 1 reads 'y', which it writes itself"));
}

TEST(VariantTable, RejectsBadVariants) {
  TableSpec t = chainTable();
  t.variants.clear();
  EXPECT_TRUE(rejects(t, "variant table: no variants"));
  t = chainTable();
  t.variants[3].segment = 2;
  EXPECT_TRUE(rejects(t, "variant 3 ('fp32'): segment 2 of 2"));
  t = chainTable();
  t.variants[1].model = 5;
  EXPECT_TRUE(rejects(t, "variant 1 ('int8'): sub-model 5 of 5"));
  t = chainTable();
  t.variants[1].kind = 5;
  EXPECT_TRUE(rejects(t, "variant 1 ('int8'): unknown kind 5"));
  t = chainTable();
  t.variants[1].device = 3;
  EXPECT_TRUE(rejects(t, "variant 1 ('int8'): unknown device 3"));
  t = chainTable();
  t.variants[2].kind = KILN_VARIANT_OPENCL; // on the NNA
  EXPECT_TRUE(rejects(t, "variant 2 ('nna'): kind 3 does not run on device "
                         "2"));
  t = chainTable();
  t.variants[4].threads = 257;
  EXPECT_TRUE(rejects(t, "variant 4 ('fp32x2'): 257 threads, at most 256"));
  for (double bad : {-1.0, std::nan(""), HUGE_VAL}) {
    t = chainTable();
    t.variants[0].latency = bad;
    EXPECT_TRUE(rejects(t, "variant 0 ('fp32'): latency "));
    t = chainTable();
    t.variants[0].error = bad;
    EXPECT_TRUE(rejects(t, "variant 0 ('fp32'): error "));
  }
  t = chainTable();
  t.variants[0].label = "";
  EXPECT_TRUE(rejects(t, "variant 0: label length 0 not in 1..64"));
  t.variants[0].label = std::string(65, 'a');
  EXPECT_TRUE(rejects(t, "variant 0: label length 65 not in 1..64"));
  t.variants[0].label = std::string(64, 'a'); // the longest: fine
  {
    ChainModels models;
    VariantModel m(t);
    EXPECT_EQ(createError(&m.model), "");
  }
  t.variants[0].label = "fp 32";
  EXPECT_TRUE(rejects(t, "variant 0: label byte 2 is 0x20 (labels are "
                         "printable ASCII without spaces)"));
  t = chainTable();
  t.variants.resize(3); // segment 1 has none left
  EXPECT_TRUE(rejects(t, "segment 1 has no variant"));
}

// ---- The sub-models and the model's own descriptor --------------------------

TEST(VariantTable, RejectsSubModelsThatDoNotFitTheirSegment) {
  ChainModels models;
  VariantModel m(chainTable());
  // Another name, dtype, shape; two inputs; the order of outputs.
  SubModel name{subSpec("x", "g"), {addConst<1>}};
  gModels[0] = &name.model;
  EXPECT_TRUE(refusalHolds(createError(&m.model),
                           "variant 0 ('fp32'): segment 0 output 0 is 'h' f32 "
                           "2x3, sub-model 0's is 'g' f32 2x3"));
  DescriptorSpec spec = subSpec("x", "h");
  spec.inputs[0].dtype = KILN_DTYPE_F16;
  SubModel dtype{spec, {addConst<1>}};
  gModels[0] = &dtype.model;
  EXPECT_TRUE(refusalHolds(createError(&m.model),
                           "segment 0 input 0 is 'x' f32 2x3, sub-model 0's "
                           "is 'x' f16 2x3"));
  spec = subSpec("x", "h");
  spec.outputs[0].dims = {3, 2};
  SubModel shape{spec, {addConst<1>}};
  gModels[0] = &shape.model;
  EXPECT_TRUE(refusalHolds(createError(&m.model), "sub-model 0's is 'h' f32 "
                                                  "3x2"));
  spec = subSpec("x", "h");
  spec.inputs.push_back({"z", KILN_DTYPE_F32, {2, 3}});
  SubModel two{spec, {addConst<1>}};
  gModels[0] = &two.model;
  EXPECT_TRUE(refusalHolds(createError(&m.model),
                           "variant 0 ('fp32'): sub-model 0 has 2 inputs and 1 "
                           "outputs, segment 0 has 1 and 1"));
  // A corrupt sub-model, a NULL one, a missing function, one with variants.
  std::vector<uint8_t> bad = models.a.descriptor;
  bad.back() ^= 1;
  SubModel corrupt{subSpec("x", "h"), {addConst<1>}};
  corrupt.descriptor = bad;
  corrupt.model.descriptor = corrupt.descriptor.data();
  gModels[0] = &corrupt.model;
  EXPECT_TRUE(refusalHolds(createError(&m.model),
                           "variant 0 ('fp32'): sub-model 0: descriptor "
                           "checksum mismatch"));
  gModels[0] = nullptr;
  EXPECT_TRUE(refusalHolds(createError(&m.model),
                           "variant 0 ('fp32'): sub-model 0's function "
                           "returned NULL"));
  gModels[0] = &m.model;
  EXPECT_TRUE(refusalHolds(createError(&m.model),
                           "sub-model 0 has variants of its own (variants "
                           "do not nest)"));
  gModels[0] = &models.a.model;
  kiln_model_fn fns[5] = {kModelFns[0], kModelFns[1], nullptr, kModelFns[3],
                          kModelFns[4]};
  m.model.variant_models = fns;
  EXPECT_TRUE(refusalHolds(createError(&m.model),
                           "variant 2 ('nna'): sub-model 2 has no function"));
  m.model.variant_models = nullptr;
  EXPECT_TRUE(refusalHolds(createError(&m.model),
                           "the model has 5 sub-models but no function table"));
  m.model.variant_models = kModelFns;
  // The NNA variant's sub-model without its plan.
  gModels[2] = &models.a.model;
  EXPECT_TRUE(refusalHolds(createError(&m.model),
                           "variant 2 ('nna'): sub-model 2 has no NNA plan"));
}

TEST(VariantTable, RejectsASubModelSharedBySegments) {
  TableSpec t = chainTable();
  t.variants[5].model = 1; // segment 0's int8
  EXPECT_TRUE(rejects(t, "variants 1 and 5 share sub-model 1 but are of "
                         "segments 0 and 1"));
}

TEST(VariantTable, ChecksTheModelsOwnDescriptor) {
  ChainModels models;
  std::vector<uint8_t> table = encodeTable(chainTable());
  VariantModel renamed(table, topSpec({"x"}, {"z"}));
  EXPECT_TRUE(refusalHolds(createError(&renamed.model),
                           "model output 'z' is not one of its values"));
  VariantModel written(table, topSpec({"h"}, {"y"}));
  EXPECT_TRUE(refusalHolds(createError(&written.model),
                           "model input 'h' is written by segment 0"));
  VariantModel input(table, topSpec({"x"}, {"x"}));
  EXPECT_TRUE(refusalHolds(createError(&input.model),
                           "model output 'x' is written by no segment"));
  VariantModel none(table, topSpec({}, {"y"}));
  EXPECT_TRUE(refusalHolds(createError(&none.model),
                           "value 'x' is written by no segment but is not a "
                           "model input"));
  DescriptorSpec shape = topSpec();
  shape.outputs[0].dims = {6};
  VariantModel reshaped(table, shape);
  EXPECT_TRUE(refusalHolds(createError(&reshaped.model),
                           "model output 'y' is f32 6 in the descriptor, f32 "
                           "2x3 in the table"));
  // h as a second model output is fine: segment 1 still reads it.
  VariantModel both(table, topSpec({"x"}, {"y", "h"}));
  EXPECT_EQ(createError(&both.model), "");
}

TEST(VariantTable, ModelsWithoutSegmentsNeedATable) {
  // Version 4, no segments, no table, no device plan: not runnable.
  FakeModel plain(topSpec());
  EXPECT_TRUE(refusalHolds(createError(&plain.model),
                           "descriptor has no segments and the model no "
                           "variant table or device plan (model ABI 5)"));
  plain.model.abi_version = 4; // its struct ends before the table
  EXPECT_TRUE(refusalHolds(createError(&plain.model), "(model ABI 4)"));
  // Version 3: no segments is refused by the parser.
  DescriptorSpec v3 = topSpec();
  v3.version = 3;
  FakeModel old(v3);
  EXPECT_TRUE(
      refusalHolds(createError(&old.model), "descriptor has no segments"));
  // A table and segments of its own.
  ChainModels models;
  std::vector<uint8_t> table = encodeTable(chainTable());
  FakeModel both(subSpec("x", "y"));
  both.model.variant_table = table.data();
  both.model.variant_table_size = table.size();
  both.model.variant_models = kModelFns;
  both.model.num_variant_models = 5;
  EXPECT_TRUE(refusalHolds(createError(&both.model),
                           "the model has a variant table and 1 segments of "
                           "its own"));
  // The device option is the constraints' business.
  VariantModel m(table);
  kiln_session_options options{sizeof options,  0, 0,
                               KILN_DEVICE_NNA, 0, nullptr};
  kiln_session *session = nullptr;
  kiln_error error{};
  EXPECT_EQ(kiln_session_create(&m.model, &options, &session, &error),
            KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(error.message).find("kiln_session_set_constraints"),
            std::string::npos)
      << error.message;
}

// kiln_variant_table_fuzz's corpus and regressions, as the target tries
// them: as is and with the payload size and checksum repaired; each parses
// or fails with a message (under ASan: within the bytes), and some parse
// and fit the target's model (x -> y).
TEST(VariantTable, FuzzCorpusReplay) {
  std::vector<std::string> files = fuzzInputs("variant_table");
  if (files.empty())
    GTEST_SKIP() << "runtime/fuzz/corpus/variant_table not found";
  int parsed = 0, fit = 0;
  for (const std::string &file : files) {
    SCOPED_TRACE(file);
    std::vector<uint8_t> bytes = readBytes(file);
    std::vector<std::vector<uint8_t>> tries = {bytes};
    if (bytes.size() >= 24) {
      std::vector<uint8_t> repaired = bytes;
      patchU64(repaired, 8, bytes.size() - 24);
      patchU32(repaired, 16,
               kiln_fnv1a32(repaired.data() + 24, repaired.size() - 24));
      tries.push_back(repaired);
    }
    for (const std::vector<uint8_t> &t : tries) {
      kiln_variant_table table;
      kiln_error error{};
      kiln_status st = kiln_vt_parse(t.data(), t.size(), 5, &table, &error);
      if (st != KILN_OK) {
        EXPECT_EQ(st, error.status);
        EXPECT_NE(error.message[0], '\0');
      } else {
        ++parsed;
        const int64_t dims[2] = {2, 3};
        kiln_tensor_info in = {"x", KILN_DTYPE_F32, 2, dims, 24};
        kiln_tensor_info out = {"y", KILN_DTYPE_F32, 2, dims, 24};
        uint32_t a, b;
        fit += kiln_vt_check_io(&table, &in, 1, &out, 1, &a, &b, &error) ==
               KILN_OK;
      }
      kiln_vt_free(&table);
    }
  }
  EXPECT_GT(parsed, 0);
  EXPECT_GT(fit, 0);
}

// ---- Sessions on the chain --------------------------------------------------

const float kX[KILN_TEST_ELEMENTS] = {0, 1, 2, 3, 4, 5};

std::vector<float> plus(float c, float scale = 1) {
  std::vector<float> v;
  for (float x : kX)
    v.push_back(scale * x + c);
  return v;
}

// What each choice of the chain computes.
const std::vector<float> kNnaFp32 = plus(103, 3); // 3x + 3 + 100
const std::vector<float> kNnaInt8 = plus(203, 3); // 3x + 3 + 200
const std::vector<float> kInt8Fp32 = plus(102);   // x + 2 + 100
const std::vector<float> kInt8Int8 = plus(202);   // x + 2 + 200
const std::vector<float> kFp32Fp32 = plus(101);   // x + 1 + 100

class Chain : public ::testing::Test {
protected:
  void SetUp() override {
    unsetenv("KILN_DEVICE_FAULT");
    gArenas.clear();
  }
  void TearDown() override {
    kiln_session_destroy(session);
    unsetenv("KILN_DEVICE_FAULT");
  }

  void create(uint32_t threads = 0) {
    kiln_session_options options{sizeof options, threads, 0, 0, 0, nullptr};
    kiln_error error{};
    ASSERT_EQ(kiln_session_create(&model.model, &options, &session, &error),
              KILN_OK)
        << error.message;
  }

  // Runs and returns y (empty on failure, with the status in *status).
  std::vector<float> run(kiln_status *status = nullptr,
                         std::string *message = nullptr) {
    int64_t dims[2] = {2, 3};
    float x[KILN_TEST_ELEMENTS];
    std::memcpy(x, kX, sizeof x);
    std::vector<float> y(KILN_TEST_ELEMENTS, -1.0f);
    kiln_tensor in = {KILN_DTYPE_F32, 2, dims, x, sizeof x};
    kiln_tensor out = {KILN_DTYPE_F32, 2, dims, y.data(), 24};
    kiln_error error{};
    kiln_status st = kiln_session_run(session, &in, 1, &out, 1, &error);
    if (status)
      *status = st;
    else
      EXPECT_EQ(st, KILN_OK) << error.message;
    if (message)
      *message = error.message;
    if (st != KILN_OK)
      return {};
    // The input is intact.
    EXPECT_EQ(std::memcmp(x, kX, sizeof x), 0);
    return y;
  }

  std::vector<uint32_t> choice() {
    kiln_selection sel{};
    kiln_error error{};
    EXPECT_EQ(kiln_session_selection(session, &sel, &error), KILN_OK);
    return std::vector<uint32_t>(sel.variants, sel.variants + 2);
  }

  kiln_selection selection() {
    kiln_selection sel{};
    kiln_error error{};
    EXPECT_EQ(kiln_session_selection(session, &sel, &error), KILN_OK)
        << error.message;
    return sel;
  }

  kiln_status constrain(const kiln_constraints &c,
                        std::string *message = nullptr) {
    kiln_error error{};
    kiln_status st = kiln_session_set_constraints(session, &c, &error);
    if (message)
      *message = error.message;
    return st;
  }

  static kiln_constraints none() {
    kiln_constraints c{};
    c.struct_size = sizeof c;
    return c;
  }

  ChainModels models;
  VariantModel model{chainTable()};
  kiln_session *session = nullptr;
};

using Choice = std::vector<uint32_t>;

TEST_F(Chain, QueriesDescribeTheModelAndItsVariants) {
  create();
  EXPECT_EQ(kiln_session_num_inputs(session), 1u);
  EXPECT_EQ(kiln_session_num_outputs(session), 1u);
  EXPECT_STREQ(kiln_session_input(session, 0)->name, "x");
  EXPECT_EQ(kiln_session_find_output(session, "y"), 0);
  EXPECT_EQ(kiln_session_find_input(session, "h"), -1);
  EXPECT_EQ(kiln_session_num_segments(session), 2u);
  ASSERT_EQ(kiln_session_num_variants(session), 6u);
  EXPECT_EQ(kiln_session_variant(session, 6), nullptr);
  const kiln_variant_info *v = kiln_session_variant(session, 4);
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->segment, 1u);
  EXPECT_EQ(v->kind, uint32_t(KILN_VARIANT_FP32));
  EXPECT_EQ(v->device, uint32_t(KILN_DEVICE_CPU));
  EXPECT_EQ(v->threads, 2u);
  EXPECT_STREQ(v->label, "fp32x2");
  EXPECT_DOUBLE_EQ(v->latency_ms, 0.030);
  EXPECT_EQ(v->measured, 0u);
  EXPECT_EQ(v->weights_bytes, 4000u);
  EXPECT_EQ(v->arena_bytes, 64u);
  EXPECT_EQ(kiln_session_variant(session, 3)->threads, 1u); // the session's
  EXPECT_EQ(kiln_session_variant(session, 2)->device,
            uint32_t(KILN_DEVICE_NNA));
  EXPECT_GT(kiln_session_memory_bytes(session), 0u);
  // The shared arena: fp32x2's sub-model asks 96 bytes.
  EXPECT_EQ(kiln_session_arena_size(session), 96u);
}

TEST_F(Chain, DefaultChoiceIsTheFastest) {
  create();
  kiln_selection sel = selection();
  EXPECT_EQ(choice(), (Choice{2, 4}));
  // nna: 24 bytes in and out of the NNA (5 us + 0.5 ns a byte each way),
  // 10 us; fp32x2 30 us on the CPU.
  EXPECT_NEAR(sel.latency_ms, (5.012 + 10 + 5.012 + 30) / 1000, 1e-12);
  // nna 0.5 W, fp32x2 2 threads at 1 W, borders 24 ns at 1 W each.
  EXPECT_NEAR(sel.energy_mj, (0.012 + 5 + 0.012 + 60) / 1000, 1e-12);
  EXPECT_EQ(sel.memory_bytes, 1500u + 4000u + 64u);
  EXPECT_NEAR(sel.accuracy, 0.98, 1e-12);
  EXPECT_EQ(sel.binding, 0u);
  EXPECT_EQ(sel.failed_devices, 0u);
  EXPECT_EQ(sel.exact, 1u);
  EXPECT_GE(sel.select_ms, 0.0);
  EXPECT_EQ(kiln_session_live_sub_sessions(session), 2u);
  EXPECT_EQ(run(), kNnaFp32);
  // Runs repeat.
  EXPECT_EQ(run(), kNnaFp32);
}

TEST_F(Chain, RunChecksTensorsAsAlways) {
  create();
  int64_t dims[2] = {3, 2};
  float x[6] = {0}, y[6];
  kiln_tensor in = {KILN_DTYPE_F32, 2, dims, x, sizeof x};
  int64_t good[2] = {2, 3};
  kiln_tensor out = {KILN_DTYPE_F32, 2, good, y, sizeof y};
  kiln_error error{};
  int calls = kiln_test_calls;
  EXPECT_EQ(kiln_session_run(session, &in, 1, &out, 1, &error),
            KILN_ERROR_SHAPE_MISMATCH);
  EXPECT_STREQ(error.message, "input 'x': expected shape 2x3, got 3x2");
  EXPECT_EQ(kiln_session_run(session, &in, 0, &out, 1, &error),
            KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(kiln_test_calls, calls);
}

TEST_F(Chain, MemoryBudgetPicksTheSmallVariant) {
  create();
  kiln_constraints c = none();
  c.memory_budget = 2700; // nna + int8: 1500 + 1000 + 128
  ASSERT_EQ(constrain(c), KILN_OK);
  EXPECT_EQ(choice(), (Choice{2, 5}));
  EXPECT_EQ(selection().memory_bytes, 2628u);
  EXPECT_EQ(run(), kNnaInt8);
  c.memory_budget = 2200; // only int8 + int8 (2128)
  ASSERT_EQ(constrain(c), KILN_OK);
  EXPECT_EQ(choice(), (Choice{1, 5}));
  EXPECT_EQ(run(), kInt8Int8);
  // No constraints again: the fastest.
  kiln_error error{};
  ASSERT_EQ(kiln_session_set_constraints(session, nullptr, &error), KILN_OK);
  EXPECT_EQ(choice(), (Choice{2, 4}));
  EXPECT_EQ(run(), kNnaFp32);
}

TEST_F(Chain, AllowedDevicesExcludeTheNna) {
  create();
  kiln_constraints c = none();
  c.allowed_devices = KILN_DEVICE_BIT(KILN_DEVICE_CPU);
  ASSERT_EQ(constrain(c), KILN_OK);
  EXPECT_EQ(choice(), (Choice{1, 4}));
  EXPECT_NEAR(selection().latency_ms, 0.070, 1e-12); // no border costs
  EXPECT_EQ(run(), kInt8Fp32);
  // The NNA sub-session is gone.
  EXPECT_EQ(kiln_session_live_sub_sessions(session), 2u);
}

TEST_F(Chain, AccuracyFloorAndObjectives) {
  create();
  kiln_constraints c = none();
  c.accuracy_floor = 0.995; // fp32 only
  ASSERT_EQ(constrain(c), KILN_OK);
  EXPECT_EQ(choice(), (Choice{0, 4}));
  EXPECT_DOUBLE_EQ(selection().accuracy, 1.0);
  EXPECT_EQ(run(), plus(101));
  c.accuracy_floor = 0.985; // at most 0.015 of error: int8 once
  ASSERT_EQ(constrain(c), KILN_OK);
  EXPECT_EQ(choice(), (Choice{1, 4}));
  c = none();
  c.objective = KILN_OBJECTIVE_MEMORY;
  ASSERT_EQ(constrain(c), KILN_OK);
  EXPECT_EQ(choice(), (Choice{1, 5}));
  EXPECT_EQ(run(), kInt8Int8);
  c.objective = KILN_OBJECTIVE_ENERGY; // nna 5 uJ, int8 50 uJ
  ASSERT_EQ(constrain(c), KILN_OK);
  EXPECT_EQ(choice(), (Choice{2, 5}));
  EXPECT_NEAR(selection().energy_mj, 0.055024, 1e-12);
}

TEST_F(Chain, InfeasibleRequestsKeepThePreviousChoice) {
  create();
  kiln_constraints c = none();
  c.memory_budget = 2700;
  ASSERT_EQ(constrain(c), KILN_OK);
  int calls = kiln_test_calls;
  std::string message;
  kiln_constraints tight = none();
  tight.memory_budget = 1000;
  EXPECT_EQ(constrain(tight, &message), KILN_ERROR_INFEASIBLE);
  EXPECT_EQ(message, "infeasible: memory budget 1000 bytes is binding (the "
                     "smallest choice needs 2128)");
  EXPECT_EQ(selection().binding, KILN_CONSTRAINT_MEMORY);
  EXPECT_EQ(choice(), (Choice{2, 5}));
  EXPECT_EQ(kiln_test_calls, calls); // nothing ran
  EXPECT_EQ(run(), kNnaInt8);

  tight = none();
  tight.latency_target_ms = 0.040;
  EXPECT_EQ(constrain(tight, &message), KILN_ERROR_INFEASIBLE);
  EXPECT_EQ(message, "infeasible: latency target 0.040 ms is binding (the "
                     "fastest choice takes 0.050 ms)");
  EXPECT_EQ(selection().binding, KILN_CONSTRAINT_LATENCY);

  tight = none();
  tight.allowed_devices = KILN_DEVICE_BIT(KILN_DEVICE_NNA);
  EXPECT_EQ(constrain(tight, &message), KILN_ERROR_INFEASIBLE);
  EXPECT_EQ(message, "infeasible: devices nna are binding (failed: none)");
  EXPECT_EQ(selection().binding, KILN_CONSTRAINT_DEVICES);

  // Each of two alone makes it infeasible.
  tight = none();
  tight.memory_budget = 2200;
  tight.latency_target_ms = 0.080;
  EXPECT_EQ(constrain(tight, &message), KILN_ERROR_INFEASIBLE);
  EXPECT_EQ(selection().binding,
            KILN_CONSTRAINT_MEMORY | KILN_CONSTRAINT_LATENCY);
  EXPECT_NE(message.find("memory budget 2200 bytes is binding"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("; latency target 0.080 ms is binding"),
            std::string::npos)
      << message;

  // Only the three together.
  tight.accuracy_floor = 0.995;
  EXPECT_EQ(constrain(tight, &message), KILN_ERROR_INFEASIBLE);
  EXPECT_EQ(selection().binding, KILN_CONSTRAINT_COMBINATION);
  EXPECT_NE(message.find("no constraint alone is binding"), std::string::npos)
      << message;
  EXPECT_EQ(choice(), (Choice{2, 5}));

  // The previous constraints stay: a feasible request clears the binding.
  ASSERT_EQ(constrain(c), KILN_OK);
  EXPECT_EQ(selection().binding, 0u);
  EXPECT_EQ(choice(), (Choice{2, 5}));
}

TEST_F(Chain, ConstraintsAreValidated) {
  create();
  std::string message;
  kiln_constraints c = none();
  c.struct_size = 8;
  EXPECT_EQ(constrain(c, &message), KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(message.find("struct_size is 8"), std::string::npos) << message;
  for (double bad : {-1.0, std::nan(""), HUGE_VAL}) {
    c = none();
    c.latency_target_ms = bad;
    EXPECT_EQ(constrain(c, &message), KILN_ERROR_INVALID_ARGUMENT);
    EXPECT_NE(message.find("latency_target_ms"), std::string::npos);
  }
  for (double bad : {-0.5, 1.5, std::nan("")}) {
    c = none();
    c.accuracy_floor = bad;
    EXPECT_EQ(constrain(c, &message), KILN_ERROR_INVALID_ARGUMENT);
    EXPECT_NE(message.find("accuracy_floor"), std::string::npos);
  }
  c = none();
  c.allowed_devices = 8;
  EXPECT_EQ(constrain(c, &message), KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(message.find("allowed_devices 0x8"), std::string::npos);
  c = none();
  c.objective = 3;
  EXPECT_EQ(constrain(c, &message), KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(message, "constraints: objective 3 is not known");
  EXPECT_EQ(choice(), (Choice{2, 4}));
  kiln_error error{};
  EXPECT_EQ(kiln_session_selection(session, nullptr, &error),
            KILN_ERROR_INVALID_ARGUMENT);
}

TEST_F(Chain, CpuVariantsShareOneArena) {
  create();
  EXPECT_EQ(kiln_session_shared_arena_allocations(session), 1u);
  kiln_constraints c = none();
  c.allowed_devices = KILN_DEVICE_BIT(KILN_DEVICE_CPU);
  ASSERT_EQ(constrain(c), KILN_OK); // int8 (96 bytes) + fp32x2 (96)
  EXPECT_EQ(kiln_session_shared_arena_allocations(session), 1u);
  gArenas.clear();
  EXPECT_EQ(run(), kInt8Fp32);
  ASSERT_EQ(gArenas.size(), 2u);
  EXPECT_EQ(gArenas[0], gArenas[1]);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(gArenas[0]) % 64, 0u);
  // int8 of segment 1 needs 4096 bytes: a larger arena.
  c = none();
  c.memory_budget = 2700;
  ASSERT_EQ(constrain(c), KILN_OK);
  EXPECT_EQ(kiln_session_shared_arena_allocations(session), 2u);
  EXPECT_EQ(kiln_session_arena_size(session), 4096u);
  EXPECT_EQ(run(), kNnaInt8);
  // Back to the smaller ones: the arena stays.
  ASSERT_EQ(kiln_session_set_constraints(session, nullptr, nullptr), KILN_OK);
  EXPECT_EQ(kiln_session_shared_arena_allocations(session), 1u + 1u);
  EXPECT_EQ(kiln_session_arena_size(session), 4096u);
  gArenas.clear();
  EXPECT_EQ(run(), kNnaFp32);
  ASSERT_EQ(gArenas.size(), 1u);
}

TEST_F(Chain, ANnaFailureDuringARunRepicks) {
  setenv("KILN_DEVICE_FAULT", "nna:run", 1); // its first run fails
  create();
  EXPECT_EQ(choice(), (Choice{2, 4}));
  // The same run goes on on the CPU from segment 0.
  EXPECT_EQ(run(), kInt8Fp32);
  kiln_selection sel = selection();
  EXPECT_EQ(sel.failed_devices, KILN_DEVICE_BIT(KILN_DEVICE_NNA));
  EXPECT_EQ(choice(), (Choice{1, 4}));
  EXPECT_EQ(run(), kInt8Fp32);
  // The NNA is excluded from requests too, until reset.
  kiln_constraints c = none();
  c.allowed_devices =
      KILN_DEVICE_BIT(KILN_DEVICE_NNA) | KILN_DEVICE_BIT(KILN_DEVICE_CPU);
  ASSERT_EQ(constrain(c), KILN_OK);
  EXPECT_EQ(choice(), (Choice{1, 4}));
  kiln_error error{};
  ASSERT_EQ(kiln_session_reset_devices(session, &error), KILN_OK)
      << error.message;
  EXPECT_EQ(selection().failed_devices, 0u);
  EXPECT_EQ(choice(), (Choice{2, 4}));
  EXPECT_EQ(run(), kNnaFp32); // its second run works
}

TEST_F(Chain, ACpuFailureLeavesNothingFeasible) {
  setenv("KILN_DEVICE_FAULT", "cpu:run:2", 1);
  create();
  kiln_constraints c = none();
  c.allowed_devices =
      KILN_DEVICE_BIT(KILN_DEVICE_CPU) | KILN_DEVICE_BIT(KILN_DEVICE_NNA);
  c.memory_budget = 2200;
  ASSERT_EQ(constrain(c), KILN_OK);
  EXPECT_EQ(choice(), (Choice{1, 5}));
  // Segment 0 runs (CPU run 1), segment 1 fails (run 2): without the CPU
  // nothing is left.
  kiln_status st;
  std::string message;
  EXPECT_TRUE(run(&st, &message).empty());
  EXPECT_EQ(st, KILN_ERROR_DEVICE);
  EXPECT_NE(message.find("segment 1: the cpu failed (the cpu failed a run "
                         "(KILN_DEVICE_FAULT)); nothing feasible is left "
                         "without the failed devices (cpu)"),
            std::string::npos)
      << message;
  EXPECT_EQ(selection().failed_devices, KILN_DEVICE_BIT(KILN_DEVICE_CPU));
  // The choice stays; once the devices are reset, runs work again.
  EXPECT_EQ(choice(), (Choice{1, 5}));
  kiln_error error{};
  ASSERT_EQ(kiln_session_reset_devices(session, &error), KILN_OK);
  EXPECT_EQ(run(), kInt8Int8);
}

TEST_F(Chain, ANnaThatCannotBePreparedIsLeftOut) {
  setenv("KILN_DEVICE_FAULT", "nna:create", 1);
  create();
  EXPECT_EQ(selection().failed_devices, KILN_DEVICE_BIT(KILN_DEVICE_NNA));
  EXPECT_EQ(choice(), (Choice{1, 4}));
  EXPECT_EQ(run(), kInt8Fp32);
  // A request for the NNA alone names the failure.
  kiln_constraints c = none();
  c.allowed_devices = KILN_DEVICE_BIT(KILN_DEVICE_NNA);
  std::string message;
  EXPECT_EQ(constrain(c, &message), KILN_ERROR_INFEASIBLE);
  EXPECT_EQ(message, "infeasible: devices nna are binding (failed: nna)");
  // Nothing runs without the NNA when only NNA variants exist.
  TableSpec t = chainTable();
  t.variants = {t.variants[2], t.variants[3]};
  VariantModel nnaOnly(t);
  EXPECT_TRUE(refusalHolds(createError(&nnaOnly.model, KILN_ERROR_DEVICE),
                           "no choice of variants runs on the available "
                           "devices (failed: nna, the nna cannot be prepared "
                           "(KILN_DEVICE_FAULT))"));
}

TEST_F(Chain, FaultsInjectedIntoALiveSession) {
  create();
  kiln_error error{};
  EXPECT_EQ(run(), kNnaFp32);
  // The second NNA run from now fails.
  ASSERT_EQ(kiln_session_inject_device_fault(session, KILN_DEVICE_NNA, false, 2,
                                             &error),
            KILN_OK);
  EXPECT_EQ(run(), kNnaFp32);
  EXPECT_EQ(run(), kInt8Fp32);
  EXPECT_EQ(selection().failed_devices, KILN_DEVICE_BIT(KILN_DEVICE_NNA));
  // The NNA cannot be prepared any more: a reset finds it failing again.
  ASSERT_EQ(kiln_session_inject_device_fault(session, KILN_DEVICE_NNA, true, 0,
                                             &error),
            KILN_OK);
  ASSERT_EQ(kiln_session_reset_devices(session, &error), KILN_OK);
  EXPECT_EQ(selection().failed_devices, KILN_DEVICE_BIT(KILN_DEVICE_NNA));
  EXPECT_EQ(choice(), (Choice{1, 4}));
  // Cleared: a reset brings it back.
  ASSERT_EQ(kiln_session_inject_device_fault(session, KILN_DEVICE_NNA, false, 0,
                                             &error),
            KILN_OK);
  ASSERT_EQ(kiln_session_reset_devices(session, &error), KILN_OK);
  EXPECT_EQ(choice(), (Choice{2, 4}));
  EXPECT_EQ(run(), kNnaFp32);
  EXPECT_EQ(kiln_session_inject_device_fault(session, 3, false, 1, &error),
            KILN_ERROR_INVALID_ARGUMENT);
  FakeModel plain(addSpec());
  kiln_session *other = nullptr;
  ASSERT_EQ(kiln_session_create(&plain.model, nullptr, &other, &error),
            KILN_OK);
  EXPECT_EQ(kiln_session_inject_device_fault(other, 0, true, 0, &error),
            KILN_ERROR_UNSUPPORTED);
  kiln_session_destroy(other);
}

TEST_F(Chain, ThreadsOfTheSessionAreTheDefault) {
  create(4);
  EXPECT_EQ(kiln_session_variant(session, 0)->threads, 4u);
  EXPECT_EQ(kiln_session_variant(session, 4)->threads, 2u);
  // fp32 at 4 threads: 100 us at 4 W in the energy estimate.
  kiln_constraints c = none();
  c.allowed_devices = KILN_DEVICE_BIT(KILN_DEVICE_CPU);
  c.accuracy_floor = 1;
  c.objective = KILN_OBJECTIVE_ENERGY;
  ASSERT_EQ(constrain(c), KILN_OK);
  EXPECT_EQ(choice(), (Choice{0, 4}));
  EXPECT_NEAR(selection().energy_mj, (400 + 60) / 1000.0, 1e-12);
  EXPECT_EQ(run(), kFp32Fp32);
}

// ---- Calibration and profiles ---------------------------------------------

std::string readFile(const std::string &path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::string tempPath(const std::string &name) {
  return (std::filesystem::temp_directory_path() /
          ("kiln_variants_test_" + std::to_string(getpid()) + "_" + name))
      .string();
}

void writeFile(const std::string &path, const std::string &text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
}

TEST_F(Chain, CalibrateMeasuresEveryVariantAndWritesAProfile) {
  create();
  int64_t dims[2] = {2, 3};
  float x[6];
  std::memcpy(x, kX, sizeof x);
  kiln_tensor in = {KILN_DTYPE_F32, 2, dims, x, sizeof x};
  std::string path = tempPath("calibrated");
  kiln_error error{};
  ASSERT_EQ(kiln_session_calibrate(session, &in, 1, 3, path.c_str(), &error),
            KILN_OK)
      << error.message;
  for (size_t v = 0; v < 6; ++v) {
    const kiln_variant_info *info = kiln_session_variant(session, v);
    EXPECT_EQ(info->measured, 1u) << v;
    EXPECT_GT(info->latency_ms, 0.0) << v;
  }
  // Measured times hold the copies: no border costs, so the estimate is
  // the two variants' sum.
  kiln_selection sel = selection();
  std::vector<uint32_t> c = choice();
  EXPECT_NEAR(sel.latency_ms,
              kiln_session_variant(session, c[0])->latency_ms +
                  kiln_session_variant(session, c[1])->latency_ms,
              1e-9);
  std::string text = readFile(path);
  std::istringstream lines(text);
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line, "kiln-variant-profile 1");
  const char *labels[] = {"fp32", "int8", "nna", "fp32", "fp32x2", "int8"};
  for (int v = 0; v < 6; ++v) {
    std::getline(lines, line);
    std::istringstream fields(line);
    int index, segment;
    std::string label;
    double us;
    fields >> index >> segment >> label >> us;
    EXPECT_EQ(index, v);
    EXPECT_EQ(segment, v < 3 ? 0 : 1);
    EXPECT_EQ(label, labels[v]);
    EXPECT_NEAR(us, kiln_session_variant(session, v)->latency_ms * 1000, 1e-3);
  }
  std::getline(lines, line);
  EXPECT_EQ(line, "end");
  EXPECT_FALSE(std::getline(lines, line));
  // Calibrating left only the chosen sub-sessions; runs still work.
  EXPECT_EQ(kiln_session_live_sub_sessions(session), 2u);
  EXPECT_EQ(run().size(), 6u);

  // Another session loads it.
  kiln_session *other = nullptr;
  ASSERT_EQ(kiln_session_create(&model.model, nullptr, &other, &error),
            KILN_OK);
  ASSERT_EQ(kiln_session_load_profile(other, path.c_str(), &error), KILN_OK)
      << error.message;
  for (size_t v = 0; v < 6; ++v) {
    EXPECT_EQ(kiln_session_variant(other, v)->measured, 1u);
    EXPECT_NEAR(kiln_session_variant(other, v)->latency_ms,
                kiln_session_variant(session, v)->latency_ms, 1e-6);
  }
  kiln_session_destroy(other);
  std::remove(path.c_str());
}

TEST_F(Chain, ALoadedProfileDrivesTheChoice) {
  create();
  std::string path = tempPath("by_hand");
  writeFile(path, "kiln-variant-profile 1\n"
                  "0 0 fp32 1\n"
                  "1 0 int8 50.5\n"
                  "2 0 nna -\n"
                  "3 1 fp32 2.25\n"
                  "4 1 fp32x2 50\n"
                  "5 1 int8 50\n"
                  "end\n\n");
  kiln_error error{};
  ASSERT_EQ(kiln_session_load_profile(session, path.c_str(), &error), KILN_OK)
      << error.message;
  EXPECT_EQ(kiln_session_variant(session, 2)->measured, 0u); // kept
  EXPECT_DOUBLE_EQ(kiln_session_variant(session, 2)->latency_ms, 0.010);
  EXPECT_DOUBLE_EQ(kiln_session_variant(session, 3)->latency_ms, 0.00225);
  // Without border costs the two fastest: fp32 (1 us) and fp32 (2.25 us).
  EXPECT_EQ(choice(), (Choice{0, 3}));
  EXPECT_NEAR(selection().latency_ms, 0.00325, 1e-12);
  EXPECT_EQ(run(), kFp32Fp32);
  std::remove(path.c_str());
}

TEST_F(Chain, CalibrationSkipsAFailingDevice) {
  // NNA run 1: the run that fills the borders; run 2: its calibration.
  setenv("KILN_DEVICE_FAULT", "nna:run:2", 1);
  create();
  int64_t dims[2] = {2, 3};
  float x[6] = {0};
  kiln_tensor in = {KILN_DTYPE_F32, 2, dims, x, sizeof x};
  std::string path = tempPath("failing");
  kiln_error error{};
  ASSERT_EQ(kiln_session_calibrate(session, &in, 1, 2, path.c_str(), &error),
            KILN_OK)
      << error.message;
  EXPECT_EQ(kiln_session_variant(session, 2)->measured, 0u);
  EXPECT_EQ(kiln_session_variant(session, 1)->measured, 1u);
  EXPECT_EQ(selection().failed_devices, KILN_DEVICE_BIT(KILN_DEVICE_NNA));
  EXPECT_NE(choice()[0], 2u);
  EXPECT_NE(readFile(path).find("\n2 0 nna -\n"), std::string::npos);
  std::remove(path.c_str());
  // Bad arguments.
  EXPECT_EQ(kiln_session_calibrate(session, &in, 1, 0, nullptr, &error),
            KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(kiln_session_calibrate(session, &in, 2, 1, nullptr, &error),
            KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(error.message, "expected 1 inputs, got 2");
  EXPECT_EQ(
      kiln_session_calibrate(session, &in, 1, 1, "/nonexistent/dir/p", &error),
      KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(error.message).find("cannot write profile"),
            std::string::npos);
}

TEST_F(Chain, MismatchedProfilesAreRejected) {
  create();
  const std::string good = "kiln-variant-profile 1\n"
                           "0 0 fp32 1\n"
                           "1 0 int8 2\n"
                           "2 0 nna 3\n"
                           "3 1 fp32 4\n"
                           "4 1 fp32x2 5\n"
                           "5 1 int8 6\n"
                           "end\n";
  struct Case {
    std::string text, message;
  };
  auto replace = [&good](const std::string &from, const std::string &to) {
    std::string s = good;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  const Case cases[] = {
      {"", "line 1: not 'kiln-variant-profile 1'"},
      {replace("profile 1", "profile 2"), "line 1: not"},
      {replace("1 0 int8", "1 0 int9"),
       "line 3: variant 1 is 'int9', the model's is 'int8'"},
      {replace("1 0 int8", "7 0 int8"), "line 3: variant 7, expected 1"},
      {replace("3 1 fp32", "3 0 fp32"),
       "line 5: variant 3 is of segment 0, the model's of 1"},
      {replace("2 0 nna 3", "2 0 nna abc"),
       "line 4: latency 'abc' is not a finite number >= 0"},
      {replace("2 0 nna 3", "2 0 nna -3"), "line 4: latency '-3'"},
      {replace("2 0 nna 3", "2 0 nna nan"), "line 4: latency 'nan'"},
      {replace("2 0 nna 3", "2 0 nna 1e999"), "line 4: latency '1e999'"},
      {replace("2 0 nna 3", "2 0 nna 3 4"),
       "line 4: expected '<index> <segment> <label> <latency_us>'"},
      {replace("2 0 nna 3", "2 0 nna"), "line 4: expected"},
      {replace("2 0 nna 3", "-2 0 nna 3"), "line 4: expected"},
      {replace("2 0 nna 3", "99999999999 0 nna 3"), "line 4: expected"},
      {replace("end\n", ""), "line 8: the file ends after 6 of the model's 6"},
      {replace("5 1 int8 6\n", ""), "line 7: 'end' after 5 variants, the "
                                    "model has 6"},
      {replace("end", "6 1 int8 1"), "line 8: expected 'end' after the "
                                     "model's 6 variants"},
      {good + "more\n", "line 9: text after 'end'"},
      {replace("0 0 fp32 1", "0 0 fp32 " + std::string(300, '1')),
       "line 2: too long or holding a NUL byte"},
      {replace("0 0 fp32 1", std::string("0 0 fp32\0 1", 11)),
       "line 2: too long or holding a NUL byte"},
  };
  std::string path = tempPath("bad");
  for (const Case &c : cases) {
    SCOPED_TRACE(c.text);
    writeFile(path, c.text);
    kiln_error error{};
    EXPECT_EQ(kiln_session_load_profile(session, path.c_str(), &error),
              KILN_ERROR_INVALID_ARGUMENT);
    EXPECT_TRUE(refusalHolds(error.message, c.message));
    EXPECT_EQ(kiln_session_variant(session, 0)->measured, 0u);
  }
  // CRLF line ends are fine.
  std::string crlf;
  for (char ch : good)
    crlf += ch == '\n' ? std::string("\r\n") : std::string(1, ch);
  writeFile(path, crlf);
  kiln_error error{};
  EXPECT_EQ(kiln_session_load_profile(session, path.c_str(), &error), KILN_OK)
      << error.message;
  std::remove(path.c_str());
  EXPECT_EQ(kiln_session_load_profile(session, path.c_str(), &error),
            KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(error.message).find("cannot open profile"),
            std::string::npos);
  EXPECT_EQ(kiln_session_load_profile(session, nullptr, &error),
            KILN_ERROR_INVALID_ARGUMENT);
}

// ---- Longer chains ----------------------------------------------------------

// x -> h -> y -> z with y and z model outputs: segment 2 reads the caller's
// output buffer of y.
TEST(VariantChain, AModelOutputFeedsALaterSegment) {
  unsetenv("KILN_DEVICE_FAULT");
  SubModel a{subSpec("x", "h"), {addConst<1>}};
  SubModel b{subSpec("h", "y"), {addConst<10>}};
  SubModel c{subSpec("y", "z"), {addConst<100>}};
  gModels[0] = &a.model;
  gModels[1] = &b.model;
  gModels[2] = &c.model;
  TableSpec t;
  t.values = {{"x"}, {"h"}, {"y"}, {"z"}};
  t.segments = {{{0}, {1}}, {{1}, {2}}, {{2}, {3}}};
  t.variants = {{0, 0, KILN_VARIANT_FP32, KILN_DEVICE_CPU, 0, 1, 1, 1, 0, "a"},
                {1, 1, KILN_VARIANT_FP32, KILN_DEVICE_CPU, 0, 1, 1, 1, 0, "b"},
                {2, 2, KILN_VARIANT_FP32, KILN_DEVICE_CPU, 0, 1, 1, 1, 0, "c"}};
  VariantModel m(encodeTable(t), topSpec({"x"}, {"z", "y"}), 3);
  kiln_session *session = nullptr;
  kiln_error error{};
  ASSERT_EQ(kiln_session_create(&m.model, nullptr, &session, &error), KILN_OK)
      << error.message;
  int64_t dims[2] = {2, 3};
  float x[6] = {0, 1, 2, 3, 4, 5}, y[6], z[6];
  kiln_tensor in = {KILN_DTYPE_F32, 2, dims, x, sizeof x};
  kiln_tensor out[2] = {{KILN_DTYPE_F32, 2, dims, z, sizeof z},
                        {KILN_DTYPE_F32, 2, dims, y, sizeof y}};
  ASSERT_EQ(kiln_session_run(session, &in, 1, out, 2, &error), KILN_OK)
      << error.message;
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(y[i], x[i] + 11);
    EXPECT_EQ(z[i], x[i] + 111);
  }
  kiln_session_destroy(session);
}

// ---- A model without variants -------------------------------------------

TEST(VariantQueries, AModelWithoutVariantsHasNone) {
  FakeModel fake(addSpec());
  kiln_session *session = nullptr;
  kiln_error error{};
  ASSERT_EQ(kiln_session_create(&fake.model, nullptr, &session, &error),
            KILN_OK);
  EXPECT_EQ(kiln_session_num_segments(session), 0u);
  EXPECT_EQ(kiln_session_num_variants(session), 0u);
  EXPECT_EQ(kiln_session_variant(session, 0), nullptr);
  kiln_constraints c{};
  c.struct_size = sizeof c;
  EXPECT_EQ(kiln_session_set_constraints(session, &c, &error),
            KILN_ERROR_UNSUPPORTED);
  EXPECT_STREQ(error.message, "the model has no per-segment variants");
  kiln_selection sel{};
  EXPECT_EQ(kiln_session_selection(session, &sel, &error),
            KILN_ERROR_UNSUPPORTED);
  EXPECT_EQ(kiln_session_reset_devices(session, &error),
            KILN_ERROR_UNSUPPORTED);
  EXPECT_EQ(kiln_session_calibrate(session, nullptr, 0, 1, nullptr, &error),
            KILN_ERROR_UNSUPPORTED);
  EXPECT_EQ(kiln_session_load_profile(session, "x", &error),
            KILN_ERROR_UNSUPPORTED);
  EXPECT_EQ(kiln_session_shared_arena_allocations(session), 0u);
  kiln_session_destroy(session);
  // A NULL session.
  EXPECT_EQ(kiln_session_num_segments(nullptr), 0u);
  EXPECT_EQ(kiln_session_num_variants(nullptr), 0u);
  EXPECT_EQ(kiln_session_variant(nullptr, 0), nullptr);
  EXPECT_EQ(kiln_session_set_constraints(nullptr, &c, &error),
            KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(kiln_session_selection(nullptr, &sel, &error),
            KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(kiln_status_string(KILN_ERROR_INFEASIBLE), "infeasible");
}

} // namespace
