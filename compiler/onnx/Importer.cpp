//===- Importer.cpp - ONNX model to nn dialect ----------------------------===//
//
// Reads a ModelProto with libonnx's protobuf classes, validates it with
// ONNX's own checker and shape inference, and emits `func.func @main` in the
// nn dialect. Each op carries its ONNX node name as its location.
//
// Integer "shape arithmetic" subgraphs (Shape, Gather, Unsqueeze, Concat, ...
// on constants) are evaluated here, as onnx-mlir does, so that Reshape and
// Slice see constant operands. Everything else becomes an nn op.
//
//===----------------------------------------------------------------------===//
#include "compiler/onnx/ImporterImpl.h"
#include "dialects/nn/ConstantEvaluation.h"

#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MemoryBuffer.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>
#include <onnx/version_converter/convert.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <stdexcept>
#include <string>

using namespace mlir;
namespace ox = ::onnx;

namespace kiln::onnx {

bool parseShape(llvm::StringRef text, std::vector<int64_t> &dims) {
  dims.clear();
  if (text.empty())
    return false;
  llvm::SmallVector<llvm::StringRef> parts;
  text.split(parts, 'x');
  for (llvm::StringRef p : parts) {
    int64_t d;
    if (p.getAsInteger(10, d) || d < 0 || d > (int64_t(1) << 31))
      return false;
    dims.push_back(d);
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Model level
//===----------------------------------------------------------------------===//

namespace {

/// Models older than opset 7 are upgraded to this one with ONNX's version
/// converter before import, so the op handlers only see opset-7+ semantics
/// (numpy broadcasting, inputs instead of attributes, ...). 9 rather than 7:
/// old exporters emit Constants of types that Constant-1 does not allow.
constexpr int64_t kUpgradeOpset = 9;

int64_t defaultOpset(const ox::ModelProto &model) {
  for (const auto &imp : model.opset_import())
    if (imp.domain().empty() || imp.domain() == "ai.onnx")
      return imp.version();
  return 0;
}

std::string oneLine(const std::exception &e) {
  std::string what = e.what();
  std::replace(what.begin(), what.end(), '\n', ' ');
  return what;
}

/// Why an attribute of `node` holds a value that ONNX's own shape inference
/// divides by without checking (it dies of SIGFPE), or "".
std::string divisorAttributeProblem(const ox::NodeProto &node) {
  for (const auto &a : node.attribute())
    if ((a.name() == "strides" &&
         llvm::any_of(a.ints(), [](int64_t v) { return v <= 0; })) ||
        (a.name() == "blocksize" && a.i() <= 0))
      return a.name() + " must be positive";
  return "";
}

/// The first output of `graph` that no graph input, initializer or node
/// produces, or null. ONNX's version converter dereferences a null value
/// for such an output (onnx::graphProtoToGraph), so it is refused before.
const ox::ValueInfoProto *unproducedOutput(const ox::GraphProto &graph) {
  std::set<std::string> produced;
  for (const auto &in : graph.input())
    produced.insert(in.name());
  for (const auto &t : graph.initializer())
    produced.insert(t.name());
  for (const auto &node : graph.node())
    produced.insert(node.output().begin(), node.output().end());
  for (const auto &out : graph.output())
    if (!produced.count(out.name()))
      return &out;
  return nullptr;
}

/// Throws when input `i`'s shape is known and its rank is not `rank`.
void requireRank(ox::InferenceContext &ctx, size_t i, int rank,
                 const char *what) {
  if (ox::hasInputShape(ctx, i) && ox::getInputShape(ctx, i).dim_size() != rank)
    throw std::runtime_error(
        std::string(what) + " has rank " +
        std::to_string(ox::getInputShape(ctx, i).dim_size()) + ", not " +
        std::to_string(rank));
}

/// ONNX's schemas, except that the shape inference of some ops first checks
/// what libonnx's own function (1.12) reads without checking, so that a
/// model that would crash it is refused instead:
/// - Gemm-1 and Gemm-6 read dimension 1 of A and B whatever their rank
///   (past the end of a protobuf repeated field for a rank-1 input), and the
///   version converter's Gemm 6 -> 7 adapter indexes their shapes the same
///   way: A and B must have rank 2.
/// - Conv, ConvInteger, QLinearConv and ConvTranspose, without a
///   kernel_shape attribute, take the kernel's rank from W and index the
///   per-dimension dilations and strides, sized from X, with it (a null
///   vector for a rank-2 X); with one, they still read W's dimension 0
///   (ConvTranspose: 1) for the output channels: W must have X's rank.
///   ConvTranspose also reads W's type without checking that it has one.
/// - STFT-17 reads dimensions 0 and 1 of the signal whatever its rank: the
///   signal must have rank 3 ([batch, length, 1 or 2]).
/// Ops Kiln has no handler for never reach inference (checkAllSupported).
/// The checks throw a std::runtime_error, not an InferenceError, which
/// non-strict inference (the opset upgrade's) would swallow.
class CheckedSchemaRegistry final : public ox::ISchemaRegistry {
public:
  CheckedSchemaRegistry() {
    for (int version : {1, 6})
      wrap("Gemm", version, [](ox::InferenceContext &ctx) {
        requireRank(ctx, 0, 2, "Gemm input A");
        requireRank(ctx, 1, 2, "Gemm input B");
      });
    for (auto [name, w] : {std::pair<const char *, size_t>{"Conv", 1},
                           {"ConvInteger", 1},
                           {"QLinearConv", 3},
                           {"ConvTranspose", 1}}) {
      std::string op = name;
      size_t wIndex = w;
      auto check = [op, wIndex](ox::InferenceContext &ctx) {
        if (!ox::hasInputShape(ctx, 0))
          return;
        if (wIndex >= ctx.getNumInputs() || !ctx.getInputType(wIndex))
          throw std::runtime_error(op + " input W has no type");
        int rank = ox::getInputShape(ctx, 0).dim_size();
        if (ox::hasInputShape(ctx, wIndex) &&
            ox::getInputShape(ctx, wIndex).dim_size() != rank)
          throw std::runtime_error(
              op + " input W has rank " +
              std::to_string(ox::getInputShape(ctx, wIndex).dim_size()) +
              ", X has rank " + std::to_string(rank));
      };
      for (int version = 1; version <= kMaxOpset; ++version)
        wrap(op, version, check);
    }
    wrap("STFT", 17, [](ox::InferenceContext &ctx) {
      requireRank(ctx, 0, 3, "STFT input signal");
    });
  }

  const ox::OpSchema *GetSchema(const std::string &key, int maxInclusiveVersion,
                                const std::string &domain) const override {
    const ox::OpSchema *schema =
        ox::OpSchemaRegistry::Schema(key, maxInclusiveVersion, domain);
    if (!schema || !schema->domain().empty())
      return schema;
    auto it = checked.find({key, schema->SinceVersion()});
    return it == checked.end() ? schema : &it->second;
  }

private:
  /// Checks `check` before `op`'s inference function, in the schema that
  /// opset `version` uses (once per schema).
  void wrap(const std::string &op, int version,
            std::function<void(ox::InferenceContext &)> check) {
    const ox::OpSchema *original = ox::OpSchemaRegistry::Schema(op, version);
    if (!original || checked.count({op, original->SinceVersion()}))
      return;
    ox::OpSchema schema = *original;
    schema.TypeAndShapeInferenceFunction(
        [check = std::move(check),
         infer = original->GetTypeAndShapeInferenceFunction()](
            ox::InferenceContext &ctx) {
          check(ctx);
          if (infer)
            infer(ctx);
        });
    checked.emplace(std::make_pair(op, original->SinceVersion()),
                    std::move(schema));
  }

  std::map<std::pair<std::string, int>, ox::OpSchema> checked;
};

/// The version converter's Gemm 6 -> 7 adapter reads the shapes of A, B
/// and C from the graph after shape inference without checking them (a C
/// computed by another Gemm, of unknown shape, made it allocate a vector of
/// a garbage size): every input of an old Gemm must have a known shape, A
/// and B of rank 2, C of rank at most 2. Throws std::runtime_error.
void checkGemmShapesForUpgrade(const ox::GraphProto &graph) {
  std::map<std::string, int> rank;
  for (const auto &v : graph.input())
    if (v.type().tensor_type().has_shape())
      rank[v.name()] = v.type().tensor_type().shape().dim_size();
  for (const auto &v : graph.value_info())
    if (v.type().tensor_type().has_shape())
      rank[v.name()] = v.type().tensor_type().shape().dim_size();
  for (const auto &t : graph.initializer())
    rank[t.name()] = t.dims_size();
  for (const auto &n : graph.node()) {
    if (n.op_type() != "Gemm" || !n.domain().empty())
      continue;
    for (int i = 0; i < n.input_size() && i < 3; ++i) {
      if (n.input(i).empty())
        continue;
      auto it = rank.find(n.input(i));
      if (it == rank.end())
        throw std::runtime_error("Gemm input '" + n.input(i) +
                                 "' has no known shape");
      if (i < 2 ? it->second != 2 : it->second > 2)
        throw std::runtime_error("Gemm input '" + n.input(i) + "' has rank " +
                                 std::to_string(it->second));
    }
  }
}

const CheckedSchemaRegistry &checkedSchemas() {
  static const CheckedSchemaRegistry registry;
  return registry;
}

} // namespace

GraphSize graphSize(const ox::GraphProto &graph, int64_t maxDepth) {
  GraphSize size;
  size.nodes = graph.node_size();
  if (maxDepth < 0) {
    size.depth = 1; // deeper than asked: the caller refuses it
    return size;
  }
  for (const auto &node : graph.node())
    for (const auto &a : node.attribute()) {
      auto add = [&](const ox::GraphProto &sub) {
        GraphSize inner = graphSize(sub, maxDepth - 1);
        size.nodes += inner.nodes;
        size.depth = std::max(size.depth, inner.depth + 1);
      };
      if (a.has_g())
        add(a.g());
      for (const auto &sub : a.graphs())
        add(sub);
    }
  return size;
}

LogicalResult Importer::checkModel(ox::ModelProto &model) {
  if (!model.has_graph())
    return emitError(fileLoc) << "not an ONNX model: no graph";
  GraphSize size = graphSize(model.graph(), options.maxSubgraphDepth);
  if (size.depth > options.maxSubgraphDepth)
    return emitError(fileLoc)
           << "subgraphs nest more than " << options.maxSubgraphDepth
           << " deep (If, Loop and Scan bodies inside one another)";
  if (size.nodes > options.maxNodes)
    return emitError(fileLoc) << "the graph has " << size.nodes
                              << " nodes (subgraphs included), more than "
                                 "the limit of "
                              << options.maxNodes << " (--max-nodes)";
  opset = sourceOpset = defaultOpset(model);
  if (opset == 0)
    return emitError(fileLoc) << "model imports no default ONNX opset";
  if (opset < 1 || opset > kMaxOpset)
    return emitError(fileLoc)
           << "opset " << opset << " is not supported (Kiln supports opsets "
           << 1 << "-" << kMaxOpset << ")";
  try {
    ox::checker::check_model(model);
  } catch (const std::exception &e) {
    return emitError(fileLoc) << "invalid ONNX model: " << oneLine(e);
  }
  // Only the ops Kiln lowers reach ONNX's shape inference and version
  // converter: an unsupported op is refused here, and libonnx's code for it
  // never sees the (untrusted) model.
  if (failed(checkAllSupported(model.graph())))
    return failure();
  // libonnx's shape inference copies the raw_data of constant inputs into
  // vectors sized from it without checking it against the data type
  // (ParseData): every tensor is checked as the import will read it first.
  if (failed(checkAllTensors(model.graph())))
    return failure();
  if (failed(
          walkGraphs(model.graph(), fileLoc, noGraphCheck,
                     [&](const ox::NodeProto &node, Location) -> LogicalResult {
                       std::string why = divisorAttributeProblem(node);
                       if (why.empty())
                         return success();
                       return emitError(fileLoc)
                              << "invalid ONNX model: node '" << nodeName(node)
                              << "' (" << node.op_type() << "): " << why;
                     })))
    return failure();
  if (opset >= kMinOpset)
    return success();
  if (const auto *out = unproducedOutput(model.graph()))
    return emitError(fileLoc)
           << "graph output '" << out->name() << "' is never produced";
  try {
    // The converter's adapters read the shapes of intermediate values.
    ox::shape_inference::InferShapes(model, &checkedSchemas());
    checkGemmShapesForUpgrade(model.graph());
    ox::ModelProto upgraded =
        ox::version_conversion::ConvertVersion(model, kUpgradeOpset);
    model = std::move(upgraded);
  } catch (const std::exception &e) {
    return emitError(fileLoc)
           << "cannot upgrade the opset-" << opset << " model to opset "
           << kUpgradeOpset << " (ONNX version converter): " << oneLine(e);
  }
  opset = defaultOpset(model);
  return success();
}

LogicalResult Importer::freezeInputs(ox::GraphProto &graph) {
  std::set<std::string> initializers;
  for (const auto &t : graph.initializer())
    initializers.insert(t.name());
  for (const auto &frozen : options.frozenInputs) {
    const std::string &name = frozen.first, &path = frozen.second;
    auto in = llvm::find_if(graph.input(), [&](const ox::ValueInfoProto &v) {
      return v.name() == name && !initializers.count(name);
    });
    if (in == graph.input().end())
      return emitError(fileLoc) << "--freeze-input names '" << name
                                << "', which is not an input of the model";
    auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                              /*RequiresNullTerminator=*/false);
    if (!buffer)
      return emitError(fileLoc)
             << "--freeze-input " << name << ": cannot read '" << path
             << "': " << buffer.getError().message();
    ox::TensorProto value;
    llvm::StringRef bytes = (*buffer)->getBuffer();
    if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
        !value.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) ||
        value.data_type() == ox::TensorProto::UNDEFINED)
      return emitError(fileLoc) << "--freeze-input " << name << ": '" << path
                                << "' is not an ONNX TensorProto";
    const auto &type = in->type();
    if (!type.has_tensor_type())
      return emitError(fileLoc)
             << "--freeze-input " << name << ": the input is not a tensor";
    if (value.data_type() != type.tensor_type().elem_type())
      return emitError(fileLoc)
             << "--freeze-input " << name << ": the value's data type ("
             << ox::TensorProto::DataType_Name(
                    static_cast<ox::TensorProto::DataType>(value.data_type()))
             << ") is not the input's ("
             << ox::TensorProto::DataType_Name(
                    static_cast<ox::TensorProto::DataType>(
                        type.tensor_type().elem_type()))
             << ")";
    if (type.tensor_type().has_shape()) {
      const auto &shape = type.tensor_type().shape();
      bool fits = shape.dim_size() == value.dims_size();
      std::string expected;
      for (int i = 0; i < shape.dim_size(); ++i) {
        const auto &dim = shape.dim(i);
        expected += (i ? "x" : "") + (dim.has_dim_value()
                                          ? std::to_string(dim.dim_value())
                                          : std::string("?"));
        fits =
            fits && (!dim.has_dim_value() || dim.dim_value() == value.dims(i));
      }
      if (!fits)
        return emitError(fileLoc)
               << "--freeze-input " << name << ": the value's shape "
               << shapeString(std::vector<int64_t>(value.dims().begin(),
                                                   value.dims().end()))
               << " does not fit the input's ("
               << (expected.empty() ? "scalar" : expected) << ")";
    }
    // An initializer that shadows a graph input is how ONNX spells a default
    // value; the importer treats such inputs as constants.
    value.set_name(name);
    *graph.add_initializer() = std::move(value);
  }
  return success();
}

