//===- ControlFlowOps.cpp - ONNX import: Loop and If ---===//
//
// Kiln compiles static shapes ahead of time, so control flow is resolved at
// import: a Loop whose trip count and condition are known at compile time
// is unrolled (its body imported once per iteration, scan outputs stacked
// along a new axis 0), and so is a Scan (its length is a static dimension,
// each iteration's slices nn.slice + nn.reshape); an If with a constant
// condition imports the taken
// branch only, one with a run-time condition imports both and selects with
// nn.where, which needs both branches to give one static type.
//
//===----------------------------------------------------------------------===//

#include "compiler/onnx/ImporterImpl.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/raw_ostream.h"

#include <limits>

using namespace mlir;
namespace ox = ::onnx;

namespace kiln::onnx {

namespace {

/// The most nodes a Loop may unroll to (iterations x body nodes, nested
/// subgraphs counted): unrolling keeps shapes static, but the IR and the
/// compile time grow with it, and a loop this long is better left to a
/// compiler that keeps loops.
constexpr int64_t kMaxUnrolledNodes = 1 << 16;

int64_t countNodes(const ox::GraphProto &g) {
  // The importer refused deeper nesting before any node was imported.
  return graphSize(g, std::numeric_limits<int64_t>::max()).nodes;
}

std::string typeString(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return s;
}

} // namespace

FailureOr<Importer::Bound> Importer::lookup(const ox::NodeProto &n,
                                            const std::string &name,
                                            Location loc) {
  if (auto c = consts.find(name); c != consts.end())
    return Bound::of(c->second);
  if (auto v = values.find(name); v != values.end())
    return Bound::of(v->second);
  return emitError(loc) << "value '" << name << "' of " << n.op_type()
                        << " node '" << nodeName(n) << "' is never produced";
}

void Importer::bind(const std::string &name, const Bound &b) {
  if (b.constant)
    consts[name] = *b.constant;
  else
    values[name] = b.value;
}

FailureOr<std::vector<Importer::Bound>>
Importer::importSubgraph(const ox::NodeProto &n, Location loc,
                         const ox::GraphProto &graph,
                         llvm::ArrayRef<Bound> inputs) {
  if (graph.input_size() != static_cast<int>(inputs.size()))
    return emitError(loc) << n.op_type() << " node '" << nodeName(n)
                          << "': subgraph '" << graph.name() << "' has "
                          << graph.input_size() << " inputs, expected "
                          << inputs.size();
  // Hide the outer bindings of every name the subgraph defines, and bring
  // them back when it is done, whether it imported or not.
  struct Saved {
    std::optional<Value> value;
    std::optional<ConstTensor> constant;
    std::optional<int32_t> type;
  };
  std::map<std::string, Saved> saved;
  auto hide = [&](const std::string &name) {
    if (name.empty() || saved.count(name))
      return;
    Saved &s = saved[name];
    if (auto it = values.find(name); it != values.end()) {
      s.value = it->second;
      values.erase(it);
    }
    if (auto it = consts.find(name); it != consts.end()) {
      s.constant = std::move(it->second);
      consts.erase(it);
    }
    if (auto it = onnxTypes.find(name); it != onnxTypes.end()) {
      s.type = it->second;
      onnxTypes.erase(it);
    }
  };
  for (const auto &in : graph.input())
    hide(in.name());
  for (const auto &t : graph.initializer())
    hide(t.name());
  for (const auto &node : graph.node())
    for (const auto &o : node.output())
      hide(o);
  scopes.push_back(&graph);
  llvm::scope_exit restore([&] {
    scopes.pop_back();
    for (auto &[name, s] : saved) {
      values.erase(name);
      consts.erase(name);
      onnxTypes.erase(name);
      if (s.value)
        values[name] = *s.value;
      if (s.constant)
        consts[name] = std::move(*s.constant);
      if (s.type)
        onnxTypes[name] = *s.type;
    }
  });

  for (auto [in, b] : llvm::zip(graph.input(), inputs))
    bind(in.name(), b);
  for (const auto &t : graph.initializer()) {
    auto c = readTensor(t, loc);
    if (failed(c))
      return failure();
    consts[t.name()] = std::move(*c);
  }
  for (const auto *infos :
       {&graph.input(), &graph.value_info(), &graph.output()})
    for (const auto &vi : *infos)
      if (vi.type().has_tensor_type() && vi.type().tensor_type().elem_type())
        onnxTypes[vi.name()] = vi.type().tensor_type().elem_type();
  if (failed(importNodes(graph)))
    return failure();
  std::vector<Bound> outputs;
  for (const auto &out : graph.output()) {
    auto b = lookup(n, out.name(), loc);
    if (failed(b))
      return failure();
    outputs.push_back(std::move(*b));
  }
  return outputs;
}

LogicalResult Importer::runTimeOnly(const ox::NodeProto &n, Location loc,
                                    const llvm::Twine &what,
                                    const std::string &name,
                                    const llvm::Twine &why,
                                    const ox::GraphProto *inner) {
  return unsupported(n, loc,
                     what + " '" + name + "' is only known at run time " + why +
                         freezeHint(name, /*orItself=*/true, inner));
}

FailureOr<Importer::Bound> Importer::stackScans(const ox::NodeProto &n,
                                                Location loc, int output,
                                                llvm::ArrayRef<Bound> parts,
                                                int64_t axis) {
  if (parts.empty())
    return unsupported(n, loc,
                       "scan output " + llvm::Twine(output) + " ('" +
                           n.output(output) +
                           "') of a loop that runs no iteration has no "
                           "elements");
  if (axis == 0 &&
      llvm::all_of(parts, [](const Bound &b) { return b.constant; })) {
    const ConstTensor &first = *parts.front().constant;
    if (first.bytes.size() > options.maxTensorBytes / parts.size())
      return emitError(loc) << "Loop node '" << nodeName(n) << "': scan output "
                            << output << " is too large";
    ConstTensor t;
    t.dtype = first.dtype;
    t.shape = first.shape;
    t.shape.insert(t.shape.begin(), parts.size());
    for (const Bound &b : parts) {
      if (b.constant->shape != first.shape || b.constant->dtype != first.dtype)
        return unsupported(n, loc,
                           "scan output " + llvm::Twine(output) +
                               " changes shape or type between iterations");
      t.bytes += b.constant->bytes;
    }
    return Bound::of(std::move(t));
  }
  SmallVector<Value> rows;
  RankedTensorType rowType;
  for (const Bound &b : parts) {
    auto v = valueOf(b, loc);
    if (failed(v))
      return failure();
    auto type = cast<RankedTensorType>(v->getType());
    if (!rowType)
      rowType = type;
    if (type != rowType)
      return unsupported(n, loc,
                         "scan output " + llvm::Twine(output) + " is " +
                             typeString(rowType) + " in iteration 0 but " +
                             typeString(type) + " in iteration " +
                             llvm::Twine(rows.size()));
    if (axis < 0 || axis > type.getRank())
      return emitError(loc) << n.op_type() << " node '" << nodeName(n)
                            << "': scan output axis " << axis
                            << " is out of range for " << type;
    SmallVector<int64_t> shape(type.getShape());
    shape.insert(shape.begin() + axis, 1);
    auto row = reshapeTo(*v, shape, loc);
    if (failed(row))
      return failure();
    rows.push_back(*row);
  }
  auto stacked = create(nn::ConcatOp::getOperationName(), loc, rows,
                        {named("axis", builder.getI64IntegerAttr(axis))});
  if (failed(stacked))
    return failure();
  return Bound::of(*stacked);
}

LogicalResult Importer::importLoop(const ox::NodeProto &n, Location loc) {
  const ox::AttributeProto *bodyAttr = attr(n, "body");
  if (!bodyAttr || !bodyAttr->has_g())
    return emitError(loc) << "Loop node '" << nodeName(n) << "' has no body";
  const ox::GraphProto &body = bodyAttr->g();
  // Inputs: trip count M, condition, N carried values. Body: (iteration,
  // condition, N carried) -> (condition, N carried, K scan outputs).
  int carried = n.input_size() - 2;
  int scans = body.output_size() - 1 - carried;
  if (carried < 0 || body.input_size() != carried + 2 || scans < 0 ||
      n.output_size() > carried + scans)
    return emitError(loc) << "Loop node '" << nodeName(n) << "': its body has "
                          << body.input_size() << " inputs and "
                          << body.output_size() << " outputs for "
                          << std::max(carried, 0) << " loop-carried values";
  if (!has(n, 0) && !has(n, 1))
    return unsupported(n, loc,
                       "it has neither a trip count nor a condition, so it "
                       "never ends");

  bool keepGoing = true;
  if (has(n, 1)) {
    const ConstTensor *c = constant(n, 1);
    if (!c)
      return runTimeOnly(n, loc, "the condition", n.input(1),
                         "(Kiln needs static shapes; the number of "
                         "iterations would depend on data)");
    keepGoing = c->intAt(0) != 0;
  }
  int64_t tripCount = std::numeric_limits<int64_t>::max();
  if (has(n, 0) && keepGoing) {
    const ConstTensor *c = constant(n, 0);
    if (!c)
      return runTimeOnly(n, loc, "the trip count", n.input(0),
                         "(Kiln needs static shapes; the scan outputs' "
                         "length would depend on data)");
    tripCount = c->intAt(0);
  }

  std::vector<Bound> state;
  for (int i = 0; i < carried; ++i) {
    auto b = lookup(n, n.input(2 + i), loc);
    if (failed(b))
      return failure();
    state.push_back(std::move(*b));
  }
  std::vector<std::vector<Bound>> scanned(scans);
  int64_t bodyNodes = std::max<int64_t>(countNodes(body), 1);
  for (int64_t iter = 0; iter < tripCount && keepGoing; ++iter) {
    if ((iter + 1) * bodyNodes > kMaxUnrolledNodes)
      return unsupported(
          n, loc,
          (has(n, 1) ? "its condition is still true after " +
                           llvm::Twine(iter) + " iterations"
                     : "its trip count of " + llvm::Twine(tripCount)) +
              " with a body of " + llvm::Twine(bodyNodes) +
              " nodes unrolls to more than " + llvm::Twine(kMaxUnrolledNodes) +
              " nodes, Kiln's limit");
    // The body runs only while the condition is true.
    ConstTensor condition = ConstTensor::zeros(ox::TensorProto::BOOL, {});
    condition.set(0, true);
    std::vector<Bound> inputs = {Bound::of(ConstTensor::fromInts({iter}, {})),
                                 Bound::of(std::move(condition))};
    inputs.insert(inputs.end(), state.begin(), state.end());
    auto outputs = importSubgraph(n, loc, body, inputs);
    if (failed(outputs))
      return failure();
    if (!(*outputs)[0].constant)
      return runTimeOnly(n, loc,
                         "in iteration " + llvm::Twine(iter) +
                             ", the body's condition",
                         body.output(0).name(),
                         "(Kiln needs static shapes; the number of "
                         "iterations would depend on data)",
                         &body);
    keepGoing = (*outputs)[0].constant->intAt(0) != 0;
    state.assign(outputs->begin() + 1, outputs->begin() + 1 + carried);
    for (int k = 0; k < scans; ++k)
      scanned[k].push_back((*outputs)[1 + carried + k]);
  }

  for (int i = 0; i < n.output_size(); ++i) {
    if (n.output(i).empty())
      continue;
    if (i < carried) {
      bind(n.output(i), state[i]);
      continue;
    }
    if (!consumed(n, i))
      continue;
    auto stacked = stackScans(n, loc, i, scanned[i - carried], 0);
    if (failed(stacked))
      return failure();
    bind(n.output(i), *stacked);
  }
  return success();
}

FailureOr<Value> Importer::takeAt(Value v, int64_t axis, int64_t index,
                                  Location loc) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> offsets(type.getRank(), 0), sizes(type.getShape()),
      steps(type.getRank(), 1);
  offsets[axis] = index;
  sizes[axis] = 1;
  auto slice =
      create(nn::SliceOp::getOperationName(), loc, {v},
             {named("offsets", i64s(offsets)), named("sizes", i64s(sizes)),
              named("steps", i64s(steps))});
  if (failed(slice))
    return failure();
  SmallVector<int64_t> shape(type.getShape());
  shape.erase(shape.begin() + axis);
  return reshapeTo(*slice, shape, loc);
}

