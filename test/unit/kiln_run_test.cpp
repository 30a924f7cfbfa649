// kiln-run end to end: the real executable on a fixture shared object
// (fixtures/add_model.c), and the statically linked variant; and its JSON
// reader and scenario traces in-process (test/lit/targets/variants/ replays
// traces on a compiled model with variants).
#include "json.h"
#include "kiln_tensor_io.h"
#include "trace.h"

#include <gtest/gtest.h>

#include <algorithm>
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

// ---- kiln-run's JSON reader (json.c) ----------------------------------------

// A document parsed from `text`, or the reader's message.
struct Parsed {
  kiln_json_document doc{};
  std::string error;
  bool ok = false;
  explicit Parsed(const std::string &text,
                  const kiln_json_limits *limits = nullptr) {
    char buf[256];
    ok = kiln_json_parse(text.data(), text.size(), limits, &doc, buf,
                         sizeof buf) == 0;
    if (!ok)
      error = buf;
  }
  ~Parsed() { kiln_json_free(&doc); }
  const kiln_json_value *root() const { return doc.root; }
};

std::string jsonError(const std::string &text,
                      const kiln_json_limits *limits = nullptr) {
  Parsed p(text, limits);
  EXPECT_FALSE(p.ok) << text;
  EXPECT_EQ(p.root(), nullptr);
  return p.error;
}

TEST(KilnRunJson, Values) {
  Parsed p(" {\"a\": [1, -2.5e2, 0, 0.125, true, false, null],\n"
           "  \"b\": {\"c\": \"x\\\"y\\\\z\\/\\b\\f\\n\\r\\t\"},"
           " \"u\": \"\\u00e9\\u20ac\\ud83d\\ude00\xc3\xa9\", \"e\": {},"
           " \"f\": [] } \n");
  ASSERT_TRUE(p.ok) << p.error;
  const kiln_json_value *r = p.root();
  ASSERT_EQ(r->type, KILN_JSON_OBJECT);
  ASSERT_EQ(r->count, 5u);
  EXPECT_STREQ(r->keys[0], "a");
  EXPECT_EQ(r->line, 1u);
  EXPECT_EQ(r->column, 2u);
  const kiln_json_value *a = kiln_json_get(r, "a");
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->type, KILN_JSON_ARRAY);
  ASSERT_EQ(a->count, 7u);
  EXPECT_EQ(a->items[0].number, 1);
  EXPECT_EQ(a->items[1].number, -250);
  EXPECT_EQ(a->items[1].column, 12u);
  EXPECT_EQ(a->items[3].number, 0.125);
  EXPECT_EQ(a->items[4].type, KILN_JSON_TRUE);
  EXPECT_EQ(a->items[5].type, KILN_JSON_FALSE);
  EXPECT_EQ(a->items[6].type, KILN_JSON_NULL);
  const kiln_json_value *c = kiln_json_get(kiln_json_get(r, "b"), "c");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->line, 2u);
  EXPECT_EQ(std::string(c->string, c->length), "x\"y\\z/\b\f\n\r\t");
  const kiln_json_value *u = kiln_json_get(r, "u");
  EXPECT_EQ(std::string(u->string), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
                                    "\xc3\xa9");
  EXPECT_EQ(kiln_json_get(r, "e")->count, 0u);
  EXPECT_EQ(kiln_json_get(r, "f")->type, KILN_JSON_ARRAY);
  EXPECT_EQ(kiln_json_get(r, "missing"), nullptr);
  EXPECT_EQ(kiln_json_get(a, "a"), nullptr); // not an object
  Parsed scalar("\"only\"");
  ASSERT_TRUE(scalar.ok);
  EXPECT_STREQ(scalar.root()->string, "only");
}