LogicalResult Importer::pinInputShapes(ox::GraphProto &graph) {
  std::set<std::string> initializers;
  for (const auto &t : graph.initializer())
    initializers.insert(t.name());
  std::set<std::string> inputs;
  for (const auto &in : graph.input())
    if (!initializers.count(in.name()))
      inputs.insert(in.name());
  for (const auto &[name, dims] : options.inputShapes)
    if (!inputs.count(name))
      return emitError(fileLoc) << "--input-shape names '" << name
                                << "', which is not an input of the model";
  for (auto &in : *graph.mutable_input()) {
    if (initializers.count(in.name()))
      continue;
    if (!in.type().has_tensor_type())
      return emitError(fileLoc)
             << "input '" << in.name() << "' is not a tensor";
    auto *shape = in.mutable_type()->mutable_tensor_type()->mutable_shape();
    auto pinned = options.inputShapes.find(in.name());
    if (pinned != options.inputShapes.end()) {
      const std::vector<int64_t> &dims = pinned->second;
      if (static_cast<int>(dims.size()) != shape->dim_size() &&
          in.type().tensor_type().has_shape())
        return emitError(fileLoc)
               << "--input-shape " << in.name() << "=" << shapeString(dims)
               << " has rank " << dims.size() << ", the model's input has rank "
               << shape->dim_size();
      for (int i = 0; i < shape->dim_size(); ++i)
        if (shape->dim(i).has_dim_value() && shape->dim(i).dim_value() > 0 &&
            shape->dim(i).dim_value() != dims[i])
          return emitError(fileLoc)
                 << "--input-shape " << in.name() << "=" << shapeString(dims)
                 << " conflicts with the model's static dimension " << i
                 << " = " << shape->dim(i).dim_value();
      shape->clear_dim();
      for (int64_t d : dims)
        shape->add_dim()->set_dim_value(d);
      continue;
    }
    if (!in.type().tensor_type().has_shape())
      return emitError(fileLoc) << "input '" << in.name()
                                << "' has no shape; give one with "
                                   "--input-shape "
                                << in.name() << "=DIMS";
    for (const auto &d : shape->dim())
      // An explicit dim_value of 0 is a real, empty dimension.
      if (!d.has_dim_value() || d.dim_value() < 0)
        return emitError(fileLoc)
               << "input '" << in.name() << "' has dynamic dimension '"
               << (d.has_dim_param() ? d.dim_param() : "?")
               << "'; pin it with --input-shape " << in.name() << "=DIMS";
  }
  return success();
}

