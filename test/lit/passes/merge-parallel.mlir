// RUN: kiln-opt %s -split-input-file -kiln-merge-parallel | FileCheck %s

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

// -----

// Q, K and V: three matmuls of %x by constant 2-D weights become one matmul
// by the weights side by side (row k of the merged weight is row k of each
// in turn), and each result the slice of its columns.
// CHECK-LABEL: func @qkv
// CHECK: %[[W:.*]] = nn.constant dense<{{\[}}[1.000000e+00, 2.000000e+00, 3.000000e+00, 3.000000e+00], [1.000000e+00, 2.000000e+00, 3.000000e+00, 3.000000e+00]]> : tensor<2x4xf32>
// CHECK: %[[M:.*]] = nn.matmul %arg0, %[[W]] : (tensor<1x5x2xf32>, tensor<2x4xf32>) -> tensor<1x5x4xf32>
// CHECK-DAG: %[[Q:.*]] = nn.slice %[[M]] {offsets = array<i64: 0, 0, 0>, sizes = array<i64: 1, 5, 1>
// CHECK-DAG: %[[K:.*]] = nn.slice %[[M]] {offsets = array<i64: 0, 0, 1>, sizes = array<i64: 1, 5, 1>
// CHECK-DAG: %[[V:.*]] = nn.slice %[[M]] {offsets = array<i64: 0, 0, 2>, sizes = array<i64: 1, 5, 2>
// CHECK: return %[[Q]], %[[K]], %[[V]]
func.func @qkv(%x: tensor<1x5x2xf32>) -> (tensor<1x5x1xf32>, tensor<1x5x1xf32>, tensor<1x5x2xf32>) {
  %wq = nn.constant dense<1.0> : tensor<2x1xf32>
  %wk = nn.constant dense<2.0> : tensor<2x1xf32>
  %wv = nn.constant dense<3.0> : tensor<2x2xf32>
  %q = nn.matmul %x, %wq : (tensor<1x5x2xf32>, tensor<2x1xf32>) -> tensor<1x5x1xf32>
  %k = nn.matmul %x, %wk : (tensor<1x5x2xf32>, tensor<2x1xf32>) -> tensor<1x5x1xf32>
  %v = nn.matmul %x, %wv : (tensor<1x5x2xf32>, tensor<2x2xf32>) -> tensor<1x5x2xf32>
  return %q, %k, %v : tensor<1x5x1xf32>, tensor<1x5x1xf32>, tensor<1x5x2xf32>
}

// -----

