// RUN: kiln-opt %s -split-input-file -kiln-layout -kiln-cancel-transpose-reshape | FileCheck %s

// A conv, its ReLU and a depthwise conv run channels-last between one
// conversion in and one out; the filters are permuted at compile time
// (KHxKWxCxF; depthwise KHxKWx1xC) and the bias stays per channel.
// CHECK-LABEL: func @conv_chain
// CHECK-DAG: %[[B:.*]] = nn.constant dense<5.000000e-01> : tensor<4xf32>
// CHECK-DAG: %[[W:.*]] = nn.constant {{.*}} : tensor<3x3x2x4xf32>
// CHECK-DAG: %[[IN:.*]] = nn.transpose %arg0 {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x2x5x5xf32>) -> tensor<1x5x5x2xf32>
// CHECK: %[[C:.*]] = nn.conv %[[IN]], %[[W]], %[[B]] {channels_last, {{.*}}group = 1 : i64{{.*}}} : (tensor<1x5x5x2xf32>, tensor<3x3x2x4xf32>, tensor<4xf32>) -> tensor<1x5x5x4xf32>
// CHECK-NEXT: %[[R:.*]] = nn.relu %[[C]] : tensor<1x5x5x4xf32>
// CHECK-NEXT: %[[DW:.*]] = nn.constant {{.*}} : tensor<3x3x1x4xf32>
// CHECK-NEXT: %[[D:.*]] = nn.conv %[[R]], %[[DW]] {channels_last, {{.*}}group = 4 : i64{{.*}}} : (tensor<1x5x5x4xf32>, tensor<3x3x1x4xf32>) -> tensor<1x5x5x4xf32>
// CHECK-NEXT: %[[OUT:.*]] = nn.transpose %[[D]] {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x5x5x4xf32>) -> tensor<1x4x5x5xf32>
// CHECK-NEXT: return %[[OUT]]
func.func @conv_chain(%x: tensor<1x2x5x5xf32>) -> tensor<1x4x5x5xf32> {
  %w = nn.constant dense<[[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]], [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]], [[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]], [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]], [[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]], [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]], [[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]], [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]]]> : tensor<4x2x3x3xf32>
  %b = nn.constant dense<0.5> : tensor<4xf32>
  %dw = nn.constant dense<2.0> : tensor<4x1x3x3xf32>
  %c = nn.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x5x5xf32>, tensor<4x2x3x3xf32>, tensor<4xf32>) -> tensor<1x4x5x5xf32>
  %r = nn.relu %c : tensor<1x4x5x5xf32>
  %d = nn.conv %r, %dw {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 4 : i64} : (tensor<1x4x5x5xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x5x5xf32>
  return %d : tensor<1x4x5x5xf32>
}

// -----

// The filter permutation by value: w[f, c, kh, kw] = 1000f + 100c + 10kh + kw
// reads at [kh, kw, c, f].
// CHECK-LABEL: func @filter_values
// CHECK: nn.constant dense<{{\[\[\[\[}}0.000000e+00, 1.000000e+03], [1.000000e+02, 1.100000e+03]], {{\[\[}}1.000000e+00, 1.001000e+03], [1.010000e+02, 1.101000e+03]]], {{\[\[\[}}1.000000e+01, 1.010000e+03], [1.100000e+02, 1.110000e+03]], {{\[\[}}1.100000e+01, 1.011000e+03], [1.110000e+02, 1.111000e+03]]]]> : tensor<2x2x2x2xf32>
func.func @filter_values(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x3x3xf32> {
  %w = nn.constant dense<[[[[0.0, 1.0], [10.0, 11.0]], [[100.0, 101.0], [110.0, 111.0]]], [[[1000.0, 1001.0], [1010.0, 1011.0]], [[1100.0, 1101.0], [1110.0, 1111.0]]]]> : tensor<2x2x2x2xf32>
  %c = nn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<2x2x2x2xf32>) -> tensor<1x2x3x3xf32>
  return %c : tensor<1x2x3x3xf32>
}

