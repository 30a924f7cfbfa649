//===- ImporterImpl.h - the ONNX importer's internals ------------*- C++
//-*-===//
//
// Shared by Importer.cpp (model level, values, dispatch) and the op family
// files (ConvOps.cpp, ElementwiseOps.cpp, ...), each of which defines its
// handlers and the table that maps ONNX op types to them. Not installed.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_ONNX_IMPORTERIMPL_H
#define KILN_COMPILER_ONNX_IMPORTERIMPL_H

#include "compiler/onnx/Importer.h"
#include "dialects/nn/NNOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/ErrorHandling.h"

#include <onnx/onnx_pb.h>

#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace kiln::onnx {

using namespace mlir;
namespace ox = ::onnx;

class Importer;
struct OpHandler;

inline constexpr int64_t kMinOpset = 7, kMaxOpset = 17;

/// Whether a tensor of `shape` holds more than `limit` elements (or has a
/// negative dim), computed without overflow.
inline bool exceedsElements(llvm::ArrayRef<int64_t> shape, uint64_t limit) {
  uint64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || (d && n > limit / static_cast<uint64_t>(d)))
      return true;
    n *= d;
  }
  return n > limit;
}

/// The nodes of `graph`, its subgraphs' included, and how deeply its
/// subgraphs nest (0: none). Walks at most `maxDepth` + 1 levels, so that
/// a hostile nesting cannot exhaust the stack.
struct GraphSize {
  int64_t nodes = 0, depth = 0;
};
GraphSize graphSize(const ::onnx::GraphProto &graph, int64_t maxDepth);

inline std::string shapeString(llvm::ArrayRef<int64_t> shape) {
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "x" : "") + std::to_string(shape[i]);
  return s.empty() ? "scalar" : s;
}

inline size_t elementSize(int32_t dtype) {
  switch (dtype) {
  case ox::TensorProto::FLOAT:
  case ox::TensorProto::INT32:
  case ox::TensorProto::UINT32:
    return 4;
  case ox::TensorProto::INT64:
  case ox::TensorProto::UINT64:
  case ox::TensorProto::DOUBLE:
    return 8;
  case ox::TensorProto::FLOAT16:
  case ox::TensorProto::BFLOAT16:
  case ox::TensorProto::INT16:
  case ox::TensorProto::UINT16:
    return 2;
  case ox::TensorProto::INT8:
  case ox::TensorProto::UINT8:
  case ox::TensorProto::BOOL:
    return 1;
  default:
    return 0;
  }
}

inline bool isIntegerType(int32_t dtype) {
  return dtype == ox::TensorProto::INT64 || dtype == ox::TensorProto::INT32 ||
         dtype == ox::TensorProto::INT8 || dtype == ox::TensorProto::UINT8 ||
         dtype == ox::TensorProto::BOOL;
}

