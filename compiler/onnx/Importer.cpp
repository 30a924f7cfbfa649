//===- Importer.cpp - ONNX model to nn dialect -----------------------------===//
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
#include "compiler/onnx/Importer.h"
#include "dialects/nn/NNOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/MemoryBuffer.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <set>

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
    if (p.getAsInteger(10, d) || d < 1 || d > (int64_t(1) << 31))
      return false;
    dims.push_back(d);
  }
  return true;
}

namespace {

constexpr int64_t kMinOpset = 7, kMaxOpset = 17;

std::string shapeString(llvm::ArrayRef<int64_t> shape) {
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "x" : "") + std::to_string(shape[i]);
  return s.empty() ? "scalar" : s;
}

size_t elementSize(int32_t dtype) {
  switch (dtype) {
  case ox::TensorProto::FLOAT:
  case ox::TensorProto::INT32:
    return 4;
  case ox::TensorProto::INT64:
  case ox::TensorProto::DOUBLE:
    return 8;
  case ox::TensorProto::INT8:
  case ox::TensorProto::UINT8:
  case ox::TensorProto::BOOL:
    return 1;
  default:
    return 0;
  }
}

bool isIntegerType(int32_t dtype) {
  return dtype == ox::TensorProto::INT64 || dtype == ox::TensorProto::INT32 ||
         dtype == ox::TensorProto::INT8 || dtype == ox::TensorProto::UINT8 ||
         dtype == ox::TensorProto::BOOL;
}

/// A tensor whose value is known at compile time, in little-endian bytes.
struct ConstTensor {
  int32_t dtype = ox::TensorProto::FLOAT;
  std::vector<int64_t> shape;
  std::string bytes;

  int64_t numElements() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
  int64_t intAt(int64_t i) const {
    switch (dtype) {
    case ox::TensorProto::INT64: {
      int64_t v;
      std::memcpy(&v, bytes.data() + 8 * i, 8);
      return v;
    }
    case ox::TensorProto::INT32: {
      int32_t v;
      std::memcpy(&v, bytes.data() + 4 * i, 4);
      return v;
    }
    case ox::TensorProto::INT8:
      return static_cast<int8_t>(bytes[i]);
    case ox::TensorProto::UINT8:
    case ox::TensorProto::BOOL:
      return static_cast<uint8_t>(bytes[i]);
    case ox::TensorProto::FLOAT:
      return static_cast<int64_t>(floatAt(i));
    case ox::TensorProto::DOUBLE:
      return static_cast<int64_t>(floatAt(i));
    }
    return 0;
  }
  double floatAt(int64_t i) const {
    if (dtype == ox::TensorProto::FLOAT) {
      float v;
      std::memcpy(&v, bytes.data() + 4 * i, 4);
      return v;
    }
    if (dtype == ox::TensorProto::DOUBLE) {
      double v;
      std::memcpy(&v, bytes.data() + 8 * i, 8);
      return v;
    }
    return static_cast<double>(intAt(i));
  }
  std::vector<int64_t> ints() const {
    std::vector<int64_t> v;
    for (int64_t i = 0, e = numElements(); i < e; ++i)
      v.push_back(intAt(i));
    return v;
  }
  static ConstTensor fromInts(llvm::ArrayRef<int64_t> values,
                              std::vector<int64_t> shape) {
    ConstTensor t;
    t.dtype = ox::TensorProto::INT64;
    t.shape = std::move(shape);
    t.bytes.assign(reinterpret_cast<const char *>(values.data()),
                   values.size() * 8);
    return t;
  }
};

class Importer {
public:
  Importer(MLIRContext &ctx, const ImportOptions &options,
           llvm::StringRef source)
      : ctx(ctx), options(options), builder(&ctx), source(source.str()),
        fileLoc(FileLineColLoc::get(&ctx, source, 0, 0)) {}

  OwningOpRef<ModuleOp> run(ox::ModelProto &model);

private:
  using Handler = LogicalResult (Importer::*)(const ox::NodeProto &, Location);

  // Model-level steps.
  LogicalResult checkModel(ox::ModelProto &model);
  LogicalResult pinInputShapes(ox::GraphProto &graph);
  LogicalResult importNode(const ox::NodeProto &node, Location loc);

  // Values and constants.
  FailureOr<ConstTensor> readTensor(const ox::TensorProto &t, Location loc);
  FailureOr<Type> elementType(int32_t dtype, Location loc);
  FailureOr<Value> materialize(const ConstTensor &t, Location loc);
  bool has(const ox::NodeProto &n, int i) const {
    return i < n.input_size() && !n.input(i).empty();
  }
  const ConstTensor *constant(const ox::NodeProto &n, int i) const {
    if (!has(n, i))
      return nullptr;
    auto it = consts.find(n.input(i));
    return it == consts.end() ? nullptr : &it->second;
  }
  FailureOr<Value> input(const ox::NodeProto &n, int i, Location loc);
  FailureOr<RankedTensorType> inputType(const ox::NodeProto &n, int i,
                                        Location loc);
  LogicalResult constantInput(const ox::NodeProto &n, int i, Location loc,
                              const ConstTensor *&out);
  void setOutput(const ox::NodeProto &n, int i, Value v) {
    values[n.output(i)] = v;
  }
  bool consumed(const ox::NodeProto &n, int i) const {
    return i < n.output_size() && !n.output(i).empty() &&
           used.count(n.output(i));
  }
  LogicalResult refuseExtraOutputs(const ox::NodeProto &n, int keep,
                                   Location loc);

  // Attributes.
  const ox::AttributeProto *attr(const ox::NodeProto &n,
                                 llvm::StringRef name) const {
    for (const auto &a : n.attribute())
      if (a.name() == name)
        return &a;
    return nullptr;
  }
  int64_t attrInt(const ox::NodeProto &n, llvm::StringRef name,
                  int64_t dflt) const {
    const auto *a = attr(n, name);
    return a ? a->i() : dflt;
  }
  float attrFloat(const ox::NodeProto &n, llvm::StringRef name,
                  float dflt) const {
    const auto *a = attr(n, name);
    return a ? a->f() : dflt;
  }
  std::string attrString(const ox::NodeProto &n, llvm::StringRef name,
                         llvm::StringRef dflt) const {
    const auto *a = attr(n, name);
    return a ? a->s() : dflt.str();
  }
  std::vector<int64_t> attrInts(const ox::NodeProto &n, llvm::StringRef name,
                                std::vector<int64_t> dflt = {}) const {
    const auto *a = attr(n, name);
    return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : dflt;
  }

