//===- Partition.h - a model between an accelerator and the CPU -*- C++ -*-===//
//
// The device variants (GPU, NNA) split @main of a model between an
// accelerator and the CPU: ops are list-scheduled into steps that alternate
// between the two, and each CPU step becomes a module of its own, compiled
// through a callback into a model entry. What a variant does with its
// accelerator steps and how it addresses values between steps is its own.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_PARTITION_H
#define KILN_TARGETS_PARTITION_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

namespace kiln {

/// What the runtime must know of a compiled CPU segment.
struct SegmentABI {
  bool parallel = false;   // its entry also takes the session's kiln_parallel
  uint64_t arenaBytes = 0; // the scratch it needs
};

/// Compiles a CPU segment: an nn module whose @main takes the segment's
/// inputs and returns its outputs. It becomes model entry `entry`.
using CompileSegment = llvm::function_ref<mlir::FailureOr<SegmentABI>(
    mlir::ModuleOp segment, unsigned entry)>;

/// Bytes of a ranked tensor value's elements.
uint64_t byteSize(mlir::Value v);

/// Ops of @main in steps, each on the accelerator or the CPU.
class Partition {
public:
  struct Step {
    bool accel = false;
    llvm::SmallVector<mlir::Operation *> ops;
  };

  /// `root` maps a value to the value that holds its storage (a variant's
  /// views); identity when null.
  explicit Partition(std::function<mlir::Value(mlir::Value)> root = nullptr)
      : rootFn(std::move(root)) {}

  mlir::Value root(mlir::Value v) const { return rootFn ? rootFn(v) : v; }

  /// Orders `ops` (a topological order) into steps with few device changes:
  /// list scheduling that keeps to the current device while any of its ops
  /// is ready, then switches. Optimal for chains; a heuristic for DAGs.
  /// Fills `steps`, `stepOf` and `readLater`.
  void schedule(llvm::ArrayRef<mlir::Operation *> ops,
                const llvm::DenseMap<mlir::Operation *, bool> &onAccel);

  std::vector<Step> steps;
  llvm::DenseMap<mlir::Operation *, size_t> stepOf;
  /// Roots produced by a step and read by the ops of another.
  llvm::DenseSet<mlir::Value> readLater;

private:
  std::function<mlir::Value(mlir::Value)> rootFn;
};

/// The interface of a compiled CPU step.
struct CPUSegment {
  /// Roots the step reads from other steps or the caller, in the order of
  /// its entry's arguments.
  llvm::SmallVector<mlir::Value> arguments;
  /// What it returns, in order: its results that the caller (with the
  /// output's number) or later steps read. A value returned as several
  /// outputs appears once per output.
  llvm::SmallVector<std::pair<mlir::Value, std::optional<unsigned>>> results;
  SegmentABI abi;
};

/// The nn module of the step `ops` of `partition`: its @main takes the
/// roots the step reads from other steps or the caller (the defining ops
/// that `cloneIn` accepts, constants and views, are cloned in instead) and
/// returns what the caller or later steps read; `segment` gets its
/// arguments and results (not its ABI).
mlir::OwningOpRef<mlir::ModuleOp>
extractSegment(mlir::func::FuncOp main, llvm::ArrayRef<mlir::Operation *> ops,
               const Partition &partition,
               llvm::function_ref<bool(mlir::Operation *)> cloneIn,
               CPUSegment &segment);

/// Builds the nn module of the CPU step `ops` of `partition` (its @main takes
/// the roots the step reads from other steps or the caller; the defining
/// ops that `cloneIn` accepts, constants and views, are cloned in instead)
/// and compiles it as model entry `entry`.
mlir::FailureOr<CPUSegment>
compileCPUSegment(mlir::func::FuncOp main,
                  llvm::ArrayRef<mlir::Operation *> ops,
                  const Partition &partition,
                  llvm::function_ref<bool(mlir::Operation *)> cloneIn,
                  CompileSegment compile, unsigned entry);

} // namespace kiln

#endif // KILN_TARGETS_PARTITION_H
