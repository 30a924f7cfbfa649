//===- Passes.td - Kiln graph and buffer passes ------------*- tablegen -*-===//
#ifndef KILN_PASSES
#define KILN_PASSES

include "mlir/Pass/PassBase.td"

def PlanMemory : Pass<"kiln-plan-memory", "mlir::func::FuncOp"> {
  let summary = "Place every buffer of a function in one arena argument";
  let description = [{
    Runs on bufferized code. Every `memref.alloc` of the function's entry
    block becomes a `memref.view` into a new trailing argument
    `memref<Nxi8>` (the arena the runtime allocates once per session).
    A buffer is live from its allocation to the last use of it or of any
    view of it, and buffers whose lifetimes do not overlap share space.
    In-place reuse: an elementwise `linalg.generic` whose output is a fresh
    buffer and one of whose inputs dies at it, read through the same
    indexing map and not aliased by another operand, writes its output over
    that input (they get one slot). Copy elision into slices: a buffer that
    dies at a `linalg.copy` into a subview of a fresh buffer (a padded
    input; a concat result where bufferization did not already place the
    producer), written whole or through views of its own rank (the pieces
    of a split op), is replaced by that subview (its views by the same
    views of it): the fresh buffer's allocation,
    fill and subview move up to the first buffer's allocation, its
    producers write straight into the slice, and the copy goes.
    Slots are placed greedily (larger first, each at the lowest
    64-byte-aligned offset free of the placed slots live at the same time);
    with at most `exact-limit` slots, an exact search then looks for a
    smaller arena. The arena size is recorded as `kiln.arena_size` on the
    function, the sum of all planned buffers as `kiln.buffers_size`.

    Aliases are followed conservatively: views, any memref computed from
    an alias, and the results of region ops that yield one. Dynamically
    shaped allocations, allocations inside nested regions or in
    multi-block functions, and buffers the function returns cannot be
    planned statically and are refused. Deallocations of planned buffers
    (and of their aliases) are erased.
  }];
  let options = [
    Option<"inPlace", "in-place", "bool", /*default=*/"true",
           "let elementwise ops write over an input that dies at them">,
    Option<"elideCopies", "elide-copies", "bool", /*default=*/"true",
           "let producers write straight into the slice of a padded or "
           "concatenated buffer they are copied into">,
    Option<"exactLimit", "exact-limit", "int64_t", /*default=*/"8",
           "search for an optimal plan when there are at most this many "
           "slots (0: greedy only)">
  ];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::memref::MemRefDialect"];
}

//===----------------------------------------------------------------------===//
// Graph folding on the nn dialect (before nn -> linalg)
//===----------------------------------------------------------------------===//

def EraseIdentityAndDead : Pass<"kiln-erase-identity-and-dead",
                                "mlir::func::FuncOp"> {
  let summary = "Remove nn.identity ops and nn ops whose results are unused";
  let description = [{
    Every `nn.identity` (ONNX Identity, and Dropout at inference) is
    replaced by its input, which lets the other folds see producer and
    consumer side by side (a Dropout between a Conv and its
    BatchNormalization). Every nn op is `Pure`, so an op none of whose
    results is used is dead and erased, operands first reached last, so a
    dead chain goes at once. Ops of other dialects are left alone. The
    canonicalizer does the same through `nn.identity`'s folder and its own
    dead-code elimination; this pass does only that, so the graph pipeline
    changes nothing else it does not mean to.
  }];
}

def FoldConstants : Pass<"kiln-fold-constants", "mlir::func::FuncOp"> {
  let summary = "Evaluate nn ops whose operands are all constants";
  let description = [{
    A weight-only subgraph (a transpose, reshape, slice, cast or arithmetic
    of `nn.constant`s) is evaluated at compile time into one `nn.constant`:
    inline `dense` up to 16 elements, a `dense_resource` blob above.
    Supported: `nn.identity`, `nn.reshape`, `nn.flatten`, `nn.transpose`,
    `nn.slice` on any element type but i1; `nn.cast` between float types; `nn.neg`,
    `nn.abs`, `nn.sqrt`, `nn.reciprocal`, `nn.add`, `nn.sub`, `nn.mul`,
    `nn.div` on floats (numpy broadcasting). An op is kept when its result
    would hold more elements than its largest operand (a broadcast would
    grow the weights the model carries), and when an operand's data is not
    available. Folded-away constants left without users are erased.
  }];
}