  /// Creates an nn op whose result type is inferred; the inference's
  /// diagnostic (at the node's location) is the error on failure.
  FailureOr<Value> create(llvm::StringRef opName, Location loc,
                          ValueRange operands,
                          llvm::ArrayRef<NamedAttribute> attrs);
  NamedAttribute named(llvm::StringRef n, Attribute a) {
    return builder.getNamedAttr(n, a);
  }
  Attribute i64s(llvm::ArrayRef<int64_t> v) {
    return builder.getDenseI64ArrayAttr(v);
  }
  LogicalResult unsupported(const ox::NodeProto &n, Location loc,
                            const llvm::Twine &why) {
    return emitError(loc) << "unsupported " << n.op_type() << " (node '"
                          << nodeName(n) << "', opset " << opset
                          << "): " << why;
  }
  std::string nodeName(const ox::NodeProto &n) const {
    return n.name().empty() ? n.op_type() + ":" + n.output(0) : n.name();
  }

  // Shared pieces of several ops.
  LogicalResult windowPads(const ox::NodeProto &n, Location loc,
                           RankedTensorType input,
                           llvm::ArrayRef<int64_t> kernel,
                           llvm::ArrayRef<int64_t> strides,
                           llvm::ArrayRef<int64_t> dilations,
                           std::vector<int64_t> &pads);
  FailureOr<Value> reshapeTo(Value v, llvm::ArrayRef<int64_t> shape,
                             Location loc);
  LogicalResult foldIntBinary(const ox::NodeProto &n, Location loc,
                              const ConstTensor &a, const ConstTensor &b);

  // One handler per ONNX op.
  LogicalResult importConv(const ox::NodeProto &, Location);
  LogicalResult importGemm(const ox::NodeProto &, Location);
  LogicalResult importMatMul(const ox::NodeProto &, Location);
  LogicalResult importBinary(const ox::NodeProto &, Location);
  LogicalResult importUnary(const ox::NodeProto &, Location);
  LogicalResult importClip(const ox::NodeProto &, Location);
  LogicalResult importPool(const ox::NodeProto &, Location);
  LogicalResult importGlobalAveragePool(const ox::NodeProto &, Location);
  LogicalResult importReduceMean(const ox::NodeProto &, Location);
  LogicalResult importBatchNorm(const ox::NodeProto &, Location);
  LogicalResult importConcat(const ox::NodeProto &, Location);
  LogicalResult importReshape(const ox::NodeProto &, Location);
  LogicalResult importFlatten(const ox::NodeProto &, Location);
  LogicalResult importTranspose(const ox::NodeProto &, Location);
  LogicalResult importSoftmax(const ox::NodeProto &, Location);
  LogicalResult importPad(const ox::NodeProto &, Location);
  LogicalResult importConstant(const ox::NodeProto &, Location);
  LogicalResult importIdentity(const ox::NodeProto &, Location);
  LogicalResult importSplit(const ox::NodeProto &, Location);
  LogicalResult importSlice(const ox::NodeProto &, Location);
  LogicalResult importShape(const ox::NodeProto &, Location);
  LogicalResult importGather(const ox::NodeProto &, Location);
  LogicalResult importSqueeze(const ox::NodeProto &, Location);
  LogicalResult importCast(const ox::NodeProto &, Location);

  MLIRContext &ctx;
  const ImportOptions &options;
  OpBuilder builder;
  std::string source;
  Location fileLoc;
  int64_t opset = 0;
  std::map<std::string, Value> values;
  std::map<std::string, ConstTensor> consts;
  std::set<std::string> used;
};

//===----------------------------------------------------------------------===//
// Model level
//===----------------------------------------------------------------------===//

LogicalResult Importer::checkModel(ox::ModelProto &model) {
  if (!model.has_graph())
    return emitError(fileLoc) << "not an ONNX model: no graph";
  bool haveDefault = false;
  for (const auto &imp : model.opset_import()) {
    if (imp.domain().empty() || imp.domain() == "ai.onnx") {
      opset = imp.version();
      haveDefault = true;
    }
  }
  if (!haveDefault)
    return emitError(fileLoc) << "model imports no default ONNX opset";
  if (opset < kMinOpset || opset > kMaxOpset)
    return emitError(fileLoc) << "opset " << opset
                              << " is not supported (Kiln supports opsets "
                              << kMinOpset << "-" << kMaxOpset << ")";
  try {
    ox::checker::check_model(model);
  } catch (const std::exception &e) {
    std::string what = e.what();
    std::replace(what.begin(), what.end(), '\n', ' ');
    return emitError(fileLoc) << "invalid ONNX model: " << what;
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
      return emitError(fileLoc) << "input '" << in.name()
                                << "' is not a tensor";
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
      if (!d.has_dim_value() || d.dim_value() < 1)
        return emitError(fileLoc)
               << "input '" << in.name() << "' has dynamic dimension '"
               << (d.has_dim_param() ? d.dim_param() : "?")
               << "'; pin it with --input-shape " << in.name() << "=DIMS";
  }
  return success();
}

