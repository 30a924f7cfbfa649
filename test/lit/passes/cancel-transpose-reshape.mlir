// RUN: kiln-opt %s -split-input-file -kiln-cancel-transpose-reshape | FileCheck %s

// NCHW -> NHWC -> NCHW cancels.
// CHECK-LABEL: func @inverse_transposes
// CHECK-NEXT: return %arg0
func.func @inverse_transposes(%x: tensor<1x2x3x4xf32>) -> tensor<1x2x3x4xf32> {
  %a = nn.transpose %x {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x2x3x4xf32>) -> tensor<1x3x4x2xf32>
  %b = nn.transpose %a {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x3x4x2xf32>) -> tensor<1x2x3x4xf32>
  return %b : tensor<1x2x3x4xf32>
}

// -----

// Two transposes that do not cancel become one; a lone transpose is kept.
// CHECK-LABEL: func @composed
// CHECK-NEXT: %[[T:.*]] = nn.transpose %arg0 {perm = array<i64: 2, 0, 1>} : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
// CHECK-NEXT: %[[L:.*]] = nn.transpose %arg0 {perm = array<i64: 1, 0, 2>}
// CHECK-NEXT: return %[[T]], %[[L]]
func.func @composed(%x: tensor<2x3x4xf32>) -> (tensor<4x2x3xf32>, tensor<3x2x4xf32>) {
  %a = nn.transpose %x {perm = array<i64: 1, 0, 2>} : (tensor<2x3x4xf32>) -> tensor<3x2x4xf32>
  %b = nn.transpose %a {perm = array<i64: 2, 1, 0>} : (tensor<3x2x4xf32>) -> tensor<4x2x3xf32>
  %l = nn.transpose %x {perm = array<i64: 1, 0, 2>} : (tensor<2x3x4xf32>) -> tensor<3x2x4xf32>
  return %b, %l : tensor<4x2x3xf32>, tensor<3x2x4xf32>
}

// -----

// The identity permutation is no transpose.
// CHECK-LABEL: func @identity_perm
// CHECK-NEXT: return %arg0
func.func @identity_perm(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %a = nn.transpose %x {perm = array<i64: 0, 1>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %a : tensor<2x3xf32>
}

// -----

// Reshape chains (a flatten included) collapse; back to the input's type
// they vanish.
// CHECK-LABEL: func @reshapes
// CHECK-NEXT: %[[R:.*]] = nn.reshape %arg0 : (tensor<1x2x3x4xf32>) -> tensor<6x4xf32>
// CHECK-NEXT: return %[[R]], %arg0
func.func @reshapes(%x: tensor<1x2x3x4xf32>) -> (tensor<6x4xf32>, tensor<1x2x3x4xf32>) {
  %f = nn.flatten %x {axis = 1 : i64} : (tensor<1x2x3x4xf32>) -> tensor<1x24xf32>
  %a = nn.reshape %f : (tensor<1x24xf32>) -> tensor<2x12xf32>
  %b = nn.reshape %a : (tensor<2x12xf32>) -> tensor<6x4xf32>
  %c = nn.reshape %b : (tensor<6x4xf32>) -> tensor<1x2x3x4xf32>
  return %b, %c : tensor<6x4xf32>, tensor<1x2x3x4xf32>
}

// -----

// A reshape of something else is kept.
// CHECK-LABEL: func @kept
// CHECK: nn.relu
// CHECK-NEXT: nn.reshape
func.func @kept(%x: tensor<2x3xf32>) -> tensor<6xf32> {
  %r = nn.relu %x : tensor<2x3xf32>
  %a = nn.reshape %r : (tensor<2x3xf32>) -> tensor<6xf32>
  return %a : tensor<6xf32>
}
