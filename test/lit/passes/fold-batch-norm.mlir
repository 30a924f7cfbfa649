// RUN: kiln-opt %s -split-input-file -kiln-fold-batch-norm | FileCheck %s

// f = scale / sqrt(variance + eps) = [0.5, 2]; w' = w * f = [1, 6];
// b' = (b - mean) * f + bias = [0.5, -2].
// CHECK-LABEL: func @conv
// CHECK-DAG: %[[W:.*]] = nn.constant dense<{{\[}}[{{\[}}[1.000000e+00]]], [{{\[}}[6.000000e+00]]]]> : tensor<2x1x1x1xf32>
// CHECK-DAG: %[[B:.*]] = nn.constant dense<[5.000000e-01, -2.000000e+00]> : tensor<2xf32>
// CHECK: %[[R:.*]] = nn.conv %arg0, %[[W]], %[[B]] {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}
// CHECK-NOT: nn.batch_norm
// CHECK: return %[[R]]
func.func @conv(%x: tensor<1x1x2x2xf32>) -> tensor<1x2x2x2xf32> {
  %w = nn.constant dense<[[[[2.0]]], [[[3.0]]]]> : tensor<2x1x1x1xf32>
  %b = nn.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %scale = nn.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %beta = nn.constant dense<[0.5, 0.0]> : tensor<2xf32>
  %mean = nn.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %var = nn.constant dense<[3.0, 0.0]> : tensor<2xf32>
  %c = nn.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x2x2xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  %y = nn.batch_norm %c, %scale, %beta, %mean, %var {epsilon = 1.0 : f32} : (tensor<1x2x2x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}

// -----

// A conv without a bias gets one: -mean * f + bias = [-0.5 + 0.5, -4].
// CHECK-LABEL: func @conv_no_bias
// CHECK-DAG: %[[B:.*]] = nn.constant dense<[0.000000e+00, -4.000000e+00]> : tensor<2xf32>
// CHECK: nn.conv %arg0, %{{.*}}, %[[B]]
// CHECK-NOT: nn.batch_norm
func.func @conv_no_bias(%x: tensor<1x1x2x2xf32>) -> tensor<1x2x2x2xf32> {
  %w = nn.constant dense<[[[[2.0]]], [[[3.0]]]]> : tensor<2x1x1x1xf32>
  %scale = nn.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %beta = nn.constant dense<[0.5, 0.0]> : tensor<2xf32>
  %mean = nn.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %var = nn.constant dense<[3.0, 0.0]> : tensor<2xf32>
  %c = nn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x2x2xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x2x2xf32>
  %y = nn.batch_norm %c, %scale, %beta, %mean, %var {epsilon = 1.0 : f32} : (tensor<1x2x2x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}

// -----

// Gemm: B's columns scaled by f; C' = (beta * C - mean) * f + bias = [1, 0]
// and beta becomes 1.
// CHECK-LABEL: func @gemm
// CHECK-DAG: %[[B:.*]] = nn.constant dense<{{\[}}[5.000000e-01, 4.000000e+00], [1.500000e+00, 8.000000e+00]]> : tensor<2x2xf32>
// CHECK-DAG: %[[C:.*]] = nn.constant dense<[1.000000e+00, 0.000000e+00]> : tensor<2xf32>
// CHECK: nn.gemm %arg0, %[[B]], %[[C]] {alpha = 1.000000e+00 : f32, beta = 1.000000e+00 : f32, trans_a = false, trans_b = false}
// CHECK-NOT: nn.batch_norm
func.func @gemm(%a: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %b = nn.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %c = nn.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %scale = nn.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %beta = nn.constant dense<[0.5, 0.0]> : tensor<2xf32>
  %mean = nn.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %var = nn.constant dense<[3.0, 0.0]> : tensor<2xf32>
  %g = nn.gemm %a, %b, %c {alpha = 1.0 : f32, beta = 2.0 : f32, trans_a = false, trans_b = false} : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %y = nn.batch_norm %g, %scale, %beta, %mean, %var {epsilon = 1.0 : f32} : (tensor<1x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// With trans_b, output column n is B's row n.
// CHECK-LABEL: func @gemm_trans_b
// CHECK-DAG: %[[B:.*]] = nn.constant dense<{{\[}}[5.000000e-01, 1.000000e+00], [6.000000e+00, 8.000000e+00]]> : tensor<2x2xf32>
// CHECK-DAG: %[[C:.*]] = nn.constant dense<[0.000000e+00, -4.000000e+00]> : tensor<2xf32>
// CHECK: nn.gemm %arg0, %[[B]], %[[C]] {{.*}}trans_b = true
func.func @gemm_trans_b(%a: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %b = nn.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %scale = nn.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %beta = nn.constant dense<[0.5, 0.0]> : tensor<2xf32>
  %mean = nn.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %var = nn.constant dense<[3.0, 0.0]> : tensor<2xf32>
  %g = nn.gemm %a, %b {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = true} : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
  %y = nn.batch_norm %g, %scale, %beta, %mean, %var {epsilon = 1.0 : f32} : (tensor<1x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// Refused: the conv result has another user (it needs the unnormalised
// value too), and a filter that is not a constant.
// CHECK-LABEL: func @refused
// CHECK: %[[C:.*]] = nn.conv %arg0
// CHECK: nn.batch_norm %[[C]]
// CHECK: %[[D:.*]] = nn.conv %arg0, %arg1
// CHECK: nn.batch_norm %[[D]]
func.func @refused(%x: tensor<1x1x2x2xf32>, %wx: tensor<2x1x1x1xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) {
  %w = nn.constant dense<[[[[2.0]]], [[[3.0]]]]> : tensor<2x1x1x1xf32>
  %p = nn.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %c = nn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x2x2xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x2x2xf32>
  %y = nn.batch_norm %c, %p, %p, %p, %p {epsilon = 1.0 : f32} : (tensor<1x2x2x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  %d = nn.conv %x, %wx {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x2x2xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x2x2xf32>
  %z = nn.batch_norm %d, %p, %p, %p, %p {epsilon = 1.0 : f32} : (tensor<1x2x2x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  return %y, %c, %z : tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>
}
