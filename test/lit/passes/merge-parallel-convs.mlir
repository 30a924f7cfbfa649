// RUN: kiln-opt %s -split-input-file -kiln-merge-parallel-convs | FileCheck %s

// Two 1x1 convs on %x (one without a bias) become one conv over both
// filters, the missing bias zeros; each result is a slice of its channels.
// CHECK-LABEL: func @siblings
// CHECK-NOT: tensor<1x2x1x1xf32>
// CHECK-DAG: %[[W:.*]] = nn.constant dense<{{.*}}1.000000e+00{{.*}}2.000000e+00{{.*}}3.000000e+00{{.*}}4.000000e+00{{.*}}5.000000e+00{{.*}}6.000000e+00{{.*}}> : tensor<3x2x1x1xf32>
// CHECK-DAG: %[[B:.*]] = nn.constant dense<[5.000000e-01, 0.000000e+00, 0.000000e+00]> : tensor<3xf32>
// CHECK: %[[C:.*]] = nn.conv %arg0, %[[W]], %[[B]] {{.*}} -> tensor<1x3x4x4xf32>
// CHECK-DAG: %[[S0:.*]] = nn.slice %[[C]] {offsets = array<i64: 0, 0, 0, 0>, sizes = array<i64: 1, 1, 4, 4>, steps = array<i64: 1, 1, 1, 1>}
// CHECK-DAG: %[[S1:.*]] = nn.slice %[[C]] {offsets = array<i64: 0, 1, 0, 0>, sizes = array<i64: 1, 2, 4, 4>, steps = array<i64: 1, 1, 1, 1>}
// CHECK: return %[[S0]], %[[S1]]
func.func @siblings(%x: tensor<1x2x4x4xf32>) -> (tensor<1x1x4x4xf32>, tensor<1x2x4x4xf32>) {
  %w0 = nn.constant dense<[[[[1.0]], [[2.0]]]]> : tensor<1x2x1x1xf32>
  %b0 = nn.constant dense<[0.5]> : tensor<1xf32>
  %w1 = nn.constant dense<[[[[3.0]], [[4.0]]], [[[5.0]], [[6.0]]]]> : tensor<2x2x1x1xf32>
  %0 = nn.conv %x, %w0, %b0 {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>, tensor<1xf32>) -> tensor<1x1x4x4xf32>
  %1 = nn.conv %x, %w1 {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  return %0, %1 : tensor<1x1x4x4xf32>, tensor<1x2x4x4xf32>
}

// -----

// Not merged: different filter windows (1x1 and 3x3), different strides, a
// grouped conv, and a filter that is a run-time value.
// CHECK-LABEL: func @refused
// CHECK-COUNT-5: nn.conv
// CHECK-NOT: nn.slice
func.func @refused(%x: tensor<1x2x4x4xf32>, %wr: tensor<1x2x1x1xf32>) -> (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x1x2x2xf32>, tensor<1x2x4x4xf32>, tensor<1x1x4x4xf32>) {
  %w1 = nn.constant dense<1.0> : tensor<1x2x1x1xf32>
  %w3 = nn.constant dense<1.0> : tensor<1x2x3x3xf32>
  %wg = nn.constant dense<1.0> : tensor<2x1x1x1xf32>
  %0 = nn.conv %x, %w1 {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>) -> tensor<1x1x4x4xf32>
  %1 = nn.conv %x, %w3 {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<1x2x3x3xf32>) -> tensor<1x1x4x4xf32>
  %2 = nn.conv %x, %w1 {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>) -> tensor<1x1x2x2xf32>
  %3 = nn.conv %x, %wg {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 2 : i64} : (tensor<1x2x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %4 = nn.conv %x, %wr {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>) -> tensor<1x1x4x4xf32>
  return %0, %1, %2, %3, %4 : tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x1x2x2xf32>, tensor<1x2x4x4xf32>, tensor<1x1x4x4xf32>
}
