//===- StreamBuilder.cpp - nna ops to a Kiln NNA command stream -----------===//
//
// Ops are emitted in program order, each as a sequence of steps (loads, one
// compute command, stores). An op's tiling is chosen from NVDLA's order of
// preference (whole op; full input with output-channel groups; output row
// tiles with their input halo; input-channel groups), the first tier with a
// tiling that fits winning, and within it the tiling the cost model
// predicts fastest. Every tiling is tried by generating its steps: the same
// code that emits the stream sizes its buffers and estimates its cycles.
//
// Merge: a value that only nna ops read stays in SRAM, placed from the top
// down, from its producer to its last consumer, when it fits there. When an
// op then finds no tiling, the largest value held in SRAM across it is sent
// to DRAM instead and the whole stream is built again.
//
//===----------------------------------------------------------------------===//
#include "targets/nna/StreamBuilder.h"
#include "targets/ArtifactBytes.h"

#include "dialects/nn/ConstantEvaluation.h"
#include "dialects/nn/NNOps.h"
#include "dialects/nna/NNAOps.h"

#include "kiln/model_format.h"
#include "runtime/src/nna_sim.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <numeric>
#include <optional>
#include <tuple>

using namespace mlir;

namespace kiln::nna {
namespace {

// Buffer alignments: none is required by the format; these keep addresses
// readable in dumps and cost next to nothing.
constexpr uint64_t kSramAlign = 32;
constexpr uint64_t kArenaAlign = 64;
constexpr uint64_t kConstAlign = 16;
// Cube dimensions are u16 in the stream.
constexpr int64_t kMaxDim = 65535;
// Step keys combine a tile index and a channel-group index.
constexpr int64_t kKeyScale = 1 << 17;

uint64_t alignUp(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }
int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

struct Shape {
  int64_t h = 0, w = 0, c = 0;
  uint64_t bytes() const { return uint64_t(h) * w * c; }
};

Shape shapeOf(Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  return {type.getDimSize(0), type.getDimSize(1), type.getDimSize(2)};
}

std::string locationName(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    return llvm::formatv("{0}:{1}", file.getLine(), file.getColumn()).str();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location inner : fused.getLocations())
      if (!isa<UnknownLoc>(inner))
        return locationName(inner);
  return "?";
}

// ---- SRAM placement --------------------------------------------------------

struct Range {
  uint64_t lo, hi; // [lo, hi)
};

/// The free ranges of an SRAM of `size` bytes around `used`.
SmallVector<Range> freeAround(ArrayRef<Range> used, uint64_t size) {
  SmallVector<Range> sorted(used.begin(), used.end());
  llvm::sort(sorted, [](Range a, Range b) { return a.lo < b.lo; });
  SmallVector<Range> gaps;
  uint64_t at = 0;
  for (Range r : sorted) {
    if (r.lo > at)
      gaps.push_back({at, r.lo});
    at = std::max(at, r.hi);
  }
  if (at < size)
    gaps.push_back({at, size});
  return gaps;
}

/// Places buffers of `sizes` bytes (0: none) in `gaps`, the largest first,
/// each at the low end of the smallest gap that holds it.
std::optional<SmallVector<uint64_t>> placeLow(SmallVector<Range> gaps,
                                              ArrayRef<uint64_t> sizes) {
  SmallVector<size_t> order(sizes.size());
  std::iota(order.begin(), order.end(), 0);
  llvm::sort(order, [&](size_t a, size_t b) {
    return sizes[a] != sizes[b] ? sizes[a] > sizes[b] : a < b;
  });
  SmallVector<uint64_t> addrs(sizes.size(), 0);
  for (size_t i : order) {
    if (!sizes[i])
      continue;
    Range *best = nullptr;
    uint64_t bestLo = 0;
    for (Range &g : gaps) {
      uint64_t lo = alignUp(g.lo, kSramAlign);
      if (lo >= g.hi || g.hi - lo < sizes[i])
        continue;
      if (!best || g.hi - lo < best->hi - bestLo) {
        best = &g;
        bestLo = lo;
      }
    }
    if (!best)
      return std::nullopt;
    addrs[i] = bestLo;
    best->lo = bestLo + sizes[i];
  }
  return addrs;
}

/// The highest address in `gaps` where `size` bytes fit: values that stay
/// in SRAM gather at the top, leaving the bottom to the ops' buffers.
std::optional<uint64_t> placeHigh(ArrayRef<Range> gaps, uint64_t size) {
  for (const Range &g : llvm::reverse(gaps)) {
    if (g.hi - g.lo < size)
      continue;
    uint64_t lo = (g.hi - size) / kSramAlign * kSramAlign;
    if (lo >= g.lo)
      return lo;
  }
  return std::nullopt;
}

// ---- Commands --------------------------------------------------------------

kiln_nna_cube makeCube(uint64_t addr, int64_t h, int64_t w, int64_t c,
                       int64_t pixel, int64_t line) {
  kiln_nna_cube q{};
  q.addr = uint32_t(addr);
  q.h = uint32_t(h);
  q.w = uint32_t(w);
  q.c = uint32_t(c);
  q.pixel = uint32_t(pixel);
  q.line = uint32_t(line);
  return q;
}

kiln_nna_cube denseCube(uint64_t addr, int64_t h, int64_t w, int64_t c) {
  return makeCube(addr, h, w, c, c, w * c);
}

/// Where a tensor is: its SRAM copy (kept from producer to last consumer),
/// or its home in DRAM.
struct Place {
  Shape shape;
  bool resident = false;
  uint64_t sram = 0;
  bool hasHome = false;
  uint32_t region = KILN_NNA_REGION_ARENA;
  uint64_t offset = 0;
};

/// Rows [y0, y1) and channels [c0, c0 + cn) of a value held in SRAM: the
/// full width, through the whole tensor's pixel and line strides.
kiln_nna_cube residentBox(const Place &p, int64_t y0, int64_t y1, int64_t c0,
                          int64_t cn) {
  const Shape &s = p.shape;
  return makeCube(p.sram + uint64_t(y0) * s.w * s.c + c0, y1 - y0, s.w, cn, s.c,
                  s.w * s.c);
}

/// A copy of rows [y0, y1), channels [c0, c0 + cn) of `p`'s DRAM home to or
/// from a dense SRAM buffer: one row per tensor row when whole pixels move,
/// else one per pixel.
kiln_nna_dma boxDma(const Place &p, int64_t y0, int64_t y1, int64_t c0,
                    int64_t cn, uint64_t sram) {
  const Shape &s = p.shape;
  kiln_nna_dma d{};
  d.region = p.region;
  d.sram = uint32_t(sram);
  d.dram = p.offset + uint64_t(y0) * s.w * s.c + c0;
  if (cn == s.c) {
    d.rows = uint32_t(y1 - y0);
    d.row_bytes = uint32_t(s.w * s.c);
    d.dram_stride = d.row_bytes;
  } else {
    d.rows = uint32_t((y1 - y0) * s.w);
    d.row_bytes = uint32_t(cn);
    d.dram_stride = uint64_t(s.c);
  }
  d.sram_stride = d.row_bytes;
  return d;
}

kiln_nna_command loadCommand(const kiln_nna_dma &d) {
  kiln_nna_command c;
  std::memset(&c, 0, sizeof c);
  c.opcode = KILN_NNA_DMA_LOAD;
  c.dma = d;
  return c;
}

kiln_nna_command storeCommand(kiln_nna_dma d) {
  d.region = KILN_NNA_REGION_ARENA;
  kiln_nna_command c;
  std::memset(&c, 0, sizeof c);
  c.opcode = KILN_NNA_DMA_STORE;
  c.dma = d;
  return c;
}

/// One past the highest SRAM byte `c` touches.
uint64_t sramEnd(const kiln_nna_command &c) {
  auto cube = [](const kiln_nna_cube &q) {
    return q.addr + kiln_nna_cube_extent(&q);
  };
  switch (c.opcode) {
  case KILN_NNA_DMA_LOAD:
  case KILN_NNA_DMA_STORE:
    return c.dma.sram + uint64_t(c.dma.rows - 1) * c.dma.sram_stride +
           c.dma.row_bytes;
  case KILN_NNA_CONV: {
    const kiln_nna_conv &v = c.conv;
    uint64_t k = v.out.c;
    uint64_t end =
        std::max({cube(v.in), cube(v.out),
                  v.weights + uint64_t(v.win.kh) * v.win.kw * v.cg * k,
                  v.params + KILN_NNA_PARAMS_SIZE * k});
    return v.flags & KILN_NNA_CONV_ADD ? std::max(end, cube(v.b)) : end;
  }
  case KILN_NNA_ADD:
    return std::max({cube(c.add.a), cube(c.add.b), cube(c.add.out)});
  case KILN_NNA_POOL:
    return std::max(cube(c.pool.in), cube(c.pool.out));
  }
  return 0;
}

// ---- Stream bytes ----------------------------------------------------------

struct Writer {
  std::vector<uint8_t> &out;
  void u8(uint32_t v) { out.push_back(uint8_t(v)); }
  void u16(uint32_t v) {
    u8(v);
    u8(v >> 8);
  }
  void u32(uint32_t v) { put32(out, v); }
  void u64(uint64_t v) { put64(out, v); }
  void cube(const kiln_nna_cube &q) {
    u32(q.addr);
    u16(q.h);
    u16(q.w);
    u16(q.c);
    u32(q.pixel);
    u32(q.line);
  }
  void window(const kiln_nna_window &w) {
    for (uint32_t v : {w.kh, w.kw, w.sh, w.sw, w.pad_top, w.pad_left,
                       w.pad_bottom, w.pad_right})
      u8(v);
  }
};

void encode(const kiln_nna_command &c, Writer &w) {
  w.u8(c.opcode);
  switch (c.opcode) {
  case KILN_NNA_DMA_LOAD:
    w.u8(c.dma.region);
    w.u64(c.dma.dram);
    w.u64(c.dma.dram_stride);
    w.u32(c.dma.sram);
    w.u32(c.dma.sram_stride);
    w.u32(c.dma.rows);
    w.u32(c.dma.row_bytes);
    break;
  case KILN_NNA_DMA_STORE:
    w.u32(c.dma.sram);
    w.u32(c.dma.sram_stride);
    w.u64(c.dma.dram);
    w.u64(c.dma.dram_stride);
    w.u32(c.dma.rows);
    w.u32(c.dma.row_bytes);
    break;
  case KILN_NNA_CONV: {
    const kiln_nna_conv &v = c.conv;
    const kiln_nna_add_quant &q = v.add;
    w.cube(v.in);
    w.cube(v.out);
    w.u32(v.weights);
    w.u32(v.params);
    w.window(v.win);
    w.u8(v.flags);
    for (int32_t x : {v.in_zero, v.out_zero, v.lo1, v.hi1})
      w.u8(uint32_t(x));
    w.cube(v.b);
    w.u8(uint32_t(q.b_zero));
    w.u32(uint32_t(q.a_mult));
    w.u8(uint32_t(q.a_shift));
    w.u32(uint32_t(q.b_mult));
    w.u8(uint32_t(q.b_shift));
    w.u32(uint32_t(q.o_mult));
    for (int32_t x : {q.o_shift, q.o_zero, q.lo, q.hi})
      w.u8(uint32_t(x));
    break;
  }
  case KILN_NNA_ADD: {
    const kiln_nna_add_quant &q = c.add.q;
    w.cube(c.add.a);
    w.cube(c.add.b);
    w.cube(c.add.out);
    w.u8(uint32_t(q.a_zero));
    w.u32(uint32_t(q.a_mult));
    w.u8(uint32_t(q.a_shift));
    w.u8(uint32_t(q.b_zero));
    w.u32(uint32_t(q.b_mult));
    w.u8(uint32_t(q.b_shift));
    w.u32(uint32_t(q.o_mult));
    for (int32_t x : {q.o_shift, q.o_zero, q.lo, q.hi})
      w.u8(uint32_t(x));
    break;
  }
  case KILN_NNA_POOL:
    w.cube(c.pool.in);
    w.cube(c.pool.out);
    w.u8(c.pool.mode);
    w.window(c.pool.win);
    w.u8(c.pool.count_include_pad);
    w.u8(uint32_t(c.pool.in_zero));
    break;
  }
}

std::vector<uint8_t> encodeStream(const kiln_nna_config &config,
                                  ArrayRef<kiln_nna_command> commands,
                                  ArrayRef<uint8_t> constants,
                                  uint64_t arenaSize) {
  std::vector<uint8_t> payload;
  Writer p{payload};
  p.u64(constants.size());
  p.u64(arenaSize);
  p.u32(uint32_t(commands.size()));
  for (const kiln_nna_command &c : commands)
    encode(c, p);
  payload.insert(payload.end(), constants.begin(), constants.end());

  std::vector<uint8_t> out;
  Writer h{out};
  h.u32(KILN_NNA_MAGIC);
  h.u32(KILN_NNA_VERSION);
  h.u64(payload.size());
  h.u32(kiln_fnv1a32(payload.data(), payload.size()));
  h.u32(config.id);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

// ---- The segment -----------------------------------------------------------

/// A conv's weights [K][kh][kw][cg] and parameters [K][3] (i32), raw.
struct ConvConstants {
  SmallVector<char> weights, params;
};

/// What building needs to know of the function, found once.
struct Segment {
  SmallVector<Value> arguments;
  SmallVector<Operation *> ops; // the nna ops, in order
  DenseMap<Value, int> lastUse; // the last op reading each cube
  SmallVector<Value> results;
  DenseSet<Value> isResult;
  DenseMap<Operation *, ConvConstants> convConstants;
  // nn.constant values that ops read as cubes, with their bytes.
  SmallVector<std::pair<Value, SmallVector<char>>> cubeConstants;
};

/// The cube operands of an nna op (weights and parameters excluded).
SmallVector<Value, 2> cubeOperands(Operation *op) {
  if (auto conv = dyn_cast<ConvOp>(op)) {
    SmallVector<Value, 2> v{conv.getInput()};
    if (Value b = conv.getAddend())
      v.push_back(b);
    return v;
  }
  if (auto add = dyn_cast<AddOp>(op))
    return {add.getLhs(), add.getRhs()};
  return {cast<PoolOp>(op).getInput()};
}

LogicalResult checkCube(Operation *where, Value v, StringRef what) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!type || type.getRank() != 3 || !type.hasStaticShape() ||
      !type.getElementType().isInteger(8))
    return where->emitError("kiln-nna-stream: ")
           << what << " " << v.getType() << " is not an int8 HxWxC cube";
  for (int64_t d : type.getShape())
    if (d < 1 || d > kMaxDim)
      return where->emitError("kiln-nna-stream: ")
             << what << " " << v.getType()
             << " has a dimension outside 1..65535 (cube fields are u16)";
  return success();
}

