// Test helper: builds Kiln NNA command streams (kiln/nna_stream.h,
// docs/nna.md) field by field, for the simulator's and the NNA device's
// tests.
#ifndef KILN_TEST_NNA_STREAM_BUILDER_H
#define KILN_TEST_NNA_STREAM_BUILDER_H

#include "descriptor_writer.h"
#include "kiln/model_format.h"
#include "kiln/nna_stream.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace kiln_test {

inline constexpr uint8_t kFirst = KILN_NNA_CONV_FIRST;
inline constexpr uint8_t kLast = KILN_NNA_CONV_LAST;
inline constexpr uint8_t kDepthwise = KILN_NNA_CONV_DEPTHWISE;
inline constexpr uint8_t kAdd = KILN_NNA_CONV_ADD;
inline constexpr uint8_t kConst = KILN_NNA_REGION_CONSTANTS;
inline constexpr uint8_t kArena = KILN_NNA_REGION_ARENA;

// ---- Stream builder: the layout of kiln/nna_stream.h ----------------------

struct Cube {
  uint32_t addr = 0, h = 1, w = 1, c = 1, pixel = 1, line = 1;
};

/// A cube at `addr`; pixel 0 means c (dense), line 0 means w * pixel.
inline Cube cube(uint32_t addr, uint32_t h, uint32_t w, uint32_t c,
                 uint32_t pixel = 0, uint32_t line = 0) {
  Cube q;
  q.addr = addr;
  q.h = h;
  q.w = w;
  q.c = c;
  q.pixel = pixel ? pixel : c;
  q.line = line ? line : w * q.pixel;
  return q;
}

struct Window {
  uint8_t kh = 1, kw = 1, sh = 1, sw = 1, pt = 0, pl = 0, pb = 0, pr = 0;
};

inline Window window(uint8_t k, uint8_t s = 1, uint8_t pad = 0) {
  return {k, k, s, s, pad, pad, pad, pad};
}

/// SDP stage 2's fields. A CONV has no aZero (its t_zero is out_zero).
struct Quant {
  int8_t aZero = 0;
  int32_t aMult = 1 << 30;
  int8_t aShift = 0;
  int8_t bZero = 0;
  int32_t bMult = 1 << 30;
  int8_t bShift = 0;
  int32_t oMult = 1 << 30;
  int8_t oShift = 0;
  int8_t oZero = 0;
  int8_t lo = -128, hi = 127;
};

struct ConvCmd {
  Cube in, out;
  uint32_t weights = 0, params = 0;
  Window win;
  uint8_t flags = kFirst | kLast;
  int8_t inZero = 0, outZero = 0, lo1 = -128, hi1 = 127;
  Cube b;
  Quant add;
};

struct AddCmd {
  Cube a, b, out;
  Quant q;
};

struct PoolCmd {
  Cube in, out;
  uint8_t mode = KILN_NNA_POOL_MAX;
  Window win;
  uint8_t countIncludePad = 0;
  int8_t inZero = 0;
};

inline std::vector<uint8_t> withNnaHeader(const std::vector<uint8_t> &payload,
                                          uint32_t config) {
  Bytes b;
  b.u32(KILN_NNA_MAGIC)
      .u32(KILN_NNA_VERSION)
      .u64(payload.size())
      .u32(kiln_fnv1a32(payload.data(), payload.size()))
      .u32(config);
  b.data.insert(b.data.end(), payload.begin(), payload.end());
  return b.data;
}

class Stream {
public:
  uint32_t config = KILN_NNA_CONFIG_SMALL;
  uint64_t arenaSize = 0;
  std::vector<uint8_t> constants;
  uint32_t count = 0;
  Bytes cmds;

  Stream &load(uint8_t region, uint64_t src, uint64_t srcStride, uint32_t dst,
               uint32_t dstStride, uint32_t rows, uint32_t rowBytes) {
    ++count;
    cmds.u8(KILN_NNA_DMA_LOAD).u8(region).u64(src).u64(srcStride);
    cmds.u32(dst).u32(dstStride).u32(rows).u32(rowBytes);
    return *this;
  }
  Stream &store(uint32_t src, uint32_t srcStride, uint64_t dst,
                uint64_t dstStride, uint32_t rows, uint32_t rowBytes) {
    ++count;
    cmds.u8(KILN_NNA_DMA_STORE).u32(src).u32(srcStride).u64(dst);
    cmds.u64(dstStride).u32(rows).u32(rowBytes);
    return *this;
  }
  Stream &conv(const ConvCmd &c) {
    ++count;
    cmds.u8(KILN_NNA_CONV);
    putCube(c.in).putCube(c.out);
    cmds.u32(c.weights).u32(c.params);
    putWindow(c.win);
    cmds.u8(c.flags).u8(c.inZero).u8(c.outZero).u8(c.lo1).u8(c.hi1);
    putCube(c.b);
    const Quant &q = c.add;
    cmds.u8(q.bZero).u32(q.aMult).u8(q.aShift).u32(q.bMult).u8(q.bShift);
    cmds.u32(q.oMult).u8(q.oShift).u8(q.oZero).u8(q.lo).u8(q.hi);
    return *this;
  }
  Stream &add(const AddCmd &a) {
    ++count;
    cmds.u8(KILN_NNA_ADD);
    putCube(a.a).putCube(a.b).putCube(a.out);
    const Quant &q = a.q;
    cmds.u8(q.aZero).u32(q.aMult).u8(q.aShift).u8(q.bZero).u32(q.bMult);
    cmds.u8(q.bShift).u32(q.oMult).u8(q.oShift).u8(q.oZero).u8(q.lo);
    cmds.u8(q.hi);
    return *this;
  }
  Stream &pool(const PoolCmd &p) {
    ++count;
    cmds.u8(KILN_NNA_POOL);
    putCube(p.in).putCube(p.out);
    cmds.u8(p.mode);
    putWindow(p.win);
    cmds.u8(p.countIncludePad).u8(p.inZero);
    return *this;
  }

  std::vector<uint8_t> payload() const {
    Bytes p;
    p.u64(constants.size()).u64(arenaSize).u32(count);
    p.data.insert(p.data.end(), cmds.data.begin(), cmds.data.end());
    p.data.insert(p.data.end(), constants.begin(), constants.end());
    return p.data;
  }
  std::vector<uint8_t> bytes() const {
    return withNnaHeader(payload(), config);
  }

private:
  Stream &putCube(const Cube &q) {
    cmds.u32(q.addr).u16(q.h).u16(q.w).u16(q.c).u32(q.pixel).u32(q.line);
    return *this;
  }
  void putWindow(const Window &w) {
    cmds.u8(w.kh).u8(w.kw).u8(w.sh).u8(w.sw);
    cmds.u8(w.pt).u8(w.pl).u8(w.pb).u8(w.pr);
  }
};

/// A parser's refusal (`message`, empty when it accepted) holds `text`.
inline ::testing::AssertionResult refusalHolds(const std::string &message,
                                               const std::string &text) {
  if (message.empty())
    return ::testing::AssertionFailure()
           << "accepted; expected '" << text << "'";
  if (message.find(text) == std::string::npos)
    return ::testing::AssertionFailure()
           << "message '" << message << "' lacks '" << text << "'";
  return ::testing::AssertionSuccess();
}

} // namespace kiln_test

#endif // KILN_TEST_NNA_STREAM_BUILDER_H