def CancelTransposeReshape : Pass<"kiln-cancel-transpose-reshape",
                                  "mlir::func::FuncOp"> {
  let summary = "Compose transpose and reshape chains; drop no-op ones";
  let description = [{
    `nn.transpose(nn.transpose(x, p), q)` becomes one transpose of `x` by
    the composed permutation (`r[i] = p[q[i]]`), or `x` itself when that is
    the identity; a transpose by the identity permutation is removed. A
    reshape of a reshape or flatten becomes one reshape of the original
    input; a reshape to the input's own type is removed. A transpose that
    does not compose with another to the identity is kept: moving data is
    what it is there for.
  }];
}

def FoldBatchNorm : Pass<"kiln-fold-batch-norm", "mlir::func::FuncOp"> {
  let summary = "Fold inference BatchNormalization into the conv or gemm before it";
  let description = [{
    With `f = scale / sqrt(variance + epsilon)` per channel,
    `batch_norm(conv(x, w, b))` is `conv(x, w * f, (b - mean) * f + bias)`
    (`f` broadcast over each output channel's filter), and
    `batch_norm(gemm(A, B, C))` is a gemm with B's output columns scaled by
    `f`, `C' = (beta * C - mean) * f + bias` and `beta = 1`. The new weights
    are computed at compile time (the constant folder runs in this pass).

    Refused when the conv or gemm result has another user (it would need
    the unnormalised value too), when the filter, bias, C or any
    BatchNormalization parameter is not a constant (folding would move run
    time work, not remove it), and for element types other than floats.
  }];
}

def PrunePatterns : Pass<"kiln-prune-patterns", "mlir::func::FuncOp"> {
  let summary = "PatDNN pattern pruning of 3x3 convolution kernels, and "
                "detection of weights that already are pattern-sparse";
  let description = [{
    Looks at every 2-D `nn.conv` (NCHW, before kiln-layout) with a constant
    f32 3x3 filter, depthwise included; each filter has F x C/group
    kernels of 9 taps (tap = ky * 3 + kx, the centre is tap 4).

    Detection (always): a kernel conforms when it is all zero or has at
    most 4 non-zero taps, the centre among them; a layer conforms when all
    its kernels do and its 4-tap kernels use at most `patterns` distinct
    tap sets. When every such layer conforms, the function is already
    pattern-sparse (a model trained that way): nothing is pruned, with or
    without `prune`, and the weights stay bit for bit.

    Pruning (`prune`, not already sparse), as in PatDNN:
    1. Every kernel's candidate pattern is its centre and its 3 other taps
       of largest magnitude (ties: lower tap first).
    2. The pattern set is the `patterns` candidates that occur most often
       over all the layers (ties: lower 9-bit mask first).
    3. Every kernel keeps the taps of the pattern in the set that keeps the
       most of its squared weight (ties: the more frequent pattern); the
       other 5 become 0.
    4. Connectivity pruning (`connectivity` = rate r in [0, 1)): in every
       layer the floor(r x kernels) kernels with the least squared weight
       left (ties: lower index f x C/group + c) become all 0.
    Patterns alone keep 4 of 9 weights (2.25x fewer); with connectivity
    r the layer keeps 4/9 x (1 - r) (r = 0.71875: 8x).

    When it pruned or found pattern-sparse weights, every 3x3 conv
    considered gets `kiln.prune`, a dictionary: `kernels`,
    `zero_kernels`, `weights`, `nonzero` (weights left), `kept_norm`
    (||pruned|| / ||original||, 1 when nothing changed), `sparse` (the
    weights already were pattern-sparse); the function gets
    `kiln.pattern_set`, the patterns' 9-bit tap masks in set order. Other
    kernel sizes (1x1, 5x5, 7x7: no 4-of-9 pattern) are left alone.
  }];
  let options = [
    Option<"prune", "prune", "bool", "false",
           "prune (otherwise only detect pattern-sparse weights)">,
    Option<"numPatterns", "patterns", "int64_t", "8",
           "size of the pattern set">,
    Option<"connectivity", "connectivity", "double", "0.0",
           "fraction of each layer's kernels to remove entirely">
  ];
}

def FoldPad : Pass<"kiln-fold-pad", "mlir::func::FuncOp"> {
  let summary = "Fold nn.pad into the pads of the conv or pooling op that reads it";
  let description = [{
    A constant-mode `nn.pad` that pads only spatial dims (not N or C) is
    absorbed into the `pads` of the op that reads it, when the result is
    the same:
    * `nn.conv`: the pad value is 0 (a conv pads with zeros).
    * `nn.max_pool` on floats: the pad value is -inf, which is what the
      pool's own padding stands for (it never wins).
    * `nn.avg_pool`: the pad value is 0 and the padded elements count in
      the divisor either way: the pool already has `count_include_pad`, or
      has no pads of its own and takes `count_include_pad` on.
    Pools with `ceil_mode` are refused (the extra window's extent depends
    on where the padding came from). Reflect and edge pads are never
    folded. The pad stays for any other user.
  }];
}

def MergeParallel : Pass<"kiln-merge-parallel", "mlir::func::FuncOp"> {
  let summary = "Merge convolutions, matmuls and gemms that read the same "
                "tensor into one wider op plus slices";
  let description = [{
    Ops of one block that read the same value with constant weights and
    float element type merge into one op over the weights concatenated
    along the output channels or columns, placed where the first of them
    was; each original result becomes an `nn.slice` of its part. The input
    is read once, by one larger product instead of several small ones.
    - `nn.conv`: same strides, pads, dilations, filter window, group 1;
      filters concatenated along F, biases too (a missing bias is zeros).
    - `nn.matmul` with a 2-D constant right operand (a transformer's Q, K
      and V projections): right operands concatenated along their columns.
    - `nn.gemm`: same trans_a, trans_b, alpha, beta; B concatenated along
      its N dim, C (absent: zeros) when it holds one value per column.
    Ops that differ in any of these (e.g. SqueezeNet's 1x1 and 3x3 expand
    convs), grouped convs, run-time weights, gemms whose C is a scalar or a
    matrix are left alone. The merged tensor lives from the first sibling
    to the last use of any part, so a group merges only when that does
    not raise the block's peak of live intermediate tensors (their bytes
    summed over program order, each from its op to its last user; constants
    aside), as estimated before and after. Then a concat of adjacent
    unit-step slices of one tensor along its axis (the parts put back
    together) takes one slice of the tensor instead, or the tensor itself
    when they cover it. Runs before fusion; an activation after a slice is
    not fused into the merged op.
  }];
  let dependentDialects = ["kiln::nn::NNDialect"];
}