std::optional<SmallVector<char>> constantBytes(Value v) {
  auto c = v.getDefiningOp<nn::ConstantOp>();
  if (!c)
    return std::nullopt;
  return nn::rawElements(c.getValue());
}

LogicalResult analyse(func::FuncOp fn, Segment &seg) {
  if (!fn.getBody().hasOneBlock())
    return fn.emitError("kiln-nna-stream: @")
           << fn.getName() << " must have one block";
  for (BlockArgument arg : fn.getArguments()) {
    if (failed(checkCube(
            fn, arg, llvm::formatv("argument {0}", arg.getArgNumber()).str())))
      return failure();
    seg.arguments.push_back(arg);
  }
  DenseSet<Value> seenConstants;
  for (Operation &op : fn.getBody().front()) {
    if (isa<nn::ConstantOp>(op))
      continue;
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      for (Value v : ret.getOperands()) {
        if (v.getDefiningOp<nn::ConstantOp>())
          return ret.emitError("kiln-nna-stream: a result is a constant; "
                               "the segment must compute its results");
        if (failed(checkCube(ret, v, "a result")))
          return failure();
        seg.results.push_back(v);
        seg.isResult.insert(v);
      }
      continue;
    }
    if (!isa<ConvOp, AddOp, PoolOp>(op))
      return op.emitError("kiln-nna-stream: '")
             << op.getName()
             << "' is not an nna op: the segment may hold only nna ops, "
                "nn.constant ops and func.return";
    int index = seg.ops.size();
    seg.ops.push_back(&op);
    if (failed(checkCube(&op, op.getResult(0), "the result")))
      return failure();
    for (Value v : cubeOperands(&op)) {
      if (failed(checkCube(&op, v, "an operand")))
        return failure();
      seg.lastUse[v] = index;
      if (v.getDefiningOp<nn::ConstantOp>() && seenConstants.insert(v).second) {
        std::optional<SmallVector<char>> bytes = constantBytes(v);
        if (!bytes)
          return op.emitError("kiln-nna-stream: an operand's constant data "
                              "is not available");
        seg.cubeConstants.push_back({v, std::move(*bytes)});
      }
    }
    if (auto conv = dyn_cast<ConvOp>(op)) {
      std::optional<SmallVector<char>> w = constantBytes(conv.getWeights()),
                                       p = constantBytes(conv.getParams());
      if (!w || !p)
        return conv.emitError("kiln-nna-stream: the weights and parameters "
                              "must be nn.constant ops with their data");
      if (conv.getAdd() &&
          conv.getAdd()->getAZero() != int64_t(conv.getOutZero()))
        return conv.emitError("kiln-nna-stream: the add's a_zero ")
               << conv.getAdd()->getAZero() << " differs from out_zero "
               << int64_t(conv.getOutZero())
               << " (the fused add reads the requantised result)";
      seg.convConstants[&op] = {std::move(*w), std::move(*p)};
    }
  }
  return success();
}

