// .npy and ONNX TensorProto reading/writing (runtime/tools/tensor_io).
#include "kiln_tensor_io.h"

#include "fuzz_inputs.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

using kiln_test::fuzzInputs;

namespace {

std::vector<uint8_t> bytesOf(const std::string &s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

std::string tempPath(const std::string &name) {
  return ::testing::TempDir() + "kiln_tensor_io_" + name;
}

std::string readFile(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

void writeFile(const std::string &path, const std::string &bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// A .npy image: preamble (version 1 or 2), header text as given, data.
std::string npy(const std::string &header, const std::string &data,
                int version = 1) {
  std::string out("\x93NUMPY", 6);
  out += static_cast<char>(version);
  out += '\0';
  size_t n = header.size();
  out += static_cast<char>(n & 0xff);
  out += static_cast<char>((n >> 8) & 0xff);
  if (version == 2) {
    out += static_cast<char>((n >> 16) & 0xff);
    out += static_cast<char>((n >> 24) & 0xff);
  }
  return out + header + data;
}

std::string floats(std::initializer_list<float> values) {
  std::string out;
  for (float v : values)
    out.append(reinterpret_cast<const char *>(&v), sizeof v);
  return out;
}

kiln_status parseNpy(const std::string &image, kiln_host_tensor *t,
                     std::string *message = nullptr) {
  std::vector<uint8_t> bytes = bytesOf(image);
  kiln_error error{};
  kiln_status st = kiln_npy_parse(bytes.data(), bytes.size(), t, &error);
  if (message)
    *message = error.message;
  return st;
}

TEST(Npy, RoundTripEveryDtype) {
  struct Case {
    kiln_dtype dtype;
    size_t size;
  } cases[] = {{KILN_DTYPE_F32, 4}, {KILN_DTYPE_F64, 8}, {KILN_DTYPE_F16, 2},
               {KILN_DTYPE_I64, 8}, {KILN_DTYPE_I32, 4}, {KILN_DTYPE_I16, 2},
               {KILN_DTYPE_I8, 1},  {KILN_DTYPE_U64, 8}, {KILN_DTYPE_U32, 4},
               {KILN_DTYPE_U16, 2}, {KILN_DTYPE_U8, 1},  {KILN_DTYPE_BOOL, 1}};
  std::vector<std::vector<int64_t>> shapes = {{}, {5}, {2, 3, 4}, {1, 0}};
  for (const Case &c : cases) {
    for (const auto &shape : shapes) {
      size_t count = 1;
      for (int64_t d : shape)
        count *= static_cast<size_t>(d);
      std::vector<uint8_t> data(count * c.size);
      for (size_t i = 0; i < data.size(); ++i)
        data[i] =
            static_cast<uint8_t>(c.dtype == KILN_DTYPE_BOOL ? i % 2 : i * 7);
      std::string path = tempPath("roundtrip.npy");
      kiln_error error{};
      ASSERT_EQ(kiln_npy_write(path.c_str(), c.dtype,
                               static_cast<int32_t>(shape.size()), shape.data(),
                               data.data(), &error),
                KILN_OK)
          << error.message;
      // Data starts at a multiple of 64, as numpy writes it.
      std::string image = readFile(path);
      size_t header_len =
          static_cast<uint8_t>(image[8]) | static_cast<uint8_t>(image[9]) << 8;
      EXPECT_EQ((10 + header_len) % 64, 0u);
      EXPECT_EQ(image[10 + header_len - 1], '\n');
      kiln_host_tensor t;
      ASSERT_EQ(kiln_npy_read(path.c_str(), &t, &error), KILN_OK)
          << error.message;
      EXPECT_EQ(t.dtype, c.dtype);
      ASSERT_EQ(t.rank, static_cast<int32_t>(shape.size()));
      for (size_t i = 0; i < shape.size(); ++i)
        EXPECT_EQ(t.dims[i], shape[i]);
      ASSERT_EQ(t.size_bytes, data.size());
      if (!data.empty()) {
        EXPECT_EQ(std::memcmp(t.data, data.data(), data.size()), 0);
      }
      kiln_host_tensor_free(&t);
    }
  }
}

// NumPy has no bfloat16: its bits are written as '<u2', which reads back
// as u16 (kiln-run takes that for a bf16 input).
TEST(Npy, Bfloat16AsUint16Bits) {
  std::string path = tempPath("bf16.npy");
  int64_t two = 2;
  uint16_t bits[2] = {0x3f80, 0xc0a0}; // 1.0, -5.0
  ASSERT_EQ(
      kiln_npy_write(path.c_str(), KILN_DTYPE_BF16, 1, &two, bits, nullptr),
      KILN_OK);
  std::string expected = "{'descr': '<u2', 'fortran_order': False";
  EXPECT_EQ(readFile(path).substr(10, expected.size()), expected);
  kiln_host_tensor t;
  kiln_error error{};
  ASSERT_EQ(kiln_npy_read(path.c_str(), &t, &error), KILN_OK) << error.message;
  EXPECT_EQ(t.dtype, KILN_DTYPE_U16);
  ASSERT_EQ(t.size_bytes, sizeof bits);
  EXPECT_EQ(std::memcmp(t.data, bits, sizeof bits), 0);
  kiln_host_tensor_free(&t);
}

TEST(Npy, WritesNumpyHeaders) {
  std::string path = tempPath("header.npy");
  int64_t dims[2] = {2, 3};
  float data[6] = {};
  ASSERT_EQ(
      kiln_npy_write(path.c_str(), KILN_DTYPE_F32, 2, dims, data, nullptr),
      KILN_OK);
  std::string expected =
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  EXPECT_EQ(readFile(path).substr(10, expected.size()), expected);
  int64_t five = 5;
  ASSERT_EQ(
      kiln_npy_write(path.c_str(), KILN_DTYPE_BOOL, 1, &five, data, nullptr),
      KILN_OK);
  expected = "{'descr': '|b1', 'fortran_order': False, 'shape': (5,), }";
  EXPECT_EQ(readFile(path).substr(10, expected.size()), expected);
}

// Headers as numpy (and older numpy, and hand-editing) writes them.
TEST(Npy, ParsesHeaderVariants) {
  // Exactly what numpy 1.24 writes for np.arange(6, dtype='<f4').reshape(2,3)
  std::string numpy_header =
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" +
      std::string(57, ' ') + "\n";
  std::string data = floats({0, 1, 2, 3, 4, 5});
  kiln_host_tensor t;
  ASSERT_EQ(parseNpy(npy(numpy_header, data), &t), KILN_OK);
  EXPECT_EQ(t.rank, 2);
  EXPECT_EQ(t.dims[1], 3);
  float five;
  std::memcpy(&five, static_cast<char *>(t.data) + 20, 4);
  EXPECT_EQ(five, 5.0f);
  kiln_host_tensor_free(&t);

  const char *variants[] = {
      "{\"shape\": (2, 3), \"fortran_order\": False, \"descr\": \"<f4\"}",
      "{'descr':'<f4','fortran_order':False,'shape':(2,3)}   \n",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }\n",
  };
  for (const char *header : variants) {
    ASSERT_EQ(parseNpy(npy(header, data), &t), KILN_OK) << header;
    EXPECT_EQ(t.dims[0], 2);
    kiln_host_tensor_free(&t);
  }
  // Version 2 (4-byte header length).
  ASSERT_EQ(parseNpy(npy(numpy_header, data, 2), &t), KILN_OK);
  kiln_host_tensor_free(&t);
  // Scalars.
  ASSERT_EQ(parseNpy(npy("{'descr': '<i8', 'fortran_order': False, "
                         "'shape': (), }\n",
                         std::string(8, '\1')),
                     &t),
            KILN_OK);
  EXPECT_EQ(t.rank, 0);
  EXPECT_EQ(t.size_bytes, 8u);
  kiln_host_tensor_free(&t);
}

TEST(Npy, Rejects) {
  std::string data = floats({0, 1, 2, 3, 4, 5});
  auto header = [](const std::string &descr, const std::string &order,
                   const std::string &shape) {
    return "{'descr': '" + descr + "', 'fortran_order': " + order +
           ", 'shape': " + shape + ", }\n";
  };
  struct Case {
    std::string image;
    kiln_status status;
    const char *fragment;
  } cases[] = {
      {"not an npy file at all", KILN_ERROR_INVALID_ARGUMENT, "bad magic"},
      {npy(header("<f4", "False", "(2, 3)"), data, 3), KILN_ERROR_UNSUPPORTED,
       "version 3"},
      {npy(header("<f4", "True", "(2, 3)"), data), KILN_ERROR_UNSUPPORTED,
       "Fortran"},
      {npy(header(">f4", "False", "(2, 3)"), data), KILN_ERROR_UNSUPPORTED,
       "big-endian"},
      {npy(header("<c8", "False", "(2, 3)"), data), KILN_ERROR_UNSUPPORTED,
       "dtype '<c8' is not supported"},
      {npy(header("<f4", "False", "(2, 3)"), data.substr(4)),
       KILN_ERROR_INVALID_ARGUMENT, "data is 20 bytes, its shape needs 24"},
      {npy(header("<f4", "False", "(2, 3)"), data + "x"),
       KILN_ERROR_INVALID_ARGUMENT, "data is 25 bytes"},
      {npy(header("<f4", "False", "(1, 1, 1, 1, 1, 1, 1, 1, 6)"), data),
       KILN_ERROR_UNSUPPORTED, "rank exceeds 8"},
      {npy(header("<f4", "False", "(-2, 3)"), data),
       KILN_ERROR_INVALID_ARGUMENT, "expected a dimension"},
      {npy(header("<f4", "False", "(99999999999999999999, 3)"), data),
       KILN_ERROR_INVALID_ARGUMENT, "dimension too large"},
      // Overflows size_t: rejected without trying to allocate.
      {npy(header("<f4", "False", "(4611686018427387904, 8)"), data),
       KILN_ERROR_INVALID_ARGUMENT, "overflows"},
      {npy(header("<f4", "False", "(2305843009213693952,)"), data),
       KILN_ERROR_INVALID_ARGUMENT, "its shape needs"},
      {npy("{'descr': '<f4', 'shape': (2, 3)}\n", data),
       KILN_ERROR_INVALID_ARGUMENT, "missing"},
      {npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), "
           "'extra': 1}",
           data),
       KILN_ERROR_INVALID_ARGUMENT, "unknown key"},
      {npy("{'descr': '<f4' 'fortran_order': False, 'shape': (2, 3)}", data),
       KILN_ERROR_INVALID_ARGUMENT, "expected ',' or '}'"},
      {npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2 3)}", data),
       KILN_ERROR_INVALID_ARGUMENT, "expected ',' or ')'"},
      {npy("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2, 3)}", data),
       KILN_ERROR_INVALID_ARGUMENT, "fortran_order"},
      {npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)} x", data),
       KILN_ERROR_INVALID_ARGUMENT, "trailing"},
      {npy("{'descr': '<f4\\'', 'fortran_order': False, 'shape': (2, 3)}",
           data),
       KILN_ERROR_INVALID_ARGUMENT, "unterminated string"},
  };
  for (const Case &c : cases) {
    kiln_host_tensor t;
    std::string message;
    EXPECT_EQ(parseNpy(c.image, &t, &message), c.status) << c.fragment;
    EXPECT_NE(message.find(c.fragment), std::string::npos)
        << c.fragment << " vs " << message;
    EXPECT_EQ(t.data, nullptr);
  }
}