TEST(KilnRunJson, MalformedInputs) {
  EXPECT_EQ(jsonError(""), "1:1: expected a value, got the end of the input");
  EXPECT_EQ(jsonError("  \n "), "2:2: expected a value, got the end of the "
                                "input");
  EXPECT_EQ(jsonError("{\"a\": 1,}"), "1:9: trailing comma in an object");
  EXPECT_EQ(jsonError("[1, 2,\n ]"), "2:2: trailing comma in an array");
  EXPECT_EQ(jsonError("{\"a\": 1 \"b\": 2}"),
            "1:9: expected ',' or '}' in an object, got '\"'");
  EXPECT_EQ(jsonError("[1 2]"), "1:4: expected ',' or ']' in an array, got "
                                "'2'");
  EXPECT_EQ(jsonError("{\"a\" 1}"),
            "1:6: expected ':' after the key \"a\", got '1'");
  EXPECT_EQ(jsonError("{a: 1}"),
            "1:2: expected a string key in an object, got 'a'");
  EXPECT_EQ(jsonError("{\"a\": 1, \"a\": 2}"), "1:10: duplicate key \"a\"");
  EXPECT_EQ(jsonError("[1] x"), "1:5: unexpected 'x' after the value");
  EXPECT_EQ(jsonError("[1]\n// c"), "2:1: unexpected '/' after the value");
  EXPECT_EQ(jsonError("tru"), "1:1: expected a value, got 't'");
  EXPECT_EQ(jsonError("[truex]"),
            "1:6: expected ',' or ']' in an array, got 'x'");
  EXPECT_EQ(jsonError("nul"), "1:1: expected a value, got 'n'");
  EXPECT_EQ(jsonError("'a'"), "1:1: expected a value, got '''");
  EXPECT_EQ(jsonError("[NaN]"), "1:2: expected a value, got 'N'");
  // Numbers.
  EXPECT_EQ(jsonError("01"), "1:1: numbers may not start with 0");
  EXPECT_EQ(jsonError("-"), "1:2: expected a digit in a number");
  EXPECT_EQ(jsonError("+1"), "1:1: expected a value, got '+'");
  EXPECT_EQ(jsonError("1."), "1:3: expected a digit after the decimal point");
  EXPECT_EQ(jsonError(".5"), "1:1: expected a value, got '.'");
  EXPECT_EQ(jsonError("1e"), "1:3: expected a digit in the exponent");
  EXPECT_EQ(jsonError("1e+"), "1:4: expected a digit in the exponent");
  EXPECT_EQ(jsonError("1e999"), "1:1: number 1e999 is out of range");
  EXPECT_EQ(jsonError(std::string(200, '1')),
            "1:1: number longer than 127 characters");
  // Strings.
  EXPECT_EQ(jsonError("\"abc"), "1:1: unterminated string");
  EXPECT_EQ(jsonError("\"abc\\"), "1:1: unterminated string");
  EXPECT_EQ(jsonError("\"a\nb\""),
            "1:3: control character 0x0a in a string (escape it)");
  EXPECT_EQ(jsonError("\"\\x\""), "1:3: invalid escape: backslash then 'x'");
  EXPECT_EQ(jsonError("\"\\u12\""), "1:6: \\u needs four hex digits");
  EXPECT_EQ(jsonError("\"\\u12"), "1:6: unterminated \\u escape");
  EXPECT_EQ(jsonError("\"\\u0000\""),
            "1:2: \\u0000 is not allowed (strings are C strings)");
  EXPECT_EQ(jsonError("\"\\udc00\""), "1:2: \\udc00 is a lone low surrogate");
  EXPECT_EQ(jsonError("\"\\ud800x\""),
            "1:2: \\ud800 is a high surrogate without a low one");
  EXPECT_EQ(jsonError("\"\\ud800\\u0041\""),
            "1:2: \\ud800 is a high surrogate without a low one");
  EXPECT_EQ(jsonError("\"\xff\""), "1:2: invalid UTF-8 in a string");
  EXPECT_EQ(jsonError("\"\xc3\""), "1:2: invalid UTF-8 in a string");
  EXPECT_EQ(jsonError("\"\xc0\xaf\""), "1:2: invalid UTF-8 in a string");
  EXPECT_EQ(jsonError("\"\xed\xa0\x80\""), "1:2: invalid UTF-8 in a string");
  EXPECT_EQ(jsonError("\"\xf4\x90\x80\x80\""),
            "1:2: invalid UTF-8 in a string");
  EXPECT_EQ(jsonError("\xef\xbb\xbf{}"),
            "1:1: a byte order mark is not allowed");
  EXPECT_EQ(jsonError(std::string("[1,\0]", 5)),
            "1:4: expected a value, got byte 0x00");
}