// ---- Tiles and steps -------------------------------------------------------

enum class Kind { Conv, Add, Pool };

/// An op with its operands' places and the fields of its command.
struct OpView {
  Operation *op = nullptr;
  int index = 0;
  Kind kind = Kind::Conv;
  Place in, in2, out; // in2: a conv's addend, an add's rhs
  bool hasIn2 = false, sameInputs = false;
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, pt = 0, pl = 0, pb = 0, pr = 0;
  bool depthwise = false;
  int32_t inZero = 0, outZero = 0, lo = -128, hi = 127;
  kiln_nna_add_quant q{};
  uint32_t poolMode = KILN_NNA_POOL_MAX;
  bool countIncludePad = false;
};

/// A buffer of an op's working set: one copy, or two (ping-pong) when it is
/// reloaded and the op is double-buffered.
struct Slot {
  uint64_t need = 0; // bytes of the largest tile it holds
  int64_t loads = 0; // how often it is filled
  int copies = 1;
  uint64_t addr[2] = {0, 0};
  int64_t key = -1;
  int cur = -1;

  void restart() {
    need = 0;
    loads = 0;
    key = -1;
    cur = -1;
  }
  /// The address that holds the data `k` names; `load` says whether it
  /// must be filled first (the other copy, when there are two).
  uint64_t use(int64_t k, uint64_t bytes, bool &load) {
    need = std::max(need, bytes);
    load = cur < 0 || k != key;
    if (load) {
      cur = cur < 0 ? 0 : (cur + 1) % copies;
      key = k;
      ++loads;
    }
    return addr[cur];
  }
};

