// The OpenCL plan parser, and sessions on the GPU variant: a hand-written
// plan for the add model (out = a + b), run by the OpenCL executor (on POCL
// in CI; skipped where no OpenCL device exists), its binary cache, and the
// fallback to the CPU variant under injected faults (KILN_OPENCL_FAULT).
#include "descriptor_writer.h"
#include "fake_entries.h"
#include "fuzz_inputs.h"
#include "kiln/opencl_plan.h"
#include "kiln/runtime.h"
#include "opencl_plan.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

using namespace kiln_test;

namespace {

/// A ref of the plan (kiln/opencl_plan.h).
struct Ref {
  uint8_t kind;
  uint64_t index, size;
};

/// By default the add model on the GPU: one step uploads a and b, runs
/// `add` (out = (a + b) * weights[0]) and downloads out.
struct PlanSpec {
  uint64_t arena = 96, host = 0;
  std::vector<uint64_t> uploads = {0, 32};
  uint64_t downloadFrom = 64;
  Ref download = {KILN_CL_REF_OUTPUT, 0, 24};
  std::string kernel = "add";
  uint64_t global = 6, local = 0;
  std::string source = "__kernel void add(__global float *arena,\n"
                       "                  __global const float *weights) {\n"
                       "  const long i = get_global_id(0);\n"
                       "  arena[16 + i] = (arena[i] + arena[8 + i]) * "
                       "weights[0];\n"
                       "}\n";
  std::vector<float> weights = {1.0f};
  /// A CPU step after the GPU's: entry, args, waits.
  bool cpuStep = false;
  uint32_t entry = 0;
  std::vector<Ref> args;
  std::vector<uint32_t> waits;
};

Bytes &ref(Bytes &p, const Ref &r) {
  return p.u8(r.kind).u64(r.index).u64(r.size);
}

std::vector<uint8_t> encodePlan(const PlanSpec &spec) {
  Bytes p;
  p.u64(spec.arena).u64(spec.weights.size() * 4).u64(spec.host).u64(0);
  p.u32(1).u16(spec.kernel.size()).raw(spec.kernel);
  // One 1-D launch of kernel 0.
  uint64_t localRest = spec.local ? 1 : 0;
  p.u32(1).u32(0).u32(1).u64(spec.global).u64(1).u64(1);
  p.u64(spec.local).u64(localRest).u64(localRest);
  p.u32(spec.cpuStep ? 2 : 1);
  p.u8(KILN_CL_STEP_GPU).u32(0).u32(1).u32(spec.uploads.size());
  for (size_t i = 0; i < spec.uploads.size(); ++i)
    ref(p, {KILN_CL_REF_INPUT, i, 24}).u64(spec.uploads[i]);
  p.u32(1).u64(spec.downloadFrom);
  ref(p, spec.download);
  if (spec.cpuStep) {
    p.u8(KILN_CL_STEP_CPU).u32(spec.entry).u8(0).u32(spec.args.size());
    for (const Ref &r : spec.args)
      ref(p, r);
    p.u32(spec.waits.size());
    for (uint32_t w : spec.waits)
      p.u32(w);
  }
  p.u32(spec.source.size()).raw(spec.source);
  p.raw(std::string(reinterpret_cast<const char *>(spec.weights.data()),
                    spec.weights.size() * 4));
  Bytes out;
  out.u32(KILN_OPENCL_PLAN_MAGIC)
      .u32(KILN_OPENCL_PLAN_VERSION)
      .u64(p.data.size())
      .u32(kiln_fnv1a32(p.data.data(), p.data.size()))
      .u32(0);
  out.data.insert(out.data.end(), p.data.begin(), p.data.end());
  return out.data;
}

/// The add model split between the devices: the GPU computes a + b into
/// host memory, then CPU entry 0 (kiln_test_add_into_arena: args a, b, out)
/// adds b again into the output: out = a + 2b.
PlanSpec hybridSpec() {
  PlanSpec spec;
  spec.host = 64;
  spec.download = {KILN_CL_REF_HOST, 0, 24};
  spec.cpuStep = true;
  spec.entry = 0;
  spec.args = {{KILN_CL_REF_HOST, 0, 24},
               {KILN_CL_REF_INPUT, 1, 24},
               {KILN_CL_REF_OUTPUT, 0, 24}};
  spec.waits = {0};
  return spec;
}

/// The add model with a GPU variant.
struct GpuModel : FakeModel {
  explicit GpuModel(std::vector<uint8_t> planBytes)
      : FakeModel(addSpec()), plan(std::move(planBytes)) {
    model.opencl_plan = plan.data();
    model.opencl_plan_size = plan.size();
  }
  std::vector<uint8_t> plan;
};

kiln_tensor_info info(const char *name, size_t bytes) {
  static const int64_t dims[2] = {2, 3};
  return {name, KILN_DTYPE_F32, 2, dims, bytes};
}

std::string parseError(const std::vector<uint8_t> &bytes) {
  kiln_tensor_info in[2] = {info("a", 24), info("b", 24)};
  kiln_tensor_info out[1] = {info("out", 24)};
  kiln_cl_plan plan;
  kiln_error error{};
  kiln_status st = kiln_cl_plan_parse(bytes.data(), bytes.size(), in, 2, out, 1,
                                      5, &plan, &error);
  kiln_cl_plan_free(&plan);
  return st == KILN_OK ? "" : error.message;
}

TEST(OpenCLPlan, Parses) {
  std::vector<uint8_t> bytes = encodePlan(PlanSpec{});
  kiln_tensor_info in[2] = {info("a", 24), info("b", 24)};
  kiln_tensor_info out[1] = {info("out", 24)};
  kiln_cl_plan plan;
  kiln_error error{};
  ASSERT_EQ(kiln_cl_plan_parse(bytes.data(), bytes.size(), in, 2, out, 1, 5,
                               &plan, &error),
            KILN_OK)
      << error.message;
  EXPECT_EQ(plan.arena_size, 96u);
  ASSERT_EQ(plan.num_steps, 1u);
  ASSERT_EQ(plan.steps[0].num_uploads, 2u);
  EXPECT_EQ(plan.steps[0].uploads[1].device_offset, 32u);
  EXPECT_EQ(plan.steps[0].uploads[1].ref.index, 1u);
  ASSERT_EQ(plan.steps[0].num_downloads, 1u);
  EXPECT_EQ(plan.steps[0].downloads[0].device_offset, 64u);
  EXPECT_EQ(plan.steps[0].downloads[0].ref.size, 24u);
  ASSERT_EQ(plan.num_kernels, 1u);
  EXPECT_STREQ(plan.kernel_names[0], "add");
  ASSERT_EQ(plan.num_launches, 1u);
  EXPECT_EQ(plan.launches[0].global[0], 6u);
  EXPECT_EQ(plan.weights_size, 4u);
  kiln_cl_plan_free(&plan);
}

TEST(OpenCLPlan, RejectsCorruptPlans) {
  std::vector<uint8_t> good = encodePlan(PlanSpec{});
  std::vector<uint8_t> flipped = good;
  flipped.back() ^= 1;
  EXPECT_NE(parseError(flipped).find("checksum mismatch"), std::string::npos);
  for (size_t cut : {size_t(0), size_t(10), size_t(30), good.size() - 1}) {
    std::vector<uint8_t> truncated(good.begin(), good.begin() + cut);
    EXPECT_NE(parseError(truncated), "") << "cut at " << cut;
  }
  PlanSpec outside;
  outside.downloadFrom = 80; // 24 bytes from 80 pass the 96-byte arena
  EXPECT_NE(parseError(encodePlan(outside)).find("not inside"),
            std::string::npos);
  PlanSpec local;
  local.local = 4; // does not divide 6
  EXPECT_NE(parseError(encodePlan(local)).find("does not divide"),
            std::string::npos);
  PlanSpec nul;
  nul.kernel = std::string("a\0d", 3);
  EXPECT_NE(parseError(encodePlan(nul)).find("NUL byte"), std::string::npos);
  PlanSpec bigCopy;
  bigCopy.download.size = 28; // the output holds 24 bytes
  EXPECT_NE(parseError(encodePlan(bigCopy)).find("exceeds output 'out'"),
            std::string::npos);
  PlanSpec intoInput;
  intoInput.download = {KILN_CL_REF_INPUT, 0, 24};
  EXPECT_NE(parseError(encodePlan(intoInput)).find("downloads into input 0"),
            std::string::npos);
  PlanSpec noOutput;
  noOutput.host = 64;
  noOutput.download = {KILN_CL_REF_HOST, 0, 24};
  EXPECT_NE(parseError(encodePlan(noOutput)).find("no step writes output"),
            std::string::npos);
  PlanSpec host = hybridSpec();
  host.args[0].index = 48; // 24 bytes from 48 pass the 64-byte host block
  EXPECT_NE(parseError(encodePlan(host)).find("host block"), std::string::npos);
  PlanSpec entry = hybridSpec();
  entry.entry = 5; // the fake model has 5 entries
  EXPECT_NE(parseError(encodePlan(entry)).find("entry 5 of 5"),
            std::string::npos);
  PlanSpec wait = hybridSpec();
  wait.waits = {1}; // itself
  EXPECT_NE(parseError(encodePlan(wait)).find("not an earlier GPU step"),
            std::string::npos);
  EXPECT_EQ(parseError(encodePlan(hybridSpec())), "");
}

// kiln_opencl_plan_fuzz's corpus and regressions, as the target tries them:
// as is and with the payload size and checksum repaired; each parses or
// fails with a message (under ASan: within the bytes).
TEST(OpenCLPlan, FuzzCorpusReplay) {
  std::vector<std::string> files = fuzzInputs("opencl_plan");
  if (files.empty())
    GTEST_SKIP() << "runtime/fuzz/corpus/opencl_plan not found";
  int parsed = 0;
  for (const std::string &path : files) {
    SCOPED_TRACE(path);
    std::vector<uint8_t> bytes = readBytes(path);
    parsed += parseError(bytes).empty();
    if (bytes.size() < KILN_OPENCL_PLAN_HEADER_SIZE)
      continue;
    uint64_t payload = bytes.size() - KILN_OPENCL_PLAN_HEADER_SIZE;
    patchU64(bytes, 8, payload);
    patchU32(
        bytes, 16,
        kiln_fnv1a32(bytes.data() + KILN_OPENCL_PLAN_HEADER_SIZE, payload));
    parsed += parseError(bytes).empty();
  }
  EXPECT_GT(parsed, 0); // the seeds are valid plans
}

class GpuSession : public ::testing::Test {
protected:
  void SetUp() override {
    // POCL finds no device without a writable cache directory.
    cacheRoot = std::filesystem::temp_directory_path() /
                ("kiln-opencl-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(cacheRoot / "pocl");
    setenv("POCL_CACHE_DIR", (cacheRoot / "pocl").c_str(), 0);
    unsetenv("KILN_OPENCL_FAULT");
  }
  void TearDown() override {
    unsetenv("KILN_OPENCL_FAULT");
    std::filesystem::remove_all(cacheRoot);
  }

  kiln_status create(const kiln_model *model, uint32_t fallback,
                     kiln_session **session, std::string *message = nullptr,
                     const char *cache = "") {
    kiln_session_options options{};
    options.struct_size = sizeof options;
    options.device = KILN_DEVICE_GPU;
    options.fallback = fallback;
    options.cache_dir = cache;
    kiln_error error{};
    kiln_status st = kiln_session_create(model, &options, session, &error);
    if (message)
      *message = error.message;
    return st;
  }

  /// Skips the test where this machine has no OpenCL device.
  void requireDevice() {
    GpuModel gpu(encodePlan(PlanSpec{}));
    kiln_session *s = nullptr;
    std::string message;
    if (create(&gpu.model, KILN_FALLBACK_NONE, &s, &message) != KILN_OK)
      GTEST_SKIP() << "no OpenCL device: " << message;
    kiln_session_destroy(s);
  }

  /// Runs a + b and checks the sum.
  void runAdd(kiln_session *s, kiln_status want = KILN_OK) {
    std::vector<float> a = {1, 2, 3, 4, 5, 6}, b = {10, 20, 30, 40, 50, 60},
                       out(6, -1.0f);
    int64_t dims[2] = {2, 3};
    kiln_tensor in[2] = {{KILN_DTYPE_F32, 2, dims, a.data(), 24},
                         {KILN_DTYPE_F32, 2, dims, b.data(), 24}};
    kiln_tensor o[1] = {{KILN_DTYPE_F32, 2, dims, out.data(), 24}};
    kiln_error error{};
    ASSERT_EQ(kiln_session_run(s, in, 2, o, 1, &error), want) << error.message;
    if (want == KILN_OK)
      for (int i = 0; i < 6; ++i)
        EXPECT_EQ(out[i], a[i] + b[i]) << i;
  }

  std::filesystem::path cacheRoot;
};

TEST_F(GpuSession, RunsThePlan) {
  requireDevice();
  GpuModel gpu(encodePlan(PlanSpec{}));
  kiln_session *s = nullptr;
  ASSERT_EQ(create(&gpu.model, KILN_FALLBACK_NONE, &s), KILN_OK);
  EXPECT_EQ(kiln_session_device(s), KILN_DEVICE_GPU);
  EXPECT_EQ(kiln_session_program_source(s), KILN_PROGRAM_BUILT);
  runAdd(s);
  runAdd(s);
  kiln_session_destroy(s);
}

// A GPU step hands its result to a CPU step through host memory; the CPU
// step waits for the download, then writes the model output.
TEST_F(GpuSession, RunsGpuAndCpuSteps) {
  requireDevice();
  GpuModel gpu(encodePlan(hybridSpec()));
  kiln_session *s = nullptr;
  ASSERT_EQ(create(&gpu.model, KILN_FALLBACK_NONE, &s), KILN_OK);
  std::vector<float> a = {1, 2, 3, 4, 5, 6}, b = {10, 20, 30, 40, 50, 60},
                     out(6, -1.0f);
  int64_t dims[2] = {2, 3};
  kiln_tensor in[2] = {{KILN_DTYPE_F32, 2, dims, a.data(), 24},
                       {KILN_DTYPE_F32, 2, dims, b.data(), 24}};
  kiln_tensor o[1] = {{KILN_DTYPE_F32, 2, dims, out.data(), 24}};
  for (int run = 0; run < 2; ++run) {
    kiln_error error{};
    int calls = kiln_test_calls;
    ASSERT_EQ(kiln_session_run(s, in, 2, o, 1, &error), KILN_OK)
        << error.message;
    EXPECT_EQ(kiln_test_calls, calls + 1); // the CPU step ran, once
    for (int i = 0; i < 6; ++i)
      EXPECT_EQ(out[i], a[i] + 2 * b[i]) << i;
  }
  kiln_session_destroy(s);
}

// Tuning times the launch at the sizes that divide its grid, keeps the
// fastest, and caches the choice beside the binary for later sessions.
TEST_F(GpuSession, TunesWorkGroupSizesAndCachesThem) {
  requireDevice();
  PlanSpec spec; // a grid of 64 work-items in groups of 32, 6 of them real
  spec.global = 64;
  spec.local = 32;
  spec.source = "__kernel void add(__global float *arena,\n"
                "                  __global const float *weights) {\n"
                "  const long i = get_global_id(0);\n"
                "  if (i >= 6) return;\n"
                "  arena[16 + i] = (arena[i] + arena[8 + i]) * weights[0];\n"
                "}\n";
  GpuModel gpu(encodePlan(spec));
  std::string dir = (cacheRoot / "tune").string();
  kiln_session *s = nullptr;
  ASSERT_EQ(create(&gpu.model, KILN_FALLBACK_NONE, &s, nullptr, dir.c_str()),
            KILN_OK);
  kiln_gpu_tuning tuning{};
  kiln_error error{};
  ASSERT_EQ(kiln_session_gpu_tuning(s, &tuning, &error), KILN_OK);
  EXPECT_EQ(tuning.launches, 1u);
  EXPECT_EQ(tuning.tuned, 0u);
  ASSERT_EQ(kiln_session_tune_gpu(s, &tuning, &error), KILN_OK)
      << error.message;
  EXPECT_EQ(tuning.tuned, 1u);
  EXPECT_LE(tuning.changed, 1u);
  EXPECT_GT(tuning.planned_ms, 0.0);
  EXPECT_LE(tuning.tuned_ms, tuning.planned_ms);
  runAdd(s); // whatever size won, the sum is right
  kiln_session_destroy(s);
  size_t files = 0;
  for (const auto &entry : std::filesystem::directory_iterator(dir))
    files += entry.path().extension() == ".wg";
  EXPECT_EQ(files, 1u);
  ASSERT_EQ(create(&gpu.model, KILN_FALLBACK_NONE, &s, nullptr, dir.c_str()),
            KILN_OK);
  ASSERT_EQ(kiln_session_gpu_tuning(s, &tuning, &error), KILN_OK);
  EXPECT_EQ(tuning.tuned, 1u); // loaded from the cache
  runAdd(s);
  kiln_session_destroy(s);

  // A CPU session has nothing to tune.
  FakeModel cpuOnly(addSpec());
  kiln_session_options options{};
  options.struct_size = sizeof options;
  ASSERT_EQ(kiln_session_create(&cpuOnly.model, &options, &s, &error), KILN_OK);
  EXPECT_EQ(kiln_session_tune_gpu(s, &tuning, &error), KILN_ERROR_DEVICE);
  kiln_session_destroy(s);
}

TEST_F(GpuSession, SecondSessionLoadsTheCachedBinary) {
  requireDevice();
  GpuModel gpu(encodePlan(PlanSpec{}));
  std::string dir = (cacheRoot / "kiln").string();
  kiln_session *s = nullptr;
  ASSERT_EQ(create(&gpu.model, KILN_FALLBACK_NONE, &s, nullptr, dir.c_str()),
            KILN_OK);
  EXPECT_EQ(kiln_session_program_source(s), KILN_PROGRAM_BUILT);
  kiln_session_destroy(s);
  size_t files = 0;
  for (const auto &entry : std::filesystem::directory_iterator(dir))
    files += entry.path().extension() == ".clbin";
  EXPECT_EQ(files, 1u);
  ASSERT_EQ(create(&gpu.model, KILN_FALLBACK_NONE, &s, nullptr, dir.c_str()),
            KILN_OK);
  EXPECT_EQ(kiln_session_program_source(s), KILN_PROGRAM_CACHED);
  runAdd(s);
  kiln_session_destroy(s);

  // Another program is another key: built, not taken from the cache.
  PlanSpec other;
  other.source += "// another program\n";
  GpuModel changed(encodePlan(other));
  ASSERT_EQ(
      create(&changed.model, KILN_FALLBACK_NONE, &s, nullptr, dir.c_str()),
      KILN_OK);
  EXPECT_EQ(kiln_session_program_source(s), KILN_PROGRAM_BUILT);
  kiln_session_destroy(s);
}

// Each fault: without a fallback a clear status, with one the CPU variant
// runs and computes the same sum.
TEST_F(GpuSession, FallsBackToTheCpuUnderFaults) {
  GpuModel gpu(encodePlan(PlanSpec{}));
  for (const char *fault : {"platform", "build"}) {
    setenv("KILN_OPENCL_FAULT", fault, 1);
    kiln_session *s = nullptr;
    std::string message;
    EXPECT_EQ(create(&gpu.model, KILN_FALLBACK_NONE, &s, &message),
              KILN_ERROR_DEVICE)
        << fault;
    EXPECT_EQ(s, nullptr);
    ASSERT_EQ(create(&gpu.model, KILN_FALLBACK_CPU, &s), KILN_OK) << fault;
    EXPECT_EQ(kiln_session_device(s), KILN_DEVICE_CPU);
    EXPECT_NE(std::string(kiln_session_fallback_reason(s)), "");
    EXPECT_EQ(kiln_session_program_source(s), KILN_PROGRAM_NONE);
    runAdd(s);
    kiln_session_destroy(s);
  }
  setenv("KILN_OPENCL_FAULT", "platform", 1);
  kiln_session *s = nullptr;
  std::string message;
  create(&gpu.model, KILN_FALLBACK_NONE, &s, &message);
  EXPECT_NE(message.find("no platform"), std::string::npos) << message;
}

// The GPU variant's host memory cannot be allocated (KILN_ALLOC_FAULT):
// a clear status, or with a fallback the CPU variant's sum. No OpenCL
// device is needed: the host memory comes first.
TEST_F(GpuSession, AllocationFailureAtCreation) {
  GpuModel gpu(encodePlan(hybridSpec()));
  setenv("KILN_ALLOC_FAULT", "device", 1);
  kiln_session *s = nullptr;
  std::string message;
  EXPECT_EQ(create(&gpu.model, KILN_FALLBACK_NONE, &s, &message),
            KILN_ERROR_OUT_OF_MEMORY);
  EXPECT_EQ(s, nullptr);
  EXPECT_NE(message.find("cannot allocate"), std::string::npos) << message;
  ASSERT_EQ(create(&gpu.model, KILN_FALLBACK_CPU, &s), KILN_OK);
  EXPECT_EQ(kiln_session_device(s), KILN_DEVICE_CPU);
  runAdd(s);
  kiln_session_destroy(s);
  unsetenv("KILN_ALLOC_FAULT");
}

TEST_F(GpuSession, AFailedRunIsRedoneOnTheCpu) {
  requireDevice();
  setenv("KILN_OPENCL_FAULT", "run", 1);
  GpuModel gpu(encodePlan(PlanSpec{}));
  kiln_session *s = nullptr;
  ASSERT_EQ(create(&gpu.model, KILN_FALLBACK_NONE, &s), KILN_OK);
  runAdd(s, KILN_ERROR_DEVICE);
  kiln_session_destroy(s);
  ASSERT_EQ(create(&gpu.model, KILN_FALLBACK_CPU, &s), KILN_OK);
  EXPECT_EQ(kiln_session_device(s), KILN_DEVICE_GPU);
  runAdd(s); // fails on the GPU, redone on the CPU
  EXPECT_EQ(kiln_session_device(s), KILN_DEVICE_CPU);
  EXPECT_NE(std::string(kiln_session_fallback_reason(s)).find("run failed"),
            std::string::npos);
  runAdd(s);
  kiln_session_destroy(s);
}

TEST_F(GpuSession, ModelsWithoutAGpuVariant) {
  FakeModel cpuOnly(addSpec());
  kiln_session *s = nullptr;
  std::string message;
  EXPECT_EQ(create(&cpuOnly.model, KILN_FALLBACK_NONE, &s, &message),
            KILN_ERROR_DEVICE);
  EXPECT_NE(message.find("no GPU variant"), std::string::npos) << message;
  ASSERT_EQ(create(&cpuOnly.model, KILN_FALLBACK_CPU, &s), KILN_OK);
  EXPECT_EQ(kiln_session_device(s), KILN_DEVICE_CPU);
  runAdd(s);
  kiln_session_destroy(s);

  // A corrupt plan is refused before any device work.
  std::vector<uint8_t> bytes = encodePlan(PlanSpec{});
  bytes[30] ^= 0xff;
  GpuModel corrupt(bytes);
  EXPECT_EQ(create(&corrupt.model, KILN_FALLBACK_NONE, &s, &message),
            KILN_ERROR_INVALID_MODEL);
  EXPECT_NE(message.find("checksum"), std::string::npos) << message;
}

} // namespace