def MergeConsecutive : Pass<"kiln-merge-consecutive", "mlir::func::FuncOp"> {
  let summary = "Merge two 1x1 convolutions, gemms or matmuls in a row into "
                "one";
  let description = [{
    Two linear products in a row, float32 with constant weights, the first
    one's result used only by the second, become one, when that adds no
    work (`C_out·C_in <= C_mid·(C_in + C_out)`: a bottleneck such as
    MobileNetV2's project/expand pair is left alone). Products are
    accumulated in double and rounded once.
    - `conv(conv(x, W1, b1), W2, b2)`, both 1x1 and group 1, the second
      with strides 1 and no pads, becomes `conv(x, W2·W1, W2·b1 + b2)` with
      the first conv's strides, pads and dilations (a padded border of the
      first is b1, which the merged bias maps right).
    - `gemm(gemm(x, B1, C1), B2, C2)`, the second without trans_a, C
      absent, a scalar or one value per column: `gemm(x, α1·B1'·α2·B2',
      α2·β1·C1·B2' + β2·C2)` (B' the possibly transposed B) with the first
      gemm's trans_a, alpha = beta = 1.
    - `matmul(matmul(x, B1), B2)` with 2-D constant right operands:
      `matmul(x, B1·B2)`.
  }];
  let dependentDialects = ["kiln::nn::NNDialect"];
}

def Layout : Pass<"kiln-layout", "mlir::func::FuncOp"> {
  let summary = "Move convolutions and pools to channels-last (NHWC) and "
                "cancel the conversions between them";
  let description = [{
    The CPU kernels vectorise over channels, which NHWC keeps contiguous
    whatever the image size (NCHW rows of 7 or 14 pixels waste most of a
    vector). Every static 2-D float `nn.conv` (any grouping: a grouped conv
    that is not depthwise runs one channels-last conv per group), and every
    2-D float `nn.max_pool` and
    `nn.avg_pool`, becomes its `channels_last` form between a transpose to
    NHWC and one back to NCHW; a constant filter is permuted to KHxKWxCxF at
    compile time (weight packing: the kernels read F contiguously). Then the
    transposes back to NCHW sink:
    * through float elementwise ops (the fusible set of docs/passes.md)
      whose other operands are transposes by the same permutation,
      constants (permuted at compile time) or broadcast tensors whose
      permuted dims are all 1 (a reshape);
    * through concats of transposes alike (the axis is permuted) and
      through slices;
    * through a channel shuffle (reshape to N x g x C/g x H x W, swap of
      dims 1 and 2, reshape back), which becomes the swap of the last two
      dims of an N x H x W x g x C/g view;
    * into `nn.global_avg_pool` and an `nn.reduce_mean` over H and W, which
      become a mean over dims 1 and 2 of the NHWC tensor.
    A transpose that only moves dims of size 1 becomes a reshape.
    Transposes that meet cancel in kiln-cancel-transpose-reshape, which
    kilnc runs next; those left are the conversions the graph needs (its
    inputs and outputs, ops with no channels-last form). 1-D and 3-D
    convs and pools, integer convs, dynamic shapes, and pruned convs that
    run the pattern kernel stay NCHW. The passes that rewrite NCHW convs (BN and
    Pad folding, merging, depthwise+pointwise bands, split) leave
    channels-last ones alone, so kilnc runs this one after merging.
  }];
}

def FuseConvEpilogue : Pass<"kiln-fuse-conv-epilogue", "mlir::func::FuncOp"> {
  let summary = "Fuse conv, gemm and matmul with the elementwise ops after "
                "them (bias, activation, residual add)";
  let description = [{
    Each group becomes one `nn.fused` of kind `conv_epilogue` (anchor
    `nn.conv`) or `gemm_epilogue` (anchor `nn.gemm` or `nn.matmul`). A group
    grows backwards from an elementwise op through producers that are float
    elementwise ops (`nn::isFusibleElementwise`) or the one anchor, taking a
    producer only when all its users are already in the group (so no
    intermediate value is needed outside it) and its result has the
    anchor's shape (so every other operand broadcasts into the anchor's
    result, never the result into a larger one). A group without an anchor
    is left for `kiln-fuse-elementwise`. Integer (ConvInteger,
    MatMulInteger) anchors are not fused.
  }];
  let dependentDialects = ["kiln::nn::NNDialect"];
}