TEST(KilnRunJson, Limits) {
  kiln_json_limits limits = KILN_JSON_DEFAULT_LIMITS;
  limits.max_depth = 3;
  EXPECT_TRUE(Parsed("[[[1]]]", &limits).ok);
  EXPECT_EQ(jsonError("[[[[1]]]]", &limits),
            "1:4: nested deeper than 3 arrays and objects");
  // The default depth stops a deep document without recursing into it.
  EXPECT_EQ(jsonError(std::string(100000, '[')),
            "1:33: nested deeper than 32 arrays and objects");
  limits = KILN_JSON_DEFAULT_LIMITS;
  limits.max_string = 4;
  EXPECT_TRUE(Parsed("\"abcd\"", &limits).ok);
  EXPECT_EQ(jsonError("\"abcde\"", &limits), "1:1: string longer than 4 "
                                             "bytes");
  EXPECT_EQ(jsonError("{\"abcde\": 1}", &limits),
            "1:2: string longer than 4 bytes");
  limits = KILN_JSON_DEFAULT_LIMITS;
  limits.max_values = 3;
  EXPECT_TRUE(Parsed("[1, 2]", &limits).ok);
  EXPECT_EQ(jsonError("[1, 2, 3]", &limits), "1:8: more than 3 values");
  limits = KILN_JSON_DEFAULT_LIMITS;
  limits.max_size = 4;
  EXPECT_EQ(jsonError("[1, 2]", &limits),
            "1:1: the text is 6 bytes, more than the 4 allowed");
  // A buffer that is not NUL terminated is read up to its size only.
  std::vector<char> exact = {'[', '1', ']'};
  kiln_json_document doc;
  char error[96];
  ASSERT_EQ(kiln_json_parse(exact.data(), exact.size(), nullptr, &doc, error,
                            sizeof error),
            0);
  kiln_json_free(&doc);
  std::vector<char> cut = {'[', '1', '2'};
  EXPECT_EQ(kiln_json_parse(cut.data(), cut.size(), nullptr, &doc, error,
                            sizeof error),
            -1);
  EXPECT_STREQ(error, "1:4: expected ',' or ']' in an array, got the end of "
                      "the input");
  // A short error buffer truncates.
  char tiny[8];
  EXPECT_EQ(kiln_json_parse("[", 1, nullptr, &doc, tiny, sizeof tiny), -1);
  EXPECT_STREQ(tiny, "1:2: ex");
}

// Every prefix of a valid document fails cleanly (and under ASan, within
// bounds: each prefix is copied to a buffer of exactly its size).
TEST(KilnRunJson, EveryPrefixFailsCleanly) {
  std::string text = "{\"steps\": [{\"name\": \"a\\u00e9\\ud83d\\ude00\", "
                     "\"n\": -1.5e-3, \"t\": [true, false, null]}]}";
  ASSERT_TRUE(Parsed(text).ok);
  for (size_t n = 0; n < text.size(); ++n) {
    std::vector<char> prefix(text.begin(), text.begin() + n);
    kiln_json_document doc;
    char error[128];
    EXPECT_EQ(kiln_json_parse(prefix.data(), n, nullptr, &doc, error,
                              sizeof error),
              -1)
        << n;
    EXPECT_EQ(doc.root, nullptr);
  }
}

// ---- Scenario traces (trace.c) ------------------------------------------------

struct Trace {
  kiln_trace trace{};
  std::string error;
  bool ok = false;
  explicit Trace(const std::string &text) {
    char buf[512];
    ok = kiln_trace_parse(text.data(), text.size(), "t.json", &trace, buf,
                          sizeof buf) == 0;
    if (!ok)
      error = buf;
  }
  ~Trace() { kiln_trace_free(&trace); }
};

std::string traceError(const std::string &text) {
  Trace t(text);
  EXPECT_FALSE(t.ok) << text;
  EXPECT_EQ(t.trace.num_steps, 0u);
  return t.error;
}