enum { kInSlot, kIn2Slot, kWeightSlot, kOutSlot, kNumSlots };

struct Tiling {
  int64_t rowTiles = 1; // of the output, balanced
  int64_t kt = 1;       // output channels per group (add, pool: channels)
  int64_t ct = 1;       // input channels per group (conv, not depthwise)
  bool kOuter = false;  // output-channel groups outside the row tiles
  bool dbl = false;     // reloaded buffers get two copies
};

struct Step {
  SmallVector<kiln_nna_command, 3> loads, stores;
  kiln_nna_command compute;
  // Zeroed whole: fields a command does not use (a CONV's add fields
  // without ADD) are still written to the stream.
  Step() { std::memset(&compute, 0, sizeof compute); }
};

using WeightsAt = llvm::function_ref<uint64_t(int64_t k0, int64_t kn,
                                              int64_t c0, int64_t cn)>;

/// The steps of `v` split by `t`, its buffers in `slots` (whose `need` and
/// `loads` this fills: a run with any addresses sizes them).
void generate(const OpView &v, const Tiling &t, Slot (&slots)[kNumSlots],
              WeightsAt weightsAt, std::vector<Step> &steps) {
  for (Slot &s : slots)
    s.restart();
  const Shape &is = v.in.shape, &os = v.out.shape;
  bool conv = v.kind == Kind::Conv;
  bool inGroups = conv && !v.depthwise;
  int64_t nR = t.rowTiles, nK = ceilDiv(os.c, t.kt);
  int64_t nC = inGroups ? ceilDiv(is.c, t.ct) : 1;

  SmallVector<std::pair<int64_t, int64_t>> tiles; // (row tile, k group)
  for (int64_t a = 0; a < (t.kOuter ? nK : nR); ++a)
    for (int64_t b = 0; b < (t.kOuter ? nR : nK); ++b)
      tiles.push_back(t.kOuter ? std::make_pair(b, a) : std::make_pair(a, b));

  int64_t outTile = 0;
  for (auto [r, k] : tiles) {
    int64_t oy0 = r * os.h / nR, oy1 = (r + 1) * os.h / nR;
    int64_t k0 = k * t.kt, kn = std::min(t.kt, os.c - k0);
    // The input rows the tile's windows cover; what lies outside the input
    // becomes this tile's pads.
    int64_t inStart = oy0 * v.sh - v.pt, inEnd = (oy1 - 1) * v.sh - v.pt + v.kh;
    int64_t y0 = std::max<int64_t>(0, inStart), y1 = std::min(is.h, inEnd);
    kiln_nna_window win{};
    win.kh = v.kh;
    win.kw = v.kw;
    win.sh = v.sh;
    win.sw = v.sw;
    win.pad_top = y0 - inStart;
    win.pad_left = v.pl;
    win.pad_bottom = inEnd - y1;
    win.pad_right = v.pr;
    uint64_t outAddr = 0;
    for (int64_t c = 0; c < nC; ++c) {
      Step step;
      int64_t c0 = inGroups ? c * t.ct : k0;
      int64_t cn = inGroups ? std::min(t.ct, is.c - c0) : kn;
      int64_t group = inGroups ? c : k;
      bool first = c == 0, last = c == nC - 1;
      auto read = [&](const Place &p, Slot &slot, int64_t key, int64_t ya,
                      int64_t yb, int64_t ca, int64_t cb) {
        if (p.resident)
          return residentBox(p, ya, yb, ca, cb);
        bool load;
        uint64_t addr = slot.use(key, uint64_t(yb - ya) * p.shape.w * cb, load);
        if (load)
          step.loads.push_back(loadCommand(boxDma(p, ya, yb, ca, cb, addr)));
        return denseCube(addr, yb - ya, p.shape.w, cb);
      };
      if (first && !v.out.resident) {
        bool unused;
        outAddr = slots[kOutSlot].use(outTile, uint64_t(oy1 - oy0) * os.w * kn,
                                      unused);
      }
      kiln_nna_cube out = v.out.resident
                              ? residentBox(v.out, oy0, oy1, k0, kn)
                              : denseCube(outAddr, oy1 - oy0, os.w, kn);
      kiln_nna_command &cmd = step.compute;
      switch (v.kind) {
      case Kind::Conv: {
        kiln_nna_conv &cv = cmd.conv;
        cmd.opcode = KILN_NNA_CONV;
        cv.in =
            read(v.in, slots[kInSlot], r * kKeyScale + group, y0, y1, c0, cn);
        cv.out = out;
        int64_t cg = v.depthwise ? 1 : cn;
        uint64_t wBytes = uint64_t(kn) * v.kh * v.kw * cg;
        uint64_t pBytes = KILN_NNA_PARAMS_SIZE * uint64_t(kn);
        bool load;
        uint64_t wAddr =
            slots[kWeightSlot].use(k * kKeyScale + c, wBytes + pBytes, load);
        if (load) {
          kiln_nna_dma d{};
          d.region = KILN_NNA_REGION_CONSTANTS;
          d.dram = weightsAt(k0, kn, v.depthwise ? 0 : c0, cg);
          d.dram_stride = wBytes + pBytes;
          d.sram = uint32_t(wAddr);
          d.sram_stride = uint32_t(wBytes + pBytes);
          d.rows = 1;
          d.row_bytes = uint32_t(wBytes + pBytes);
          step.loads.push_back(loadCommand(d));
        }
        cv.weights = uint32_t(wAddr);
        cv.params = uint32_t(wAddr + wBytes);
        cv.win = win;
        cv.flags = (first ? KILN_NNA_CONV_FIRST : 0) |
                   (last ? KILN_NNA_CONV_LAST : 0) |
                   (v.depthwise ? KILN_NNA_CONV_DEPTHWISE : 0);
        cv.in_zero = v.inZero;
        cv.out_zero = v.outZero;
        cv.lo1 = v.lo;
        cv.hi1 = v.hi;
        cv.cg = uint32_t(cg);
        if (last && v.hasIn2) {
          cv.flags |= KILN_NNA_CONV_ADD;
          cv.b =
              read(v.in2, slots[kIn2Slot], r * kKeyScale + k, oy0, oy1, k0, kn);
          cv.add = v.q;
        }
        break;
      }
      case Kind::Add: {
        cmd.opcode = KILN_NNA_ADD;
        int64_t key = r * kKeyScale + k;
        cmd.add.a = read(v.in, slots[kInSlot], key, oy0, oy1, k0, kn);
        cmd.add.b = v.sameInputs
                        ? cmd.add.a
                        : read(v.in2, slots[kIn2Slot], key, oy0, oy1, k0, kn);
        cmd.add.out = out;
        cmd.add.q = v.q;
        break;
      }
      case Kind::Pool: {
        cmd.opcode = KILN_NNA_POOL;
        kiln_nna_pool &pl = cmd.pool;
        pl.in = read(v.in, slots[kInSlot], r * kKeyScale + k, y0, y1, k0, kn);
        pl.out = out;
        pl.win = win;
        pl.mode = v.poolMode;
        pl.count_include_pad = v.countIncludePad;
        pl.in_zero = v.inZero;
        break;
      }
      }
      if (last && !v.out.resident)
        step.stores.push_back(
            storeCommand(boxDma(v.out, oy0, oy1, k0, kn, outAddr)));
      steps.push_back(std::move(step));
    }
    ++outTile;
  }
}