/// ONNX 1.12's STFT shape inference reads `onesided` with a default of 0,
/// while the schema's default is 1: a model that relies on the default gets
/// frame_length bins inferred instead of frame_length/2+1, and strict
/// inference refuses it. Spelling the default out changes no semantics.
static void spellOutStftOnesided(ox::GraphProto &graph) {
  for (auto &node : *graph.mutable_node()) {
    if (node.op_type() != "STFT" ||
        llvm::any_of(node.attribute(), [](const ox::AttributeProto &a) {
          return a.name() == "onesided";
        }))
      continue;
    ox::AttributeProto *a = node.add_attribute();
    a->set_name("onesided");
    a->set_type(ox::AttributeProto::INT);
    a->set_i(1);
  }
}

OwningOpRef<ModuleOp> Importer::run(ox::ModelProto &model) {
  if (failed(checkModel(model)) ||
      failed(freezeInputs(*model.mutable_graph())) ||
      failed(pinInputShapes(*model.mutable_graph())))
    return nullptr;
  spellOutStftOnesided(*model.mutable_graph());
  try {
    ox::shape_inference::InferShapes(
        model, &checkedSchemas(),
        ox::ShapeInferenceOptions(/*check_type=*/true, /*strict_mode=*/1));
  } catch (const std::exception &e) {
    emitError(fileLoc) << "inconsistent model (ONNX shape inference): "
                       << oneLine(e);
    return nullptr;
  }
  const ox::GraphProto &graph = model.graph();

  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  builder.setInsertionPointToEnd(module->getBody());

  for (const auto &t : graph.initializer()) {
    auto c = readTensor(t, fileLoc);
    if (failed(c))
      return nullptr;
    consts[t.name()] = std::move(*c);
  }
  // ONNX element types by value name: MLIR integers are signless, so the
  // ops that care and the boundary look unsigned types up here.
  for (const auto *infos :
       {&graph.input(), &graph.value_info(), &graph.output()})
    for (const auto &vi : *infos)
      if (vi.type().has_tensor_type())
        onnxTypes[vi.name()] = vi.type().tensor_type().elem_type();
  // Subgraphs (Loop, Scan and If bodies) use outer values by name too.
  std::function<void(const ox::GraphProto &)> collectUses =
      [&](const ox::GraphProto &g) {
        for (const auto &node : g.node()) {
          for (const auto &i : node.input())
            used.insert(i);
          for (const auto &a : node.attribute()) {
            if (a.has_g())
              collectUses(a.g());
            for (const auto &sub : a.graphs())
              collectUses(sub);
          }
        }
        for (const auto &o : g.output())
          used.insert(o.name());
      };
  collectUses(graph);

  // Signature: graph inputs (minus initializers) -> graph outputs.
  SmallVector<Type> argTypes;
  SmallVector<std::string> argNames;
  for (const auto &in : graph.input()) {
    if (consts.count(in.name()))
      continue;
    const auto &tt = in.type().tensor_type();
    auto et = elementType(tt.elem_type(), fileLoc);
    if (failed(et))
      return nullptr;
    SmallVector<int64_t> dims;
    for (const auto &d : tt.shape().dim())
      dims.push_back(d.dim_value());
    uint64_t esize = std::max<uint64_t>(1, et->getIntOrFloatBitWidth() / 8);
    if (exceedsElements(dims, options.maxTensorBytes / esize)) {
      emitError(fileLoc) << "graph input '" << in.name()
                         << "' is larger than the limit of "
                         << options.maxTensorBytes
                         << " bytes (--max-tensor-bytes)";
      return nullptr;
    }
    argTypes.push_back(RankedTensorType::get(dims, *et));
    argNames.push_back(in.name());
  }
  auto func = func::FuncOp::create(builder, fileLoc, "main",
                                   builder.getFunctionType(argTypes, {}));
  Block *entry = func.addEntryBlock();
  for (auto [i, name] : llvm::enumerate(argNames)) {
    values[name] = entry->getArgument(i);
    func.setArgAttr(i, "kiln.name", builder.getStringAttr(name));
    if (isUnsignedType(onnxTypes[name]))
      func.setArgAttr(i, "kiln.unsigned", builder.getUnitAttr());
  }
  builder.setInsertionPointToEnd(entry);

  scopes.push_back(&graph);
  if (failed(importNodes(graph)))
    return nullptr;

  SmallVector<Value> results;
  for (const auto &out : graph.output()) {
    Value v;
    if (auto it = values.find(out.name()); it != values.end())
      v = it->second;
    else if (auto c = consts.find(out.name()); c != consts.end()) {
      auto m = materialize(c->second, fileLoc);
      if (failed(m))
        return nullptr;
      v = *m;
    } else {
      emitError(fileLoc) << "graph output '" << out.name()
                         << "' is never produced";
      return nullptr;
    }
    results.push_back(v);
  }
  func::ReturnOp::create(builder, fileLoc, results);
  func.setType(
      builder.getFunctionType(argTypes, ValueRange(results).getTypes()));
  for (auto [i, out] : llvm::enumerate(graph.output())) {
    func.setResultAttr(i, "kiln.name", builder.getStringAttr(out.name()));
    if (isUnsignedType(onnxTypes[out.name()]))
      func.setResultAttr(i, "kiln.unsigned", builder.getUnitAttr());
  }

  // Every tensor the import made (shapes inferred from untrusted
  // attributes and inputs included) stays within the limit.
  WalkResult big = module->walk([&](Operation *op) {
    for (Type t : op->getResultTypes()) {
      auto tt = dyn_cast<RankedTensorType>(t);
      if (!tt || !tt.getElementType().isIntOrFloat())
        continue;
      uint64_t esize = std::max<uint64_t>(
          1, tt.getElementType().getIntOrFloatBitWidth() / 8);
      if (exceedsElements(tt.getShape(), options.maxTensorBytes / esize)) {
        op->emitError("'") << op->getName()
                           << "' makes a tensor larger than the limit of "
                           << options.maxTensorBytes
                           << " bytes (--max-tensor-bytes)";
        return WalkResult::interrupt();
      }
    }
    return WalkResult::advance();
  });
  if (big.wasInterrupted() || failed(verify(*module)))
    return nullptr;
  return module;
}