TEST(KilnRunTrace, Reads) {
  Trace t(R"({"description": "a day", "model_runs_per_step": 3, "steps": [
    {"name": "start", "description": "unconstrained"},
    {"name": "tight", "constraints": {"memory_budget": "8M",
      "latency_target_ms": 5, "allowed_devices": ["cpu", "nna"],
      "accuracy_floor": 0.99, "objective": "memory"},
     "events": ["gpu_busy", "nna_unavailable", "nna_available", "gpu_free",
                "memory_pressure:512k", "battery_saver", "device_fault:nna",
                "reset_devices"]},
    {"name": "bytes", "constraints": {"memory_budget": 1000}}
  ]})");
  ASSERT_TRUE(t.ok) << t.error;
  const kiln_trace &tr = t.trace;
  EXPECT_EQ(tr.runs_per_step, 3u);
  ASSERT_EQ(tr.num_steps, 3u);
  EXPECT_STREQ(tr.steps[0].name, "start");
  EXPECT_FALSE(tr.steps[0].has_constraints);
  EXPECT_EQ(tr.steps[0].num_events, 0u);
  const kiln_trace_step &s = tr.steps[1];
  ASSERT_TRUE(s.has_constraints);
  EXPECT_EQ(s.constraints.struct_size, sizeof(kiln_constraints));
  EXPECT_EQ(s.constraints.memory_budget, 8u << 20);
  EXPECT_EQ(s.constraints.latency_target_ms, 5);
  EXPECT_EQ(s.constraints.allowed_devices,
            KILN_DEVICE_BIT(KILN_DEVICE_CPU) | KILN_DEVICE_BIT(KILN_DEVICE_NNA));
  EXPECT_EQ(s.constraints.accuracy_floor, 0.99);
  EXPECT_EQ(s.constraints.objective, (uint32_t)KILN_OBJECTIVE_MEMORY);
  ASSERT_EQ(s.num_events, 8u);
  EXPECT_EQ(s.events[4].kind, KILN_TRACE_MEMORY_PRESSURE);
  EXPECT_EQ(s.events[4].bytes, 512u << 10);
  EXPECT_STREQ(s.events[4].text, "memory_pressure:512k");
  EXPECT_EQ(s.events[6].kind, KILN_TRACE_DEVICE_FAULT);
  EXPECT_EQ(s.events[6].device, (uint32_t)KILN_DEVICE_NNA);
  EXPECT_EQ(tr.fault_devices, KILN_DEVICE_BIT(KILN_DEVICE_NNA));
  EXPECT_EQ(tr.steps[2].constraints.memory_budget, 1000u);
  // Defaults.
  Trace d(R"({"steps": [{"name": "x"}]})");
  ASSERT_TRUE(d.ok) << d.error;
  EXPECT_EQ(d.trace.runs_per_step, 1u);
  EXPECT_EQ(d.trace.fault_devices, 0u);
}

// The events that change constraints, from several starting points.
TEST(KilnRunTrace, EventsChangeConstraints) {
  auto apply = [](const char *event, kiln_constraints c) {
    Trace t(std::string(R"({"steps": [{"name": "x", "events": [")") + event +
            "\"]}]}");
    EXPECT_TRUE(t.ok) << t.error;
    if (t.ok)
      kiln_trace_apply(&t.trace.steps[0].events[0], &c);
    return c;
  };
  const uint32_t cpu = KILN_DEVICE_BIT(KILN_DEVICE_CPU),
                 gpu = KILN_DEVICE_BIT(KILN_DEVICE_GPU),
                 nna = KILN_DEVICE_BIT(KILN_DEVICE_NNA);
  kiln_constraints none{};
  none.struct_size = sizeof none;
  EXPECT_EQ(apply("gpu_busy", none).allowed_devices, cpu | nna);
  EXPECT_EQ(apply("nna_unavailable", none).allowed_devices, cpu | gpu);
  kiln_constraints cpu_only = none;
  cpu_only.allowed_devices = cpu;
  EXPECT_EQ(apply("gpu_free", cpu_only).allowed_devices, cpu | gpu);
  EXPECT_EQ(apply("nna_available", cpu_only).allowed_devices, cpu | nna);
  EXPECT_EQ(apply("gpu_busy", cpu_only).allowed_devices, cpu);
  EXPECT_EQ(apply("memory_pressure:4M", none).memory_budget, 4u << 20);
  EXPECT_EQ(apply("memory_pressure:1G", none).memory_budget, 1u << 30);
  EXPECT_EQ(apply("battery_saver", none).objective,
            (uint32_t)KILN_OBJECTIVE_ENERGY);
  // Session events leave the constraints alone.
  EXPECT_EQ(apply("reset_devices", cpu_only).allowed_devices, cpu);
  EXPECT_EQ(apply("device_fault:gpu", cpu_only).allowed_devices, cpu);
}