/// A tiling that fits, with its buffers placed and its cost estimated.
struct Candidate {
  Tiling t;
  int tier = 0;
  Slot slots[kNumSlots];
  uint64_t cycles = 0, traffic = 0, bytes = 0;
  bool pipelined = false;
  SmallVector<Range, 8> buffers;
};

/// Group sizes below `total`, largest first: the multiples of `gran` (what
/// the MAC array processes at once), then, with `finer`, halvings below it.
SmallVector<int64_t> groupSizes(int64_t total, int64_t gran, bool finer) {
  SmallVector<int64_t> sizes;
  for (int64_t g = (total - 1) / gran * gran; g >= gran; g -= gran)
    sizes.push_back(g);
  if (!finer)
    return sizes;
  int64_t p = 1;
  while (p * 2 < std::min(gran, total))
    p *= 2;
  for (; p >= 1 && p < total; p /= 2)
    if (sizes.empty() || p < sizes.back())
      sizes.push_back(p);
  return sizes;
}

class Tiler {
public:
  Tiler(const kiln_nna_config &config) : config(config) {}

  /// Tries `t` in `gaps`: nothing when the tiles overflow the ACC or the
  /// buffers do not fit.
  std::optional<Candidate> evaluate(const OpView &v, const Tiling &t, int tier,
                                    ArrayRef<Range> gaps) const {
    const Shape &os = v.out.shape;
    if (v.kind == Kind::Conv &&
        uint64_t(ceilDiv(os.h, t.rowTiles)) * os.w * t.kt > config.acc_entries)
      return std::nullopt;
    Candidate cand;
    cand.t = t;
    cand.tier = tier;
    std::vector<Step> &steps = scratch;
    steps.clear();
    generate(
        v, t, cand.slots,
        [](int64_t, int64_t, int64_t, int64_t) { return uint64_t(0); }, steps);
    SmallVector<uint64_t, 8> sizes;
    for (Slot &s : cand.slots) {
      s.copies = t.dbl && s.loads > 1 ? 2 : 1;
      cand.pipelined |= s.copies == 2;
      sizes.push_back(s.need);
      sizes.push_back(s.copies == 2 ? s.need : 0);
    }
    std::optional<SmallVector<uint64_t>> addrs =
        placeLow(SmallVector<Range>(gaps.begin(), gaps.end()), sizes);
    if (!addrs)
      return std::nullopt;
    for (int s = 0; s < kNumSlots; ++s)
      for (int i = 0; i < 2; ++i)
        if (uint64_t size = sizes[2 * s + i]) {
          cand.slots[s].addr[i] = (*addrs)[2 * s + i];
          cand.buffers.push_back(
              {(*addrs)[2 * s + i], (*addrs)[2 * s + i] + size});
          cand.bytes += size;
        }
    // Double-buffered, DMA runs ahead of compute and the op costs the
    // larger of the two after its first loads; otherwise their sum.
    uint64_t dma = 0, compute = 0, firstLoads = 0;
    for (auto [i, step] : llvm::enumerate(steps)) {
      for (const auto *list : {&step.loads, &step.stores})
        for (const kiln_nna_command &c : *list) {
          uint64_t cycles = kiln_nna_command_cycles(&config, &c);
          dma += cycles;
          cand.traffic += uint64_t(c.dma.rows) * c.dma.row_bytes;
          if (i == 0 && list == &step.loads)
            firstLoads += cycles;
        }
      compute += kiln_nna_command_cycles(&config, &step.compute);
    }
    cand.cycles = cand.pipelined
                      ? firstLoads + std::max(dma - firstLoads, compute)
                      : dma + compute;
    return cand;
  }