OwningOpRef<ModuleOp> Importer::run(ox::ModelProto &model) {
  if (failed(checkModel(model)) ||
      failed(pinInputShapes(*model.mutable_graph())))
    return nullptr;
  try {
    ox::shape_inference::InferShapes(
        model, ox::OpSchemaRegistry::Instance(),
        ox::ShapeInferenceOptions(/*check_type=*/true, /*strict_mode=*/1));
  } catch (const std::exception &e) {
    std::string what = e.what();
    std::replace(what.begin(), what.end(), '\n', ' ');
    emitError(fileLoc) << "inconsistent model (ONNX shape inference): "
                       << what;
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
  for (const auto &node : graph.node())
    for (const auto &i : node.input())
      used.insert(i);
  for (const auto &o : graph.output())
    used.insert(o.name());

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
    argTypes.push_back(RankedTensorType::get(dims, *et));
    argNames.push_back(in.name());
  }
  auto func = func::FuncOp::create(builder, fileLoc, "main",
                                   builder.getFunctionType(argTypes, {}));
  Block *entry = func.addEntryBlock();
  for (auto [i, name] : llvm::enumerate(argNames)) {
    values[name] = entry->getArgument(i);
    func.setArgAttr(i, "kiln.name", builder.getStringAttr(name));
  }
  builder.setInsertionPointToEnd(entry);

  for (const auto &node : graph.node()) {
    Location loc = NameLoc::get(builder.getStringAttr(nodeName(node)));
    if (!node.domain().empty() && node.domain() != "ai.onnx") {
      emitError(loc) << "unsupported operator " << node.domain()
                     << "::" << node.op_type() << " (node '" << nodeName(node)
                     << "'): custom domains are not supported";
      return nullptr;
    }
    if (failed(importNode(node, loc)))
      return nullptr;
  }

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
  func.setType(builder.getFunctionType(argTypes, ValueRange(results).getTypes()));
  for (auto [i, out] : llvm::enumerate(graph.output()))
    func.setResultAttr(i, "kiln.name", builder.getStringAttr(out.name()));

  if (failed(verify(*module)))
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
  case ox::TensorProto::INT64:
    return Type(builder.getI64Type());
  case ox::TensorProto::INT32:
    return Type(builder.getI32Type());
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

FailureOr<ConstTensor> Importer::readTensor(const ox::TensorProto &t,
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
      return emitError(loc) << "tensor '" << t.name()
                            << "' has a negative dimension";
    if (d && n > options.maxTensorBytes / static_cast<uint64_t>(d))
      return emitError(loc) << "tensor '" << t.name() << "' is too large";
    n *= d;
    c.shape.push_back(d);
  }
  if (n * esize > options.maxTensorBytes)
    return emitError(loc) << "tensor '" << t.name() << "' is too large ("
                          << n * esize << " bytes)";
  auto wrongCount = [&](uint64_t got) {
    return emitError(loc) << "tensor '" << t.name() << "' holds " << got
                          << " values, its shape "
                          << shapeString(c.shape) << " needs " << n;
  };
  if (t.has_raw_data()) {
    if (t.raw_data().size() != n * esize)
      return wrongCount(t.raw_data().size() / esize);
    c.bytes = t.raw_data();
    return c;
  }
  c.bytes.resize(n * esize);
  auto copyFrom = [&](const auto &field, auto convert) -> LogicalResult {
    if (static_cast<uint64_t>(field.size()) != n)
      return wrongCount(field.size());
    for (uint64_t i = 0; i < n; ++i)
      convert(field.Get(i), c.bytes.data() + i * esize);
    return success();
  };
  auto store = [&](auto v) {
    return [esize](auto x, char *dst) {
      decltype(v) y = static_cast<decltype(v)>(x);
      std::memcpy(dst, &y, esize);
    };
  };
  LogicalResult ok = success();
  switch (c.dtype) {
  case ox::TensorProto::FLOAT:
    ok = copyFrom(t.float_data(), store(float()));
    break;
  case ox::TensorProto::DOUBLE:
    ok = copyFrom(t.double_data(), store(double()));
    break;
  case ox::TensorProto::INT64:
    ok = copyFrom(t.int64_data(), store(int64_t()));
    break;
  case ox::TensorProto::INT32:
    ok = copyFrom(t.int32_data(), store(int32_t()));
    break;
  default: // 8-bit types travel in int32_data
    ok = copyFrom(t.int32_data(), store(int8_t()));
    break;
  }
  if (failed(ok))
    return failure();
  return c;
}

FailureOr<Value> Importer::materialize(const ConstTensor &t, Location loc) {
  auto et = elementType(t.dtype, loc);
  if (failed(et))
    return failure();
  if (t.dtype == ox::TensorProto::BOOL)
    return emitError(loc) << "boolean tensors are not supported";
  auto type = RankedTensorType::get(t.shape, *et);
  ElementsAttr value;
  llvm::ArrayRef<char> raw(t.bytes.data(), t.bytes.size());
  // Small constants stay inline so they read well and fold; weights become
  // resource blobs, as the design asks.
  if (t.numElements() <= 16)
    value = DenseElementsAttr::getFromRawBuffer(type, raw);
  else
    value = DenseResourceElementsAttr::get(
        type, "weight",
        HeapAsmResourceBlob::allocateAndCopyWithAlign(raw, alignof(int64_t)));
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
  if (!out)
    return unsupported(n, loc, "input " + llvm::Twine(i) + " ('" +
                                   (has(n, i) ? n.input(i) : "") +
                                   "') must be a compile-time constant");
  return success();
}

LogicalResult Importer::refuseExtraOutputs(const ox::NodeProto &n, int keep,
                                           Location loc) {
  for (int i = keep; i < n.output_size(); ++i)
    if (consumed(n, i))
      return unsupported(n, loc, "output " + llvm::Twine(i) + " ('" +
                                     n.output(i) +
                                     "') is only produced in training mode");
  return success();
}

