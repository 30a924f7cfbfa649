//===- Passes.td - NNA target passes -----------------------*- tablegen -*-===//
#ifndef KILN_TARGETS_NNA_PASSES
#define KILN_TARGETS_NNA_PASSES

include "mlir/Pass/PassBase.td"

def NNAStreamPass : Pass<"kiln-nna-stream", "mlir::ModuleOp"> {
  let summary = "Build @main's Kiln NNA command stream, print it, and "
                "optionally simulate it";
  let description = [{
    Runs the NNA stream builder (targets/nna/StreamBuilder.h) on @main, a
    segment of nna ops: every op split to fit the configuration's SRAM and
    ACC, intermediates kept in SRAM where they fit (unless
    `layer-by-layer`), and the stream checked with the runtime's validator.
    Prints to stdout a summary (commands per opcode, DRAM bytes, SRAM use,
    constants and arena sizes, the arguments' and results' arena offsets,
    each op's tiles) and, with `print-commands`, one line per command
    (docs/nna.md, "Compiler: command streams"). With `simulate`, runs the
    stream in the runtime's simulator on a zeroed arena (with `input-seed`
    N >= 0, the argument cubes are first filled with seeded pseudo-random
    int8) and prints its cycles and DRAM traffic and, per result, the
    FNV-1a 32 checksum of its bytes and how many distinct values it holds.
    The module is left unchanged.
  }];
  let options = [
    Option<"config", "config", "std::string", "\"small\"",
           "the NNA configuration: small or large">,
    Option<"layerByLayer", "layer-by-layer", "bool", "false",
           "every op loads its inputs and stores its output through DRAM, "
           "no double buffering (the baseline)">,
    Option<"printCommands", "print-commands", "bool", "true",
           "print every command">,
    Option<"simulate", "simulate", "bool", "false",
           "run the stream in the runtime's simulator and print its totals">,
    Option<"inputSeed", "input-seed", "int64_t", "-1",
           "with simulate: fill the argument cubes from this seed "
           "(negative: leave them zero)">
  ];
}

#endif // KILN_TARGETS_NNA_PASSES
