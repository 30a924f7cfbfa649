// kiln-run end to end: the real executable on a fixture shared object
// (fixtures/add_model.c), and the statically linked variant.
#include "kiln_tensor_io.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <sys/wait.h>
#include <vector>

namespace {

struct Result {
  int code; // exit status; -1 when killed by a signal
  std::string out;
  std::string err;
};

std::string quote(const std::string &s) { return "'" + s + "'"; }

class KilnRun : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "kiln_run_test_XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    ASSERT_NE(mkdtemp(buf.data()), nullptr);
    dir = std::string(buf.data()) + "/";
  }
  void TearDown() override {
    if (!HasFailure())
      std::system(("rm -rf " + quote(dir)).c_str());
  }

  // Runs `program args` through the shell.
  Result run(const std::string &program, const std::string &args) {
    std::string err_path = dir + "stderr.txt";
    std::string command = quote(program) + " " + args + " 2>" + quote(err_path);
    Result r{};
    FILE *pipe = popen(command.c_str(), "r");
    EXPECT_NE(pipe, nullptr);
    if (!pipe)
      return r;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, pipe)) > 0)
      r.out.append(chunk, n);
    int status = pclose(pipe);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::ifstream f(err_path);
    r.err.assign(std::istreambuf_iterator<char>(f), {});
    return r;
  }
  Result kilnRun(const std::string &args) { return run(KILN_RUN_EXE, args); }

  // Expects exit status 1 and exactly one "kiln-run: error: " line holding
  // `fragment` on stderr.
  void expectError(const Result &r, const std::string &fragment) {
    EXPECT_EQ(r.code, 1) << r.err;
    EXPECT_EQ(r.err.rfind("kiln-run: error: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(fragment), std::string::npos)
        << fragment << " vs " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }

  std::string writeNpy(const std::string &name, kiln_dtype dtype,
                       std::vector<int64_t> dims, const void *data) {
    std::string path = dir + name;
    kiln_error error{};
    EXPECT_EQ(kiln_npy_write(path.c_str(), dtype,
                             static_cast<int32_t>(dims.size()), dims.data(),
                             data, &error),
              KILN_OK)
        << error.message;
    return path;
  }

  std::vector<float> readFloats(const std::string &path) {
    kiln_host_tensor t;
    kiln_error error{};
    EXPECT_EQ(kiln_npy_read(path.c_str(), &t, &error), KILN_OK)
        << error.message;
    if (!t.data)
      return {};
    EXPECT_EQ(t.dtype, KILN_DTYPE_F32);
    const float *v = static_cast<const float *>(t.data);
    std::vector<float> out(v, v + t.size_bytes / sizeof(float));
    kiln_host_tensor_free(&t);
    return out;
  }

  std::string dir;
  const std::string model = KILN_TEST_ADD_MODEL;
};

TEST_F(KilnRun, Help) {
  Result r = kilnRun("--help");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("MODEL.so [options]"), std::string::npos);
  EXPECT_NE(r.out.find("--threads N        threads that run the model's parallel"),
            std::string::npos);
}

TEST_F(KilnRun, Info) {
  Result r = kilnRun(quote(model) + " --info");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("input a: f32 2x3 (24 bytes)"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("input b: f32 2x3"), std::string::npos);
  EXPECT_NE(r.out.find("output out/sum:0: f32 2x3"), std::string::npos);
  EXPECT_NE(r.out.find("output argmax: i64 scalar (8 bytes)"),
            std::string::npos);
  EXPECT_NE(r.out.find("arena: 24 bytes"), std::string::npos);
}

