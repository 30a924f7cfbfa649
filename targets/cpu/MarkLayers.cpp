//===- MarkLayers.cpp - tell the runtime where each layer's code starts ---===//
//
// A profile that says "task 36 took 6%" helps nobody; one that says
// "/layer3/layer3.0/conv1/Conv took 6%" does. The locations of @main's ops
// still name the ONNX nodes they came from, so @main calls the runtime's
// mark(layer) where the code of another node starts, and the descriptor
// carries the names. Off, a mark is an indirect call that returns: about a
// hundred per inference, nothing next to the layers' work.
//
//===----------------------------------------------------------------------===//
#include "dialects/nn/NNOps.h"
#include "targets/cpu/Passes.h"

#include "kiln/model_format.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

namespace kiln::cpu {
#define GEN_PASS_DEF_MARKLAYERSPASS
#include "targets/cpu/Passes.h.inc"
} // namespace kiln::cpu

using namespace mlir;

namespace {

/// Whether `op` runs code worth timing: loops, calls, memory accesses. Views,
/// constants and scalar arithmetic take no time of their own.
bool doesWork(Operation *op) {
  return op->getNumRegions() || !isMemoryEffectFree(op);
}

struct MarkLayersPass : kiln::cpu::impl::MarkLayersPassBase<MarkLayersPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto main = module.lookupSymbol<func::FuncOp>("main");
    if (!main || main.isExternal() || !main.getBody().hasOneBlock())
      return;
    if (module.lookupSymbol("kiln.mark")) {
      module.emitError("kiln-mark-layers: @kiln.mark is already defined");
      return signalPassFailure();
    }
    FailureOr<Value> par = kiln::cpu::getOrAddParallelArgument(main);
    if (failed(par))
      return signalPassFailure();

    MLIRContext *ctx = &getContext();
    OpBuilder mb(ctx);
    mb.setInsertionPointAfter(main);
    Type i32 = mb.getI32Type();
    auto mark = func::FuncOp::create(
        mb, main.getLoc(), "kiln.mark",
        FunctionType::get(ctx, {(*par).getType(), i32}, {}));
    mark.setPrivate();

    auto callMark = [&](Operation *before, uint32_t layer) {
      OpBuilder b(before);
      // i32 holds the index's bits (KILN_LAYER_END is -1).
      Value id = arith::ConstantIntOp::create(b, before->getLoc(), i32,
                                              int64_t(int32_t(layer)));
      func::CallOp::create(b, before->getLoc(), mark, ValueRange{*par, id});
    };

    llvm::StringMap<uint32_t> ids;
    SmallVector<Attribute> names;
    std::optional<uint32_t> current;
    Block &body = main.getBody().front();
    for (Operation &op :
         llvm::make_early_inc_range(body.without_terminator())) {
      std::string name = kiln::nn::nodeName(op.getLoc());
      if (!doesWork(&op) || (name.empty() && current))
        continue;
      if (name.empty())
        name = "(unnamed)";
      auto [it, added] = ids.try_emplace(name, uint32_t(names.size()));
      if (added)
        names.push_back(StringAttr::get(ctx, name));
      if (current == it->second)
        continue;
      current = it->second;
      callMark(&op, *current);
    }
    if (current)
      callMark(body.getTerminator(), KILN_LAYER_END);
    module->setAttr(kiln::cpu::kLayersAttr, ArrayAttr::get(ctx, names));
  }
};

} // namespace
