//===- BufferizeModel.cpp - tensors to caller-owned buffers
//----------------===//
#include "targets/cpu/Passes.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotModuleBufferize.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace kiln::cpu {
#define GEN_PASS_DEF_BUFFERIZEMODELPASS
#include "targets/cpu/Passes.h.inc"
} // namespace kiln::cpu

using namespace mlir;

namespace {

/// Copies as linalg.copy: strided copies then lower to loops instead of the
/// `memrefCopy` support-library call that memref.copy needs.
LogicalResult linalgCopy(OpBuilder &b, Location loc, Value from, Value to) {
  linalg::CopyOp::create(b, loc, from, to);
  return success();
}

/// A model argument with no elements (a dim is 0) is never read or written,
/// but MLIR's bare-pointer calling convention cannot pass a memref whose
/// inner dim is 0 (it has no strided layout). Such an argument becomes
/// memref<0xi8>, and its uses get a local empty buffer of the old type.
void detachEmptyArguments(func::FuncOp f) {
  if (f.isExternal())
    return;
  OpBuilder b = OpBuilder::atBlockBegin(&f.getBody().front());
  SmallVector<Type> inputs(f.getArgumentTypes());
  for (auto [i, arg] : llvm::enumerate(f.getArguments())) {
    auto type = dyn_cast<MemRefType>(arg.getType());
    if (!type || !type.hasStaticShape() || type.getNumElements() != 0)
      continue;
    if (!arg.use_empty())
      arg.replaceAllUsesWith(memref::AllocaOp::create(b, f.getLoc(), type));
    inputs[i] = MemRefType::get({0}, b.getI8Type());
    arg.setType(inputs[i]);
  }
  f.setType(b.getFunctionType(inputs, f.getResultTypes()));
}

/// Each model output is a buffer of its own that the caller passes, so a
/// value returned twice (two outputs of one tensor) is copied for its later
/// places; the out-parameter promotion cannot give one value two buffers.
void copyRepeatedResults(func::FuncOp f) {
  f.walk([](func::ReturnOp ret) {
    llvm::SmallPtrSet<Value, 8> seen;
    OpBuilder b(ret);
    for (OpOperand &operand : ret->getOpOperands()) {
      auto type = dyn_cast<RankedTensorType>(operand.get().getType());
      if (!type || seen.insert(operand.get()).second)
        continue;
      operand.set(bufferization::AllocTensorOp::create(
          b, ret.getLoc(), type, ValueRange{}, operand.get()));
    }
  });
}

struct BufferizeModel
    : kiln::cpu::impl::BufferizeModelPassBase<BufferizeModel> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    module.walk(copyRepeatedResults);
    // Model inputs are the caller's buffers: never write into them (a
    // function argument is writable by default, and an op whose init folds
    // to an argument, e.g. Gemm's C, would update it in place).
    module.walk([](func::FuncOp f) {
      for (unsigned i = 0; i < f.getNumArguments(); ++i)
        if (isa<TensorType>(f.getArgument(i).getType()))
          f.setArgAttr(i,
                       bufferization::BufferizationDialect::kWritableAttrName,
                       BoolAttr::get(f.getContext(), false));
    });
    bufferization::OneShotBufferizationOptions options;
    options.bufferizeFunctionBoundaries = true;
    options.setFunctionBoundaryTypeConversion(
        bufferization::LayoutMapOption::IdentityLayoutMap);
    options.memCpyFn = linalgCopy;
    bufferization::BufferizationState state;
    if (failed(
            bufferization::runOneShotModuleBufferize(module, options, state)))
      return signalPassFailure();

    bufferization::BufferResultsToOutParamsOpts outParams;
    outParams.hoistStaticAllocs = true;
    outParams.modifyPublicFunctions = true;
    outParams.memCpyFn = linalgCopy;
    if (failed(
            bufferization::promoteBufferResultsToOutParams(module, outParams)))
      return signalPassFailure();
    module.walk(detachEmptyArguments);
  }
};

} // namespace