//===----------------------------------------------------------------------===//
// Values and constants
//===----------------------------------------------------------------------===//

FailureOr<Type> Importer::elementType(int32_t dtype, Location loc) {
  switch (dtype) {
  case ox::TensorProto::FLOAT:
    return Type(builder.getF32Type());
  case ox::TensorProto::DOUBLE:
    return Type(builder.getF64Type());
  case ox::TensorProto::FLOAT16:
    return Type(builder.getF16Type());
  case ox::TensorProto::BFLOAT16:
    return Type(builder.getBF16Type());
  // Signless: the unsigned types are told apart by their ONNX type.
  case ox::TensorProto::INT64:
  case ox::TensorProto::UINT64:
    return Type(builder.getI64Type());
  case ox::TensorProto::INT32:
  case ox::TensorProto::UINT32:
    return Type(builder.getI32Type());
  case ox::TensorProto::INT16:
  case ox::TensorProto::UINT16:
    return Type(builder.getI16Type());
  case ox::TensorProto::INT8:
  case ox::TensorProto::UINT8:
    return Type(builder.getI8Type());
  case ox::TensorProto::BOOL:
    return Type(builder.getI1Type());
  default:
    return emitError(loc) << "unsupported tensor data type "
                          << ox::TensorProto::DataType_Name(
                                 static_cast<ox::TensorProto::DataType>(
                                     ox::TensorProto::DataType_IsValid(dtype)
                                         ? dtype
                                         : 0));
  }
}