TEST(KilnRunTrace, ValidationErrors) {
  // JSON errors keep the reader's position.
  EXPECT_EQ(traceError("{\"steps\": [}"),
            "t.json:1:12: expected a value, got '}'");
  EXPECT_EQ(traceError("[]"),
            "t.json:1:1: trace: expected an object, got array");
  EXPECT_EQ(traceError("{}"), "t.json:1:1: trace: no \"steps\" array");
  EXPECT_EQ(traceError("{\"steps\": []}"),
            "t.json:1:11: steps: a trace has 1 to 10000 steps");
  EXPECT_EQ(traceError("{\"steps\": {}}"),
            "t.json:1:11: steps: expected an array, got object");
  EXPECT_EQ(traceError("{\"step\": []}"),
            "t.json:1:10: trace: unknown field \"step\" (known: description, "
            "model_runs_per_step, steps)");
  EXPECT_EQ(traceError("{\"model_runs_per_step\": 0, \"steps\": []}"),
            "t.json:1:25: model_runs_per_step: expected a whole number from 1 "
            "to 100000");
  EXPECT_EQ(traceError("{\"model_runs_per_step\": 1.5, \"steps\": []}"),
            "t.json:1:25: model_runs_per_step: expected a whole number from 1 "
            "to 100000");
  EXPECT_EQ(traceError("{\"steps\": [3]}"),
            "t.json:1:12: steps[0]: expected an object, got number");
  EXPECT_EQ(traceError("{\"steps\": [{}]}"),
            "t.json:1:12: steps[0]: a step needs a \"name\"");
  EXPECT_EQ(traceError("{\"steps\": [{\"name\": \"\"}]}"),
            "t.json:1:21: steps[0].name: a name has 1 to 64 bytes");
  EXPECT_EQ(traceError("{\"steps\": [{\"name\": \"a\\tb\"}]}"),
            "t.json:1:21: steps[0].name: a name may not hold control "
            "characters");
  EXPECT_EQ(traceError("{\"steps\": [{\"name\": 1}]}"),
            "t.json:1:21: steps[0].name: expected a string, got number");
  EXPECT_EQ(
      traceError("{\"steps\": [{\"name\": \"a\"},\n {\"name\": \"b\", "
                 "\"constraint\": {}}]}"),
      "t.json:2:30: steps[1]: unknown field \"constraint\" (known: name, "
      "description, constraints, events)");
  std::string step = "{\"steps\": [{\"name\": \"s\", ";
  EXPECT_EQ(traceError(step + "\"constraints\": {\"memory\": 1}}]}"),
            "t.json:1:52: steps[0].constraints: unknown field \"memory\" "
            "(known: memory_budget, latency_target_ms, allowed_devices, "
            "accuracy_floor, objective)");
  EXPECT_EQ(traceError(step + "\"constraints\": {\"memory_budget\": \"8Q\"}}]}"),
            "t.json:1:59: steps[0].constraints.memory_budget: expected a size "
            "> 0 such as \"512K\", \"8M\" or \"1G\", got \"8Q\"");
  EXPECT_EQ(traceError(step + "\"constraints\": {\"memory_budget\": -1}}]}"),
            "t.json:1:59: steps[0].constraints.memory_budget: expected a size "
            "> 0: a whole number of bytes, or a string such as \"8M\"");
  EXPECT_EQ(traceError(step + "\"constraints\": {\"memory_budget\": \"0\"}}]}"),
            "t.json:1:59: steps[0].constraints.memory_budget: expected a size "
            "> 0 such as \"512K\", \"8M\" or \"1G\", got \"0\"");
  EXPECT_EQ(
      traceError(step + "\"constraints\": {\"latency_target_ms\": \"5\"}}]}"),
      "t.json:1:63: steps[0].constraints.latency_target_ms: expected a number "
      "of milliseconds > 0");
  EXPECT_EQ(
      traceError(step + "\"constraints\": {\"accuracy_floor\": 1.5}}]}"),
      "t.json:1:60: steps[0].constraints.accuracy_floor: expected a number in "
      "(0, 1]");
  EXPECT_EQ(traceError(step + "\"constraints\": {\"objective\": \"speed\"}}]}"),
            "t.json:1:55: steps[0].constraints.objective: expected "
            "\"latency\", \"memory\" or \"energy\"");
  EXPECT_EQ(
      traceError(step + "\"constraints\": {\"allowed_devices\": []}}]}"),
      "t.json:1:61: steps[0].constraints.allowed_devices: no device listed "
      "(leave the field out to allow every device)");
  EXPECT_EQ(traceError(step + "\"constraints\": {\"allowed_devices\": "
                              "[\"cpu\", \"dsp\"]}}]}"),
            "t.json:1:69: steps[0].constraints.allowed_devices[1]: expected "
            "\"cpu\", \"gpu\" or \"nna\"");
  EXPECT_EQ(traceError(step + "\"constraints\": {\"allowed_devices\": "
                              "[\"cpu\", \"cpu\"]}}]}"),
            "t.json:1:69: steps[0].constraints.allowed_devices[1]: \"cpu\" is "
            "listed twice");
  EXPECT_EQ(traceError(step + "\"events\": \"gpu_busy\"}]}"),
            "t.json:1:36: steps[0].events: expected an array, got string");
  EXPECT_EQ(traceError(step + "\"events\": [\"gpu_busy\", \"gpu_sleepy\"]}]}"),
            "t.json:1:49: steps[0].events[1]: unknown event \"gpu_sleepy\" "
            "(known: gpu_busy, gpu_free, nna_unavailable, nna_available, "
            "memory_pressure:SIZE, battery_saver, device_fault:DEVICE, "
            "reset_devices)");
  EXPECT_EQ(traceError(step + "\"events\": [\"memory_pressure:\"]}]}"),
            "t.json:1:37: steps[0].events[0]: \"memory_pressure:\": "
            "memory_pressure needs a size > 0 such as memory_pressure:4M");
  EXPECT_EQ(traceError(step + "\"events\": [\"device_fault:tpu\"]}]}"),
            "t.json:1:37: steps[0].events[0]: \"device_fault:tpu\": "
            "device_fault needs a device: device_fault:cpu, device_fault:gpu "
            "or device_fault:nna");
  EXPECT_EQ(traceError(step + "\"events\": [1]}]}"),
            "t.json:1:37: steps[0].events[0]: expected an event name (a "
            "string), got number");
  std::string many = step + "\"events\": [";
  for (int i = 0; i < 65; ++i)
    many += std::string(i ? ", " : "") + "\"gpu_busy\"";
  EXPECT_EQ(traceError(many + "]}]}"),
            "t.json:1:36: steps[0].events: more than 64 events");
}

