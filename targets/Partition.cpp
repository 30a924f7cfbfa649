//===- Partition.cpp - ops of a model between an accelerator and the CPU --===//
#include "targets/Partition.h"

#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallPtrSet.h"

using namespace mlir;

namespace kiln {

uint64_t byteSize(Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  return uint64_t(type.getNumElements()) *
         ((type.getElementTypeBitWidth() + 7) / 8);
}

void Partition::schedule(ArrayRef<Operation *> ops,
                         const llvm::DenseMap<Operation *, bool> &onAccel) {
  llvm::DenseMap<Operation *, unsigned> pending;
  llvm::DenseMap<Operation *, SmallVector<Operation *>> users;
  llvm::DenseSet<Operation *> scheduled(ops.begin(), ops.end());
  for (Operation *op : ops) {
    llvm::SmallPtrSet<Operation *, 4> deps;
    for (Value v : op->getOperands())
      if (Operation *def = root(v).getDefiningOp();
          def && scheduled.count(def) && deps.insert(def).second)
        users[def].push_back(op);
    pending[op] = deps.size();
  }
  llvm::SetVector<Operation *> ready; // in program order
  for (Operation *op : ops)
    if (pending[op] == 0)
      ready.insert(op);
  bool accel = !ops.empty() && onAccel.lookup(ops.front());
  while (!ready.empty()) {
    Operation *next = nullptr;
    for (Operation *op : ready)
      if (onAccel.lookup(op) == accel) {
        next = op;
        break;
      }
    if (!next) {
      accel = !accel;
      continue;
    }
    ready.remove(next);
    if (steps.empty() || steps.back().accel != accel) {
      steps.emplace_back();
      steps.back().accel = accel;
    }
    steps.back().ops.push_back(next);
    // Ready ops stay in program order.
    SmallVector<Operation *> now(ready.begin(), ready.end());
    for (Operation *user : users.lookup(next))
      if (--pending[user] == 0)
        now.push_back(user);
    llvm::sort(
        now, [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
    ready = llvm::SetVector<Operation *>(now.begin(), now.end());
  }
  for (auto [i, step] : llvm::enumerate(steps))
    for (Operation *op : step.ops)
      stepOf[op] = i;
  for (auto [i, step] : llvm::enumerate(steps))
    for (Operation *op : step.ops)
      for (Value v : op->getOperands())
        if (Operation *def = root(v).getDefiningOp();
            def && stepOf.count(def) && stepOf.lookup(def) != i)
          readLater.insert(root(v));
}

OwningOpRef<ModuleOp> extractSegment(
    func::FuncOp main, ArrayRef<Operation *> ops, const Partition &partition,
    llvm::function_ref<bool(Operation *)> cloneIn, CPUSegment &segment) {
  MLIRContext *ctx = main.getContext();
  Location loc = ops.front()->getLoc();
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  for (NamedAttribute attr : main->getParentOp()->getAttrs())
    if (attr.getName() != SymbolTable::getSymbolAttrName())
      (*module)->setAttr(attr.getName(), attr.getValue());
  OpBuilder b(ctx);
  b.setInsertionPointToEnd(module->getBody());
  auto fn = func::FuncOp::create(b, loc, "main", b.getFunctionType({}, {}));
  Block *body = fn.addEntryBlock();
  b.setInsertionPointToEnd(body);
  IRMapping map;
  SmallVector<Type> argTypes;
  std::function<Value(Value)> resolve = [&](Value v) -> Value {
    if (Value mapped = map.lookupOrNull(v))
      return mapped;
    Operation *def = v.getDefiningOp();
    if (def && cloneIn(def)) {
      for (Value operand : def->getOperands())
        resolve(operand);
      b.clone(*def, map);
      return map.lookup(v);
    }
    Value arg = body->addArgument(v.getType(), v.getLoc());
    argTypes.push_back(v.getType());
    segment.arguments.push_back(v);
    map.map(v, arg);
    return arg;
  };
  for (Operation *op : ops) {
    for (Value v : op->getOperands())
      resolve(v);
    b.clone(*op, map);
  }
  // Results read after the step: by other steps' ops, or as outputs.
  Operation *ret = main.getBody().front().getTerminator();
  SmallVector<Value> results;
  for (Operation *op : ops)
    for (Value r : op->getResults()) {
      bool output = false;
      for (OpOperand &o : ret->getOpOperands())
        if (partition.root(o.get()) == r) {
          results.push_back(map.lookup(r));
          segment.results.push_back({r, o.getOperandNumber()});
          output = true;
        }
      if (!output && partition.readLater.count(r)) {
        results.push_back(map.lookup(r));
        segment.results.push_back({r, std::nullopt});
      }
    }
  func::ReturnOp::create(b, loc, results);
  SmallVector<Type> resultTypes;
  for (Value v : results)
    resultTypes.push_back(v.getType());
  fn.setType(b.getFunctionType(argTypes, resultTypes));
  return module;
}

FailureOr<CPUSegment>
compileCPUSegment(func::FuncOp main, ArrayRef<Operation *> ops,
                  const Partition &partition,
                  llvm::function_ref<bool(Operation *)> cloneIn,
                  CompileSegment compile, unsigned entry) {
  CPUSegment segment;
  OwningOpRef<ModuleOp> module =
      extractSegment(main, ops, partition, cloneIn, segment);
  FailureOr<SegmentABI> abi = compile(*module, entry);
  if (failed(abi))
    return failure();
  segment.abi = *abi;
  return segment;
}

} // namespace kiln