/// ONNX's unsigned integer types: they import as signless iN, so the
/// handlers that order, divide or convert integers ask for this.
inline bool isUnsignedType(int32_t dtype) {
  return dtype == ox::TensorProto::UINT8 || dtype == ox::TensorProto::UINT16 ||
         dtype == ox::TensorProto::UINT32 || dtype == ox::TensorProto::UINT64;
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
    case ox::TensorProto::INT64:
      return at<int64_t>(i);
    case ox::TensorProto::INT32:
      return at<int32_t>(i);
    case ox::TensorProto::UINT64: // its bits; floatAt has its value
      return static_cast<int64_t>(at<uint64_t>(i));
    case ox::TensorProto::UINT32:
      return at<uint32_t>(i);
    case ox::TensorProto::INT16:
      return at<int16_t>(i);
    case ox::TensorProto::UINT16:
      return at<uint16_t>(i);
    case ox::TensorProto::INT8:
      return static_cast<int8_t>(bytes[i]);
    case ox::TensorProto::UINT8:
    case ox::TensorProto::BOOL:
      return static_cast<uint8_t>(bytes[i]);
    case ox::TensorProto::FLOAT:
    case ox::TensorProto::DOUBLE:
    case ox::TensorProto::FLOAT16:
    case ox::TensorProto::BFLOAT16:
      return static_cast<int64_t>(floatAt(i));
    }
    return 0;
  }
  double floatAt(int64_t i) const {
    switch (dtype) {
    case ox::TensorProto::FLOAT:
      return at<float>(i);
    case ox::TensorProto::DOUBLE:
      return at<double>(i);
    case ox::TensorProto::UINT64:
      return static_cast<double>(at<uint64_t>(i));
    case ox::TensorProto::FLOAT16:
    case ox::TensorProto::BFLOAT16: {
      llvm::APFloat v(dtype == ox::TensorProto::FLOAT16
                          ? llvm::APFloat::IEEEhalf()
                          : llvm::APFloat::BFloat(),
                      llvm::APInt(16, at<uint16_t>(i)));
      bool lost; // widening is exact
      v.convert(llvm::APFloat::IEEEdouble(), llvm::APFloat::rmNearestTiesToEven,
                &lost);
      return v.convertToDouble();
    }
    }
    return static_cast<double>(intAt(i));
  }
  std::vector<int64_t> ints() const {
    std::vector<int64_t> v;
    for (int64_t i = 0, e = numElements(); i < e; ++i)
      v.push_back(intAt(i));
    return v;
  }
  template <typename T> T at(int64_t i) const {
    T v;
    std::memcpy(&v, bytes.data() + sizeof(T) * i, sizeof(T));
    return v;
  }
  /// Stores `v` as element `i`, converted to the dtype (bool: v != 0).
  /// Integers pass as int64_t so that int64 values keep every bit.
  template <typename T> void set(int64_t i, T v) {
    char *dst = bytes.data() + i * elementSize(dtype);
    auto put = [&](auto x) { std::memcpy(dst, &x, sizeof(x)); };
    switch (dtype) {
    case ox::TensorProto::FLOAT:
      put(static_cast<float>(v));
      break;
    case ox::TensorProto::DOUBLE:
      put(static_cast<double>(v));
      break;
    case ox::TensorProto::INT64:
      put(static_cast<int64_t>(v));
      break;
    case ox::TensorProto::INT32:
      put(static_cast<int32_t>(v));
      break;
    case ox::TensorProto::BOOL:
      put(static_cast<uint8_t>(v != 0));
      break;
    case ox::TensorProto::UINT8:
      put(static_cast<uint8_t>(v));
      break;
    case ox::TensorProto::INT16:
      put(static_cast<int16_t>(v));
      break;
    case ox::TensorProto::UINT16:
      put(static_cast<uint16_t>(v));
      break;
    case ox::TensorProto::UINT32:
      put(static_cast<uint32_t>(v));
      break;
    case ox::TensorProto::UINT64:
      put(static_cast<uint64_t>(v));
      break;
    case ox::TensorProto::INT8:
      put(static_cast<int8_t>(v));
      break;
    case ox::TensorProto::FLOAT16:
    case ox::TensorProto::BFLOAT16: {
      llvm::APFloat f(static_cast<double>(v));
      bool lost;
      f.convert(dtype == ox::TensorProto::FLOAT16 ? llvm::APFloat::IEEEhalf()
                                                  : llvm::APFloat::BFloat(),
                llvm::APFloat::rmNearestTiesToEven, &lost);
      put(static_cast<uint16_t>(f.bitcastToAPInt().getZExtValue()));
      break;
    }
    default:
      llvm_unreachable("a ConstTensor's dtype has an element size");
    }
  }
  static ConstTensor zeros(int32_t dtype, std::vector<int64_t> shape) {
    ConstTensor t;
    t.dtype = dtype;
    t.shape = std::move(shape);
    t.bytes.assign(t.numElements() * elementSize(dtype), '\0');
    return t;
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

  using Handler = LogicalResult (Importer::*)(const ox::NodeProto &, Location);

private:
  // The ops each family file imports (ONNX op type -> handler).
  static llvm::ArrayRef<OpHandler> convOps();          // ConvOps.cpp
  static llvm::ArrayRef<OpHandler> elementwiseOps();   // ElementwiseOps.cpp
  static llvm::ArrayRef<OpHandler> normalizationOps(); // NormalizationOps.cpp
  static llvm::ArrayRef<OpHandler> poolingOps();       // PoolingOps.cpp
  static llvm::ArrayRef<OpHandler> reductionOps();     // ReductionOps.cpp
  static llvm::ArrayRef<OpHandler> dataMovementOps();  // DataMovementOps.cpp
  static llvm::ArrayRef<OpHandler> tensorOps();        // TensorOps.cpp
  static llvm::ArrayRef<OpHandler> resizeOps();        // ResizeOps.cpp
  static llvm::ArrayRef<OpHandler> encodingOps();      // EncodingOps.cpp
  static llvm::ArrayRef<OpHandler> signalOps();        // SignalOps.cpp
  static llvm::ArrayRef<OpHandler> controlFlowOps();   // ControlFlowOps.cpp

  // Model-level steps.
  LogicalResult checkModel(ox::ModelProto &model);
  LogicalResult freezeInputs(ox::GraphProto &graph);
  LogicalResult pinInputShapes(ox::GraphProto &graph);
  /// Imports the nodes of `graph` (the model's, or a subgraph's once its
  /// inputs are bound) in order.
  LogicalResult importNodes(const ox::GraphProto &graph);
  LogicalResult importNode(const ox::NodeProto &node, Location loc);
  /// The handlers of all families by ONNX op type.
  static const llvm::StringMap<Handler> &handlerTable();
  /// Refuses `node` (at `loc`) when Kiln has no handler for its op type or
  /// its domain is not ONNX's.
  LogicalResult checkSupported(const ox::NodeProto &node, Location loc);
  /// checkSupported on every node of `graph` and its subgraphs.
  LogicalResult checkAllSupported(const ox::GraphProto &graph);
  using GraphCheck =
      llvm::function_ref<LogicalResult(const ox::GraphProto &, Location)>;
  using NodeCheck =
      llvm::function_ref<LogicalResult(const ox::NodeProto &, Location)>;
  static LogicalResult noGraphCheck(const ox::GraphProto &, Location) {
    return success();
  }
  /// `onGraph` on `graph` (at `loc`), then in order `onNode` on each node
  /// (at its location) followed by the same walk of its subgraphs (If, Loop
  /// and Scan bodies, at the node's location); stops at the first failure.
  LogicalResult walkGraphs(const ox::GraphProto &graph, Location loc,
                           GraphCheck onGraph, NodeCheck onNode);
  /// A node's location: its name (nodeName).
  Location nodeLoc(const ox::NodeProto &node);
  LogicalResult refuseWideUnsigned(const ox::NodeProto &n, Location loc);

  // Values and constants.
  FailureOr<ConstTensor> readTensor(const ox::TensorProto &t, Location loc);
  /// What readTensor checks before it copies (external data, data type,
  /// dimensions, --max-tensor-bytes, the count of values): the tensor
  /// without its bytes, or an error at `loc`.
  FailureOr<ConstTensor> checkTensor(const ox::TensorProto &t, Location loc);
  /// checkTensor on every tensor of `graph` and its subgraphs (initializers
  /// and tensor attributes); refuses sparse tensors.
  LogicalResult checkAllTensors(const ox::GraphProto &graph);
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
  /// For a value that is not a compile-time constant: "; model input N
  /// ('X') must be a compile-time constant", naming the model input it is
  /// computed from (kilnc --freeze-input X=FILE.pb may make it one), or ""
  /// when there is none, or when it is `name` itself and not `orItself`.
  /// `inner` is a subgraph (no longer being imported) searched first.
  std::string freezeHint(const std::string &name, bool orItself,
                         const ox::GraphProto *inner = nullptr) const;
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
  /// diagnostic (at the node's location) is the error on failure. Returns
  /// result 0; an op with `numResults` results has them all typed.
  FailureOr<Value> create(llvm::StringRef opName, Location loc,
                          ValueRange operands,
                          llvm::ArrayRef<NamedAttribute> attrs,
                          unsigned numResults = 1);
  NamedAttribute named(llvm::StringRef n, Attribute a) {
    return builder.getNamedAttr(n, a);
  }
  Attribute i64s(llvm::ArrayRef<int64_t> v) {
    return builder.getDenseI64ArrayAttr(v);
  }
  /// ONNX's signed and unsigned integers both import as signless iN. For a
  /// node whose integer inputs all have one ONNX type (as ONNX requires):
  /// whether it is unsigned, from the first input or output whose ONNX type
  /// Kiln knows. Unknown is signed, except for i8, where it is refused
  /// (failure): INT8 and UINT8 are equally likely there. Records the type
  /// for output 0.
  FailureOr<bool> hasUnsignedData(const ox::NodeProto &n, Location loc);
  /// The attributes of nn.max / nn.min for element type `et`: integers
  /// order by the node's ONNX signedness (is_unsigned).
  FailureOr<SmallVector<NamedAttribute, 1>> orderAttrs(const ox::NodeProto &n,
                                                       Location loc, Type et);
  /// i8 -> i32 (zero- or sign-extended), so that ordering and division
  /// need not know the sign; narrowToI8 truncates the result back.
  Value widenI8(Value v, bool isUnsigned, Location loc);
  Value narrowToI8(Value v, Location loc);
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
  LogicalResult
  windowPads(const ox::NodeProto &n, Location loc, RankedTensorType input,
             llvm::ArrayRef<int64_t> kernel, llvm::ArrayRef<int64_t> strides,
             llvm::ArrayRef<int64_t> dilations, std::vector<int64_t> &pads);
  FailureOr<Value> reshapeTo(Value v, llvm::ArrayRef<int64_t> shape,
                             Location loc);
  LogicalResult reshapeOutput(const ox::NodeProto &n,
                              llvm::ArrayRef<int64_t> shape, Location loc);
  /// A rank-0 constant `v` of float type `et`.
  Value floatScalar(Type et, double v, Location loc) {
    auto type = RankedTensorType::get({}, et);
    return nn::ConstantOp::create(
        builder, loc, type,
        DenseElementsAttr::get(type, builder.getFloatAttr(et, v)));
  }
  /// Add/Sub/Mul/Div (into a constant of the operands' dtype) or a
  /// comparison (into bool) of two constants of one dtype: shape arithmetic,
  /// and the trip counts and conditions of loops unrolled at import.
  LogicalResult foldBinary(const ox::NodeProto &n, Location loc,
                           const ConstTensor &a, const ConstTensor &b);
  /// Output 0 as `f` of each element of input 0 when that is a
  /// floating-point constant; false (nothing done) otherwise.
  bool foldFloatUnary(const ox::NodeProto &n, double (*f)(double));

  // One handler per ONNX op (or group of alike ops), in the family files.
  // ConvOps.cpp
  LogicalResult importConv(const ox::NodeProto &, Location);
  LogicalResult importGemm(const ox::NodeProto &, Location);
  LogicalResult importMatMul(const ox::NodeProto &, Location);
  LogicalResult importConvTranspose(const ox::NodeProto &, Location);
  LogicalResult importEinsum(const ox::NodeProto &, Location);
  LogicalResult importQuantizeLinear(const ox::NodeProto &,
                                     Location); // + DequantizeLinear
  LogicalResult importDynamicQuantizeLinear(const ox::NodeProto &, Location);
  LogicalResult importMatMulInteger(const ox::NodeProto &, Location);
  LogicalResult importConvInteger(const ox::NodeProto &, Location);
  LogicalResult importQLinearMatMul(const ox::NodeProto &, Location);
  LogicalResult importQLinearConv(const ox::NodeProto &, Location);
  // Helpers of the above.
  LogicalResult convAttrs(const ox::NodeProto &n, Location loc,
                          RankedTensorType x, RankedTensorType w,
                          SmallVectorImpl<NamedAttribute> &attrs);
  FailureOr<Value> zeroPoint(const ox::NodeProto &n, int i, Location loc,
                             bool &isUnsigned, int32_t dataType);
  FailureOr<Value> scaleInput(const ox::NodeProto &n, int i, Location loc);
  FailureOr<Value> requantize(const ox::NodeProto &n, Location loc, Value acc,
                              Value scale, int64_t axis, int ys, int yzp);
  FailureOr<Value> widened(const ox::NodeProto &n, int data, int zp,
                           int64_t axis, Location loc);
  /// ConvInteger's and QLinearConv's X (input 0) and W (input `w`), each
  /// widened with its zero point (inputs `xZp`, `wZp`; W's per output
  /// channel), and the conv attributes.
  LogicalResult integerConvOperands(const ox::NodeProto &n, Location loc, int w,
                                    int xZp, int wZp,
                                    SmallVectorImpl<Value> &operands,
                                    SmallVectorImpl<NamedAttribute> &attrs);

  // ElementwiseOps.cpp
  LogicalResult importBinary(const ox::NodeProto &, Location);
  LogicalResult importUnary(const ox::NodeProto &, Location);
  LogicalResult importClip(const ox::NodeProto &, Location);
  LogicalResult importIntClip(const ox::NodeProto &, Location,
                              RankedTensorType x);
  LogicalResult importMath(const ox::NodeProto &, Location);
  LogicalResult importVariadic(const ox::NodeProto &, Location);
  LogicalResult importPow(const ox::NodeProto &, Location);
  LogicalResult importMod(const ox::NodeProto &, Location);
  LogicalResult importPRelu(const ox::NodeProto &, Location);
  LogicalResult importCompare(const ox::NodeProto &, Location);
  LogicalResult importLogical(const ox::NodeProto &, Location);
  LogicalResult importWhere(const ox::NodeProto &, Location);

  // NormalizationOps.cpp
  LogicalResult importBatchNorm(const ox::NodeProto &, Location);
  LogicalResult importBatchNormTraining(const ox::NodeProto &, Location,
                                        llvm::ArrayRef<Value> operands);
  LogicalResult importSoftmax(const ox::NodeProto &, Location); // + LogSoftmax
  LogicalResult importInstanceNorm(const ox::NodeProto &, Location);
  LogicalResult importLRN(const ox::NodeProto &, Location);
  LogicalResult importMVN(const ox::NodeProto &, Location);

  // PoolingOps.cpp
  LogicalResult importPool(const ox::NodeProto &, Location);
  LogicalResult importGlobalPool(const ox::NodeProto &, Location);

  // ReductionOps.cpp
  LogicalResult importReduce(const ox::NodeProto &, Location); // Reduce*
  LogicalResult importArgReduce(const ox::NodeProto &, Location);
  LogicalResult importTopK(const ox::NodeProto &, Location);
  LogicalResult importCumSum(const ox::NodeProto &, Location);
  /// Normalises ONNX axes against `rank` (sorted, distinct), or fails.
  LogicalResult normaliseAxes(const ox::NodeProto &n, Location loc,
                              int64_t rank, std::vector<int64_t> &axes);
  /// Refuses 8-bit and bool element types where an op orders values
  /// (uint8 and int8 share i8 after import, so the order is unknown).
  LogicalResult refuseUnordered(const ox::NodeProto &n, Location loc,
                                RankedTensorType type);

  // DataMovementOps.cpp
  LogicalResult importConcat(const ox::NodeProto &, Location);
  LogicalResult importReshape(const ox::NodeProto &, Location);
  LogicalResult importFlatten(const ox::NodeProto &, Location);
  LogicalResult importTranspose(const ox::NodeProto &, Location);
  LogicalResult importPad(const ox::NodeProto &, Location);
  LogicalResult importSplit(const ox::NodeProto &, Location);
  LogicalResult importSlice(const ox::NodeProto &, Location);
  LogicalResult importGather(const ox::NodeProto &, Location);
  LogicalResult importSqueeze(const ox::NodeProto &, Location);
  LogicalResult importGatherElements(const ox::NodeProto &, Location);
  LogicalResult importTrilu(const ox::NodeProto &, Location);
  LogicalResult importExpand(const ox::NodeProto &, Location);
  LogicalResult importTile(const ox::NodeProto &, Location);

  // TensorOps.cpp
  LogicalResult importConstant(const ox::NodeProto &, Location);
  LogicalResult importIdentity(const ox::NodeProto &, Location);
  LogicalResult importShape(const ox::NodeProto &, Location);
  LogicalResult importCast(const ox::NodeProto &, Location);
  LogicalResult importSize(const ox::NodeProto &, Location);
  LogicalResult importConstantOfShape(const ox::NodeProto &, Location);
  LogicalResult importRange(const ox::NodeProto &, Location);
  LogicalResult importEyeLike(const ox::NodeProto &, Location);
  LogicalResult importNonZero(const ox::NodeProto &, Location);

  // ControlFlowOps.cpp
  /// A value at a subgraph's boundary: a compile-time constant, or else an
  /// SSA value.
  struct Bound {
    std::optional<ConstTensor> constant;
    Value value;
    static Bound of(ConstTensor t) { return {std::move(t), {}}; }
    static Bound of(Value v) { return {std::nullopt, v}; }
  };
  LogicalResult importLoop(const ox::NodeProto &, Location);
  LogicalResult importIf(const ox::NodeProto &, Location);
  /// Imports subgraph `graph` of node `n` with its inputs bound to `inputs`
  /// and returns its outputs. The names the subgraph defines hide outer
  /// values of the same name only until it returns.
  FailureOr<std::vector<Bound>> importSubgraph(const ox::NodeProto &n,
                                               Location loc,
                                               const ox::GraphProto &graph,
                                               llvm::ArrayRef<Bound> inputs);
  FailureOr<Bound> lookup(const ox::NodeProto &n, const std::string &name,
                          Location loc);
  void bind(const std::string &name, const Bound &b);
  FailureOr<Value> valueOf(const Bound &b, Location loc) {
    return b.constant ? materialize(*b.constant, loc)
                      : FailureOr<Value>(b.value);
  }
  /// Output `output` of `n`: `parts` stacked along a new axis `axis` (a
  /// constant when they all are and the axis is 0).
  FailureOr<Bound> stackScans(const ox::NodeProto &n, Location loc, int output,
                              llvm::ArrayRef<Bound> parts, int64_t axis);
  LogicalResult importScan(const ox::NodeProto &, Location);
  /// Element `index` of `v` along `axis`, that axis dropped.
  FailureOr<Value> takeAt(Value v, int64_t axis, int64_t index, Location loc);
  /// Refuses node `n`: "<what> '<name>' is only known at run time <why>"
  /// and the freezeHint for `name`.
  LogicalResult runTimeOnly(const ox::NodeProto &n, Location loc,
                            const llvm::Twine &what, const std::string &name,
                            const llvm::Twine &why,
                            const ox::GraphProto *inner = nullptr);

  // ResizeOps.cpp
  struct ResizeParams { // the attributes of nn.resize
    std::vector<int64_t> sizes;
    std::vector<double> scales, roi;
    std::string mode, coordinateMode, nearestMode;
    double cubicCoeffA = -0.75;
    bool excludeOutside = false;
    float extrapolationValue = 0;
  };
  LogicalResult resizeScales(const ox::NodeProto &, Location,
                             RankedTensorType x,
                             const std::vector<double> &scales,
                             ResizeParams &p);
  LogicalResult emitResize(const ox::NodeProto &, Location, RankedTensorType x,
                           const ResizeParams &p);
  LogicalResult importResize(const ox::NodeProto &, Location);
  LogicalResult importUpsample(const ox::NodeProto &, Location);
  LogicalResult importDepthSpace(const ox::NodeProto &, Location);

  // EncodingOps.cpp
  FailureOr<Value> oneHotMask(Value indices, int64_t axis, int64_t depth,
                              Location loc);
  LogicalResult importOneHot(const ox::NodeProto &, Location);
  LogicalResult importHardmax(const ox::NodeProto &, Location);

  // SignalOps.cpp
  LogicalResult importWindow(const ox::NodeProto &, Location);
  LogicalResult importDFT(const ox::NodeProto &, Location);
  LogicalResult importSTFT(const ox::NodeProto &, Location);
  LogicalResult importMelWeightMatrix(const ox::NodeProto &, Location);

  MLIRContext &ctx;
  const ImportOptions &options;
  OpBuilder builder;
  std::string source;
  Location fileLoc;
  int64_t opset = 0;
  int64_t sourceOpset = 0; // the model's own opset, before any upgrade
  std::map<std::string, Value> values;
  std::map<std::string, ConstTensor> consts;
  std::set<std::string> used;
  std::map<std::string, int32_t> onnxTypes; // ONNX elem_type by value name
  // The graphs being imported: the model's, then the subgraphs entered.
  std::vector<const ox::GraphProto *> scopes;

public:
  /// The ONNX element type of node input `i` (TensorProto::DataType), or
  /// UNDEFINED when unknown.
  int32_t onnxType(const ox::NodeProto &n, int i) const {
    if (const ConstTensor *c = constant(n, i))
      return c->dtype;
    auto it = has(n, i) ? onnxTypes.find(n.input(i)) : onnxTypes.end();
    return it == onnxTypes.end() ? ox::TensorProto::UNDEFINED : it->second;
  }
};

struct OpHandler {
  llvm::StringLiteral opType;
  Importer::Handler handler;
};

} // namespace kiln::onnx

#endif // KILN_COMPILER_ONNX_IMPORTERIMPL_H
