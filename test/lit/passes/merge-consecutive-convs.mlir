// RUN: kiln-opt %s -split-input-file -kiln-merge-consecutive-convs | FileCheck %s

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