  /// The tiling of `v` in `gaps`, from the first tier (up to `maxTier`)
  /// that has one.
  std::optional<Candidate> choose(const OpView &v, ArrayRef<Range> gaps,
                                  bool allowDouble, int maxTier = 4) const {
    const Shape &is = v.in.shape, &os = v.out.shape;
    int64_t K = os.c, C = is.c, OH = os.h;
    bool conv = v.kind == Kind::Conv, inGroups = conv && !v.depthwise;
    int64_t gran = !conv         ? 16
                   : v.depthwise ? int64_t(config.atomic_c)
                                 : int64_t(config.atomic_k);
    // Groups are whole atoms of the MAC array (tiers 1-3); finer ones only
    // when nothing else fits (tier 4).
    SmallVector<int64_t> kSplit = groupSizes(K, gran, false);
    SmallVector<int64_t> kAll{K}, kFine{K};
    if (conv)
      kAll.append(kSplit);
    kFine.append(groupSizes(K, gran, true));
    SmallVector<int64_t> cSplit, cFine{C};
    if (inGroups) {
      cSplit = groupSizes(C, config.atomic_c, false);
      cFine.append(groupSizes(C, config.atomic_c, true));
    }
    SmallVector<bool, 2> dbls{false};
    if (allowDouble)
      dbls.insert(dbls.begin(), true);

    std::optional<Candidate> best;
    int tier = 0;
    auto consider = [&](Tiling t) {
      std::optional<Candidate> c = evaluate(v, t, tier, gaps);
      if (!c)
        return false;
      if (!best || std::tie(c->cycles, c->traffic) <
                       std::tie(best->cycles, best->traffic))
        best = std::move(*c);
      return true;
    };
    // The fewest row tiles (at least `from`) with which kt, ct fit; both
    // loop orders where they differ.
    auto fewestRows = [&](int64_t kt, int64_t ct, int64_t from) {
      bool fits = false;
      for (bool dbl : dbls)
        for (int64_t nR = from; nR <= OH;) {
          bool fit = consider({nR, kt, ct, false, dbl});
          if (nR > 1 && kt < K && (!inGroups || ct == C))
            fit |= consider({nR, kt, ct, true, dbl});
          if (fit) {
            fits = true;
            break;
          }
          int64_t rt = ceilDiv(OH, nR);
          if (rt == 1)
            break;
          nR = ceilDiv(OH, rt - 1);
        }
      return fits;
    };
    // Tries group sizes in order until a few past the first that fits:
    // smaller groups only add commands.
    auto scan = [&](ArrayRef<int64_t> values, auto tryOne) {
      int sinceFit = -1;
      for (int64_t x : values) {
        bool fits = tryOne(x);
        if (sinceFit >= 0 || fits)
          ++sinceFit;
        if (sinceFit > 4)
          break;
      }
    };

    // 0. The whole op: full input, all weights.
    consider({1, K, C, false, false});
    if (best || tier >= maxTier)
      return best;
    // 1. Full input, weights in output-channel groups (ping-pong).
    tier = 1;
    scan(conv ? ArrayRef<int64_t>(kSplit) : ArrayRef<int64_t>(),
         [&](int64_t kt) {
           bool fits = false;
           for (bool dbl : dbls)
             fits |= consider({1, kt, C, false, dbl});
           return fits;
         });
    if (best || tier >= maxTier)
      return best;
    // 2. Output row tiles with the input rows they need (halo), all input
    // channels; all output channels first, then groups of them.
    tier = 2;
    scan(kAll, [&](int64_t kt) { return fewestRows(kt, C, 2); });
    if (best || tier >= maxTier)
      return best;
    // 3. Input-channel groups accumulated FIRST..LAST: one output-channel
    // group's weights for all input channels, or the input rows, do not fit.
    tier = 3;
    scan(inGroups ? ArrayRef<int64_t>(cSplit) : ArrayRef<int64_t>(),
         [&](int64_t ct) {
           bool fits = false;
           for (int64_t kt : kAll)
             fits |= fewestRows(kt, ct, 1);
           return fits;
         });
    if (best || tier >= maxTier)
      return best;
    // 4. Groups finer than the MAC array's atoms (an add's or a pool's
    // channel groups).
    tier = 4;
    scan(cFine, [&](int64_t ct) {
      bool fits = false;
      scan(kFine, [&](int64_t kt) {
        bool fit = fewestRows(kt, ct, 1);
        fits |= fit;
        return fit;
      });
      return fits;
    });
    return best;
  }

  /// SRAM bytes and accumulators of `v`'s smallest tile: one output row, one
  /// output channel, one input channel.
  std::pair<uint64_t, uint64_t> smallest(const OpView &v) const {
    Slot slots[kNumSlots];
    std::vector<Step> steps;
    Tiling t{v.out.shape.h, 1, 1, false, false};
    generate(
        v, t, slots,
        [](int64_t, int64_t, int64_t, int64_t) { return uint64_t(0); }, steps);
    uint64_t bytes = 0;
    for (const Slot &s : slots)
      bytes += alignUp(s.need, kSramAlign);
    return {bytes, v.kind == Kind::Conv ? uint64_t(v.out.shape.w) : 0};
  }

private:
  const kiln_nna_config &config;
  // Reused across evaluations: thousands of tilings may be tried per op.
  mutable std::vector<Step> scratch;
};

// ---- One attempt at the whole stream ---------------------------------------

class Attempt {
public:
  Attempt(const Segment &seg, const kiln_nna_config &config,
          const StreamOptions &options, const DenseSet<Value> &spilled)
      : seg(seg), config(config), options(options), spilled(spilled),
        tiler(config) {}

  /// Builds the commands. On failure, `failedOp` did not fit; `holding` are
  /// the values kept in SRAM across it (spilling one may help), and when
  /// there are none, `error` says why.
  LogicalResult run();

  int failedOp = -1;
  SmallVector<std::pair<Value, uint64_t>> holding;
  std::string error;

  std::vector<kiln_nna_command> commands;
  std::vector<uint8_t> constants;
  uint64_t arenaSize = 0, sramPeak = 0;
  DenseMap<Value, Place> places;
  std::vector<OpTiles> opTiles;

private:
  OpView view(Operation *op, int index);
  uint64_t weightsAt(int index, int64_t k0, int64_t kn, int64_t c0, int64_t cn);
  uint64_t appendConstant(ArrayRef<char> bytes);
  void emit(const OpView &v, Candidate &cand);

  const Segment &seg;
  const kiln_nna_config &config;
  const StreamOptions &options;
  const DenseSet<Value> &spilled;
  Tiler tiler;
  std::map<std::tuple<int, int64_t, int64_t, int64_t, int64_t>, uint64_t>
      weightBlocks;
};

uint64_t Attempt::appendConstant(ArrayRef<char> bytes) {
  uint64_t at = alignUp(constants.size(), kConstAlign);
  constants.resize(at);
  constants.insert(constants.end(), bytes.begin(), bytes.end());
  return at;
}