/// How many values `t` holds in the typed field of its data type (the one
/// readTensor copies from when there is no raw_data).
static int64_t typedValueCount(const ox::TensorProto &t) {
  switch (t.data_type()) {
  case ox::TensorProto::FLOAT:
    return t.float_data_size();
  case ox::TensorProto::DOUBLE:
    return t.double_data_size();
  case ox::TensorProto::INT64:
    return t.int64_data_size();
  case ox::TensorProto::UINT32:
  case ox::TensorProto::UINT64:
    return t.uint64_data_size();
  default: // INT32, and 8- and 16-bit types (16-bit floats as bits)
    return t.int32_data_size();
  }
}

FailureOr<ConstTensor> Importer::checkTensor(const ox::TensorProto &t,
                                             Location loc) {
  if (t.data_location() == ox::TensorProto::EXTERNAL)
    return emitError(loc) << "tensor '" << t.name()
                          << "' uses external data, which is not supported";
  ConstTensor c;
  c.dtype = t.data_type();
  size_t esize = elementSize(c.dtype);
  if (!esize)
    return emitError(loc) << "tensor '" << t.name()
                          << "' has unsupported data type " << c.dtype;
  uint64_t n = 1;
  for (int64_t d : t.dims()) {
    if (d < 0)
      return emitError(loc)
             << "tensor '" << t.name() << "' has a negative dimension";
    if (d && n > options.maxTensorBytes / static_cast<uint64_t>(d))
      return emitError(loc) << "tensor '" << t.name() << "' is too large";
    n *= d;
    c.shape.push_back(d);
  }
  if (n * esize > options.maxTensorBytes)
    return emitError(loc) << "tensor '" << t.name() << "' is too large ("
                          << n * esize << " bytes)";
  if (t.has_raw_data() && t.raw_data().size() != n * esize)
    return emitError(loc) << "tensor '" << t.name() << "' has "
                          << t.raw_data().size()
                          << " bytes of raw data, its shape "
                          << shapeString(c.shape) << " needs " << n * esize;
  if (!t.has_raw_data() && static_cast<uint64_t>(typedValueCount(t)) != n)
    return emitError(loc) << "tensor '" << t.name() << "' holds "
                          << typedValueCount(t) << " values, its shape "
                          << shapeString(c.shape) << " needs " << n;
  return c;
}