def FuseElementwise : Pass<"kiln-fuse-elementwise", "mlir::func::FuncOp"> {
  let summary = "Fuse groups of float elementwise ops into one nn.fused";
  let description = [{
    Runs after `kiln-fuse-conv-epilogue`. Groups grow as there, without an
    anchor: backwards from an elementwise op through elementwise producers
    of the same result shape whose users are all in the group. A group of
    two ops or more becomes one `nn.fused` of kind `elementwise`, which the
    CPU lowering emits as one loop nest with no intermediate tensors.
  }];
  let dependentDialects = ["kiln::nn::NNDialect"];
}

def FuseDepthwisePointwise : Pass<"kiln-fuse-depthwise-pointwise",
                                  "mlir::func::FuncOp"> {
  let summary = "Run a depthwise conv and the pointwise conv after it band "
                "by band when their intermediate does not fit the cache";
  let description = [{
    A depthwise 2-D conv (group = channels, one filter per channel; alone
    or as the anchor of a fused epilogue group, e.g. with its ReLU6) whose
    result is read only by a pointwise conv (1x1, stride 1, no pads, group
    1; alone or fused, e.g. with a residual add) as its input, and whose
    result takes more than `intermediate-budget` bytes, is cut with it into
    bands of rows: the depthwise piece of band i, then the pointwise piece
    of band i, and so on; the pointwise pieces write the rows of the result
    (`nn.concat`, placed by the memory plan). Only one band of the
    intermediate is live at a time, and it is read back right after it is
    written, while in the cache; the whole intermediate never exists.
    Bands are as many as make each band's intermediate fit the budget (at
    most one per row). The depthwise conv's input is padded once, before
    the bands. Both pieces of band i carry `kiln.dw_pw = [i, bands]`.
    Every output element is computed as before: the result is identical.
  }];
  let options = [
    Option<"intermediateBudget", "intermediate-budget", "int64_t",
           /*default=*/"262144",
           "fuse when the depthwise result takes more bytes than this, in "
           "bands of at most this many">
  ];
  let dependentDialects = ["kiln::nn::NNDialect"];
}