// The fixture's descriptor has an empty layer table (lit's
// run-convnet.test profiles a compiled model with layers).
TEST_F(KilnRun, ProfileWithoutLayers) {
  Result r = kilnRun(quote(model) + " --profile --runs 2");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("median latency: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("profile: the model names no layers"), std::string::npos)
      << r.out;
}

TEST_F(KilnRun, RunsWithInputFilesAndWritesOutputs) {
  float a[6] = {0, 1, 2, 3, 4, 5};
  std::string a_path = writeNpy("a.npy", KILN_DTYPE_F32, {2, 3}, a);
  // b as an ONNX TensorProto: dims 2, 3; data_type FLOAT; raw_data.
  std::string pb = std::string("\x08\x02\x08\x03\x10\x01\x4a\x18", 8);
  float b[6] = {0, 10, 20, 30, 40, 50};
  pb.append(reinterpret_cast<const char *>(b), sizeof b);
  std::ofstream(dir + "b.pb", std::ios::binary) << pb;

  std::string out = dir + "out/nested";
  Result r =
      kilnRun(quote(model) + " --input a=" + quote(a_path) +
              " --input=b=" + quote(dir + "b.pb") +
              " --runs 3 --warmup 0 --threads 2 --output-dir " + quote(out));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find("median latency: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" ms over 3 runs (min "), std::string::npos);
  EXPECT_NE(r.out.find("output out/sum:0: f32 2x3\n  values: 0 11 22 33 44 55"
                       "\n  top 5 (index value):\n    5 55\n    4 44\n"),
            std::string::npos)
      << r.out;
  // A scalar output gets no top-K by default.
  EXPECT_NE(r.out.find("output argmax: i64 scalar\n  values: 5\n"),
            std::string::npos)
      << r.out;
  // Output names are sanitised into file names.
  std::vector<float> sum = readFloats(out + "/out_sum_0.npy");
  EXPECT_EQ(sum, (std::vector<float>{0, 11, 22, 33, 44, 55}));
  kiln_host_tensor argmax;
  kiln_error error{};
  ASSERT_EQ(kiln_npy_read((out + "/argmax.npy").c_str(), &argmax, &error),
            KILN_OK);
  EXPECT_EQ(argmax.dtype, KILN_DTYPE_I64);
  EXPECT_EQ(argmax.rank, 0);
  EXPECT_EQ(*static_cast<int64_t *>(argmax.data), 5);
  kiln_host_tensor_free(&argmax);
}

TEST_F(KilnRun, RandomInputsAreSeeded) {
  Result first =
      kilnRun(quote(model) + " --seed 7 --output-dir " + quote(dir + "s7a"));
  ASSERT_EQ(first.code, 0) << first.err;
  EXPECT_NE(first.err.find("kiln-run: note: input 'a' not given: using "
                           "random values (seed 7)"),
            std::string::npos)
      << first.err;
  EXPECT_NE(first.err.find("input 'b' not given"), std::string::npos);
  ASSERT_EQ(
      kilnRun(quote(model) + " --seed=7 --output-dir " + quote(dir + "s7b"))
          .code,
      0);
  ASSERT_EQ(
      kilnRun(quote(model) + " --seed 8 --output-dir " + quote(dir + "s8"))
          .code,
      0);
  std::vector<float> a = readFloats(dir + "s7a/out_sum_0.npy");
  EXPECT_EQ(a, readFloats(dir + "s7b/out_sum_0.npy"));
  EXPECT_NE(a, readFloats(dir + "s8/out_sum_0.npy"));
  // Sums of two values in [-1, 1).
  for (float v : a) {
    EXPECT_GE(v, -2.0f);
    EXPECT_LT(v, 2.0f);
  }
}

TEST_F(KilnRun, TopOption) {
  Result r = kilnRun(quote(model) + " --top 2");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("top 2 (index value):"), std::string::npos) << r.out;
  // Explicit K applies to every output; the scalar has one value.
  EXPECT_NE(r.out.find("top 1 (index value):\n    0 "), std::string::npos)
      << r.out;
  r = kilnRun(quote(model) + " --top 0");
  ASSERT_EQ(r.code, 0);
  EXPECT_EQ(r.out.find("top "), std::string::npos) << r.out;
}

TEST_F(KilnRun, ModelErrors) {
  expectError(kilnRun(quote(dir + "missing.so")),
              "cannot open model '" + dir + "missing.so': No such file");
  float a[6] = {};
  std::string npy = writeNpy("a.npy", KILN_DTYPE_F32, {2, 3}, a);
  expectError(kilnRun(quote(npy)), "cannot load model");
  expectError(kilnRun(quote(KILN_TEST_NO_GET_MODEL)),
              "has no kiln_model_get symbol");
  expectError(kilnRun(quote(KILN_TEST_BAD_MAGIC_MODEL)),
              "invalid model: bad model magic 0x12345678");
  expectError(kilnRun(""), "no model given");
  // "out/sum:0" and "out_sum_0" would both be DIR/out_sum_0.npy.
  expectError(kilnRun(quote(KILN_TEST_CLASHING_MODEL) + " --output-dir " +
                      quote(dir + "clash")),
              "outputs 'out/sum:0' and 'out_sum_0' would be written to the "
              "same file");
  // Without --output-dir the names are fine.
  EXPECT_EQ(kilnRun(quote(KILN_TEST_CLASHING_MODEL)).code, 0);
}

TEST_F(KilnRun, InputErrors) {
  float a[6] = {};
  double d[6] = {};
  std::string good = writeNpy("good.npy", KILN_DTYPE_F32, {2, 3}, a);
  std::string shape = writeNpy("shape.npy", KILN_DTYPE_F32, {3, 2}, a);
  std::string dtype = writeNpy("dtype.npy", KILN_DTYPE_F64, {2, 3}, d);
  std::ofstream(dir + "bad.npy") << "not numpy";
  std::string m = quote(model);
  expectError(kilnRun(m + " --input c=" + quote(good)),
              "unknown input 'c' (the model's inputs: 'a', 'b')");
  expectError(kilnRun(m + " --input a=" + quote(shape)),
              "input 'a': expected shape 2x3, got 3x2");
  expectError(kilnRun(m + " --input b=" + quote(dtype)),
              "input 'b': expected dtype f32, got f64");
  expectError(kilnRun(m + " --input a=" + quote(dir + "bad.npy")),
              "input 'a': " + dir + "bad.npy: not a .npy file (bad magic)");
  expectError(kilnRun(m + " --input a=" + quote(dir + "none.npy")),
              "No such file or directory");
  expectError(kilnRun(m + " --input a=" + quote(dir + "a.txt")),
              "unknown file type");
  expectError(
      kilnRun(m + " --input a=" + quote(good) + " --input a=" + quote(good)),
      "input 'a' given twice");
  expectError(kilnRun(m + " --input a"), "--input expects NAME=FILE");
}

TEST_F(KilnRun, OptionErrors) {
  std::string m = quote(model);
  expectError(kilnRun(m + " --bogus"), "unknown option '--bogus'");
  expectError(kilnRun(m + " --runs"), "option --runs needs a value");
  expectError(kilnRun(m + " --runs 0"), "--runs expects an integer >= 1");
  expectError(kilnRun(m + " --warmup -1"), "--warmup expects an integer");
  expectError(kilnRun(m + " --seed x"), "--seed expects an unsigned integer");
  expectError(kilnRun(m + " --top 99999999999999999999"), "--top expects");
  expectError(kilnRun(m + " --threads 300"),
              "options->threads is 300, at most 256 are supported");
  expectError(kilnRun(m + " " + m), "unexpected argument");
  std::ofstream(dir + "file") << "x";
  expectError(kilnRun(m + " --output-dir " + quote(dir + "file")),
              "is not a directory");
  expectError(kilnRun(m + " --output-dir " + quote(dir + "file/sub")),
              "cannot create directory");
}

// kiln_run_linked_main.c with the fixture linked in: no model argument.
TEST_F(KilnRun, LinkedModel) {
  float a[6] = {1, 1, 1, 1, 1, 1};
  std::string a_path = writeNpy("a.npy", KILN_DTYPE_F32, {2, 3}, a);
  Result r = run(KILN_TEST_LINKED_RUN,
                 "--input a=" + quote(a_path) + " --input b=" + quote(a_path) +
                     " --output-dir " + quote(dir + "linked"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(readFloats(dir + "linked/out_sum_0.npy"),
            (std::vector<float>(6, 2.0f)));
  r = run(KILN_TEST_LINKED_RUN, "--info");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("model: (linked)"), std::string::npos) << r.out;
  expectError(run(KILN_TEST_LINKED_RUN, "model.so"),
              "unexpected argument 'model.so'");
}

} // namespace
