// RUN: kiln-opt %s -split-input-file -kiln-merge-consecutive | FileCheck %s

// Two 1x1 convs in a row (2 -> 3 -> 2 channels: 4 multiplies per pixel
// merged, 12 before) become one: W = W2·W1, b = W2·b1 + b2, with the first
// conv's stride and pads.
//   W1 = [[1, 0], [0, 1], [1, 1]], b1 = [1, 2, 3]
//   W2 = [[1, 1, 0], [0, 0, 2]],   b2 = [0.5, -1]
//   W = [[1, 1], [2, 2]],          b = [3.5, 5]
// CHECK-LABEL: func @pair
// CHECK-DAG: %[[W:.*]] = nn.constant dense<{{.*}}1.000000e+00]], {{.*}}1.000000e+00]]], {{.*}}2.000000e+00]], {{.*}}2.000000e+00]]]]> : tensor<2x2x1x1xf32>
// CHECK-DAG: %[[B:.*]] = nn.constant dense<[3.500000e+00, 5.000000e+00]> : tensor<2xf32>
// CHECK: %[[C:.*]] = nn.conv %arg0, %[[W]], %[[B]] {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
// CHECK-NOT: nn.conv
// CHECK: return %[[C]]
func.func @pair(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x3x3xf32> {
  %w1 = nn.constant dense<[[[[1.0]], [[0.0]]], [[[0.0]], [[1.0]]], [[[1.0]], [[1.0]]]]> : tensor<3x2x1x1xf32>
  %b1 = nn.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %w2 = nn.constant dense<[[[[1.0]], [[1.0]], [[0.0]]], [[[0.0]], [[0.0]], [[2.0]]]]> : tensor<2x3x1x1xf32>
  %b2 = nn.constant dense<[0.5, -1.0]> : tensor<2xf32>
  %0 = nn.conv %x, %w1, %b1 {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<3x2x1x1xf32>, tensor<3xf32>) -> tensor<1x3x3x3xf32>
  %1 = nn.conv %0, %w2, %b2 {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x3x3xf32>, tensor<2x3x1x1xf32>, tensor<2xf32>) -> tensor<1x2x3x3xf32>
  return %1 : tensor<1x2x3x3xf32>
}

// -----

// Not merged: a bottleneck (4 -> 1 -> 4: 16 multiplies merged, 8 before).
// CHECK-LABEL: func @bottleneck
// CHECK-COUNT-2: nn.conv
func.func @bottleneck(%x: tensor<1x4x2x2xf32>) -> tensor<1x4x2x2xf32> {
  %w1 = nn.constant dense<1.0> : tensor<1x4x1x1xf32>
  %w2 = nn.constant dense<1.0> : tensor<4x1x1x1xf32>
  %0 = nn.conv %x, %w1 {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x4x2x2xf32>, tensor<1x4x1x1xf32>) -> tensor<1x1x2x2xf32>
  %1 = nn.conv %0, %w2 {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x2x2xf32>, tensor<4x1x1x1xf32>) -> tensor<1x4x2x2xf32>
  return %1 : tensor<1x4x2x2xf32>
}

// -----

// Not merged: the intermediate is also returned; a nonlinearity between;
// a 3x3 second conv.
// CHECK-LABEL: func @refused
// CHECK-COUNT-6: nn.conv
func.func @refused(%x: tensor<1x2x4x4xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %w = nn.constant dense<1.0> : tensor<2x2x1x1xf32>
  %w3 = nn.constant dense<1.0> : tensor<2x2x3x3xf32>
  %0 = nn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %1 = nn.conv %0, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %2 = nn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %r = nn.relu %2 : tensor<1x2x4x4xf32>
  %3 = nn.conv %r, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %4 = nn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %5 = nn.conv %4, %w3 {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x4x4xf32>
  return %0, %1, %3, %5 : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}

// -----

// Two gemms in a row (3 -> 2 -> 2, the second with trans_b, alpha 2 and a
// scalar C) are one: B = B1·(2·B2ᵀ) = [[4, 8], [4, 8], [4, 8]] and C =
// (C1·2·B2ᵀ) + 1·C2 = [1·2 + 1·2 + 1, 1·4 + 1·4 + 1] = [5, 9].
// CHECK-LABEL: func @gemms
// CHECK-DAG: %[[B:.*]] = nn.constant dense<{{\[}}[4.000000e+00, 8.000000e+00], [4.000000e+00, 8.000000e+00], [4.000000e+00, 8.000000e+00]]> : tensor<3x2xf32>
// CHECK-DAG: %[[C:.*]] = nn.constant dense<[5.000000e+00, 9.000000e+00]> : tensor<2xf32>
// CHECK: %[[G:.*]] = nn.gemm %arg0, %[[B]], %[[C]] {alpha = 1.000000e+00 : f32, beta = 1.000000e+00 : f32, trans_a = false, trans_b = false}
// CHECK-NEXT: return %[[G]]
func.func @gemms(%x: tensor<5x3xf32>) -> tensor<5x2xf32> {
  %b1 = nn.constant dense<1.0> : tensor<3x2xf32>
  %c1 = nn.constant dense<1.0> : tensor<2xf32>
  %b2 = nn.constant dense<[[1.0, 1.0], [2.0, 2.0]]> : tensor<2x2xf32>
  %c2 = nn.constant dense<1.0> : tensor<1xf32>
  %0 = nn.gemm %x, %b1, %c1 {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = false} : (tensor<5x3xf32>, tensor<3x2xf32>, tensor<2xf32>) -> tensor<5x2xf32>
  %1 = nn.gemm %0, %b2, %c2 {alpha = 2.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = true} : (tensor<5x2xf32>, tensor<2x2xf32>, tensor<1xf32>) -> tensor<5x2xf32>
  return %1 : tensor<5x2xf32>
}

// -----

// Two matmuls by constants (batched left operand) are one matmul by B1·B2.
// CHECK-LABEL: func @matmuls
// CHECK: %[[B:.*]] = nn.constant dense<6.000000e+00> : tensor<4x2xf32>
// CHECK: nn.matmul %arg0, %[[B]] : (tensor<2x5x4xf32>, tensor<4x2xf32>) -> tensor<2x5x2xf32>
// CHECK-NOT: nn.matmul
func.func @matmuls(%x: tensor<2x5x4xf32>) -> tensor<2x5x2xf32> {
  %b1 = nn.constant dense<1.0> : tensor<4x3xf32>
  %b2 = nn.constant dense<2.0> : tensor<3x2xf32>
  %0 = nn.matmul %x, %b1 : (tensor<2x5x4xf32>, tensor<4x3xf32>) -> tensor<2x5x3xf32>
  %1 = nn.matmul %0, %b2 : (tensor<2x5x3xf32>, tensor<3x2xf32>) -> tensor<2x5x2xf32>
  return %1 : tensor<2x5x2xf32>
}

// -----

// Not merged: a bottleneck (8 -> 1 -> 8), a gemm whose C is a matrix, a
// second gemm with trans_a, a matmul by a run-time value.
// CHECK-LABEL: func @products_refused
// CHECK-COUNT-6: nn.{{gemm|matmul}}
func.func @products_refused(%x: tensor<4x8xf32>, %r: tensor<2x2xf32>) -> (tensor<4x8xf32>, tensor<4x2xf32>, tensor<2x2xf32>, tensor<4x2xf32>) {
  %b1 = nn.constant dense<1.0> : tensor<8x1xf32>
  %b2 = nn.constant dense<1.0> : tensor<1x8xf32>
  %0 = nn.gemm %x, %b1 {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = false} : (tensor<4x8xf32>, tensor<8x1xf32>) -> tensor<4x1xf32>
  %1 = nn.gemm %0, %b2 {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = false} : (tensor<4x1xf32>, tensor<1x8xf32>) -> tensor<4x8xf32>
  %b3 = nn.constant dense<1.0> : tensor<8x2xf32>
  %cm = nn.constant dense<1.0> : tensor<4x2xf32>
  %2 = nn.gemm %x, %b3, %cm {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = false} : (tensor<4x8xf32>, tensor<8x2xf32>, tensor<4x2xf32>) -> tensor<4x2xf32>
  %b4 = nn.constant dense<1.0> : tensor<4x2xf32>
  %3 = nn.gemm %2, %b4 {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = true, trans_b = false} : (tensor<4x2xf32>, tensor<4x2xf32>) -> tensor<2x2xf32>
  %4 = nn.matmul %x, %b3 : (tensor<4x8xf32>, tensor<8x2xf32>) -> tensor<4x2xf32>
  %5 = nn.matmul %4, %r : (tensor<4x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32>
  return %1, %2, %3, %5 : tensor<4x8xf32>, tensor<4x2xf32>, tensor<2x2xf32>, tensor<4x2xf32>
}