def CutSegments : Pass<"kiln-cut-segments", "mlir::func::FuncOp"> {
  let summary = "Cut @main into a chain of segments for per-segment variants";
  let description = [{
    Marks every op of @main with `kiln.segment = i` (and @main with
    `kiln.segments = n`) for `kilnc --variants`: the ops, in order, are cut
    only between two ops where at most `max-live` values computed before
    are read by ops after (model inputs are every segment's to read, model
    outputs go to the caller, constants are copied), so the segments form
    a chain and few values cross each border. Among such points, the cuts
    balance the estimated work (multiply-adds of convs, gemms and matmuls,
    elements written by other ops) over `segments` parts; a model with
    fewer points gets fewer segments.
  }];
  let options = [
    Option<"segments", "segments", "int64_t", "4",
           "the number of segments wanted">,
    Option<"maxLive", "max-live", "int64_t", "1",
           "values that may cross a cut">,
  ];
}

def QLinearToQDQ : Pass<"kiln-qlinear-to-qdq", "mlir::func::FuncOp"> {
  let summary = "Put imported QLinearConv and QLinearMatMul in the QDQ form "
                "that kiln-quantize-nna maps to nna ops";
  let description = [{
    The importer keeps the integer operator format exact: widening
    (`nn.subtract_zero_point`), an i32 `nn.conv` or `nn.matmul`, then
    `nn.dequantize_linear` of the accumulator by the combined scale and
    the model's `nn.quantize_linear`. This pass rewrites, in @main:
    * the dequantised i32 conv of a widened 8-bit input and widened
      constant int8 weights (with its int32 bias) into a float `nn.conv`
      of `nn.dequantize_linear`s: the input with its own scale and zero
      point (from the QuantizeLinear that wrote it, through flattens and
      reshapes; a model input takes any scale), the weights with the
      rest of the combined scale, the bias times the combined scale;
    * the dequantised i32 matmul of a [1, C] input and constant [C, N]
      weights (scalar scales) into an `nn.gemm` of the same;
    * the widened `nn.max_pool` of an 8-bit value written by a
      QuantizeLinear into QuantizeLinear(max_pool(DequantizeLinear)).
    So the scales, zero points, int8 weights and int32 biases of the model
    are what kiln-quantize-nna finds. Run only when quantising for the NNA
    (`kilnc --devices=...nna`, `--precision=int8`): what stays on the CPU
    then computes in float from the dequantised values, within an output
    step of the integer form. Anything else is left as it is.
  }];
}