/// Region 0 offset of the block of output channels [k0, k0 + kn) and input
/// channels [c0, c0 + cn): its weights [kn][kh][kw][cn], then its
/// parameters, so that one DMA loads both.
uint64_t Attempt::weightsAt(int index, int64_t k0, int64_t kn, int64_t c0,
                            int64_t cn) {
  auto key = std::make_tuple(index, k0, kn, c0, cn);
  auto it = weightBlocks.find(key);
  if (it != weightBlocks.end())
    return it->second;
  auto conv = cast<ConvOp>(seg.ops[index]);
  const ConvConstants &cc = seg.convConstants.find(conv.getOperation())->second;
  ArrayRef<int64_t> w = conv.getWeights().getType().getShape();
  int64_t kh = w[1], kw = w[2], cg = w[3];
  SmallVector<char> block;
  block.reserve(kn * kh * kw * cn + KILN_NNA_PARAMS_SIZE * kn);
  for (int64_t k = k0; k < k0 + kn; ++k)
    for (int64_t t = 0; t < kh * kw; ++t) {
      const char *src = cc.weights.data() + (k * kh * kw + t) * cg + c0;
      block.append(src, src + cn);
    }
  block.append(cc.params.begin() + KILN_NNA_PARAMS_SIZE * k0,
               cc.params.begin() + KILN_NNA_PARAMS_SIZE * (k0 + kn));
  uint64_t at = appendConstant(block);
  weightBlocks[key] = at;
  return at;
}

OpView Attempt::view(Operation *op, int index) {
  OpView v;
  v.op = op;
  v.index = index;
  auto window = [&](ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                    ArrayRef<int64_t> pads) {
    v.kh = kernel[0];
    v.kw = kernel[1];
    v.sh = strides[0];
    v.sw = strides[1];
    v.pt = pads[0];
    v.pl = pads[1];
    v.pb = pads[2];
    v.pr = pads[3];
  };
  auto quant = [&](RequantAttr a) {
    v.q.a_zero = int32_t(a.getAZero());
    v.q.a_mult = int32_t(a.getAMult());
    v.q.a_shift = int32_t(a.getAShift());
    v.q.b_zero = int32_t(a.getBZero());
    v.q.b_mult = int32_t(a.getBMult());
    v.q.b_shift = int32_t(a.getBShift());
    v.q.o_mult = int32_t(a.getOMult());
    v.q.o_shift = int32_t(a.getOShift());
    v.q.o_zero = int32_t(a.getOZero());
    v.q.lo = int32_t(a.getLo());
    v.q.hi = int32_t(a.getHi());
  };
  v.out = places.lookup(op->getResult(0));
  if (auto conv = dyn_cast<ConvOp>(op)) {
    v.kind = Kind::Conv;
    v.in = places.lookup(conv.getInput());
    if (Value b = conv.getAddend()) {
      v.hasIn2 = true;
      v.in2 = places.lookup(b);
      quant(*conv.getAdd());
    }
    window(conv.getKernel(), conv.getStrides(), conv.getPads());
    v.depthwise = conv.getDepthwise();
    v.inZero = int32_t(int64_t(conv.getInZero()));
    v.outZero = int32_t(int64_t(conv.getOutZero()));
    v.lo = int32_t(conv.getClamp()[0]);
    v.hi = int32_t(conv.getClamp()[1]);
  } else if (auto add = dyn_cast<AddOp>(op)) {
    v.kind = Kind::Add;
    v.in = places.lookup(add.getLhs());
    v.in2 = places.lookup(add.getRhs());
    v.hasIn2 = true;
    v.sameInputs = add.getLhs() == add.getRhs();
    quant(add.getAdd());
  } else {
    auto pool = cast<PoolOp>(op);
    v.kind = Kind::Pool;
    v.in = places.lookup(pool.getInput());
    window(pool.getKernel(), pool.getStrides(), pool.getPads());
    v.poolMode =
        pool.getMode() == "max" ? KILN_NNA_POOL_MAX : KILN_NNA_POOL_AVERAGE;
    v.countIncludePad = pool.getCountIncludePad();
    v.inZero = int32_t(int64_t(pool.getInZero()));
  }
  return v;
}

void Attempt::emit(const OpView &v, Candidate &cand) {
  std::vector<Step> steps;
  generate(
      v, cand.t, cand.slots,
      [&](int64_t k0, int64_t kn, int64_t c0, int64_t cn) {
        return weightsAt(v.index, k0, kn, c0, cn);
      },
      steps);
  OpTiles tiles;
  tiles.name =
      (v.op->getName().getStringRef() + " " + locationName(v.op->getLoc()))
          .str();
  tiles.rowTiles = cand.t.rowTiles;
  tiles.outChannelGroups = ceilDiv(v.out.shape.c, cand.t.kt);
  tiles.inChannelGroups = v.kind == Kind::Conv && !v.depthwise
                              ? ceilDiv(v.in.shape.c, cand.t.ct)
                              : 1;
  tiles.outputInSram = v.out.resident;
  tiles.doubleBuffered = cand.pipelined;
  tiles.channelGroupsOuter =
      cand.t.kOuter && tiles.rowTiles > 1 && tiles.outChannelGroups > 1;
  auto append = [&](const kiln_nna_command &c) {
    if (c.opcode == KILN_NNA_DMA_LOAD || c.opcode == KILN_NNA_DMA_STORE)
      tiles.dramBytes += uint64_t(c.dma.rows) * c.dma.row_bytes;
    commands.push_back(c);
  };
  // Double-buffered, the next step's loads go out before this step's
  // compute, into the copies the current step does not read.
  if (cand.pipelined && !steps.empty())
    llvm::for_each(steps[0].loads, append);
  for (size_t i = 0; i < steps.size(); ++i) {
    if (!cand.pipelined)
      llvm::for_each(steps[i].loads, append);
    else if (i + 1 < steps.size())
      llvm::for_each(steps[i + 1].loads, append);
    append(steps[i].compute);
    llvm::for_each(steps[i].stores, append);
  }
  opTiles.push_back(std::move(tiles));
}

