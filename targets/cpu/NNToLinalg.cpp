//===- NNToLinalg.cpp - lower nn ops to linalg on tensors -----------------===//
//
// Each nn op becomes upstream ops on tensors. Named linalg ops are used where
// upstream has them (convolutions, pooling, transpose) so that later tiling
// and vectorisation see them; the rest are linalg.generic with broadcasting
// indexing maps. The patterns live in one file per op family
// (NNToLinalgPatterns.h).
//
//===----------------------------------------------------------------------===//
#include "targets/cpu/Passes.h"

#include "dialects/nna/NNADialect.h"
#include "targets/cpu/NNToLinalgPatterns.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace kiln::cpu {
#define GEN_PASS_DEF_CONVERTNNTOLINALGPASS
#include "targets/cpu/Passes.h.inc"
} // namespace kiln::cpu

using namespace mlir;
using namespace kiln;

namespace {

struct ConvertNNToLinalg
    : kiln::cpu::impl::ConvertNNToLinalgPassBase<ConvertNNToLinalg> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, tensor::TensorDialect,
                           func::FuncDialect>();
    target.addIllegalDialect<nn::NNDialect, kiln::nna::NNADialect>();
    RewritePatternSet patterns(ctx);
    kiln::cpu::populateNNToLinalgConvPatterns(patterns);
    kiln::cpu::populateNNToLinalgDataMovementPatterns(patterns);
    kiln::cpu::populateNNToLinalgElementwisePatterns(patterns);
    kiln::cpu::populateNNToLinalgFusedPatterns(patterns);
    kiln::cpu::populateNNToLinalgNormalizationPatterns(patterns);
    kiln::cpu::populateNNToLinalgPoolingPatterns(patterns);
    kiln::cpu::populateNNToLinalgReductionPatterns(patterns);
    kiln::cpu::populateNNToLinalgTensorPatterns(patterns);
    kiln::cpu::populateNNToLinalgResizePatterns(patterns);
    kiln::cpu::populateNNAToLinalgPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
