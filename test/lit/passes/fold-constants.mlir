// RUN: kiln-opt %s -split-input-file -kiln-fold-constants | FileCheck %s

// A transposed weight is stored transposed.
// CHECK-LABEL: func @transpose
// CHECK-NEXT: %[[C:.*]] = nn.constant dense<{{\[}}[1.000000e+00, 4.000000e+00], [2.000000e+00, 5.000000e+00], [3.000000e+00, 6.000000e+00]]> : tensor<3x2xf32>
// CHECK-NEXT: return %[[C]]
func.func @transpose() -> tensor<3x2xf32> {
  %w = nn.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %t = nn.transpose %w {perm = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %t : tensor<3x2xf32>
}

// -----

// A strided slice of a weight (offset 1 and step 2 on columns, reversed
// rows) is the weight's sliced elements.
// CHECK-LABEL: func @slice
// CHECK-NEXT: %[[C:.*]] = nn.constant dense<{{\[}}[6.000000e+00, 8.000000e+00], [2.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>
// CHECK-NEXT: return %[[C]]
func.func @slice() -> tensor<2x2xf32> {
  %w = nn.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]> : tensor<2x4xf32>
  %s = nn.slice %w {offsets = array<i64: 1, 1>, sizes = array<i64: 2, 2>, steps = array<i64: -1, 2>} : (tensor<2x4xf32>) -> tensor<2x2xf32>
  return %s : tensor<2x2xf32>
}

// -----

// A chain of weight arithmetic, with broadcasting, folds to one constant.
// CHECK-LABEL: func @chain
// CHECK-NEXT: %[[C:.*]] = nn.constant dense<{{\[}}[4.000000e+00, 4.000000e+00, 1.600000e+01, 1.600000e+01]]> : tensor<1x4xf32>
// CHECK-NEXT: %[[R:.*]] = nn.add %arg0, %[[C]]
// CHECK-NEXT: return %[[R]]
func.func @chain(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %a = nn.constant dense<[[1.0, 1.0], [2.0, 2.0]]> : tensor<2x2xf32>
  %two = nn.constant dense<2.0> : tensor<f32>
  %m = nn.mul %a, %two : (tensor<2x2xf32>, tensor<f32>) -> tensor<2x2xf32>
  %r = nn.reshape %m : (tensor<2x2xf32>) -> tensor<1x4xf32>
  %s = nn.neg %r : tensor<1x4xf32>
  %q = nn.mul %s, %s : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  %y = nn.add %x, %q : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

// Weights above 16 elements are read from and written to resource blobs.
// CHECK-LABEL: func @resource
// CHECK-NEXT: %[[C:.*]] = nn.constant dense_resource<weight> : tensor<5x4xf32>
// CHECK-NEXT: return %[[C]]
// CHECK: weight: "0x08000000000000000000A04000002041000070410000803F0000C0400000304100008041000000400000E04000004041000088410000404000000041000050410000904100008040000010410000604100009841"
func.func @resource() -> tensor<5x4xf32> {
  %w = nn.constant dense_resource<w> : tensor<4x5xf32>
  %t = nn.transpose %w {perm = array<i64: 1, 0>} : (tensor<4x5xf32>) -> tensor<5x4xf32>
  return %t : tensor<5x4xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x04000000000000000000803F0000004000004040000080400000A0400000C0400000E040000000410000104100002041000030410000404100005041000060410000704100008041000088410000904100009841"
    }
  }
#-}

// -----

// Casts between float types fold; integer data moves but is not computed.
// CHECK-LABEL: func @types
// CHECK-NEXT: %[[H:.*]] = nn.constant dense<[1.500000e+00, -2.000000e+00]> : tensor<2xf16>
// CHECK-NEXT: %[[I:.*]] = nn.constant dense<{{\[}}[1, 2], [3, 4]]> : tensor<2x2xi64>
// CHECK-NEXT: %[[T:.*]] = nn.constant dense<{{\[}}[1, 3], [2, 4]]> : tensor<2x2xi64>
// CHECK-NEXT: %[[S:.*]] = nn.add %[[I]], %[[I]]
// CHECK-NEXT: return %[[H]], %[[T]], %[[S]]
func.func @types() -> (tensor<2xf16>, tensor<2x2xi64>, tensor<2x2xi64>) {
  %f = nn.constant dense<[1.5, -2.0]> : tensor<2xf32>
  %h = nn.cast %f : tensor<2xf32> to tensor<2xf16>
  %i = nn.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi64>
  %t = nn.transpose %i {perm = array<i64: 1, 0>} : (tensor<2x2xi64>) -> tensor<2x2xi64>
  %s = nn.add %i, %i : (tensor<2x2xi64>, tensor<2x2xi64>) -> tensor<2x2xi64>
  return %h, %t, %s : tensor<2xf16>, tensor<2x2xi64>, tensor<2x2xi64>
}

// -----

// Refused: an operand that is not a constant, and a broadcast that would
// store more elements than either operand holds.
// CHECK-LABEL: func @refused
// CHECK: nn.transpose %arg0
// CHECK: nn.add %{{.*}}, %{{.*}} : (tensor<4x1xf32>, tensor<1x5xf32>) -> tensor<4x5xf32>
func.func @refused(%x: tensor<2x3xf32>) -> (tensor<3x2xf32>, tensor<4x5xf32>) {
  %t = nn.transpose %x {perm = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  %a = nn.constant dense<[[1.0], [2.0], [3.0], [4.0]]> : tensor<4x1xf32>
  %b = nn.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0]]> : tensor<1x5xf32>
  %s = nn.add %a, %b : (tensor<4x1xf32>, tensor<1x5xf32>) -> tensor<4x5xf32>
  return %t, %s : tensor<3x2xf32>, tensor<4x5xf32>
}