FailureOr<Value> Importer::create(llvm::StringRef opName, Location loc,
                                  ValueRange operands,
                                  llvm::ArrayRef<NamedAttribute> attrs) {
  OperationState state(loc, opName);
  state.addOperands(operands);
  state.addAttributes(attrs);
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
  op->getResult(0).setType(types[0]);
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

LogicalResult Importer::importNode(const ox::NodeProto &node, Location loc) {
  Handler h = llvm::StringSwitch<Handler>(node.op_type())
                  .Case("Conv", &Importer::importConv)
                  .Case("Gemm", &Importer::importGemm)
                  .Case("MatMul", &Importer::importMatMul)
                  .Cases("Add", "Sub", "Mul", "Div", &Importer::importBinary)
                  .Cases("Relu", "Sigmoid", "HardSwish", "HardSigmoid",
                         &Importer::importUnary)
                  .Case("LeakyRelu", &Importer::importUnary)
                  .Case("Clip", &Importer::importClip)
                  .Cases("MaxPool", "AveragePool", &Importer::importPool)
                  .Case("GlobalAveragePool",
                        &Importer::importGlobalAveragePool)
                  .Case("ReduceMean", &Importer::importReduceMean)
                  .Case("BatchNormalization", &Importer::importBatchNorm)
                  .Case("Concat", &Importer::importConcat)
                  .Case("Reshape", &Importer::importReshape)
                  .Case("Flatten", &Importer::importFlatten)
                  .Case("Transpose", &Importer::importTranspose)
                  .Case("Softmax", &Importer::importSoftmax)
                  .Case("Pad", &Importer::importPad)
                  .Case("Constant", &Importer::importConstant)
                  .Cases("Identity", "Dropout", &Importer::importIdentity)
                  .Case("Split", &Importer::importSplit)
                  .Case("Slice", &Importer::importSlice)
                  .Case("Shape", &Importer::importShape)
                  .Case("Gather", &Importer::importGather)
                  .Cases("Squeeze", "Unsqueeze", &Importer::importSqueeze)
                  .Case("Cast", &Importer::importCast)
                  .Default(nullptr);
  if (!h)
    return emitError(loc) << "unsupported operator " << node.op_type()
                          << " (node '" << nodeName(node) << "', opset "
                          << opset << "): Kiln has no lowering for it";
  return (this->*h)(node, loc);
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
  if (autoPad == "NOTSET") {
    pads = attrInts(n, "pads", {0, 0, 0, 0});
    return success();
  }
  if (autoPad == "VALID") {
    pads = {0, 0, 0, 0};
    return success();
  }
  if (autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER")
    return unsupported(n, loc, "auto_pad '" + autoPad + "'");
  if (strides.size() != 2 || dilations.size() != 2 || kernel.size() != 2 ||
      input.getRank() != 4)
    return unsupported(n, loc, "auto_pad needs a 2-D window");
  pads.assign(4, 0);
  for (int i = 0; i < 2; ++i) {
    int64_t in = input.getDimSize(2 + i);
    int64_t out = (in + strides[i] - 1) / strides[i];
    int64_t total = std::max<int64_t>(
        0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - in);
    int64_t small = total / 2, large = total - small;
    pads[i] = autoPad == "SAME_UPPER" ? small : large;
    pads[2 + i] = autoPad == "SAME_UPPER" ? large : small;
  }
  return success();
}

LogicalResult Importer::importConv(const ox::NodeProto &n, Location loc) {
  auto x = input(n, 0, loc), w = input(n, 1, loc);
  if (failed(x) || failed(w))
    return failure();
  auto xt = cast<RankedTensorType>(x->getType());
  auto wt = cast<RankedTensorType>(w->getType());
  if (wt.getRank() != 4 || xt.getRank() != 4)
    return unsupported(n, loc, "only 2-D convolution is supported (filter " +
                                   shapeString(wt.getShape()) + ")");
  auto kernel = attrInts(n, "kernel_shape", {wt.getDimSize(2), wt.getDimSize(3)});
  if (kernel != std::vector<int64_t>{wt.getDimSize(2), wt.getDimSize(3)})
    return emitError(loc) << "kernel_shape " << shapeString(kernel)
                          << " disagrees with the filter "
                          << shapeString(wt.getShape());
  auto strides = attrInts(n, "strides", {1, 1});
  auto dilations = attrInts(n, "dilations", {1, 1});
  std::vector<int64_t> pads;
  if (failed(windowPads(n, loc, xt, kernel, strides, dilations, pads)))
    return failure();
  SmallVector<Value> operands = {*x, *w};
  if (has(n, 2)) {
    auto b = input(n, 2, loc);
    if (failed(b))
      return failure();
    operands.push_back(*b);
  }
  auto r = create(nn::Conv2DOp::getOperationName(), loc, operands,
                  {named("strides", i64s(strides)), named("pads", i64s(pads)),
                   named("dilations", i64s(dilations)),
                   named("group", builder.getI64IntegerAttr(
                                      attrInt(n, "group", 1)))});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

LogicalResult Importer::importGemm(const ox::NodeProto &n, Location loc) {
  auto a = input(n, 0, loc), b = input(n, 1, loc);
  if (failed(a) || failed(b))
    return failure();
  SmallVector<Value> operands = {*a, *b};
  if (has(n, 2)) {
    auto c = input(n, 2, loc);
    if (failed(c))
      return failure();
    operands.push_back(*c);
  }
  auto r = create(
      nn::GemmOp::getOperationName(), loc, operands,
      {named("alpha", builder.getF32FloatAttr(attrFloat(n, "alpha", 1))),
       named("beta", builder.getF32FloatAttr(attrFloat(n, "beta", 1))),
       named("trans_a", builder.getBoolAttr(attrInt(n, "transA", 0))),
       named("trans_b", builder.getBoolAttr(attrInt(n, "transB", 0)))});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

LogicalResult Importer::importMatMul(const ox::NodeProto &n, Location loc) {
  auto a = input(n, 0, loc), b = input(n, 1, loc);
  if (failed(a) || failed(b))
    return failure();
  auto r = create(nn::MatMulOp::getOperationName(), loc, {*a, *b}, {});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

LogicalResult Importer::foldIntBinary(const ox::NodeProto &n, Location loc,
                                      const ConstTensor &a,
                                      const ConstTensor &b) {
  auto shape = nn::broadcastShapes(a.shape, b.shape);
  if (failed(shape))
    return emitError(loc) << "shapes " << shapeString(a.shape) << " and "
                          << shapeString(b.shape) << " do not broadcast";
  std::vector<int64_t> out(shape->begin(), shape->end());
  int64_t count = 1;
  for (int64_t d : out)
    count *= d;
  // Index into a broadcast operand: walk the result index backwards.
  auto at = [&](const ConstTensor &t, int64_t flat) {
    int64_t idx = 0, stride = 1;
    for (int64_t d = out.size() - 1, td = t.shape.size() - 1; d >= 0;
         --d, --td) {
      int64_t coord = flat % out[d];
      flat /= out[d];
      if (td >= 0) {
        if (t.shape[td] != 1)
          idx += coord * stride;
        stride *= t.shape[td];
      }
    }
    return t.intAt(idx);
  };
  std::vector<int64_t> result(count);
  const std::string &op = n.op_type();
  for (int64_t i = 0; i < count; ++i) {
    int64_t x = at(a, i), y = at(b, i);
    if (op == "Div" && y == 0)
      return emitError(loc) << "integer division by zero";
    result[i] = op == "Add"   ? x + y
                : op == "Sub" ? x - y
                : op == "Mul" ? x * y
                              : x / y;
  }
  consts[n.output(0)] = ConstTensor::fromInts(result, out);
  return success();
}

LogicalResult Importer::importBinary(const ox::NodeProto &n, Location loc) {
  const ConstTensor *ca = constant(n, 0), *cb = constant(n, 1);
  if (ca && cb && isIntegerType(ca->dtype) && isIntegerType(cb->dtype))
    return foldIntBinary(n, loc, *ca, *cb);
  auto a = input(n, 0, loc), b = input(n, 1, loc);
  if (failed(a) || failed(b))
    return failure();
  llvm::StringRef name = llvm::StringSwitch<llvm::StringRef>(n.op_type())
                             .Case("Add", nn::AddOp::getOperationName())
                             .Case("Sub", nn::SubOp::getOperationName())
                             .Case("Mul", nn::MulOp::getOperationName())
                             .Default(nn::DivOp::getOperationName());
  auto r = create(name, loc, {*a, *b}, {});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

LogicalResult Importer::importUnary(const ox::NodeProto &n, Location loc) {
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  if (!isa<FloatType>(x->getElementType()))
    return unsupported(n, loc, "only floating-point inputs are supported");
  Value v = values[n.input(0)];
  const std::string &op = n.op_type();
  Value r;
  if (op == "Relu")
    r = nn::ReluOp::create(builder, loc, v);
  else if (op == "Sigmoid")
    r = nn::SigmoidOp::create(builder, loc, v);
  else if (op == "HardSwish")
    r = nn::HardSwishOp::create(builder, loc, v);
  else if (op == "HardSigmoid")
    r = nn::HardSigmoidOp::create(
        builder, loc, v,
        builder.getF32FloatAttr(attrFloat(n, "alpha", 0.2f)),
        builder.getF32FloatAttr(attrFloat(n, "beta", 0.5f)));
  else
    r = nn::LeakyReluOp::create(
        builder, loc, v, builder.getF32FloatAttr(attrFloat(n, "alpha", 0.01f)));
  setOutput(n, 0, r);
  return success();
}

LogicalResult Importer::importClip(const ox::NodeProto &n, Location loc) {
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  float lo = -std::numeric_limits<float>::infinity();
  float hi = std::numeric_limits<float>::infinity();
  if (opset < 11) {
    lo = attrFloat(n, "min", lo);
    hi = attrFloat(n, "max", hi);
  } else {
    for (int i : {1, 2}) {
      if (!has(n, i))
        continue;
      const ConstTensor *c;
      if (failed(constantInput(n, i, loc, c)))
        return failure();
      if (c->numElements() != 1)
        return emitError(loc) << "Clip bounds must be scalars";
      (i == 1 ? lo : hi) = static_cast<float>(c->floatAt(0));
    }
  }
  auto op = nn::ClipOp::create(builder, loc, values[n.input(0)],
                               builder.getF32FloatAttr(lo),
                               builder.getF32FloatAttr(hi));
  if (failed(op.verify()))
    return failure();
  setOutput(n, 0, op);
  return success();
}

LogicalResult Importer::importBatchNorm(const ox::NodeProto &n, Location loc) {
  if (opset < 9 && attrInt(n, "spatial", 1) != 1)
    return unsupported(n, loc, "spatial=0");
  if (attrInt(n, "training_mode", 0) != 0)
    return unsupported(n, loc, "training_mode=1");
  if (failed(refuseExtraOutputs(n, 1, loc)))
    return failure();
  SmallVector<Value> operands;
  for (int i = 0; i < 5; ++i) {
    auto v = input(n, i, loc);
    if (failed(v))
      return failure();
    operands.push_back(*v);
  }
  auto r = create(
      nn::BatchNormOp::getOperationName(), loc, operands,
      {named("epsilon", builder.getF32FloatAttr(attrFloat(n, "epsilon", 1e-5f)))});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

LogicalResult Importer::importSoftmax(const ox::NodeProto &n, Location loc) {
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  int64_t rank = x->getRank();
  int64_t axis = attrInt(n, "axis", opset < 13 ? 1 : -1);
  if (axis < -rank || axis >= rank)
    return emitError(loc) << "Softmax axis " << axis
                          << " out of range for rank " << rank;
  if (axis < 0)
    axis += rank;
  Value v = values[n.input(0)];
  // Before opset 13 Softmax normalises over all dims from `axis` on.
  bool coerce = opset < 13 && axis != rank - 1;
  if (coerce) {
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < rank; ++d)
      (d < axis ? outer : inner) *= x->getDimSize(d);
    auto flat = reshapeTo(v, {outer, inner}, loc);
    if (failed(flat))
      return failure();
    v = *flat;
    axis = 1;
  }
  auto r = create(nn::SoftmaxOp::getOperationName(), loc, {v},
                  {named("axis", builder.getI64IntegerAttr(axis))});
  if (failed(r))
    return failure();
  Value out = *r;
  if (coerce) {
    auto back = reshapeTo(out, x->getShape(), loc);
    if (failed(back))
      return failure();
    out = *back;
  }
  setOutput(n, 0, out);
  return success();
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

LogicalResult Importer::importPool(const ox::NodeProto &n, Location loc) {
  bool isMax = n.op_type() == "MaxPool";
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  if (isMax && failed(refuseExtraOutputs(n, 1, loc)))
    return failure();
  if (isMax && attrInt(n, "storage_order", 0) != 0)
    return unsupported(n, loc, "storage_order=1");
  auto kernel = attrInts(n, "kernel_shape");
  if (kernel.size() != 2 || x->getRank() != 4)
    return unsupported(n, loc, "only 2-D pooling is supported");
  auto strides = attrInts(n, "strides", {1, 1});
  auto dilations = attrInts(n, "dilations", {1, 1});
  std::vector<int64_t> pads;
  if (failed(windowPads(n, loc, *x, kernel, strides, dilations, pads)))
    return failure();
  SmallVector<NamedAttribute> attrs = {
      named("kernel_shape", i64s(kernel)), named("strides", i64s(strides)),
      named("pads", i64s(pads)),
      named("ceil_mode", builder.getBoolAttr(attrInt(n, "ceil_mode", 0)))};
  if (isMax)
    attrs.push_back(named("dilations", i64s(dilations)));
  else
    attrs.push_back(named("count_include_pad",
                          builder.getBoolAttr(attrInt(n, "count_include_pad", 0))));
  auto r = create(isMax ? nn::MaxPoolOp::getOperationName()
                        : nn::AvgPoolOp::getOperationName(),
                  loc, {values[n.input(0)]}, attrs);
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

LogicalResult Importer::importGlobalAveragePool(const ox::NodeProto &n,
                                                Location loc) {
  auto x = input(n, 0, loc);
  if (failed(x))
    return failure();
  auto r = create(nn::GlobalAvgPoolOp::getOperationName(), loc, {*x}, {});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

LogicalResult Importer::importReduceMean(const ox::NodeProto &n,
                                         Location loc) {
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  int64_t rank = x->getRank();
  std::vector<int64_t> axes = attrInts(n, "axes");
  if (axes.empty()) // no axes: reduce everything
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  for (int64_t &a : axes) {
    if (a < -rank || a >= rank)
      return emitError(loc) << "ReduceMean axis " << a << " out of range";
    if (a < 0)
      a += rank;
  }
  std::sort(axes.begin(), axes.end());
  auto r = create(nn::ReduceMeanOp::getOperationName(), loc,
                  {values[n.input(0)]},
                  {named("axes", i64s(axes)),
                   named("keepdims",
                         builder.getBoolAttr(attrInt(n, "keepdims", 1)))});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

LogicalResult Importer::importConcat(const ox::NodeProto &n, Location loc) {
  const auto *axisAttr = attr(n, "axis");
  if (!axisAttr)
    return emitError(loc) << "Concat node '" << nodeName(n)
                          << "' has no axis";
  bool allConst = n.input_size() > 0;
  for (int i = 0; i < n.input_size(); ++i)
    allConst &= constant(n, i) && isIntegerType(constant(n, i)->dtype) &&
                constant(n, i)->shape.size() == 1;
  if (allConst) { // shape arithmetic: 1-D integer vectors
    std::vector<int64_t> v;
    for (int i = 0; i < n.input_size(); ++i)
      for (int64_t x : constant(n, i)->ints())
        v.push_back(x);
    consts[n.output(0)] = ConstTensor::fromInts(v, {int64_t(v.size())});
    return success();
  }
  SmallVector<Value> operands;
  for (int i = 0; i < n.input_size(); ++i) {
    auto v = input(n, i, loc);
    if (failed(v))
      return failure();
    operands.push_back(*v);
  }
  auto r = create(nn::ConcatOp::getOperationName(), loc, operands,
                  {named("axis", builder.getI64IntegerAttr(axisAttr->i()))});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

LogicalResult Importer::importReshape(const ox::NodeProto &n, Location loc) {
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  std::vector<int64_t> request;
  if (opset < 5) {
    request = attrInts(n, "shape");
  } else {
    const ConstTensor *c;
    if (failed(constantInput(n, 1, loc, c)))
      return failure();
    request = c->ints();
  }
  bool allowZero = attrInt(n, "allowzero", 0) != 0;
  std::vector<int64_t> shape;
  int64_t known = 1, inferAt = -1;
  for (size_t i = 0; i < request.size(); ++i) {
    int64_t d = request[i];
    if (d == 0 && !allowZero) {
      if (static_cast<int64_t>(i) >= x->getRank())
        return emitError(loc) << "Reshape: 0 at position " << i
                              << " has no input dimension to copy";
      d = x->getDimSize(i);
    }
    if (d == -1) {
      if (inferAt >= 0)
        return emitError(loc) << "Reshape: more than one -1 in the shape";
      inferAt = i;
      shape.push_back(1);
      continue;
    }
    if (d < 1)
      return emitError(loc) << "Reshape: invalid dimension " << d;
    known *= d;
    shape.push_back(d);
  }
  int64_t total = x->getNumElements();
  if (inferAt >= 0) {
    if (known == 0 || total % known)
      return emitError(loc) << "cannot reshape " << shapeString(x->getShape())
                            << " to " << shapeString(request);
    shape[inferAt] = total / known;
  }
  if (const ConstTensor *c = constant(n, 0)) { // shape arithmetic
    ConstTensor t = *c;
    t.shape = shape;
    if (t.numElements() != c->numElements())
      return emitError(loc) << "cannot reshape " << shapeString(c->shape)
                            << " to " << shapeString(shape);
    consts[n.output(0)] = t;
    return success();
  }
  auto r = reshapeTo(values[n.input(0)], shape, loc);
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

LogicalResult Importer::importFlatten(const ox::NodeProto &n, Location loc) {
  auto x = input(n, 0, loc);
  if (failed(x))
    return failure();
  auto r = create(nn::FlattenOp::getOperationName(), loc, {*x},
                  {named("axis", builder.getI64IntegerAttr(
                                     attrInt(n, "axis", 1)))});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

LogicalResult Importer::importTranspose(const ox::NodeProto &n, Location loc) {
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  std::vector<int64_t> reversed;
  for (int64_t d = x->getRank() - 1; d >= 0; --d)
    reversed.push_back(d);
  auto r = create(nn::TransposeOp::getOperationName(), loc,
                  {values[n.input(0)]},
                  {named("perm", i64s(attrInts(n, "perm", reversed)))});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

LogicalResult Importer::importPad(const ox::NodeProto &n, Location loc) {
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  std::string mode = attrString(n, "mode", "constant");
  if (mode != "constant")
    return unsupported(n, loc, "mode '" + mode + "' (only 'constant')");
  std::vector<int64_t> pads;
  float value = 0;
  if (opset < 11) {
    pads = attrInts(n, "pads");
    value = attrFloat(n, "value", 0);
  } else {
    const ConstTensor *c;
    if (failed(constantInput(n, 1, loc, c)))
      return failure();
    pads = c->ints();
    if (has(n, 2)) {
      const ConstTensor *v;
      if (failed(constantInput(n, 2, loc, v)))
        return failure();
      if (v->numElements() != 1)
        return emitError(loc) << "Pad constant_value must be a scalar";
      value = static_cast<float>(v->floatAt(0));
    }
  }
  for (int64_t p : pads)
    if (p < 0)
      return unsupported(n, loc, "negative pads (cropping)");
  auto r = create(nn::PadOp::getOperationName(), loc, {values[n.input(0)]},
                  {named("pads", i64s(pads)),
                   named("value", builder.getF32FloatAttr(value))});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

LogicalResult Importer::importConstant(const ox::NodeProto &n, Location loc) {
  if (n.attribute_size() != 1)
    return emitError(loc) << "Constant node '" << nodeName(n)
                          << "' needs exactly one value attribute";
  const ox::AttributeProto &a = n.attribute(0);
  ConstTensor c;
  if (a.name() == "value") {
    auto t = readTensor(a.t(), loc);
    if (failed(t))
      return failure();
    c = std::move(*t);
  } else if (a.name() == "value_float" || a.name() == "value_floats") {
    std::vector<float> v;
    if (a.name() == "value_float")
      v.push_back(a.f());
    else
      v.assign(a.floats().begin(), a.floats().end());
    c.dtype = ox::TensorProto::FLOAT;
    if (a.name() == "value_floats")
      c.shape = {static_cast<int64_t>(v.size())};
    c.bytes.assign(reinterpret_cast<const char *>(v.data()), v.size() * 4);
  } else if (a.name() == "value_int") {
    c = ConstTensor::fromInts({a.i()}, {});
  } else if (a.name() == "value_ints") {
    std::vector<int64_t> v(a.ints().begin(), a.ints().end());
    c = ConstTensor::fromInts(v, {static_cast<int64_t>(v.size())});
  } else {
    return unsupported(n, loc, "attribute '" + a.name() + "'");
  }
  consts[n.output(0)] = std::move(c);
  return success();
}

LogicalResult Importer::importIdentity(const ox::NodeProto &n, Location loc) {
  if (n.op_type() == "Dropout") {
    if (failed(refuseExtraOutputs(n, 1, loc)))
      return failure();
    if (const ConstTensor *t = constant(n, 2); t && t->intAt(0) != 0)
      return unsupported(n, loc, "training_mode=true");
  }
  if (const ConstTensor *c = constant(n, 0)) {
    consts[n.output(0)] = *c;
    return success();
  }
  auto x = input(n, 0, loc);
  if (failed(x))
    return failure();
  setOutput(n, 0, nn::IdentityOp::create(builder, loc, *x));
  return success();
}

LogicalResult Importer::importSplit(const ox::NodeProto &n, Location loc) {
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  int64_t rank = x->getRank();
  int64_t axis = attrInt(n, "axis", 0);
  if (axis < -rank || axis >= rank)
    return emitError(loc) << "Split axis " << axis << " out of range";
  if (axis < 0)
    axis += rank;
  std::vector<int64_t> split;
  if (opset < 13) {
    split = attrInts(n, "split");
  } else if (has(n, 1)) {
    const ConstTensor *c;
    if (failed(constantInput(n, 1, loc, c)))
      return failure();
    split = c->ints();
  }
  int64_t dim = x->getDimSize(axis), parts = n.output_size();
  if (split.empty()) {
    if (dim % parts)
      return emitError(loc) << "Split of " << dim << " into " << parts
                            << " equal parts";
    split.assign(parts, dim / parts);
  }
  int64_t sum = 0;
  for (int64_t s : split)
    sum += s;
  if (static_cast<int64_t>(split.size()) != parts || sum != dim)
    return emitError(loc) << "Split sizes " << shapeString(split)
                          << " do not cover dimension " << dim << " with "
                          << parts << " outputs";
  int64_t offset = 0;
  for (int64_t i = 0; i < parts; ++i) {
    SmallVector<int64_t> offsets(rank, 0), sizes(x->getShape()),
        steps(rank, 1);
    offsets[axis] = offset;
    sizes[axis] = split[i];
    offset += split[i];
    auto r = create(nn::SliceOp::getOperationName(), loc,
                    {values[n.input(0)]},
                    {named("offsets", i64s(offsets)),
                     named("sizes", i64s(sizes)), named("steps", i64s(steps))});
    if (failed(r))
      return failure();
    setOutput(n, i, *r);
  }
  return success();
}

LogicalResult Importer::importSlice(const ox::NodeProto &n, Location loc) {
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  int64_t rank = x->getRank();
  std::vector<int64_t> starts, ends, axes, steps;
  if (opset < 10) {
    starts = attrInts(n, "starts");
    ends = attrInts(n, "ends");
    axes = attrInts(n, "axes");
  } else {
    const ConstTensor *c;
    if (failed(constantInput(n, 1, loc, c)))
      return failure();
    starts = c->ints();
    if (failed(constantInput(n, 2, loc, c)))
      return failure();
    ends = c->ints();
    if (has(n, 3)) {
      if (failed(constantInput(n, 3, loc, c)))
        return failure();
      axes = c->ints();
    }
    if (has(n, 4)) {
      if (failed(constantInput(n, 4, loc, c)))
        return failure();
      steps = c->ints();
    }
  }
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return emitError(loc) << "Slice starts, ends, axes and steps differ in "
                             "length";
  SmallVector<int64_t> offsets(rank, 0), sizes(x->getShape()),
      strides(rank, 1);
  for (size_t i = 0; i < starts.size(); ++i) {
    int64_t axis = axes[i] < 0 ? axes[i] + rank : axes[i];
    if (axis < 0 || axis >= rank)
      return emitError(loc) << "Slice axis " << axes[i] << " out of range";
    if (steps[i] < 1)
      return unsupported(n, loc, "non-positive steps");
    int64_t dim = x->getDimSize(axis);
    auto clampIndex = [dim](int64_t v) {
      if (v < 0)
        v += dim;
      return std::clamp<int64_t>(v, 0, dim);
    };
    int64_t s = clampIndex(starts[i]), e = clampIndex(ends[i]);
    if (e <= s)
      return unsupported(n, loc, "empty slices");
    offsets[axis] = s;
    strides[axis] = steps[i];
    sizes[axis] = (e - s + steps[i] - 1) / steps[i];
  }
  if (const ConstTensor *c = constant(n, 0);
      c && isIntegerType(c->dtype) && rank == 1) { // shape arithmetic
    std::vector<int64_t> v, all = c->ints();
    for (int64_t i = 0; i < sizes[0]; ++i)
      v.push_back(all[offsets[0] + i * strides[0]]);
    consts[n.output(0)] = ConstTensor::fromInts(v, {sizes[0]});
    return success();
  }
  auto r = create(nn::SliceOp::getOperationName(), loc, {values[n.input(0)]},
                  {named("offsets", i64s(offsets)), named("sizes", i64s(sizes)),
                   named("steps", i64s(strides))});
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

LogicalResult Importer::importShape(const ox::NodeProto &n, Location loc) {
  std::vector<int64_t> shape;
  if (const ConstTensor *c = constant(n, 0)) {
    shape = c->shape;
  } else {
    auto x = inputType(n, 0, loc);
    if (failed(x))
      return failure();
    shape.assign(x->getShape().begin(), x->getShape().end());
  }
  int64_t rank = shape.size();
  int64_t start = attrInt(n, "start", 0), end = attrInt(n, "end", rank);
  start = std::clamp<int64_t>(start < 0 ? start + rank : start, 0, rank);
  end = std::clamp<int64_t>(end < 0 ? end + rank : end, 0, rank);
  std::vector<int64_t> v;
  for (int64_t i = start; i < end; ++i)
    v.push_back(shape[i]);
  consts[n.output(0)] = ConstTensor::fromInts(v, {int64_t(v.size())});
  return success();
}

LogicalResult Importer::importGather(const ox::NodeProto &n, Location loc) {
  const ConstTensor *data = constant(n, 0), *indices = constant(n, 1);
  if (!data || !indices || !isIntegerType(data->dtype) ||
      data->shape.size() != 1)
    return unsupported(n, loc, "only Gather on constant 1-D integer data "
                               "(shape arithmetic) is supported");
  int64_t size = data->shape[0];
  std::vector<int64_t> v, all = data->ints();
  for (int64_t i : indices->ints()) {
    if (i < -size || i >= size)
      return emitError(loc) << "Gather index " << i << " out of range";
    v.push_back(all[i < 0 ? i + size : i]);
  }
  consts[n.output(0)] = ConstTensor::fromInts(v, indices->shape);
  return success();
}

LogicalResult Importer::importSqueeze(const ox::NodeProto &n, Location loc) {
  bool unsqueeze = n.op_type() == "Unsqueeze";
  std::vector<int64_t> axes;
  if (opset < 13) {
    axes = attrInts(n, "axes");
  } else if (has(n, 1)) {
    const ConstTensor *c;
    if (failed(constantInput(n, 1, loc, c)))
      return failure();
    axes = c->ints();
  }
  std::vector<int64_t> inShape;
  const ConstTensor *c = constant(n, 0);
  if (c) {
    inShape = c->shape;
  } else {
    auto x = inputType(n, 0, loc);
    if (failed(x))
      return failure();
    inShape.assign(x->getShape().begin(), x->getShape().end());
  }
  int64_t outRank = inShape.size() + (unsqueeze ? axes.size() : 0);
  int64_t rank = unsqueeze ? outRank : inShape.size();
  std::set<int64_t> axisSet;
  for (int64_t a : axes) {
    int64_t norm = a < 0 ? a + rank : a;
    if (norm < 0 || norm >= rank || !axisSet.insert(norm).second)
      return emitError(loc) << n.op_type() << " axis " << a
                            << " is out of range or repeated";
  }
  std::vector<int64_t> shape;
  if (unsqueeze) {
    for (int64_t d = 0, src = 0; d < outRank; ++d)
      shape.push_back(axisSet.count(d) ? 1 : inShape[src++]);
  } else {
    for (int64_t d = 0; d < rank; ++d) {
      bool drop = axisSet.empty() ? inShape[d] == 1 : axisSet.count(d) > 0;
      if (drop && inShape[d] != 1)
        return emitError(loc) << "Squeeze of dimension " << d << " of size "
                              << inShape[d];
      if (!drop)
        shape.push_back(inShape[d]);
    }
  }
  if (c) {
    ConstTensor t = *c;
    t.shape = shape;
    consts[n.output(0)] = t;
    return success();
  }
  auto r = reshapeTo(values[n.input(0)], shape, loc);
  if (failed(r))
    return failure();
  setOutput(n, 0, *r);
  return success();
}

LogicalResult Importer::importCast(const ox::NodeProto &n, Location loc) {
  int32_t to = attrInt(n, "to", 0);
  if (const ConstTensor *c = constant(n, 0)) {
    if (!elementSize(to))
      return unsupported(n, loc, "cast to data type " + llvm::Twine(to));
    ConstTensor t;
    t.dtype = to;
    t.shape = c->shape;
    size_t es = elementSize(to);
    t.bytes.resize(c->numElements() * es);
    for (int64_t i = 0; i < c->numElements(); ++i) {
      char *dst = t.bytes.data() + i * es;
      auto put = [&](auto v) { std::memcpy(dst, &v, sizeof(v)); };
      switch (to) {
      case ox::TensorProto::FLOAT:
        put(static_cast<float>(c->floatAt(i)));
        break;
      case ox::TensorProto::DOUBLE:
        put(c->floatAt(i));
        break;
      case ox::TensorProto::INT64:
        put(c->intAt(i));
        break;
      case ox::TensorProto::INT32:
        put(static_cast<int32_t>(c->intAt(i)));
        break;
      case ox::TensorProto::BOOL:
        put(static_cast<uint8_t>(c->floatAt(i) != 0));
        break;
      default:
        put(static_cast<int8_t>(c->intAt(i)));
        break;
      }
    }
    consts[n.output(0)] = std::move(t);
    return success();
  }
  auto x = inputType(n, 0, loc);
  if (failed(x))
    return failure();
  auto target = elementType(to, loc);
  if (failed(target))
    return failure();
  if (*target != x->getElementType())
    return unsupported(n, loc, "casts of run-time tensors are not supported");
  setOutput(n, 0, nn::IdentityOp::create(builder, loc, values[n.input(0)]));
  return success();
}

} // namespace

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