// Every prefix of a valid file, each in an exact-size buffer.
TEST(Npy, TruncatedAtEveryOffset) {
  std::string image =
      npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n",
          floats({0, 1, 2, 3, 4, 5}));
  for (size_t n = 0; n < image.size(); ++n) {
    std::vector<uint8_t> prefix(image.begin(),
                                image.begin() + static_cast<long>(n));
    kiln_host_tensor t;
    kiln_error error{};
    EXPECT_NE(kiln_npy_parse(prefix.data(), prefix.size(), &t, &error), KILN_OK)
        << n;
  }
}

TEST(TensorFiles, ReadErrorsNameThePath) {
  kiln_host_tensor t;
  kiln_error error{};
  EXPECT_EQ(kiln_npy_read("/nonexistent/x.npy", &t, &error),
            KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(error.message, "/nonexistent/x.npy: No such file or directory");
  EXPECT_EQ(kiln_npy_read(::testing::TempDir().c_str(), &t, &error),
            KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(error.message).find("not a regular file"),
            std::string::npos);
  std::string garbage = tempPath("garbage.npy");
  writeFile(garbage, "garbage");
  EXPECT_EQ(kiln_tensor_read(garbage.c_str(), &t, &error),
            KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(std::string(error.message),
            garbage + ": not a .npy file (bad magic)");
  EXPECT_EQ(kiln_tensor_read("input.bin", &t, &error),
            KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(error.message,
               "input.bin: unknown file type (expected .npy or .pb)");
  int64_t dim = 1;
  float v = 0;
  EXPECT_EQ(kiln_npy_write("/nonexistent/dir/x.npy", KILN_DTYPE_F32, 1, &dim,
                           &v, &error),
            KILN_ERROR_INVALID_ARGUMENT);
}

// ---- ONNX TensorProto ---------------------------------------------------

// Protobuf wire-format writer, enough for TensorProto.
class Proto {
public:
  Proto &varint(uint32_t field, uint64_t v) {
    key(field, 0);
    return putVarint(v);
  }
  Proto &fixed32(uint32_t field, uint32_t v) {
    key(field, 5);
    return putFixed(v, 4);
  }
  Proto &fixed64(uint32_t field, uint64_t v) {
    key(field, 1);
    return putFixed(v, 8);
  }
  Proto &bytes(uint32_t field, const std::string &b) {
    key(field, 2);
    putVarint(b.size());
    out += b;
    return *this;
  }
  static std::string packedVarints(std::initializer_list<int64_t> values) {
    Proto p;
    for (int64_t v : values)
      p.putVarint(static_cast<uint64_t>(v));
    return p.out;
  }
  std::string out;

private:
  void key(uint32_t field, uint32_t wire) { putVarint(field << 3 | wire); }
  Proto &putVarint(uint64_t v) {
    do {
      out += static_cast<char>((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
      v >>= 7;
    } while (v);
    return *this;
  }
  Proto &putFixed(uint64_t v, int n) {
    for (int i = 0; i < n; ++i)
      out += static_cast<char>(v >> (8 * i));
    return *this;
  }
};

uint32_t floatBits(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  return bits;
}

kiln_status parsePb(const std::string &image, kiln_host_tensor *t,
                    std::string *message = nullptr) {
  std::vector<uint8_t> bytes = bytesOf(image);
  kiln_error error{};
  kiln_status st = kiln_pb_parse(bytes.data(), bytes.size(), t, &error);
  if (message)
    *message = error.message;
  return st;
}

TEST(OnnxPb, FloatDataPackedAndUnpacked) {
  // dims [2, 2] unpacked, name, an unknown field, float_data packed.
  Proto p;
  p.varint(1, 2).varint(1, 2).varint(2, KILN_DTYPE_F32).bytes(8, "x");
  p.bytes(12, "doc string");
  p.bytes(4, floats({1.5f, -2, 3, 4}));
  kiln_host_tensor t;
  std::string message;
  ASSERT_EQ(parsePb(p.out, &t, &message), KILN_OK) << message;
  EXPECT_EQ(t.dtype, KILN_DTYPE_F32);
  ASSERT_EQ(t.rank, 2);
  EXPECT_EQ(t.dims[0], 2);
  EXPECT_EQ(std::memcmp(t.data, floats({1.5f, -2, 3, 4}).data(), 16), 0);
  kiln_host_tensor_free(&t);

  // dims packed, float_data one fixed32 per value.
  Proto q;
  q.bytes(1, Proto::packedVarints({3})).varint(2, KILN_DTYPE_F32);
  q.fixed32(4, floatBits(1)).fixed32(4, floatBits(2)).fixed32(4, floatBits(3));
  ASSERT_EQ(parsePb(q.out, &t, &message), KILN_OK) << message;
  EXPECT_EQ(t.rank, 1);
  EXPECT_EQ(std::memcmp(t.data, floats({1, 2, 3}).data(), 12), 0);
  kiln_host_tensor_free(&t);
}

TEST(OnnxPb, RawData) {
  Proto p;
  p.bytes(1, Proto::packedVarints({1, 3})).varint(2, KILN_DTYPE_F32);
  p.bytes(9, floats({7, 8, 9}));
  kiln_host_tensor t;
  ASSERT_EQ(parsePb(p.out, &t), KILN_OK);
  EXPECT_EQ(t.size_bytes, 12u);
  EXPECT_EQ(std::memcmp(t.data, floats({7, 8, 9}).data(), 12), 0);
  kiln_host_tensor_free(&t);
}

TEST(OnnxPb, IntegerAndDoubleFields) {
  kiln_host_tensor t;
  std::string message;
  Proto i64;
  i64.varint(1, 3).varint(2, KILN_DTYPE_I64);
  i64.bytes(7, Proto::packedVarints({-1, 0, INT64_MAX}));
  ASSERT_EQ(parsePb(i64.out, &t, &message), KILN_OK) << message;
  int64_t expected[3] = {-1, 0, INT64_MAX};
  EXPECT_EQ(std::memcmp(t.data, expected, sizeof expected), 0);
  kiln_host_tensor_free(&t);

  Proto i32;
  i32.varint(1, 2).varint(2, KILN_DTYPE_I32).varint(5, uint64_t(-7));
  i32.varint(5, 9);
  ASSERT_EQ(parsePb(i32.out, &t, &message), KILN_OK) << message;
  int32_t expected32[2] = {-7, 9};
  EXPECT_EQ(std::memcmp(t.data, expected32, sizeof expected32), 0);
  kiln_host_tensor_free(&t);

  Proto u8;
  u8.varint(1, 3).varint(2, KILN_DTYPE_U8);
  u8.bytes(5, Proto::packedVarints({0, 200, 255}));
  ASSERT_EQ(parsePb(u8.out, &t, &message), KILN_OK) << message;
  EXPECT_EQ(std::memcmp(t.data, "\x00\xc8\xff", 3), 0);
  kiln_host_tensor_free(&t);

  // ONNX keeps 16-bit types (f16 and bf16 as bits) in int32_data and
  // uint32/uint64 in uint64_data (field 11).
  Proto u16;
  u16.varint(1, 2).varint(2, KILN_DTYPE_U16);
  u16.bytes(5, Proto::packedVarints({65535, 7}));
  ASSERT_EQ(parsePb(u16.out, &t, &message), KILN_OK) << message;
  uint16_t expected16[2] = {65535, 7};
  EXPECT_EQ(std::memcmp(t.data, expected16, sizeof expected16), 0);
  kiln_host_tensor_free(&t);

  Proto i16;
  i16.varint(1, 2).varint(2, KILN_DTYPE_I16);
  i16.bytes(5, Proto::packedVarints({-32768, 5}));
  ASSERT_EQ(parsePb(i16.out, &t, &message), KILN_OK) << message;
  int16_t expectedI16[2] = {-32768, 5};
  EXPECT_EQ(std::memcmp(t.data, expectedI16, sizeof expectedI16), 0);
  kiln_host_tensor_free(&t);

  Proto bf16;
  bf16.varint(1, 1).varint(2, KILN_DTYPE_BF16).varint(5, 0xc0a0);
  ASSERT_EQ(parsePb(bf16.out, &t, &message), KILN_OK) << message;
  EXPECT_EQ(*static_cast<uint16_t *>(t.data), 0xc0a0);
  kiln_host_tensor_free(&t);

  Proto u32;
  u32.varint(1, 2).varint(2, KILN_DTYPE_U32);
  u32.bytes(11, Proto::packedVarints({int64_t{4294967295}, 1}));
  ASSERT_EQ(parsePb(u32.out, &t, &message), KILN_OK) << message;
  uint32_t expectedU32[2] = {4294967295u, 1};
  EXPECT_EQ(std::memcmp(t.data, expectedU32, sizeof expectedU32), 0);
  kiln_host_tensor_free(&t);

  Proto u64;
  u64.varint(1, 2).varint(2, KILN_DTYPE_U64).varint(11, UINT64_MAX);
  u64.varint(11, 3);
  ASSERT_EQ(parsePb(u64.out, &t, &message), KILN_OK) << message;
  uint64_t expectedU64[2] = {UINT64_MAX, 3};
  EXPECT_EQ(std::memcmp(t.data, expectedU64, sizeof expectedU64), 0);
  kiln_host_tensor_free(&t);

  Proto u64InInt64; // the wrong field for the data_type
  u64InInt64.varint(1, 1).varint(2, KILN_DTYPE_U64).varint(7, 3);
  EXPECT_EQ(parsePb(u64InInt64.out, &t, &message), KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(message.find("does not match data_type"), std::string::npos)
      << message;

  Proto boolean;
  boolean.varint(1, 2).varint(2, KILN_DTYPE_BOOL);
  boolean.bytes(5, Proto::packedVarints({1, 0}));
  ASSERT_EQ(parsePb(boolean.out, &t, &message), KILN_OK) << message;
  EXPECT_EQ(std::memcmp(t.data, "\x01\x00", 2), 0);
  kiln_host_tensor_free(&t);

  Proto f64;
  double d = -0.25;
  uint64_t bits;
  std::memcpy(&bits, &d, 8);
  f64.varint(2, KILN_DTYPE_F64).fixed64(10, bits); // a scalar
  ASSERT_EQ(parsePb(f64.out, &t, &message), KILN_OK) << message;
  EXPECT_EQ(t.rank, 0);
  EXPECT_EQ(*static_cast<double *>(t.data), -0.25);
  kiln_host_tensor_free(&t);
}

TEST(OnnxPb, Rejects) {
  std::string two_floats = floats({1, 2});
  struct Case {
    std::string image;
    kiln_status status;
    const char *fragment;
  } cases[] = {
      {Proto().varint(1, 3).bytes(4, two_floats).out,
       KILN_ERROR_INVALID_ARGUMENT, "no data_type"},
      {Proto().varint(1, 3).varint(2, 1).bytes(4, two_floats).out,
       KILN_ERROR_INVALID_ARGUMENT, "holds 2 values, its shape needs 3"},
      {Proto().varint(1, 3).varint(2, 1).bytes(9, two_floats).out,
       KILN_ERROR_INVALID_ARGUMENT, "holds 8 bytes, its shape needs 12"},
      {Proto().varint(1, 2).varint(2, 8).bytes(6, "a").bytes(6, "b").out,
       KILN_ERROR_UNSUPPORTED, "data_type 8 is not supported"},
      {Proto().varint(1, 2).varint(2, 7).bytes(4, two_floats).out,
       KILN_ERROR_INVALID_ARGUMENT, "does not match data_type"},
      {Proto().varint(1, 2).varint(2, 1).bytes(4, two_floats).bytes(9, "x").out,
       KILN_ERROR_INVALID_ARGUMENT, "does not match data_type"},
      {Proto().varint(1, 2).varint(2, 1).varint(14, 1).out,
       KILN_ERROR_UNSUPPORTED, "external data"},
      {Proto().varint(1, 2).varint(2, 1).bytes(13, "k").out,
       KILN_ERROR_UNSUPPORTED, "external data"},
      {Proto().varint(1, uint64_t(-1)).varint(2, 1).out,
       KILN_ERROR_INVALID_ARGUMENT, "negative dimension"},
      {Proto().bytes(1, Proto::packedVarints({1, 1, 1, 1, 1, 1, 1, 1, 1})).out,
       KILN_ERROR_UNSUPPORTED, "rank exceeds 8"},
      {Proto().varint(2, 1).bytes(4, "abc").out, KILN_ERROR_INVALID_ARGUMENT,
       "not a multiple"},
      {Proto().fixed32(2, 1).out, KILN_ERROR_INVALID_ARGUMENT,
       "data_type has the wrong wire type"},
      {std::string("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f"),
       KILN_ERROR_INVALID_ARGUMENT, "truncated field"},
      {std::string("\x0b"), KILN_ERROR_INVALID_ARGUMENT, "wire type"},
      {std::string("\x00", 1), KILN_ERROR_INVALID_ARGUMENT, "field number"},
      {std::string("\x4a\x05\x01"), KILN_ERROR_INVALID_ARGUMENT,
       "truncated field"},
      {Proto().bytes(1, "\x80").out, KILN_ERROR_INVALID_ARGUMENT,
       "truncated packed dims"},
  };
  for (const Case &c : cases) {
    kiln_host_tensor t;
    std::string message;
    EXPECT_EQ(parsePb(c.image, &t, &message), c.status) << c.fragment;
    EXPECT_NE(message.find(c.fragment), std::string::npos)
        << c.fragment << " vs " << message;
    EXPECT_EQ(t.data, nullptr);
  }
}

TEST(OnnxPb, TruncatedAtEveryOffset) {
  Proto p;
  p.bytes(1, Proto::packedVarints({2, 3})).varint(2, KILN_DTYPE_F32);
  p.bytes(8, "input_0").bytes(4, floats({1, 2, 3, 4, 5, 6}));
  for (size_t n = 0; n < p.out.size(); ++n) {
    std::vector<uint8_t> prefix(p.out.begin(),
                                p.out.begin() + static_cast<long>(n));
    kiln_host_tensor t;
    kiln_error error{};
    EXPECT_NE(kiln_pb_parse(prefix.data(), prefix.size(), &t, &error), KILN_OK)
        << n;
  }
}

// ONNX's own test data (Debian's libonnx-testdata), when installed:
// test_add's output is the sum of its inputs.
TEST(OnnxPb, OnnxNodeTestData) {
  std::string dir =
      "/usr/share/libonnx-testdata/data/node/test_add/test_data_set_0/";
  if (!std::ifstream(dir + "input_0.pb"))
    GTEST_SKIP() << "libonnx-testdata is not installed";
  kiln_host_tensor x, y, sum;
  kiln_error error{};
  ASSERT_EQ(kiln_tensor_read((dir + "input_0.pb").c_str(), &x, &error), KILN_OK)
      << error.message;
  ASSERT_EQ(kiln_tensor_read((dir + "input_1.pb").c_str(), &y, &error),
            KILN_OK);
  ASSERT_EQ(kiln_tensor_read((dir + "output_0.pb").c_str(), &sum, &error),
            KILN_OK);
  EXPECT_EQ(x.dtype, KILN_DTYPE_F32);
  ASSERT_EQ(x.rank, 3);
  EXPECT_EQ(x.dims[0], 3);
  EXPECT_EQ(x.dims[1], 4);
  EXPECT_EQ(x.dims[2], 5);
  ASSERT_EQ(sum.size_bytes, x.size_bytes);
  const float *a = static_cast<float *>(x.data),
              *b = static_cast<float *>(y.data),
              *s = static_cast<float *>(sum.data);
  for (size_t i = 0; i < 60; ++i)
    EXPECT_NEAR(a[i] + b[i], s[i], 1e-6f) << i;
  kiln_host_tensor_free(&x);
  kiln_host_tensor_free(&y);
  kiln_host_tensor_free(&sum);
}


// What kiln_npy_fuzz and kiln_pb_fuzz check of every input: a parsed tensor
// has size_bytes = dtype x dims and data; a failure leaves no data and a
// message. Returns whether it parsed.
bool checkFuzzInput(const std::string &path,
                    kiln_status (*parse)(const uint8_t *, size_t,
                                         kiln_host_tensor *, kiln_error *)) {
  std::vector<uint8_t> bytes = bytesOf(readFile(path));
  kiln_host_tensor t;
  kiln_error error{};
  kiln_status st = parse(bytes.data(), bytes.size(), &t, &error);
  if (st != KILN_OK) {
    EXPECT_EQ(t.data, nullptr);
    EXPECT_EQ(error.status, st);
    EXPECT_NE(error.message[0], '\0');
    return false;
  }
  EXPECT_NE(t.data, nullptr);
  size_t size = kiln_dtype_size(t.dtype);
  EXPECT_NE(size, 0u);
  EXPECT_TRUE(t.rank >= 0 && t.rank <= KILN_MAX_RANK);
  for (int32_t i = 0; i < t.rank && i < KILN_MAX_RANK; ++i)
    size *= static_cast<size_t>(t.dims[i]);
  EXPECT_EQ(t.size_bytes, size);
  kiln_host_tensor_free(&t);
  return true;
}

// The fuzz targets' corpora and regressions (runtime/fuzz/), replayed in the
// ordinary build: every file parses or fails cleanly.
TEST(Npy, FuzzCorpusReplay) {
  std::vector<std::string> files = fuzzInputs("npy");
  if (files.empty())
    GTEST_SKIP() << "runtime/fuzz/corpus/npy not found";
  int parsed = 0;
  for (const std::string &path : files) {
    SCOPED_TRACE(path);
    parsed += checkFuzzInput(path, kiln_npy_parse);
  }
  EXPECT_GT(parsed, 0);
}

TEST(OnnxPb, FuzzCorpusReplay) {
  std::vector<std::string> files = fuzzInputs("pb");
  if (files.empty())
    GTEST_SKIP() << "runtime/fuzz/corpus/pb not found";
  int parsed = 0;
  for (const std::string &path : files) {
    SCOPED_TRACE(path);
    parsed += checkFuzzInput(path, kiln_pb_parse);
  }
  EXPECT_GT(parsed, 0);
}

} // namespace