LogicalResult Importer::importScan(const ox::NodeProto &n, Location loc) {
  const ox::AttributeProto *bodyAttr = attr(n, "body");
  if (!bodyAttr || !bodyAttr->has_g())
    return emitError(loc) << "Scan node '" << nodeName(n) << "' has no body";
  const ox::GraphProto &body = bodyAttr->g();
  // Scan-8 starts with sequence_lens and scans axis 1 of a batch (axis 0),
  // running the body per batch element; Scan-9 has no batch and takes the
  // axes and directions as attributes.
  bool batched = opset < 9;
  if (batched && has(n, 0))
    return unsupported(n, loc, "sequence_lens (a length per batch element)");
  int first = batched ? 1 : 0;
  int numScanInputs = attrInt(n, "num_scan_inputs", 0);
  int numStates = n.input_size() - first - numScanInputs;
  int numScanOutputs = body.output_size() - numStates;
  if (numScanInputs < 1 || numStates < 0 || numScanOutputs < 0 ||
      body.input_size() != numStates + numScanInputs ||
      n.output_size() > numStates + numScanOutputs)
    return emitError(loc) << "Scan node '" << nodeName(n) << "': its body has "
                          << body.input_size() << " inputs and "
                          << body.output_size() << " outputs for "
                          << n.input_size() - first << " inputs, "
                          << numScanInputs << " of them scanned";
  std::vector<int64_t> inAxes =
                           attrInts(n, "scan_input_axes",
                                    std::vector<int64_t>(numScanInputs, 0)),
                       inReverse = attrInts(
                           n, batched ? "directions" : "scan_input_directions",
                           std::vector<int64_t>(numScanInputs, 0)),
                       outAxes =
                           attrInts(n, "scan_output_axes",
                                    std::vector<int64_t>(numScanOutputs, 0)),
                       outReverse =
                           attrInts(n, "scan_output_directions",
                                    std::vector<int64_t>(numScanOutputs, 0));
  if (static_cast<int>(inAxes.size()) != numScanInputs ||
      static_cast<int>(inReverse.size()) != numScanInputs ||
      static_cast<int>(outAxes.size()) != numScanOutputs ||
      static_cast<int>(outReverse.size()) != numScanOutputs)
    return emitError(loc) << "Scan node '" << nodeName(n)
                          << "': an axes or directions attribute has the "
                             "wrong length";

  std::vector<Value> states, scanned;
  for (int i = first; i < n.input_size(); ++i) {
    auto v = input(n, i, loc);
    if (failed(v))
      return failure();
    (i < first + numStates ? states : scanned).push_back(*v);
  }
  // Scan axes, after the batch axis where there is one.
  int64_t length = -1;
  for (int k = 0; k < numScanInputs; ++k) {
    auto type = cast<RankedTensorType>(scanned[k].getType());
    int64_t rank = type.getRank() - (batched ? 1 : 0);
    int64_t &axis = inAxes[k];
    if (axis < -rank || axis >= rank)
      return emitError(loc) << "Scan node '" << nodeName(n) << "': scan axis "
                            << axis << " is out of range for " << type;
    axis = (axis < 0 ? axis + rank : axis) + (batched ? 1 : 0);
    if (length >= 0 && type.getDimSize(axis) != length)
      return emitError(loc) << "Scan node '" << nodeName(n)
                            << "': the scan inputs differ in length";
    length = type.getDimSize(axis);
  }
  int64_t batch =
      batched ? cast<RankedTensorType>(scanned[0].getType()).getDimSize(0) : 1;
  int64_t bodyNodes = std::max<int64_t>(countNodes(body), 1);
  if (batch * length * bodyNodes > kMaxUnrolledNodes)
    return unsupported(
        n, loc,
        llvm::Twine(batch * length) + " iterations with a body of " +
            llvm::Twine(bodyNodes) + " nodes unroll to more than " +
            llvm::Twine(kMaxUnrolledNodes) + " nodes, Kiln's limit");
  if (length == 0)
    return unsupported(n, loc, "the scan inputs have no elements");

  // Per batch element (one, without a batch): the final states and the
  // stacked scan outputs.
  std::vector<std::vector<Bound>> finalStates(numStates),
      scanOutputs(numScanOutputs);
  for (int64_t b = 0; b < batch; ++b) {
    std::vector<Bound> state;
    for (Value s : states) {
      auto v = batched ? takeAt(s, 0, b, loc) : FailureOr<Value>(s);
      if (failed(v))
        return failure();
      state.push_back(Bound::of(*v));
    }
    // This batch element's scan inputs, scan axes renumbered without it.
    std::vector<Value> sequences = scanned;
    if (batched)
      for (Value &x : sequences) {
        auto row = takeAt(x, 0, b, loc);
        if (failed(row))
          return failure();
        x = *row;
      }
    std::vector<std::vector<Bound>> steps(numScanOutputs);
    for (int64_t t = 0; t < length; ++t) {
      std::vector<Bound> inputs = state;
      for (int k = 0; k < numScanInputs; ++k) {
        auto slice = takeAt(sequences[k], inAxes[k] - (batched ? 1 : 0),
                            inReverse[k] ? length - 1 - t : t, loc);
        if (failed(slice))
          return failure();
        inputs.push_back(Bound::of(*slice));
      }
      auto outputs = importSubgraph(n, loc, body, inputs);
      if (failed(outputs))
        return failure();
      state.assign(outputs->begin(), outputs->begin() + numStates);
      for (int k = 0; k < numScanOutputs; ++k)
        steps[k].push_back((*outputs)[numStates + k]);
    }
    for (int i = 0; i < numStates; ++i)
      finalStates[i].push_back(state[i]);
    for (int k = 0; k < numScanOutputs; ++k) {
      if (outReverse[k])
        std::reverse(steps[k].begin(), steps[k].end());
      int64_t axis = outAxes[k];
      if (axis < 0) { // counts from the end of the stacked output's rank
        auto v = valueOf(steps[k][0], loc);
        if (failed(v))
          return failure();
        axis += cast<RankedTensorType>(v->getType()).getRank() + 1;
      }
      auto stacked = stackScans(n, loc, numStates + k, steps[k], axis);
      if (failed(stacked))
        return failure();
      scanOutputs[k].push_back(*stacked);
    }
  }

  for (int i = 0; i < n.output_size(); ++i) {
    if (n.output(i).empty())
      continue;
    auto &parts = i < numStates ? finalStates[i] : scanOutputs[i - numStates];
    if (!batched) {
      bind(n.output(i), parts[0]);
      continue;
    }
    auto stacked = stackScans(n, loc, i, parts, 0);
    if (failed(stacked))
      return failure();
    bind(n.output(i), *stacked);
  }
  return success();
}

