//===- AutotunePatterns.cpp - time the pattern kernel's register tiles ----===//
//
// PatDNN tunes its kernels' parameters by measurement. Here each
// pattern-pruned conv's candidate register tiles (patternKernelTiles) are
// compiled, one module per tile holding only that conv, through the same
// kernel and LLVM lowering as the model, JIT-compiled for this machine and
// timed; the fastest is written on the conv as kiln.pattern_tile.
//
//===----------------------------------------------------------------------===//
#include "dialects/nn/NNOps.h"
#include "targets/cpu/LoweringPipeline.h"
#include "targets/cpu/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Index/IR/IndexDialect.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/TargetSelect.h"

#include <chrono>
#include <map>

namespace kiln::cpu {
#define GEN_PASS_DEF_AUTOTUNEPATTERNSPASS
#include "targets/cpu/Passes.h.inc"
} // namespace kiln::cpu

using namespace mlir;

namespace {

using Tile = std::array<int64_t, 3>;

std::string tileText(const Tile &t) {
  return llvm::formatv("[{0}, {1}, {2}]", t[0], t[1], t[2]).str();
}

/// A module whose @kiln_tune() runs only `conv`, with `tile`, on zeroed
/// global buffers of its input's and output's shapes and its own filter.
OwningOpRef<ModuleOp> tuningModule(linalg::Conv2DNchwFchwOp conv,
                                   memref::GlobalOp filter, const Tile &tile) {
  MLIRContext *ctx = conv.getContext();
  Location loc = conv.getLoc();
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  OpBuilder b(ctx);
  b.setInsertionPointToStart(module->getBody());
  b.clone(*filter);
  func::FuncOp fn =
      func::FuncOp::create(b, loc, "kiln_tune", b.getFunctionType({}, {}));
  // The buffers are globals: the timed call has no arguments to pass.
  IRMapping map;
  auto buffer = [&](Value v, StringRef name) {
    auto type = cast<MemRefType>(v.getType());
    auto plain = MemRefType::get(type.getShape(), type.getElementType());
    auto zeros = DenseElementsAttr::get(
        RankedTensorType::get(type.getShape(), type.getElementType()),
        FloatAttr::get(type.getElementType(), 0.0));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(fn);
    // Public: LLVM must neither fold the input's loads nor drop the
    // output's stores.
    memref::GlobalOp::create(b, loc, name, b.getStringAttr("public"), plain,
                             zeros, /*constant=*/false,
                             /*alignment=*/b.getI64IntegerAttr(64));
    return plain;
  };
  MemRefType inType = buffer(conv.getDpsInputs()[0], "kiln_tune_in");
  MemRefType outType = buffer(conv.getDpsInits()[0], "kiln_tune_out");
  b.setInsertionPointToStart(fn.addEntryBlock());
  map.map(conv.getDpsInputs()[0],
          memref::GetGlobalOp::create(b, loc, inType, "kiln_tune_in"));
  map.map(conv.getDpsInits()[0],
          memref::GetGlobalOp::create(b, loc, outType, "kiln_tune_out"));
  map.map(conv.getDpsInputs()[1],
          memref::GetGlobalOp::create(b, loc, filter.getType(),
                                      filter.getSymName()));
  Operation *copy = b.clone(*conv, map);
  copy->setAttr(kiln::cpu::kPatternTileAttr,
                b.getDenseI64ArrayAttr(ArrayRef<int64_t>(tile)));
  func::ReturnOp::create(b, loc);
  return module;
}

struct AutotunePatternsPass
    : kiln::cpu::impl::AutotunePatternsPassBase<AutotunePatternsPass> {
  using AutotunePatternsPassBase::AutotunePatternsPassBase;

  void getDependentDialects(DialectRegistry &registry) const override {
    AutotunePatternsPassBase::getDependentDialects(registry);
    registerBuiltinDialectTranslation(registry);
    registerLLVMDialectTranslation(registry);
  }

  /// The median time in milliseconds of @kiln_tune with `tile`.
  FailureOr<double> measure(linalg::Conv2DNchwFchwOp conv,
                            memref::GlobalOp filter, const Tile &tile) {
    OwningOpRef<ModuleOp> module = tuningModule(conv, filter, tile);
    PassManager pm(&getContext());
    kiln::cpu::buildKernelsToLLVMPipeline(pm, vectorBits, /*threads=*/false);
    if (failed(pm.run(*module)))
      return conv.emitOpError("cannot lower tile ") << tileText(tile);
    std::function<llvm::Error(llvm::Module *)> optimize =
        makeOptimizingTransformer(3, 0, nullptr);
    ExecutionEngineOptions options;
    options.transformer = optimize;
    options.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
    options.enableGDBNotificationListener = false;
    auto engine = ExecutionEngine::create(*module, options);
    if (!engine)
      return conv.emitOpError("cannot JIT-compile tile ")
             << tileText(tile) << ": " << llvm::toString(engine.takeError());
    auto run = (*engine)->lookupPacked("kiln_tune");
    if (!run)
      return conv.emitOpError("no @kiln_tune for tile ")
             << tileText(tile) << ": " << llvm::toString(run.takeError());
    void *noArgs[1] = {nullptr};
    (*run)(noArgs); // warm-up: page faults, caches
    SmallVector<double> times;
    double total = 0;
    while (times.size() < 3 || total < minTimeMs) {
      auto start = std::chrono::steady_clock::now();
      (*run)(noArgs);
      std::chrono::duration<double, std::milli> ms =
          std::chrono::steady_clock::now() - start;
      times.push_back(ms.count());
      total += ms.count();
    }
    llvm::sort(times);
    return times[times.size() / 2];
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    // Each conv with its tiles (analysing a filter reads all its weights).
    SmallVector<std::pair<linalg::Conv2DNchwFchwOp, SmallVector<Tile>>> convs;
    module.walk([&](linalg::Conv2DNchwFchwOp conv) {
      if (!conv.hasPureBufferSemantics())
        return;
      SmallVector<Tile> tiles = kiln::cpu::patternKernelTiles(conv, vectorBits);
      if (tiles.size() > 1)
        convs.emplace_back(conv, std::move(tiles));
    });
    // Convs of the same shapes and strides share one measurement.
    std::map<std::string, std::pair<Tile, std::string>> measured;
    SmallVector<Attribute> records;
    OpBuilder b(module);
    for (auto &[conv, tiles] : convs) {
      auto get = conv.getDpsInputs()[1].getDefiningOp<memref::GetGlobalOp>();
      auto filter = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
          get, get.getNameAttr());
      std::string key;
      llvm::raw_string_ostream keyOs(key);
      for (Value v : {conv.getDpsInputs()[0], conv.getDpsInits()[0],
                      conv.getDpsInputs()[1]}) {
        llvm::interleave(cast<MemRefType>(v.getType()).getShape(), keyOs, "x");
        keyOs << ",";
      }
      keyOs << conv.getStrides();
      auto [it, added] = measured.try_emplace(key);
      if (added) {
        SmallVector<double> times;
        for (const Tile &tile : tiles) {
          FailureOr<double> ms = measure(conv, filter, tile);
          if (failed(ms))
            return signalPassFailure();
          times.push_back(*ms);
        }
        size_t best =
            std::min_element(times.begin(), times.end()) - times.begin();
        it->second = {tiles[best],
                      llvm::formatv("tile {0} {1:f3} ms (default {2} {3:f3} "
                                    "ms, {4} tiles timed)",
                                    tileText(tiles[best]), times[best],
                                    tileText(tiles.front()), times.front(),
                                    tiles.size())
                          .str()};
      }
      const auto &[tile, summary] = it->second;
      conv->setAttr(kiln::cpu::kPatternTileAttr,
                    b.getDenseI64ArrayAttr(ArrayRef<int64_t>(tile)));
      std::string layer = kiln::nn::nodeName(conv.getLoc());
      records.push_back(
          b.getStringAttr((layer.empty() ? "conv" : layer) + ": " + summary +
                          (added ? "" : " (same shapes as an earlier conv)")));
    }
    if (!records.empty())
      module->setAttr(kiln::cpu::kAutotuneAttr, b.getArrayAttr(records));
  }
};

} // namespace