TEST(KilnRunTrace, Sizes) {
  uint64_t v = 0;
  EXPECT_TRUE(kiln_parse_size("1", &v));
  EXPECT_EQ(v, 1u);
  EXPECT_TRUE(kiln_parse_size("3k", &v));
  EXPECT_EQ(v, 3072u);
  EXPECT_TRUE(kiln_parse_size("8M", &v));
  EXPECT_EQ(v, 8u << 20);
  EXPECT_TRUE(kiln_parse_size("2G", &v));
  EXPECT_EQ(v, 2ull << 30);
  for (const char *bad : {"", "0", "0K", "K", "1KB", "1.5M", "-1", " 1",
                          "99999999999999999999", "9999999999G"})
    EXPECT_FALSE(kiln_parse_size(bad, &v)) << bad;
  uint32_t mask = 0;
  char why[96];
  EXPECT_TRUE(kiln_parse_device_list("cpu,nna-sim", &mask, why, sizeof why));
  EXPECT_EQ(mask, 5u);
  EXPECT_FALSE(kiln_parse_device_list("cpu,,gpu", &mask, why, sizeof why));
  EXPECT_STREQ(why, "'' is not a device (cpu, gpu, nna)");
  EXPECT_FALSE(kiln_parse_device_list("gpu,gpu", &mask, why, sizeof why));
  EXPECT_STREQ(why, "'gpu' is listed twice");
}

