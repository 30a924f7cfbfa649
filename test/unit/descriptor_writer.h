// Test helper: builds model descriptors (kiln/model_format.h) from a
// readable spec, and fake kiln_model objects around them.
#ifndef KILN_TEST_DESCRIPTOR_WRITER_H
#define KILN_TEST_DESCRIPTOR_WRITER_H

#include "fake_entries.h"
#include "kiln/model_format.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kiln_test {

struct TensorSpec {
  std::string name;
  uint32_t dtype = KILN_DTYPE_F32;
  std::vector<int64_t> dims;
};

struct ArgSpec {
  uint32_t kind;
  uint32_t index;
};

struct SegmentSpec {
  uint32_t entry;
  std::vector<ArgSpec> args;
  uint32_t device = KILN_DEVICE_CPU;
};

struct DescriptorSpec {
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;
  uint64_t arena_size = 0;
  uint32_t arena_alignment = 64;
  std::vector<SegmentSpec> segments;
  std::vector<std::string> layers; // written from version 3 on
  uint32_t version = KILN_DESCRIPTOR_VERSION;
};

// Little-endian byte sink.
class Bytes {
public:
  Bytes &u8(uint64_t v) { return put(v, 1); }
  Bytes &u16(uint64_t v) { return put(v, 2); }
  Bytes &u32(uint64_t v) { return put(v, 4); }
  Bytes &u64(uint64_t v) { return put(v, 8); }
  Bytes &raw(const std::string &s) {
    data.insert(data.end(), s.begin(), s.end());
    return *this;
  }
  std::vector<uint8_t> data;

private:
  Bytes &put(uint64_t v, int n) {
    for (int i = 0; i < n; ++i)
      data.push_back(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }
};

// `payload` behind the 24-byte header the runtime's plans and variant
// table share (runtime/src/blob_header.h).
inline std::vector<uint8_t> withBlobHeader(uint32_t magic, uint32_t version,
                                           const std::vector<uint8_t> &payload) {
  Bytes b;
  b.u32(magic)
      .u32(version)
      .u64(payload.size())
      .u32(kiln_fnv1a32(payload.data(), payload.size()))
      .u32(0);
  b.data.insert(b.data.end(), payload.begin(), payload.end());
  return b.data;
}

inline void writeTensor(Bytes &b, const TensorSpec &t) {
  b.u16(t.name.size()).raw(t.name).u8(t.dtype).u8(t.dims.size());
  for (int64_t d : t.dims)
    b.u64(static_cast<uint64_t>(d));
}

// The payload: everything after the 16-byte header.
inline std::vector<uint8_t> encodePayload(const DescriptorSpec &spec) {
  Bytes b;
  b.u32(spec.inputs.size()).u32(spec.outputs.size());
  for (const TensorSpec &t : spec.inputs)
    writeTensor(b, t);
  for (const TensorSpec &t : spec.outputs)
    writeTensor(b, t);
  b.u64(spec.arena_size).u32(spec.arena_alignment).u32(spec.segments.size());
  for (const SegmentSpec &s : spec.segments) {
    b.u8(s.device).u32(s.entry).u32(s.args.size());
    for (const ArgSpec &a : s.args)
      b.u8(a.kind).u32(a.index);
  }
  if (spec.version >= 3) {
    b.u32(spec.layers.size());
    for (const std::string &layer : spec.layers)
      b.u16(layer.size()).raw(layer);
  }
  return b.data;
}

// Header (with the right size and checksum) + payload.
inline std::vector<uint8_t>
withHeader(const std::vector<uint8_t> &payload,
           uint32_t version = KILN_DESCRIPTOR_VERSION) {
  Bytes b;
  b.u32(KILN_DESCRIPTOR_MAGIC)
      .u32(version)
      .u32(payload.size())
      .u32(kiln_fnv1a32(payload.data(), payload.size()));
  b.data.insert(b.data.end(), payload.begin(), payload.end());
  return b.data;
}

inline void patchU32(std::vector<uint8_t> &bytes, size_t offset, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    bytes[offset + i] = static_cast<uint8_t>(v >> (8 * i));
}

inline void patchU64(std::vector<uint8_t> &bytes, size_t offset, uint64_t v) {
  patchU32(bytes, offset, static_cast<uint32_t>(v));
  patchU32(bytes, offset + 4, static_cast<uint32_t>(v >> 32));
}

// Entry indexes into FakeModel's table.
enum : uint32_t {
  kAddIntoArena = 0,
  kCopyFromArena = 1,
  kRecordArena = 2,
  kParallelSquare = 3,
  kMarkedSquare = 4
};

// A kiln_model over a descriptor it owns; entries are fake_entries.h.
struct FakeModel {
  explicit FakeModel(std::vector<uint8_t> bytes)
      : descriptor(std::move(bytes)) {
    model.magic = KILN_MODEL_MAGIC;
    model.abi_version = KILN_MODEL_ABI_VERSION;
    model.descriptor = descriptor.data();
    model.descriptor_size = descriptor.size();
    model.entries = kEntries;
    model.num_entries = 5;
  }
  explicit FakeModel(const DescriptorSpec &spec)
      : FakeModel(withHeader(encodePayload(spec), spec.version)) {}
  FakeModel(const FakeModel &) = delete;
  FakeModel &operator=(const FakeModel &) = delete;

  static constexpr kiln_entry_fn kEntries[5] = {
      kiln_test_add_into_arena, kiln_test_copy_from_arena,
      kiln_test_record_arena, kiln_test_parallel_square,
      kiln_test_marked_square};
  std::vector<uint8_t> descriptor;
  kiln_model model{};
};

// a, b (f32 2x3) -> out = a + b, computed into the arena by one segment and
// copied out by a second.
inline DescriptorSpec addSpec() {
  DescriptorSpec spec;
  spec.inputs = {{"a", KILN_DTYPE_F32, {2, 3}}, {"b", KILN_DTYPE_F32, {2, 3}}};
  spec.outputs = {{"out", KILN_DTYPE_F32, {2, 3}}};
  spec.arena_size = KILN_TEST_ELEMENTS * sizeof(float);
  spec.segments = {
      {kAddIntoArena,
       {{KILN_ARG_INPUT, 0}, {KILN_ARG_INPUT, 1}, {KILN_ARG_ARENA, 0}}},
      {kCopyFromArena, {{KILN_ARG_ARENA, 0}, {KILN_ARG_OUTPUT, 0}}}};
  spec.layers = {"/add/Add", "copy"};
  return spec;
}

} // namespace kiln_test

#endif // KILN_TEST_DESCRIPTOR_WRITER_H