LogicalResult Importer::checkAllTensors(const ox::GraphProto &graph) {
  return walkGraphs(
      graph, fileLoc,
      [&](const ox::GraphProto &g, Location loc) -> LogicalResult {
        if (g.sparse_initializer_size())
          return emitError(loc) << "sparse initializers are not supported";
        for (const auto &t : g.initializer())
          if (failed(checkTensor(t, loc)))
            return failure();
        return success();
      },
      [&](const ox::NodeProto &node, Location loc) -> LogicalResult {
        for (const auto &a : node.attribute()) {
          if (a.has_sparse_tensor() || a.sparse_tensors_size())
            return emitError(loc) << "attribute '" << a.name()
                                  << "': sparse tensors are not supported";
          if (a.has_t() && failed(checkTensor(a.t(), loc)))
            return failure();
          for (const auto &t : a.tensors())
            if (failed(checkTensor(t, loc)))
              return failure();
        }
        return success();
      });
}

FailureOr<ConstTensor> Importer::readTensor(const ox::TensorProto &t,
                                            Location loc) {
  FailureOr<ConstTensor> c = checkTensor(t, loc);
  if (failed(c))
    return failure();
  if (t.has_raw_data()) {
    c->bytes = t.raw_data();
    return c;
  }
  size_t esize = elementSize(c->dtype);
  uint64_t n = c->numElements();
  c->bytes.resize(n * esize);
  auto copyFrom = [&](const auto &field, auto convert) {
    for (uint64_t i = 0; i < n; ++i)
      convert(field.Get(i), c->bytes.data() + i * esize);
  };
  // Keeps the low `esize` bytes of the field's type `v` (kilnc runs on
  // little-endian hosts, so those are the narrower type's bytes).
  auto store = [&](auto v) {
    return [esize](auto x, char *dst) {
      decltype(v) y = static_cast<decltype(v)>(x);
      std::memcpy(dst, &y, esize);
    };
  };
  switch (c->dtype) {
  case ox::TensorProto::FLOAT:
    copyFrom(t.float_data(), store(float()));
    break;
  case ox::TensorProto::DOUBLE:
    copyFrom(t.double_data(), store(double()));
    break;
  case ox::TensorProto::INT64:
    copyFrom(t.int64_data(), store(int64_t()));
    break;
  case ox::TensorProto::UINT32:
  case ox::TensorProto::UINT64:
    copyFrom(t.uint64_data(), store(uint64_t()));
    break;
  default: // typedValueCount's int32_data
    copyFrom(t.int32_data(), store(int32_t()));
    break;
  }
  return c;
}

FailureOr<Value> Importer::materialize(const ConstTensor &t, Location loc) {
  auto et = elementType(t.dtype, loc);
  if (failed(et))
    return failure();
  auto type = RankedTensorType::get(t.shape, *et);
  ElementsAttr value;
  if (t.dtype == ox::TensorProto::BOOL) { // i1 attributes are bit-packed
    SmallVector<bool> bits;
    for (char c : t.bytes)
      bits.push_back(c != 0);
    value = DenseElementsAttr::get(type, bits);
    return nn::ConstantOp::create(builder, loc, type, value).getResult();
  }
  value = nn::constantValue(type, {t.bytes.data(), t.bytes.size()});
  return nn::ConstantOp::create(builder, loc, type, value).getResult();
}

FailureOr<Value> Importer::input(const ox::NodeProto &n, int i, Location loc) {
  if (!has(n, i))
    return emitError(loc) << n.op_type() << " node '" << nodeName(n)
                          << "' is missing input " << i;
  const std::string &name = n.input(i);
  if (auto it = values.find(name); it != values.end())
    return it->second;
  if (auto c = consts.find(name); c != consts.end()) {
    auto v = materialize(c->second, loc);
    if (succeeded(v))
      values[name] = *v;
    return v;
  }
  return emitError(loc) << "input '" << name << "' of node '" << nodeName(n)
                        << "' is not defined before use";
}

FailureOr<RankedTensorType> Importer::inputType(const ox::NodeProto &n, int i,
                                                Location loc) {
  auto v = input(n, i, loc);
  if (failed(v))
    return failure();
  return cast<RankedTensorType>(v->getType());
}

