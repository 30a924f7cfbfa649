//===- OutlineParallel.cpp - loops of @main run on the runtime's threads --===//
//
// Each big enough parallel loop at the top of @main (a kernel's outer tile
// loop marked kiln.parallel, or the outer dims of an scf.parallel from
// linalg) moves into its own function, @kiln.task.N(main's arguments...,
// begin, end), which runs the loop's iterations [begin, end). In its place
// @main calls @kiln.dispatch.N(par, main's arguments..., count), which the
// object emitter defines: it hands the task to the runtime's kiln_parallel
// (model_format.h), reached through a new last argument of @main.
//
// A task recomputes what the loop reads from outside (views of the arena,
// constants, globals) from @main's arguments: all of it is side-effect free
// and cheap, so nothing needs packing into a closure, and the runtime's
// argument array is all a task needs.
//
//===----------------------------------------------------------------------===//
#include "targets/cpu/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"

namespace kiln::cpu {
#define GEN_PASS_DEF_OUTLINEPARALLELPASS
#include "targets/cpu/Passes.h.inc"
} // namespace kiln::cpu

using namespace mlir;

namespace {

std::optional<int64_t> constantIndex(Value v) {
  APInt value;
  if (!matchPattern(v, m_ConstantInt(&value)))
    return std::nullopt;
  return value.getSExtValue();
}

/// Constant (lower bound, trip count, step) of each dim of a loop.
struct Dim {
  int64_t lb, trips, step;
};

/// The dims of an scf.for or scf.parallel whose bounds are all constant.
std::optional<SmallVector<Dim>> loopDims(Operation *op) {
  SmallVector<Value> lbs, ubs, steps;
  if (auto loop = dyn_cast<scf::ForOp>(op)) {
    lbs = {loop.getLowerBound()};
    ubs = {loop.getUpperBound()};
    steps = {loop.getStep()};
  } else if (auto loop = dyn_cast<scf::ParallelOp>(op)) {
    lbs = loop.getLowerBound();
    ubs = loop.getUpperBound();
    steps = loop.getStep();
  } else {
    return std::nullopt;
  }
  SmallVector<Dim> dims;
  for (auto [lb, ub, step] : llvm::zip(lbs, ubs, steps)) {
    auto l = constantIndex(lb), u = constantIndex(ub), s = constantIndex(step);
    if (!l || !u || !s || *s <= 0)
      return std::nullopt;
    dims.push_back({*l, *u > *l ? (*u - *l + *s - 1) / *s : 0, *s});
  }
  return dims;
}

/// The dims of a loop whose iterations are independent: a kernel's loop
/// marked kiln.parallel or an scf.parallel, neither with results.
std::optional<SmallVector<Dim>> parallelDims(Operation *op) {
  if (op->getNumResults() ||
      !(isa<scf::ParallelOp>(op) || op->hasAttr(kiln::cpu::kParallelAttr)))
    return std::nullopt;
  return loopDims(op);
}

/// The dims a task splits: all of a one-dim loop; the outer ones of a
/// multi-dim loop, keeping its innermost dim whole (the one LLVM vectorises)
/// unless the outer ones are too few to share out.
ArrayRef<Dim> splitDims(ArrayRef<Dim> dims) {
  if (dims.size() < 2)
    return dims;
  int64_t outer = 1;
  for (const Dim &d : dims.drop_back())
    outer *= d.trips;
  return outer >= 8 ? dims.drop_back() : dims;
}

/// Operations executed by `op`, counting each loop iteration (unknown trip
/// counts as 1): the estimate that decides whether a dispatch pays off.
double work(Operation *op) {
  double trips = 1;
  if (std::optional<SmallVector<Dim>> dims = loopDims(op))
    for (const Dim &d : *dims)
      trips *= double(d.trips);
  double body = 1;
  for (Region &region : op->getRegions())
    for (Operation &nested : region.getOps())
      body += work(&nested);
  return trips * body;
}

/// The ops of @main's body that `loop` reads through values defined outside
/// it, in program order; nullopt if one of them has an effect or a region
/// (it could not be recomputed by a task).
std::optional<SmallVector<Operation *>> sliceOf(Operation *loop,
                                                Block &body) {
  SetVector<Value> needed;
  getUsedValuesDefinedAbove(loop->getRegions(), needed);
  needed.insert(loop->operand_begin(), loop->operand_end());
  llvm::SmallPtrSet<Operation *, 16> seen;
  SmallVector<Operation *> slice;
  SmallVector<Value> work(needed.begin(), needed.end());
  while (!work.empty()) {
    Value v = work.pop_back_val();
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      if (arg.getOwner() != &body)
        return std::nullopt;
      continue;
    }
    Operation *def = v.getDefiningOp();
    if (def->getBlock() != &body || def->getNumRegions() ||
        !(isMemoryEffectFree(def) || isa<memref::GetGlobalOp>(def)))
      return std::nullopt;
    if (!seen.insert(def).second)
      continue;
    slice.push_back(def);
    work.append(def->operand_begin(), def->operand_end());
  }
  llvm::sort(slice,
             [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
  return slice;
}

struct OutlineParallelPass
    : kiln::cpu::impl::OutlineParallelPassBase<OutlineParallelPass> {
  using OutlineParallelPassBase::OutlineParallelPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto main = module.lookupSymbol<func::FuncOp>("main");
    if (!main || main.isExternal() || !main.getBody().hasOneBlock())
      return;
    Block &body = main.getBody().front();
    SmallVector<std::pair<Operation *, SmallVector<Operation *>>> loops;
    for (Operation &op : body) {
      std::optional<SmallVector<Dim>> dims = parallelDims(&op);
      if (!dims || work(&op) < double(minWork))
        continue;
      int64_t count = 1;
      for (const Dim &d : splitDims(*dims))
        count *= d.trips;
      if (count < 2)
        continue;
      if (std::optional<SmallVector<Operation *>> slice = sliceOf(&op, body))
        loops.push_back({&op, std::move(*slice)});
    }
    if (loops.empty())
      return;

    MLIRContext *ctx = &getContext();
    Type ptr = LLVM::LLVMPointerType::get(ctx);
    FailureOr<Value> par = kiln::cpu::getOrAddParallelArgument(main);
    if (failed(par))
      return signalPassFailure();
    unsigned numArgs = main.getNumArguments() - 1;
    SmallVector<Type> argTypes(main.getArgumentTypes().drop_back());
    ValueRange mainArgs = main.getArguments().take_front(numArgs);

    OpBuilder mb(ctx);
    mb.setInsertionPointAfter(main);
    Type index = mb.getIndexType();
    for (auto [i, entry] : llvm::enumerate(loops)) {
      auto [loop, slice] = entry;
      Location loc = loop->getLoc();
      SmallVector<Type> taskTypes = argTypes;
      taskTypes.append({index, index});
      auto task =
          func::FuncOp::create(mb, loc, "kiln.task." + std::to_string(i),
                               FunctionType::get(ctx, taskTypes, {}));
      task.setPrivate();
      Block *entryBlock = task.addEntryBlock();
      OpBuilder b = OpBuilder::atBlockEnd(entryBlock);
      IRMapping map;
      map.map(mainArgs, entryBlock->getArguments().take_front(numArgs));
      for (Operation *op : slice)
        b.clone(*op, map);
      int64_t count = buildTask(b, loop, map, entryBlock->getArgument(numArgs),
                                entryBlock->getArgument(numArgs + 1));
      func::ReturnOp::create(b, loc);

      SmallVector<Type> dispatchTypes = {ptr};
      dispatchTypes.append(argTypes);
      dispatchTypes.push_back(index);
      auto dispatch =
          func::FuncOp::create(mb, loc, "kiln.dispatch." + std::to_string(i),
                               FunctionType::get(ctx, dispatchTypes, {}));
      dispatch.setPrivate();

      OpBuilder cb(loop);
      SmallVector<Value> operands = {*par};
      operands.append(mainArgs.begin(), mainArgs.end());
      operands.push_back(arith::ConstantIndexOp::create(cb, loc, count));
      func::CallOp::create(cb, loc, dispatch, operands);
      loop->erase();
    }
  }

  /// Builds `for t in [begin, end)` running the iterations of `loop` whose
  /// linear index over its split dims is t; returns their count.
  static int64_t buildTask(OpBuilder &b, Operation *loop, IRMapping &map,
                           Value begin, Value end) {
    Location loc = loop->getLoc();
    SmallVector<Dim> dims = *parallelDims(loop);
    ArrayRef<Dim> split = splitDims(dims);
    int64_t count = 1;
    for (const Dim &d : split)
      count *= d.trips;
    // Constants go before the loop, not into its body.
    OpBuilder hoisted = b;
    auto cst = [&](int64_t v) {
      return arith::ConstantIndexOp::create(hoisted, loc, v).getResult();
    };
    auto outer = scf::ForOp::create(b, loc, begin, end, cst(1));
    hoisted.setInsertionPoint(outer);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(outer.getBody()->getTerminator());
    // Delinearise t, innermost split dim fastest, as the loop nest ran.
    SmallVector<Value> ivs(split.size());
    Value rest = outer.getInductionVar();
    for (int64_t d = int64_t(split.size()) - 1; d >= 0; --d) {
      Value idx = rest;
      if (d > 0) {
        idx = arith::RemUIOp::create(b, loc, rest, cst(split[d].trips));
        rest = arith::DivUIOp::create(b, loc, rest, cst(split[d].trips));
      }
      ivs[d] = arith::AddIOp::create(
          b, loc, cst(split[d].lb),
          arith::MulIOp::create(b, loc, idx, cst(split[d].step)));
    }
    Block *loopBody = &loop->getRegion(0).front();
    map.map(loopBody->getArguments().take_front(split.size()), ivs);
    auto cloneBody = [&](OpBuilder &ib) {
      for (Operation &op : loopBody->without_terminator())
        ib.clone(op, map);
    };
    if (split.size() == dims.size()) {
      cloneBody(b);
      return count;
    }
    SmallVector<Value> lbs, ubs, steps;
    for (const Dim &d : ArrayRef(dims).drop_front(split.size())) {
      lbs.push_back(cst(d.lb));
      ubs.push_back(cst(d.lb + d.trips * d.step));
      steps.push_back(cst(d.step));
    }
    scf::ParallelOp::create(
        b, loc, lbs, ubs, steps, [&](OpBuilder &ib, Location, ValueRange in) {
          map.map(loopBody->getArguments().drop_front(split.size()), in);
          cloneBody(ib);
        });
    return count;
  }
};

} // namespace

FailureOr<Value> kiln::cpu::getOrAddParallelArgument(func::FuncOp main) {
  unsigned n = main.getNumArguments();
  // Before LLVM conversion @main's other arguments are memrefs.
  if (n && isa<LLVM::LLVMPointerType>(main.getArgumentTypes().back()))
    return main.getArgument(n - 1);
  Type ptr = LLVM::LLVMPointerType::get(main.getContext());
  if (failed(main.insertArgument(n, ptr, {}, main.getLoc())))
    return main.emitError("cannot add the kiln_parallel argument to @main");
  return main.getArgument(n);
}