LogicalResult Attempt::run() {
  for (auto &[v, bytes] : seg.cubeConstants) {
    Place &p = places[v];
    p.shape = shapeOf(v);
    p.hasHome = true;
    p.region = KILN_NNA_REGION_CONSTANTS;
    p.offset = appendConstant(bytes);
  }
  auto home = [&](Value v) {
    Place &p = places[v];
    if (p.hasHome)
      return;
    p.shape = shapeOf(v);
    p.hasHome = true;
    p.region = KILN_NNA_REGION_ARENA;
    p.offset = alignUp(arenaSize, kArenaAlign);
    arenaSize = p.offset + p.shape.bytes();
  };
  // The arguments, then the results, at the start of the stream's part of
  // the arena; arguments placed by others keep their places.
  arenaSize = options.arenaBase;
  for (auto [i, arg] : llvm::enumerate(seg.arguments)) {
    if (i >= options.argumentOffsets.size()) {
      home(arg);
      continue;
    }
    Place &p = places[arg];
    p.shape = shapeOf(arg);
    p.hasHome = true;
    p.region = KILN_NNA_REGION_ARENA;
    p.offset = options.argumentOffsets[i];
    arenaSize = std::max(arenaSize, p.offset + p.shape.bytes());
  }
  for (Value v : seg.results)
    home(v);

  struct Held {
    Value value;
    Range range;
  };
  SmallVector<Held> held;      // values kept in SRAM
  SmallVector<Range> previous; // the previous op's buffers
  for (auto [i, op] : llvm::enumerate(seg.ops)) {
    int index = int(i);
    llvm::erase_if(held, [&](const Held &h) {
      return seg.lastUse.lookup(h.value) < index;
    });
    Value out = op->getResult(0);
    Place &po = places[out];
    if (!po.hasHome) {
      po.shape = shapeOf(out);
      bool keep = !options.layerByLayer && seg.lastUse.count(out) &&
                  !spilled.count(out) && po.shape.bytes() <= config.sram_bytes;
      SmallVector<Range> used;
      for (const Held &h : held)
        used.push_back(h.range);
      std::optional<uint64_t> at;
      if (keep)
        at = placeHigh(freeAround(used, config.sram_bytes), po.shape.bytes());
      if (at) {
        po.resident = true;
        po.sram = *at;
        held.push_back({out, {*at, *at + po.shape.bytes()}});
      } else {
        home(out);
      }
    }

    OpView v = view(op, index);
    SmallVector<Range> used;
    uint64_t heldBytes = 0;
    for (const Held &h : held) {
      used.push_back(h.range);
      heldBytes += h.range.hi - h.range.lo;
    }
    bool allowDouble = !options.layerByLayer;
    std::optional<Candidate> cand =
        tiler.choose(v, freeAround(used, config.sram_bytes), allowDouble);
    // Away from the previous op's buffers, this op's first loads can run
    // while that op still computes; taken when it costs no worse a tiling.
    if (cand && allowDouble && !previous.empty()) {
      SmallVector<Range> avoid(used);
      avoid.append(previous.begin(), previous.end());
      std::optional<Candidate> apart = tiler.choose(
          v, freeAround(avoid, config.sram_bytes), allowDouble, cand->tier);
      if (apart && apart->tier == cand->tier && apart->traffic <= cand->traffic)
        cand = std::move(apart);
    }
    if (!cand) {
      failedOp = index;
      for (const Held &h : held)
        holding.push_back({h.value, h.range.hi - h.range.lo});
      if (holding.empty()) {
        auto [bytes, acc] = tiler.smallest(v);
        const char *what = v.kind == Kind::Conv && !v.depthwise
                               ? "one output row of one output channel and "
                                 "one input channel"
                               : "one output row of one channel";
        if (acc > config.acc_entries)
          error = llvm::formatv("cannot be split to fit the {0} "
                                "configuration: {1} needs {2} accumulators, "
                                "the ACC holds {3}",
                                config.name, what, acc, config.acc_entries)
                      .str();
        else
          error = llvm::formatv("cannot be split to fit the {0} "
                                "configuration: {1} needs {2} bytes of SRAM, "
                                "which holds {3}",
                                config.name, what, bytes, config.sram_bytes)
                      .str();
      }
      return failure();
    }
    emit(v, *cand);
    sramPeak = std::max(sramPeak, heldBytes + cand->bytes);
    previous.assign(cand->buffers.begin(), cand->buffers.end());
  }
  return success();
}

} // namespace

FailureOr<std::vector<uint8_t>> buildStream(func::FuncOp fn,
                                            const kiln_nna_config &config,
                                            const StreamOptions &options,
                                            StreamSummary &summary) {
  Segment seg;
  if (failed(analyse(fn, seg)))
    return failure();
  if (!options.argumentOffsets.empty() &&
      options.argumentOffsets.size() != seg.arguments.size())
    return fn.emitError("kiln-nna-stream: internal error: ")
           << options.argumentOffsets.size() << " argument offsets for "
           << seg.arguments.size() << " arguments";
  // Each failed attempt sends one more value to DRAM, so this ends.
  DenseSet<Value> spilled;
  std::optional<Attempt> done;
  for (;;) {
    Attempt attempt(seg, config, options, spilled);
    if (succeeded(attempt.run())) {
      done.emplace(std::move(attempt));
      break;
    }
    if (attempt.holding.empty())
      return seg.ops[attempt.failedOp]->emitOpError(attempt.error);
    auto largest = llvm::max_element(
        attempt.holding, [](auto &a, auto &b) { return a.second < b.second; });
    spilled.insert(largest->first);
  }

  Attempt &a = *done;
  std::vector<uint8_t> bytes =
      encodeStream(config, a.commands, a.constants, a.arenaSize);

  // The compiler must never hand the runtime a stream it would refuse.
  kiln_nna_stream parsed{};
  kiln_error err{};
  kiln_status st =
      kiln_nna_stream_parse(bytes.data(), bytes.size(), &parsed, &err);
  kiln_nna_stream_free(&parsed);
  if (st != KILN_OK)
    return fn.emitError("kiln-nna-stream: internal error: the stream "
                        "builder made a stream the validator refuses: ")
           << err.message;

  summary = StreamSummary();
  for (const kiln_nna_command &c : a.commands) {
    ++summary.commands[c.opcode];
    if (c.opcode == KILN_NNA_DMA_LOAD)
      summary.dramLoaded += uint64_t(c.dma.rows) * c.dma.row_bytes;
    else if (c.opcode == KILN_NNA_DMA_STORE)
      summary.dramStored += uint64_t(c.dma.rows) * c.dma.row_bytes;
    summary.sramTop = std::max(summary.sramTop, sramEnd(c));
  }
  summary.sramPeak = a.sramPeak;
  summary.constSize = a.constants.size();
  summary.arenaSize = a.arenaSize;
  auto tensor = [&](Value v) {
    const Place &p = a.places.lookup(v);
    return ArenaTensor{p.offset, p.shape.h, p.shape.w, p.shape.c};
  };
  for (Value arg : seg.arguments)
    summary.arguments.push_back(tensor(arg));
  for (Value v : seg.results)
    summary.results.push_back(tensor(v));
  summary.ops = std::move(a.opTiles);
  return bytes;
}

} // namespace kiln::nna
