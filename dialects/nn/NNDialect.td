//===- NNDialect.td - the Kiln graph dialect ---------------*- tablegen -*-===//
//
// `nn` holds a neural network as imported from ONNX: one op per ONNX concept
// that survives import, on ranked tensors with static shapes.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_NN_DIALECT
#define KILN_NN_DIALECT

include "mlir/IR/OpBase.td"

def NN_Dialect : Dialect {
  let name = "nn";
  let summary = "Kiln's graph dialect: neural-network operators on tensors";
  let description = [{
    Operators of an imported model. Every op verifies its operands and
    attributes and infers its result type, so a graph that verifies has
    consistent static shapes. Weights are `dense_resource` blobs held by
    `nn.constant`.
  }];
  let cppNamespace = "::kiln::nn";
  let hasConstantMaterializer = 1;
  let useDefaultAttributePrinterParser = 1;
}

class NN_Op<string mnemonic, list<Trait> traits = []>
    : Op<NN_Dialect, mnemonic, traits>;

#endif // KILN_NN_DIALECT
