//===- Pieces.h - an op cut into pieces on slices of its operands -*- C++
//-*-===//
//
// A 2-D conv or a gemm (alone or as the anchor of a fused group) computes
// each box of its output from boxes of its operands; a piece is the same op
// on those boxes. kiln-split cuts an op into a grid of pieces to fit a
// budget; kiln-fuse-depthwise-pointwise interleaves the row pieces of a
// depthwise conv and the pointwise conv after it.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_PASSES_PIECES_H
#define KILN_PASSES_PIECES_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Operation.h"

#include <map>

namespace kiln::pieces {

using mlir::ArrayRef;
using mlir::SmallVector;

/// How an operand of the cut op follows the output's dimensions.
enum class Role { ConvInput, ConvFilter, ConvBias, GemmA, GemmB, Broadcast };

/// A half-open range of indices along one dim.
struct Span {
  int64_t begin = 0, end = 0;
  int64_t size() const { return end - begin; }
};

/// One way the cut op reads an operand (a fused group's operand can be
/// read twice: a residual that is also the conv's input).
struct Read {
  unsigned operand;
  Role role;
};

/// A 2-D conv or a gemm, alone or as the anchor of a fused group.
struct Splittable {
  mlir::Operation *op;   // what the pieces replace
  mlir::Operation *core; // the conv or gemm
  SmallVector<Read> reads;
  // Per output dim, the multiple piece boundaries fall on (0: not split).
  SmallVector<int64_t> units;
  // The output's channel (gemm: column) dim and, for a conv, its row dim:
  // 1 and 2 in NCHW, 3 and 1 in channels-last.
  int64_t channelDim = 1, rowDim = 2;
};

/// `op` as something that can be cut: a float 2-D conv or gemm with static
/// shapes, or a fused group anchored on one; nothing otherwise.
std::optional<Splittable> splittable(mlir::Operation *op);

/// Gives each read of a fused group's operand its own operand and block
/// argument, so that each is sliced its own way; one read per operand
/// afterwards.
void separateReads(Splittable &s);

/// Pads the conv's input once, before the pieces, and takes the pads off
/// the conv: every piece then reads a view of one padded tensor, which its
/// producer writes straight into, instead of padding a copy of its own.
void hoistPads(mlir::OpBuilder &b, Splittable &s);

/// The pieces of a grid: `counts[d]` pieces along output dim d, each a
/// multiple of `units[d]` (balanced: sizes differ by at most one unit).
SmallVector<SmallVector<Span>> piecesOf(ArrayRef<int64_t> shape,
                                        ArrayRef<int64_t> units,
                                        ArrayRef<int64_t> counts);

/// The largest working set (operand and result bytes) of the pieces, or
/// nothing if a piece is empty or reads no input.
std::optional<int64_t> workingSet(const Splittable &s,
                                  ArrayRef<SmallVector<Span>> pieces);

/// Slices already built for the pieces of one op: pieces on one row share
/// their filter slice (one copy of the weights), and so on.
using SliceCache =
    std::map<std::pair<void *, SmallVector<int64_t>>, mlir::Value>;

/// The piece of `s` computing the box `piece` of its output (a range per
/// output dim): `s.op` cloned onto its operands' slices (built at `b`, or
/// taken from `given`: operand index -> value), with the result types of
/// the piece and a grouped conv's group adjusted. A conv's pads must have
/// been hoisted (hoistPads): a piece has none.
mlir::Operation *
buildPiece(mlir::OpBuilder &b, SliceCache &cache, const Splittable &s,
           ArrayRef<Span> piece,
           ArrayRef<std::pair<unsigned, mlir::Value>> given = {});

/// Concatenates `values` (pieces in grid order, the last dim fastest)
/// back into one tensor: the innermost dim first.
mlir::Value concatGrid(mlir::OpBuilder &b, mlir::Location loc,
                       SmallVector<mlir::Value> values, ArrayRef<int64_t> grid);

} // namespace kiln::pieces

#endif // KILN_PASSES_PIECES_H
