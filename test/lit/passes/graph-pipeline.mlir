// RUN: kiln-opt %s -kiln-graph-opt='fuse=false' | FileCheck %s
// RUN: kiln-opt %s -kiln-graph-opt | FileCheck %s --check-prefix=FULL

// The fold group together: the identity (a Dropout) between conv and BN
// goes first, so BN folds; the transposed weight is a constant by then; the
// zero pad joins the conv's pads; the transpose pair cancels.
// CHECK-LABEL: func @graph
// CHECK-NEXT: %[[W:.*]] = nn.constant dense<{{\[}}[{{\[}}[1.000000e+00]]], [{{\[}}[6.000000e+00]]]]> : tensor<2x1x1x1xf32>
// CHECK-NEXT: %[[B:.*]] = nn.constant dense<[5.000000e-01, -2.000000e+00]> : tensor<2xf32>
// CHECK-NEXT: %[[C:.*]] = nn.conv %arg0, %[[W]], %[[B]] {{{.*}}pads = array<i64: 1, 1, 1, 1>
// CHECK-NEXT: %[[R:.*]] = nn.relu %[[C]]
// CHECK-NEXT: return %[[R]]
// Fusion runs after the folds: the folded conv and the relu are one group.
// FULL-LABEL: func @graph
// FULL: nn.fused  conv_epilogue(%arg0, %{{.*}}, %{{.*}})
// FULL: nn.conv {{.*}}pads = array<i64: 1, 1, 1, 1>
// FULL-NEXT: nn.relu
// FULL-NEXT: nn.yield
func.func @graph(%x: tensor<1x1x2x2xf32>) -> tensor<1x2x4x4xf32> {
  %wt = nn.constant dense<[[[[2.0, 3.0]]]]> : tensor<1x1x1x2xf32>
  %w = nn.transpose %wt {perm = array<i64: 3, 0, 1, 2>} : (tensor<1x1x1x2xf32>) -> tensor<2x1x1x1xf32>
  %b = nn.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %scale = nn.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %beta = nn.constant dense<[0.5, 0.0]> : tensor<2xf32>
  %mean = nn.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %var = nn.constant dense<[3.0, 0.0]> : tensor<2xf32>
  %p = nn.pad %x {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, value = 0.0 : f32} : (tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32>
  %c = nn.conv %p, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %d = nn.identity %c : tensor<1x2x4x4xf32>
  %y = nn.batch_norm %d, %scale, %beta, %mean, %var {epsilon = 1.0 : f32} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %t = nn.transpose %y {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x2x4x4xf32>) -> tensor<1x4x4x2xf32>
  %u = nn.transpose %t {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x4x4x2xf32>) -> tensor<1x2x4x4xf32>
  %r = nn.relu %u : tensor<1x2x4x4xf32>
  return %r : tensor<1x2x4x4xf32>
}