LogicalResult Importer::constantInput(const ox::NodeProto &n, int i,
                                      Location loc, const ConstTensor *&out) {
  out = constant(n, i);
  if (!out) {
    std::string name = has(n, i) ? n.input(i) : "";
    return unsupported(n, loc,
                       "input " + llvm::Twine(i) + " ('" + name +
                           "') must be a compile-time constant" +
                           freezeHint(name, /*orItself=*/false));
  }
  return success();
}

std::string Importer::freezeHint(const std::string &name, bool orItself,
                                 const ox::GraphProto *inner) const {
  // Walk back from `name` through the nodes that compute it, innermost
  // graph first, to a model input that is not a constant yet.
  std::vector<const ox::GraphProto *> graphs(scopes.rbegin(), scopes.rend());
  if (inner)
    graphs.insert(graphs.begin(), inner);
  const ox::GraphProto &model = *scopes.front();
  std::set<std::string> seen;
  std::vector<std::string> work = {name};
  while (!work.empty()) {
    std::string v = work.back();
    work.pop_back();
    if (v.empty() || consts.count(v) || !seen.insert(v).second)
      continue;
    for (const ox::GraphProto *g : graphs) {
      auto isV = [&](const auto &x) { return x.name() == v; };
      if (g == &model) {
        int index = 0;
        for (const auto &in : g->input()) {
          if (in.name() == v)
            return orItself || v != name
                       ? "; model input " + std::to_string(index) + " ('" + v +
                             "') must be a compile-time constant"
                       : "";
          if (!consts.count(in.name()))
            ++index;
        }
      }
      if (llvm::any_of(g->input(), isV) || llvm::any_of(g->initializer(), isV))
        break;
      auto producer = llvm::find_if(g->node(), [&](const ox::NodeProto &p) {
        return llvm::is_contained(p.output(), v);
      });
      if (producer != g->node().end()) {
        work.insert(work.end(), producer->input().begin(),
                    producer->input().end());
        break;
      }
    }
  }
  return "";
}

LogicalResult Importer::refuseExtraOutputs(const ox::NodeProto &n, int keep,
                                           Location loc) {
  for (int i = keep; i < n.output_size(); ++i)
    if (consumed(n, i))
      return unsupported(n, loc,
                         "output " + llvm::Twine(i) + " ('" + n.output(i) +
                             "') is only produced in training mode");
  return success();
}

FailureOr<Value> Importer::create(llvm::StringRef opName, Location loc,
                                  ValueRange operands,
                                  llvm::ArrayRef<NamedAttribute> attrs,
                                  unsigned numResults) {
  OperationState state(loc, opName);
  state.addOperands(operands);
  state.addAttributes(attrs);
  for (unsigned i = 0; i < numResults; ++i)
    state.addTypes(UnrankedTensorType::get(builder.getF32Type()));
  Operation *op = builder.create(state);
  SmallVector<Type> types;
  auto iface = cast<InferTypeOpInterface>(op);
  if (failed(iface.inferReturnTypes(
          &ctx, loc, op->getOperands(), op->getRawDictionaryAttrs(),
          op->getPropertiesStorage(), op->getRegions(), types))) {
    op->erase();
    return failure();
  }
  for (unsigned i = 0; i < numResults; ++i)
    op->getResult(i).setType(types[i]);
  return op->getResult(0);
}

FailureOr<Value> Importer::reshapeTo(Value v, llvm::ArrayRef<int64_t> shape,
                                     Location loc) {
  auto type = cast<RankedTensorType>(v.getType());
  auto result = RankedTensorType::get(shape, type.getElementType());
  auto op = nn::ReshapeOp::create(builder, loc, result, v);
  if (failed(op.verify())) {
    op->erase();
    return failure();
  }
  return op.getResult();
}

//===----------------------------------------------------------------------===//
// Dispatch
//===----------------------------------------------------------------------===//

const llvm::StringMap<Importer::Handler> &Importer::handlerTable() {
  static const llvm::StringMap<Handler> handlers = [] {
    llvm::StringMap<Handler> map;
    for (auto family : {convOps, elementwiseOps, normalizationOps, poolingOps,
                        reductionOps, dataMovementOps, tensorOps, resizeOps,
                        encodingOps, signalOps, controlFlowOps})
      for (const OpHandler &h : family())
        map[h.opType] = h.handler;
    return map;
  }();
  return handlers;
}

LogicalResult Importer::checkSupported(const ox::NodeProto &node,
                                       Location loc) {
  if (!node.domain().empty() && node.domain() != "ai.onnx")
    return emitError(loc) << "unsupported operator " << node.domain()
                          << "::" << node.op_type() << " (node '"
                          << nodeName(node)
                          << "'): custom domains are not supported";
  if (!handlerTable().count(node.op_type()))
    return emitError(loc) << "unsupported operator " << node.op_type()
                          << " (node '" << nodeName(node) << "', opset "
                          << opset << "): Kiln has no lowering for it";
  return success();
}

LogicalResult Importer::checkAllSupported(const ox::GraphProto &graph) {
  return walkGraphs(graph, fileLoc, noGraphCheck,
                    [&](const ox::NodeProto &node, Location loc) {
                      return checkSupported(node, loc);
                    });
}