// -----

// A residual block: the add of two channels-last values, a per-channel
// scale (non-constant, N x C x 1 x 1: a reshape) and a constant (permuted)
// run channels-last; the residual input is read through the conversion the
// conv already needs; pool, concat and global pool follow in NHWC.
// CHECK-LABEL: func @block
// CHECK: %[[IN:.*]] = nn.transpose %arg0 {perm = array<i64: 0, 2, 3, 1>}
// CHECK: %[[C:.*]] = nn.conv %[[IN]]
// CHECK: %[[S:.*]] = nn.reshape %arg1 : (tensor<1x4x1x1xf32>) -> tensor<1x1x1x4xf32>
// CHECK: %[[M:.*]] = nn.mul %[[C]], %[[S]] : (tensor<1x3x3x4xf32>, tensor<1x1x1x4xf32>) -> tensor<1x3x3x4xf32>
// CHECK: %[[K:.*]] = nn.constant dense<{{.*}}> : tensor<1x1x1x4xf32>
// CHECK: %[[A:.*]] = nn.add %[[M]], %[[K]]
// CHECK: %[[R:.*]] = nn.add %[[A]], %[[IN]] : (tensor<1x3x3x4xf32>, tensor<1x3x3x4xf32>) -> tensor<1x3x3x4xf32>
// CHECK: %[[P:.*]] = nn.max_pool %[[R]] {ceil_mode = false, channels_last, {{.*}}} : (tensor<1x3x3x4xf32>) -> tensor<1x3x3x4xf32>
// CHECK: %[[CAT:.*]] = nn.concat %[[P]], %[[R]] {axis = 3 : i64} : (tensor<1x3x3x4xf32>, tensor<1x3x3x4xf32>) -> tensor<1x3x3x8xf32>
// CHECK: %[[T:.*]] = nn.transpose %[[CAT]] {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x3x3x8xf32>) -> tensor<1x8x3x3xf32>
// CHECK: %[[G:.*]] = nn.reduce_mean %[[R]] {axes = array<i64: 1, 2>, keepdims = true} : (tensor<1x3x3x4xf32>) -> tensor<1x1x1x4xf32>
// CHECK: %[[GR:.*]] = nn.reshape %[[G]] : (tensor<1x1x1x4xf32>) -> tensor<1x4x1x1xf32>
// CHECK: return %[[T]], %[[GR]]
func.func @block(%x: tensor<1x4x3x3xf32>, %s: tensor<1x4x1x1xf32>) -> (tensor<1x8x3x3xf32>, tensor<1x4x1x1xf32>) {
  %w = nn.constant dense<1.0> : tensor<4x4x1x1xf32>
  %k = nn.constant dense<[[[1.0]], [[2.0]], [[3.0]], [[4.0]]]> : tensor<4x1x1xf32>
  %c = nn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x4x3x3xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x3x3xf32>
  %m = nn.mul %c, %s : (tensor<1x4x3x3xf32>, tensor<1x4x1x1xf32>) -> tensor<1x4x3x3xf32>
  %a = nn.add %m, %k : (tensor<1x4x3x3xf32>, tensor<4x1x1xf32>) -> tensor<1x4x3x3xf32>
  %r = nn.add %a, %x : (tensor<1x4x3x3xf32>, tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  %p = nn.max_pool %r {kernel_shape = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, ceil_mode = false} : (tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  %cat = nn.concat %p, %r {axis = 1 : i64} : (tensor<1x4x3x3xf32>, tensor<1x4x3x3xf32>) -> tensor<1x8x3x3xf32>
  %g = nn.global_avg_pool %r : (tensor<1x4x3x3xf32>) -> tensor<1x4x1x1xf32>
  return %cat, %g : tensor<1x8x3x3xf32>, tensor<1x4x1x1xf32>
}

// -----

// A grouped conv (2 groups of 2 channels) runs channels-last too: its
// filter is permuted like any other (NNToLinalg makes one conv per group).
// CHECK-LABEL: func @grouped
// CHECK: nn.conv {{.*}}channels_last{{.*}}group = 2 : i64{{.*}} : (tensor<1x5x5x4xf32>, tensor<1x1x2x4xf32>) -> tensor<1x5x5x4xf32>
func.func @grouped(%x: tensor<1x4x5x5xf32>) -> tensor<1x4x5x5xf32> {
  %w = nn.constant dense<1.0> : tensor<4x2x1x1xf32>
  %g = nn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 2 : i64} : (tensor<1x4x5x5xf32>, tensor<4x2x1x1xf32>) -> tensor<1x4x5x5xf32>
  return %g : tensor<1x4x5x5xf32>
}

// -----

// Refused: a 1-D conv, an integer conv, a 1-D pool; they stay NCHW with no
// transposes around them.
// CHECK-LABEL: func @stays_nchw
// CHECK-NOT: nn.transpose
// CHECK-NOT: channels_last
// CHECK: return
func.func @stays_nchw(%y: tensor<1x4x5xf32>, %z: tensor<1x4x5x5xi32>) -> (tensor<1x4x5xf32>, tensor<1x4x5x5xi32>, tensor<1x4x4xf32>) {
  %w1 = nn.constant dense<1.0> : tensor<4x4x1xf32>
  %c1 = nn.conv %y, %w1 {strides = array<i64: 1>, pads = array<i64: 0, 0>, dilations = array<i64: 1>, group = 1 : i64} : (tensor<1x4x5xf32>, tensor<4x4x1xf32>) -> tensor<1x4x5xf32>
  %wi = nn.constant dense<1> : tensor<4x4x1x1xi32>
  %ci = nn.conv %z, %wi {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x4x5x5xi32>, tensor<4x4x1x1xi32>) -> tensor<1x4x5x5xi32>
  %p = nn.max_pool %y {kernel_shape = array<i64: 2>, strides = array<i64: 1>, pads = array<i64: 0, 0>, dilations = array<i64: 1>, ceil_mode = false} : (tensor<1x4x5xf32>) -> tensor<1x4x4xf32>
  return %c1, %ci, %p : tensor<1x4x5xf32>, tensor<1x4x5x5xi32>, tensor<1x4x4xf32>
}

// -----

// An elementwise op whose other operand is a full-size NCHW tensor with no
// NHWC form stays NCHW (sinking would add a conversion, not remove one).
// CHECK-LABEL: func @no_sink
// CHECK: %[[T:.*]] = nn.transpose %{{.*}} {perm = array<i64: 0, 3, 1, 2>}
// CHECK-NEXT: nn.add %[[T]], %arg1 : (tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>)
func.func @no_sink(%x: tensor<1x2x3x3xf32>, %y: tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %w = nn.constant dense<1.0> : tensor<2x2x1x1xf32>
  %c = nn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x3x3xf32>
  %a = nn.add %c, %y : (tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  return %a : tensor<1x2x3x3xf32>
}

// -----

// ShuffleNetV2's unit: a channel split (slices), a channel shuffle
// (reshape, swap, reshape) and a mean over H and W all have an NHWC form:
// the slices take NHWC channels, the shuffle swaps the last two dims of an
// N x H x W x g x C/g view, the mean reduces dims 1 and 2; one conversion
// (the input) is left.
// CHECK-LABEL: func @shuffle_unit
// CHECK: %[[IN:.*]] = nn.transpose %arg0 {perm = array<i64: 0, 2, 3, 1>}
// CHECK: %[[X:.*]] = nn.conv %[[IN]]
// CHECK-DAG: %[[A:.*]] = nn.slice %[[X]] {offsets = array<i64: 0, 0, 0, 0>, sizes = array<i64: 1, 3, 3, 4>
// CHECK-DAG: %[[B:.*]] = nn.slice %[[X]] {offsets = array<i64: 0, 0, 0, 4>, sizes = array<i64: 1, 3, 3, 4>
// CHECK: nn.conv %[[B]]
// CHECK: %[[CAT:.*]] = nn.concat %[[A]], %{{.*}} {axis = 3 : i64}
// CHECK: %[[G:.*]] = nn.reshape %[[CAT]] : (tensor<1x3x3x8xf32>) -> tensor<1x3x3x2x4xf32>
// CHECK: %[[S:.*]] = nn.transpose %[[G]] {perm = array<i64: 0, 1, 2, 4, 3>} : (tensor<1x3x3x2x4xf32>) -> tensor<1x3x3x4x2xf32>
// CHECK: %[[M:.*]] = nn.reshape %[[S]] : (tensor<1x3x3x4x2xf32>) -> tensor<1x3x3x8xf32>
// CHECK: %[[R:.*]] = nn.reduce_mean %[[M]] {axes = array<i64: 1, 2>, keepdims = false} : (tensor<1x3x3x8xf32>) -> tensor<1x8xf32>
// CHECK-NOT: nn.transpose
// CHECK: return %[[R]]
func.func @shuffle_unit(%in: tensor<1x8x3x3xf32>) -> tensor<1x8xf32> {
  %w0 = nn.constant dense<1.0> : tensor<8x8x1x1xf32>
  %x = nn.conv %in, %w0 {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x8x3x3xf32>, tensor<8x8x1x1xf32>) -> tensor<1x8x3x3xf32>
  %w = nn.constant dense<1.0> : tensor<4x4x1x1xf32>
  %a = nn.slice %x {offsets = array<i64: 0, 0, 0, 0>, sizes = array<i64: 1, 4, 3, 3>, steps = array<i64: 1, 1, 1, 1>} : (tensor<1x8x3x3xf32>) -> tensor<1x4x3x3xf32>
  %b = nn.slice %x {offsets = array<i64: 0, 4, 0, 0>, sizes = array<i64: 1, 4, 3, 3>, steps = array<i64: 1, 1, 1, 1>} : (tensor<1x8x3x3xf32>) -> tensor<1x4x3x3xf32>
  %c = nn.conv %b, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x4x3x3xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x3x3xf32>
  %r = nn.relu %c : tensor<1x4x3x3xf32>
  %cat = nn.concat %a, %r {axis = 1 : i64} : (tensor<1x4x3x3xf32>, tensor<1x4x3x3xf32>) -> tensor<1x8x3x3xf32>
  %g = nn.reshape %cat : (tensor<1x8x3x3xf32>) -> tensor<1x2x4x3x3xf32>
  %s = nn.transpose %g {perm = array<i64: 0, 2, 1, 3, 4>} : (tensor<1x2x4x3x3xf32>) -> tensor<1x4x2x3x3xf32>
  %m = nn.reshape %s : (tensor<1x4x2x3x3xf32>) -> tensor<1x8x3x3xf32>
  %mean = nn.reduce_mean %m {axes = array<i64: 2, 3>, keepdims = false} : (tensor<1x8x3x3xf32>) -> tensor<1x8xf32>
  return %mean : tensor<1x8xf32>
}

// -----

// A pruned 3x3 stride-1 conv sparse enough for the pattern kernel (at most
// 30% of its weights left, as kiln-prune-patterns records, and at least 16
// input channels) stays NCHW: that kernel vectorises along NCHW rows. A
// 3-channel stem moves however sparse: the dense channels-last kernel is
// faster there (the denser conv below also has too few channels).
// CHECK-LABEL: func @pattern_sparse
// CHECK:       nn.conv %arg0, %{{.*}} {dilations
// CHECK-NOT:   channels_last
// CHECK-SAME:  kiln.prune = {nonzero = 1 : i64, weights = 288 : i64}
// CHECK:       nn.conv {{.*}}channels_last{{.*}}kiln.prune = {nonzero = 8 : i64, weights = 18 : i64}
// CHECK:       nn.conv {{.*}}channels_last{{.*}}kiln.prune = {nonzero = 1 : i64, weights = 54 : i64}
func.func @pattern_sparse(%x: tensor<1x16x6x6xf32>, %s: tensor<1x3x6x6xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x2x4x4xf32>) {
  %w = nn.constant dense<1.0> : tensor<2x16x3x3xf32>
  %w2 = nn.constant dense<1.0> : tensor<2x2x3x3xf32>
  %w3 = nn.constant dense<1.0> : tensor<2x3x3x3xf32>
  %y = nn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64, kiln.prune = {nonzero = 1 : i64, weights = 288 : i64}} : (tensor<1x16x6x6xf32>, tensor<2x16x3x3xf32>) -> tensor<1x2x4x4xf32>
  %z = nn.conv %y, %w2 {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64, kiln.prune = {nonzero = 8 : i64, weights = 18 : i64}} : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x2x2xf32>
  %t = nn.conv %s, %w3 {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64, kiln.prune = {nonzero = 1 : i64, weights = 54 : i64}} : (tensor<1x3x6x6xf32>, tensor<2x3x3x3xf32>) -> tensor<1x2x4x4xf32>
  return %z, %t : tensor<1x2x2x2xf32>, tensor<1x2x4x4xf32>
}

// -----

// At 4 of 9 weights (patterns alone) the pattern kernel only pays at
// stride 1 on rows of at least 14 (kiln::runsPatternKernel): the 16-wide
// conv stays NCHW; the 7-wide one, the stride-2 one and a denser one
// move to the dense channels-last kernel.
// CHECK-LABEL: func @pattern_density
// CHECK:       nn.conv %arg0, %{{.*}} {dilations
// CHECK-NOT:   channels_last
// CHECK-SAME:  kiln.prune = {nonzero = 128 : i64, weights = 288 : i64}
// CHECK:       nn.conv {{.*}}channels_last{{.*}}kiln.prune = {nonzero = 128 : i64, weights = 288 : i64}
// CHECK:       nn.conv {{.*}}channels_last{{.*}}kiln.prune = {nonzero = 128 : i64, weights = 288 : i64}
// CHECK:       nn.conv {{.*}}channels_last{{.*}}kiln.prune = {nonzero = 160 : i64, weights = 288 : i64}
func.func @pattern_density(%x: tensor<1x16x16x16xf32>, %s: tensor<1x16x7x7xf32>) -> (tensor<1x2x16x16xf32>, tensor<1x2x7x7xf32>, tensor<1x2x8x8xf32>, tensor<1x2x16x16xf32>) {
  %w = nn.constant dense<1.0> : tensor<2x16x3x3xf32>
  %wide = nn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64, kiln.prune = {nonzero = 128 : i64, weights = 288 : i64}} : (tensor<1x16x16x16xf32>, tensor<2x16x3x3xf32>) -> tensor<1x2x16x16xf32>
  %short = nn.conv %s, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64, kiln.prune = {nonzero = 128 : i64, weights = 288 : i64}} : (tensor<1x16x7x7xf32>, tensor<2x16x3x3xf32>) -> tensor<1x2x7x7xf32>
  %strided = nn.conv %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64, kiln.prune = {nonzero = 128 : i64, weights = 288 : i64}} : (tensor<1x16x16x16xf32>, tensor<2x16x3x3xf32>) -> tensor<1x2x8x8xf32>
  %dense = nn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64, kiln.prune = {nonzero = 160 : i64, weights = 288 : i64}} : (tensor<1x16x16x16xf32>, tensor<2x16x3x3xf32>) -> tensor<1x2x16x16xf32>
  return %wide, %short, %strided, %dense : tensor<1x2x16x16xf32>, tensor<1x2x7x7xf32>, tensor<1x2x8x8xf32>, tensor<1x2x16x16xf32>
}