// kiln-run's variant options on a model without variants, and their
// parsing errors.
TEST_F(KilnRun, VariantOptionErrors) {
  std::string m = quote(model);
  expectError(kilnRun(m + " --variants"),
              "--variants needs a model compiled with kilnc --variants=...: "
              "this one has no per-segment variants");
  expectError(kilnRun(m + " --memory-budget 8M"),
              "a constraint option needs a model compiled with kilnc "
              "--variants");
  expectError(kilnRun(m + " --memory-budget 8X"),
              "--memory-budget expects a size > 0 in bytes, with an optional "
              "K, M or G (e.g. 512K, 8M), got '8X'");
  expectError(kilnRun(m + " --latency-target 0"),
              "--latency-target expects milliseconds > 0, got '0'");
  expectError(kilnRun(m + " --latency-target 5ms"),
              "--latency-target expects milliseconds > 0, got '5ms'");
  expectError(kilnRun(m + " --allow-devices cpu,tpu"),
              "--allow-devices expects a list of cpu, gpu, nna such as "
              "cpu,nna: 'tpu' is not a device (cpu, gpu, nna)");
  expectError(kilnRun(m + " --accuracy-floor 1.01"),
              "--accuracy-floor expects a number in (0, 1], got '1.01'");
  expectError(kilnRun(m + " --objective=speed"),
              "--objective expects latency, memory or energy, got 'speed'");
  expectError(kilnRun(m + " --calibrate-variants=0"),
              "--calibrate-variants= expects a number of runs from 1 to "
              "1000000, got '0'");
  expectError(kilnRun(m + " --variant-profile p.txt"),
              "--variant-profile writes a calibration: it needs "
              "--calibrate-variants");
  expectError(kilnRun(m + " --scenario-json out.json"),
              "--scenario-json needs --scenario");
  expectError(kilnRun(m + " --scenario t.json --runs 3"),
              "--runs and --warmup do not apply to --scenario");
  expectError(kilnRun(m + " --scenario " + quote(dir + "none.json")),
              "cannot open trace '" + dir + "none.json': No such file");
  // The trace is checked before the model is loaded.
  std::ofstream(dir + "bad.json") << "{\"steps\": [\n  {\"name\": \"a\", "
                                     "\"events\": [\"gpu_nap\"]}]}";
  expectError(kilnRun(quote(dir + "missing.so") + " --scenario " +
                      quote(dir + "bad.json")),
              dir + "bad.json:2:28: steps[0].events[0]: unknown event "
                    "\"gpu_nap\"");
  std::ofstream(dir + "ok.json") << "{\"steps\": [{\"name\": \"a\"}]}";
  expectError(kilnRun(m + " --scenario " + quote(dir + "ok.json")),
              "--scenario needs a model compiled with kilnc --variants");
}

TEST_F(KilnRun, HelpDocumentsVariantOptions) {
  Result r = kilnRun("--help");
  EXPECT_EQ(r.code, 0);
  for (const char *flag :
       {"--variants ", "--memory-budget BYTES", "--latency-target MS",
        "--allow-devices cpu,gpu,nna", "--accuracy-floor X",
        "--objective latency|memory|energy", "--calibrate-variants[=RUNS]",
        "--variant-profile FILE", "--load-variant-profile FILE",
        "--scenario TRACE", "--scenario-json OUT"})
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag;
}

} // namespace