LogicalResult Importer::walkGraphs(const ox::GraphProto &graph, Location loc,
                                   GraphCheck onGraph, NodeCheck onNode) {
  if (failed(onGraph(graph, loc)))
    return failure();
  for (const auto &node : graph.node()) {
    Location at = nodeLoc(node);
    if (failed(onNode(node, at)))
      return failure();
    for (const auto &a : node.attribute()) {
      if (a.has_g() && failed(walkGraphs(a.g(), at, onGraph, onNode)))
        return failure();
      for (const auto &sub : a.graphs())
        if (failed(walkGraphs(sub, at, onGraph, onNode)))
          return failure();
    }
  }
  return success();
}

Location Importer::nodeLoc(const ox::NodeProto &node) {
  return NameLoc::get(builder.getStringAttr(nodeName(node)));
}

LogicalResult Importer::importNodes(const ox::GraphProto &graph) {
  for (const auto &node : graph.node())
    if (failed(importNode(node, nodeLoc(node))))
      return failure();
  return success();
}

LogicalResult Importer::importNode(const ox::NodeProto &node, Location loc) {
  if (failed(checkSupported(node, loc)) ||
      failed(refuseWideUnsigned(node, loc)))
    return failure();
  return (this->*handlerTable().lookup(node.op_type()))(node, loc);
}

LogicalResult Importer::refuseWideUnsigned(const ox::NodeProto &n,
                                           Location loc) {
  // UINT16..UINT64 import as signless i16..i64, which the nn ops order,
  // divide and convert as signed; only these handlers ask for the ONNX type
  // (hasUnsignedData, isUnsignedType) or never depend on the sign. UINT8
  // shares i8 with INT8, which every handler already tells apart.
  static const llvm::StringSet<> signAware = {
      "Cast", "CastLike", "Clip", "Constant", "Identity", "Max", "Min", "Pow"};
  if (signAware.contains(n.op_type()))
    return success();
  auto wide = [](int32_t t) {
    return isUnsignedType(t) && t != ox::TensorProto::UINT8;
  };
  auto refuse = [&](const llvm::Twine &what, int32_t t) {
    return unsupported(
        n, loc,
        what + " has ONNX type " +
            ox::TensorProto::DataType_Name(
                static_cast<ox::TensorProto::DataType>(t)) +
            ", which this op does not support (only Cast, Max, Min, Pow "
            "and Clip know unsigned integers wider than 8 bits)");
  };
  for (int i = 0; i < n.input_size(); ++i)
    if (wide(onnxType(n, i)))
      return refuse("input " + llvm::Twine(i), onnxType(n, i));
  for (const std::string &out : n.output())
    if (auto t = onnxTypes.find(out); t != onnxTypes.end() && wide(t->second))
      return refuse("output '" + out + "'", t->second);
  return success();
}

//===----------------------------------------------------------------------===//
// Convolution and matrix products
//===----------------------------------------------------------------------===//

LogicalResult Importer::windowPads(const ox::NodeProto &n, Location loc,
                                   RankedTensorType input,
                                   llvm::ArrayRef<int64_t> kernel,
                                   llvm::ArrayRef<int64_t> strides,
                                   llvm::ArrayRef<int64_t> dilations,
                                   std::vector<int64_t> &pads) {
  std::string autoPad = attrString(n, "auto_pad", "NOTSET");
  size_t spatial = kernel.size();
  if (autoPad == "NOTSET") {
    pads = attrInts(n, "pads", std::vector<int64_t>(2 * spatial, 0));
    return success();
  }
  if (autoPad == "VALID") {
    pads.assign(2 * spatial, 0);
    return success();
  }
  if (autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER")
    return unsupported(n, loc, "auto_pad '" + autoPad + "'");
  if (strides.size() != spatial || dilations.size() != spatial ||
      input.getRank() != static_cast<int64_t>(spatial) + 2)
    return unsupported(n, loc,
                       "auto_pad needs strides and dilations per window dim");
  for (size_t i = 0; i < spatial; ++i)
    if (strides[i] < 1)
      return emitError(loc) << n.op_type() << " strides must be >= 1";
  pads.assign(2 * spatial, 0);
  for (size_t i = 0; i < spatial; ++i) {
    int64_t in = input.getDimSize(2 + i);
    int64_t out = (in + strides[i] - 1) / strides[i];
    int64_t total = std::max<int64_t>(
        0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - in);
    int64_t small = total / 2, large = total - small;
    pads[i] = autoPad == "SAME_UPPER" ? small : large;
    pads[spatial + i] = autoPad == "SAME_UPPER" ? large : small;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

OwningOpRef<ModuleOp> importModelBytes(llvm::StringRef bytes,
                                       llvm::StringRef sourceName,
                                       const ImportOptions &options,
                                       MLIRContext &context) {
  context.loadDialect<nn::NNDialect, func::FuncDialect>();
  Location loc = FileLineColLoc::get(&context, sourceName, 0, 0);
  ox::ModelProto model;
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      !model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    emitError(loc) << "not a valid ONNX model (the protobuf does not parse)";
    return nullptr;
  }
  Importer importer(context, options, sourceName);
  return importer.run(model);
}

OwningOpRef<ModuleOp> importModelFile(llvm::StringRef path,
                                      const ImportOptions &options,
                                      MLIRContext &context) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer) {
    emitError(FileLineColLoc::get(&context, path, 0, 0))
        << "cannot read '" << path << "': " << buffer.getError().message();
    return nullptr;
  }
  return importModelBytes((*buffer)->getBuffer(), path, options, context);
}

} // namespace kiln::onnx