// Two gemms with transposed B: the B rows are appended, the biases too (a
// missing one is zeros). A gemm with another alpha and one with a run-time
// B stay.
// CHECK-LABEL: func @gemms
// CHECK-DAG: %[[B:.*]] = nn.constant dense<{{\[}}[1.000000e+00, 1.000000e+00], [2.000000e+00, 2.000000e+00], [2.000000e+00, 2.000000e+00]]> : tensor<3x2xf32>
// CHECK-DAG: %[[C:.*]] = nn.constant dense<[5.000000e-01, 0.000000e+00, 0.000000e+00]> : tensor<3xf32>
// CHECK: %[[G:.*]] = nn.gemm %arg0, %[[B]], %[[C]] {{.*}}trans_b = true{{.*}} -> tensor<4x3xf32>
// CHECK: nn.slice %[[G]] {offsets = array<i64: 0, 0>, sizes = array<i64: 4, 1>
// CHECK: nn.slice %[[G]] {offsets = array<i64: 0, 1>, sizes = array<i64: 4, 2>
// CHECK-COUNT-2: nn.gemm %arg0
func.func @gemms(%a: tensor<4x2xf32>, %br: tensor<1x2xf32>) -> (tensor<4x1xf32>, tensor<4x2xf32>, tensor<4x1xf32>, tensor<4x1xf32>) {
  %b0 = nn.constant dense<1.0> : tensor<1x2xf32>
  %c0 = nn.constant dense<0.5> : tensor<1xf32>
  %b1 = nn.constant dense<2.0> : tensor<2x2xf32>
  %0 = nn.gemm %a, %b0, %c0 {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = true} : (tensor<4x2xf32>, tensor<1x2xf32>, tensor<1xf32>) -> tensor<4x1xf32>
  %1 = nn.gemm %a, %b1 {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = true} : (tensor<4x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32>
  %2 = nn.gemm %a, %b0 {alpha = 2.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = true} : (tensor<4x2xf32>, tensor<1x2xf32>) -> tensor<4x1xf32>
  %3 = nn.gemm %a, %br {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = true} : (tensor<4x2xf32>, tensor<1x2xf32>) -> tensor<4x1xf32>
  return %0, %1, %2, %3 : tensor<4x1xf32>, tensor<4x2xf32>, tensor<4x1xf32>, tensor<4x1xf32>
}

// -----

// Not merged: ResNet's conv1/downsample shape. %b is needed only at the
// end, %a dies at once; merged, %a's channels would stay alive with %b's
// through the whole branch, and the block's peak of live tensors would
// grow from 1536 to 2048 bytes.
// CHECK-LABEL: func @outlives
// CHECK-COUNT-3: nn.conv %{{.*}}
// CHECK-NOT: nn.slice
func.func @outlives(%x: tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32> {
  %w = nn.constant dense<1.0> : tensor<8x8x1x1xf32>
  %w2 = nn.constant dense<2.0> : tensor<8x8x1x1xf32>
  %a = nn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x8x4x4xf32>, tensor<8x8x1x1xf32>) -> tensor<1x8x4x4xf32>
  %r = nn.relu %a : tensor<1x8x4x4xf32>
  %c = nn.conv %r, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x8x4x4xf32>, tensor<8x8x1x1xf32>) -> tensor<1x8x4x4xf32>
  %b = nn.conv %x, %w2 {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x8x4x4xf32>, tensor<8x8x1x1xf32>) -> tensor<1x8x4x4xf32>
  %y = nn.add %c, %b : (tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  return %y : tensor<1x8x4x4xf32>
}

// -----

// The parts put back together: two siblings' slices concatenated in order
// are the merged conv's result itself; a third conv of another window is
// concatenated after it.
// CHECK-LABEL: func @concat_parts
// CHECK: %[[M:.*]] = nn.conv %arg0, {{.*}} -> tensor<1x3x4x4xf32>
// CHECK: %[[C:.*]] = nn.conv %arg0, {{.*}} -> tensor<1x1x4x4xf32>
// CHECK-NOT: nn.slice
// CHECK: %[[R:.*]] = nn.concat %[[M]], %[[C]] {axis = 1 : i64} : (tensor<1x3x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x4x4x4xf32>
// CHECK: return %[[R]]
func.func @concat_parts(%x: tensor<1x2x4x4xf32>) -> tensor<1x4x4x4xf32> {
  %w0 = nn.constant dense<1.0> : tensor<1x2x1x1xf32>
  %w1 = nn.constant dense<2.0> : tensor<2x2x1x1xf32>
  %w3 = nn.constant dense<3.0> : tensor<1x2x3x3xf32>
  %0 = nn.conv %x, %w0 {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>) -> tensor<1x1x4x4xf32>
  %1 = nn.conv %x, %w1 {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %2 = nn.conv %x, %w3 {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<1x2x3x3xf32>) -> tensor<1x1x4x4xf32>
  %3 = nn.concat %0, %1, %2 {axis = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x4x4x4xf32>
  return %3 : tensor<1x4x4x4xf32>
}

// -----

// Slices that are not the parts in order stay: reversed order, a gap, and
// a strided slice.
// CHECK-LABEL: func @concat_not_parts
// CHECK-COUNT-3: nn.concat
func.func @concat_not_parts(%x: tensor<1x4x2x2xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) {
  %a = nn.slice %x {offsets = array<i64: 0, 0, 0, 0>, sizes = array<i64: 1, 1, 2, 2>, steps = array<i64: 1, 1, 1, 1>} : (tensor<1x4x2x2xf32>) -> tensor<1x1x2x2xf32>
  %b = nn.slice %x {offsets = array<i64: 0, 1, 0, 0>, sizes = array<i64: 1, 1, 2, 2>, steps = array<i64: 1, 1, 1, 1>} : (tensor<1x4x2x2xf32>) -> tensor<1x1x2x2xf32>
  %c = nn.slice %x {offsets = array<i64: 0, 3, 0, 0>, sizes = array<i64: 1, 1, 2, 2>, steps = array<i64: 1, 1, 1, 1>} : (tensor<1x4x2x2xf32>) -> tensor<1x1x2x2xf32>
  %s = nn.slice %x {offsets = array<i64: 0, 0, 0, 0>, sizes = array<i64: 1, 2, 2, 2>, steps = array<i64: 1, 2, 1, 1>} : (tensor<1x4x2x2xf32>) -> tensor<1x2x2x2xf32>
  %s0 = nn.slice %s {offsets = array<i64: 0, 0, 0, 0>, sizes = array<i64: 1, 1, 2, 2>, steps = array<i64: 1, 1, 1, 1>} : (tensor<1x2x2x2xf32>) -> tensor<1x1x2x2xf32>
  %0 = nn.concat %b, %a {axis = 1 : i64} : (tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>) -> tensor<1x2x2x2xf32>
  %1 = nn.concat %a, %c {axis = 1 : i64} : (tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>) -> tensor<1x2x2x2xf32>
  %2 = nn.concat %s0, %b {axis = 1 : i64} : (tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>) -> tensor<1x2x2x2xf32>
  return %0, %1, %2 : tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>
}
