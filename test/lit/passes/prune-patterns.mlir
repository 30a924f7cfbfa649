// RUN: kiln-opt %s -split-input-file -kiln-prune-patterns="prune=true patterns=1" -verify-diagnostics | FileCheck %s
// RUN: kiln-opt %s -split-input-file -kiln-prune-patterns | FileCheck %s --check-prefix=DETECT
// RUN: kiln-opt %s -split-input-file -kiln-prune-patterns="prune=true patterns=2 connectivity=0.5" -verify-diagnostics | FileCheck %s --check-prefix=CONN
// PatDNN pattern pruning of 3x3 kernels (taps ky * 3 + kx; the centre is
// tap 4, bit 16 of a pattern's mask).

// Two layers of one kernel each. Kernel A's 3 largest taps besides the
// centre are 0, 1, 2 (mask 1+2+4+16 = 23), kernel B's 6, 7, 8 (16+64+128+256
// = 464); with one pattern, the tie in counts goes to the lower mask, 23,
// and B keeps its taps 0, 1, 2 and the centre. The 1x1 conv is left alone.
// CHECK-LABEL: func @two_layers
// CHECK-SAME: kiln.pattern_set = array<i32: 23>
// CHECK: nn.constant dense<{{\[\[\[\[}}9.000000e+00, 8.000000e+00, 7.000000e+00], [0.000000e+00, 5.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 0.000000e+00]]]]> : tensor<1x1x3x3xf32>
// CHECK: nn.conv {{.*}}kiln.prune = {kept_norm = 1.000000e+00 : f64, kernels = 1 : i64, nonzero = 4 : i64, sparse = false, weights = 9 : i64, zero_kernels = 0 : i64}
// CHECK: nn.constant dense<{{\[\[\[\[}}1.000000e+00, 1.000000e+00, 1.000000e+00], [0.000000e+00, 5.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 0.000000e+00]]]]> : tensor<1x1x3x3xf32>
// CHECK: nn.conv {{.*}}kiln.prune = {kept_norm = 0.353{{[0-9]*}} : f64, kernels = 1 : i64, nonzero = 4 : i64, sparse = false, weights = 9 : i64, zero_kernels = 0 : i64}
// CHECK: nn.conv
// CHECK-NOT: kiln.prune
// CHECK-SAME: tensor<1x1x1x1xf32>
// Without `prune`, dense weights are left alone and unmarked.
// DETECT-LABEL: func @two_layers
// DETECT-NOT: kiln.p
func.func @two_layers(%x: tensor<1x1x5x5xf32>) -> tensor<1x1x1x1xf32> {
  %a = nn.constant dense<[[[[9.0, 8.0, 7.0], [0.0, 5.0, 0.0], [0.0, 0.0, 0.0]]]]> : tensor<1x1x3x3xf32>
  %b = nn.constant dense<[[[[1.0, 1.0, 1.0], [1.0, 5.0, 1.0], [9.0, 8.0, 7.0]]]]> : tensor<1x1x3x3xf32>
  %p = nn.constant dense<[[[[2.0]]]]> : tensor<1x1x1x1xf32>
  %y = nn.conv %x, %a {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x5x5xf32>, tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  %z = nn.conv %y, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x3x3xf32>, tensor<1x1x3x3xf32>) -> tensor<1x1x1x1xf32>
  %o = nn.conv %z, %p {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x1x1xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x1x1xf32>
  return %o : tensor<1x1x1x1xf32>
}

// -----

// Weights that already are pattern-sparse (4 taps with the centre, or all
// zero) are recognised and kept bit for bit, with or without `prune`.
// CHECK-LABEL: func @already_sparse(%arg0: tensor<1x1x3x3xf32>) -> tensor<1x1x1x1xf32> {
// CHECK: nn.constant dense<{{\[\[\[\[}}0.000000e+00, 3.000000e+00, 0.000000e+00], [2.000000e+00, 1.000000e+00, 0.000000e+00], [0.000000e+00, 4.000000e+00, 0.000000e+00]]]]>
// CHECK: kiln.prune = {kept_norm = 1.000000e+00 : f64, kernels = 1 : i64, nonzero = 4 : i64, sparse = true
// DETECT-LABEL: func @already_sparse
// DETECT: sparse = true
func.func @already_sparse(%x: tensor<1x1x3x3xf32>) -> tensor<1x1x1x1xf32> {
  %a = nn.constant dense<[[[[0.0, 3.0, 0.0], [2.0, 1.0, 0.0], [0.0, 4.0, 0.0]]]]> : tensor<1x1x3x3xf32>
  %y = nn.conv %x, %a {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x3x3xf32>, tensor<1x1x3x3xf32>) -> tensor<1x1x1x1xf32>
  return %y : tensor<1x1x1x1xf32>
}

// -----

// Connectivity pruning: of the two kernels (input channels), the one with
// less weight left after the pattern projection becomes all zero.
// CONN-LABEL: func @connectivity
// CONN: kiln.prune = {kept_norm = {{.*}}, kernels = 2 : i64, nonzero = 4 : i64, sparse = false, weights = 18 : i64, zero_kernels = 1 : i64}
func.func @connectivity(%x: tensor<1x2x3x3xf32>) -> tensor<1x1x1x1xf32> {
  %a = nn.constant dense<[[[[9.0, 8.0, 7.0], [0.0, 5.0, 0.0], [0.0, 0.0, 0.0]], [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]]]> : tensor<1x2x3x3xf32>
  %y = nn.conv %x, %a {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) -> tensor<1x1x1x1xf32>
  return %y : tensor<1x1x1x1xf32>
}
// RUN: not kiln-opt %s -split-input-file -kiln-prune-patterns="prune=true connectivity=1.0" 2>&1 | FileCheck %s --check-prefix=ERR
// ERR: error: kiln-prune-patterns: patterns must be >= 1 and connectivity in [0, 1)
