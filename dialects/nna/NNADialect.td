//===- NNADialect.td - the Kiln NNA dialect ----------------*- tablegen -*-===//
//
// `nna` holds what runs on the Kiln NNA (docs/nna.md): int8 operations of
// its units on HxWxC tensors (batch 1, channels innermost), each carrying
// its quantisation parameters, so that a graph of them defines its result
// to the bit.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_NNA_DIALECT
#define KILN_NNA_DIALECT

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def NNA_Dialect : Dialect {
  let name = "nna";
  let summary = "Kiln's accelerator dialect: int8 operations of the Kiln NNA";
  let description = [{
    Operations the Kiln NNA executes (docs/nna.md), on int8 tensors of
    shape HxWxC. Each op's verifier checks what the spec requires of the
    corresponding command whatever the configuration (kernel sizes,
    strides, padding, shapes, parameter ranges); what depends on the
    configuration (SRAM and accumulator sizes) is checked where the ops are
    split to fit.
  }];
  let cppNamespace = "::kiln::nna";
  let useDefaultAttributePrinterParser = 1;
}

class NNA_Op<string mnemonic, list<Trait> traits = []>
    : Op<NNA_Dialect, mnemonic, traits>;

class NNA_Attr<string name, string attrMnemonic>
    : AttrDef<NNA_Dialect, name> {
  let mnemonic = attrMnemonic;
}

#endif // KILN_NNA_DIALECT