LogicalResult Importer::importIf(const ox::NodeProto &n, Location loc) {
  const ox::AttributeProto *thenAttr = attr(n, "then_branch"),
                           *elseAttr = attr(n, "else_branch");
  if (!thenAttr || !thenAttr->has_g() || !elseAttr || !elseAttr->has_g())
    return emitError(loc) << "If node '" << nodeName(n)
                          << "' needs then_branch and else_branch";
  const ox::GraphProto &thenBranch = thenAttr->g(), &elseBranch = elseAttr->g();
  if (thenBranch.output_size() != n.output_size() ||
      elseBranch.output_size() != n.output_size())
    return emitError(loc) << "If node '" << nodeName(n) << "' has "
                          << n.output_size() << " outputs, its branches "
                          << thenBranch.output_size() << " and "
                          << elseBranch.output_size();

  if (const ConstTensor *c = constant(n, 0)) {
    if (c->numElements() != 1)
      return emitError(loc) << "If condition must hold one element";
    auto outputs =
        importSubgraph(n, loc, c->intAt(0) != 0 ? thenBranch : elseBranch, {});
    if (failed(outputs))
      return failure();
    for (int i = 0; i < n.output_size(); ++i)
      bind(n.output(i), (*outputs)[i]);
    return success();
  }

  // A run-time condition: both branches are computed (they have no side
  // effects) and each output selected with nn.where.
  auto cond = input(n, 0, loc);
  if (failed(cond))
    return failure();
  auto condType = cast<RankedTensorType>(cond->getType());
  if (condType.getNumElements() != 1 || !condType.getElementType().isInteger(1))
    return emitError(loc) << "If condition must be one boolean, got "
                          << condType;
  if (condType.getRank() != 0) {
    // The rank-0 condition broadcasts to each output without changing it.
    cond = reshapeTo(*cond, {}, loc);
    if (failed(cond))
      return failure();
  }
  auto thenOutputs = importSubgraph(n, loc, thenBranch, {});
  if (failed(thenOutputs))
    return failure();
  auto elseOutputs = importSubgraph(n, loc, elseBranch, {});
  if (failed(elseOutputs))
    return failure();
  for (int i = 0; i < n.output_size(); ++i) {
    const Bound &t = (*thenOutputs)[i], &e = (*elseOutputs)[i];
    if (t.constant && e.constant && t.constant->dtype == e.constant->dtype &&
        t.constant->shape == e.constant->shape &&
        t.constant->bytes == e.constant->bytes) {
      bind(n.output(i), t);
      continue;
    }
    auto tv = valueOf(t, loc), ev = valueOf(e, loc);
    if (failed(tv) || failed(ev))
      return failure();
    if (tv->getType() != ev->getType())
      return runTimeOnly(
          n, loc, "the condition", n.input(0),
          "and output " + llvm::Twine(i) + " is " + typeString(tv->getType()) +
              " in then_branch but " + typeString(ev->getType()) +
              " in else_branch (selecting between them at run "
              "time needs one static shape and type)");
    auto r =
        create(nn::WhereOp::getOperationName(), loc, {*cond, *tv, *ev}, {});
    if (failed(r))
      return failure();
    setOutput(n, i, *r);
  }
  return success();
}

llvm::ArrayRef<OpHandler> Importer::controlFlowOps() {
  static const OpHandler table[] = {
      {"Loop", &Importer::importLoop},
      {"If", &Importer::importIf},
      {"Scan", &Importer::importScan},
  };
  return table;
}

} // namespace kiln::onnx