def QuantizeForNNA : Pass<"kiln-quantize-nna", "mlir::func::FuncOp"> {
  let summary = "Quantise what the Kiln NNA runs to int8 nna ops";
  let description = [{
    Post-training int8 quantisation (docs/nna.md) of @main (NCHW, unfused)
    from calibrated ranges: `kiln.range = array<f64: lo, hi>` on op results
    and function arguments (kilnc attaches them from its calibration).
    Weights are symmetric per output channel, activations asymmetric per
    tensor (the range widened to hold 0), requantisation by fixed-point
    multipliers. These chains become nna ops on HxWxC int8 tensors:
    * `nn.conv` (2-D, dilation 1, group 1 or depthwise, kernel <= 11,
      stride <= 4, pads below the kernel, constant weights) with an
      optional ReLU/Clip, then an optional `nn.add` of another activation
      of its shape and an optional ReLU/Clip after it: one `nna.conv`;
    * `nn.max_pool`, `nn.avg_pool` (no ceil mode, dilation 1) and
      `nn.global_avg_pool`: `nna.pool`, keeping the input's quantisation;
    * `nn.add` of two activations of one shape [+ ReLU/Clip]: `nna.add`;
    * `nn.gemm` whose A flattens a 1xCx1x1 value the NNA holds, with
      constant B (and C): a 1x1 `nna.conv` on the 1x1xC cube.
    A model's own quantisation wins over the calibrated range: a value
    read from a DequantizeLinear, or read by a QuantizeLinear, takes that
    op's scale and zero point, and a conv filter that is the
    DequantizeLinear of constant int8 weights keeps them (with their
    per-channel scales when symmetric), so QDQ models keep their scales.
    An op without ranges for what it needs stays float. Where a value
    crosses, the CPU transposes to HxWxC and `nn.quantize_linear`s it, or
    `nn.dequantize_linear`s and transposes back.
  }];
  let dependentDialects = ["kiln::nna::NNADialect"];
}

def SplitToBudget : Pass<"kiln-split", "mlir::func::FuncOp"> {
  let summary = "Split convolutions and gemms whose working set exceeds a "
                "budget into pieces along batch, output channels or rows";
  let description = [{
    The working set of a 2-D `nn.conv` or an `nn.gemm`, alone or as the
    anchor of an `nn.fused` epilogue group, is the bytes of all its operands
    and of its result. When it exceeds `tile-budget`, the op becomes a grid
    of pieces, each the same op on slices of its operands, whose results
    are concatenated back (`nn.concat`, which the memory plan turns into
    writes straight into the result's slices):
    - batch (conv dim 0, gemm rows): every operand that has the dim is
      sliced; weights are not;
    - output channels (conv dim 1, gemm columns): filters, biases and
      per-channel operands are sliced; a grouped conv is cut at group
      boundaries (the piece's input is its groups' channels); pieces are
      multiples of 8 channels when the count allows, so that they stay
      whole vectors;
    - rows (conv dim 2): each piece reads the input rows its output rows
      need (the halo of a kernel taller than its stride is read twice).
    A padded conv's input is padded once, before its pieces (one `nn.pad`,
    which the memory plan lets the producer write straight into), and the
    pieces have no pads: each reads a view of the padded tensor.
    Of the grids of at most `max-pieces` pieces, the one with the fewest
    pieces whose largest piece fits the budget is taken (ties: the smaller
    working set); when none fits, the one with the smallest working set.
    Each output element is computed by the same products in the same order
    as before, so the result is identical. Constant operands are sliced at
    compile time. Every piece carries `kiln.split = [index, count]`.
    Convs of 1 or 3 spatial dims, integer anchors, matmuls and other ops
    are left alone. `tile-budget=0` splits nothing.
  }];
  let options = [
    Option<"tileBudget", "tile-budget", "int64_t", /*default=*/"1048576",
           "the largest working set in bytes an op may keep (0: no split)">,
    Option<"maxPieces", "max-pieces", "int64_t", /*default=*/"64",
           "the most pieces one op is split into">
  ];
  let dependentDialects = ["kiln::nn::NNDialect"];
}

#endif // KILN_PASSES
