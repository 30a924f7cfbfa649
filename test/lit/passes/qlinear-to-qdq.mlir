// RUN: kiln-opt %s -split-input-file -kiln-qlinear-to-qdq | FileCheck %s

// A QLinearConv as the importer writes it (after constant folding): the
// input keeps its QuantizeLinear's scale 0.5 and zero point, the weights
// take the rest of the combined scale (0.25 / 0.5, 0.125 / 0.5), the bias
// becomes 4 * 0.25, -8 * 0.125; the model's QuantizeLinear stays.
// CHECK-LABEL: func.func @main
// CHECK-DAG: %[[XS:.*]] = nn.constant dense<5.000000e-01> : tensor<f32>
// CHECK-DAG: %[[XZ:.*]] = nn.constant dense<3> : tensor<i8>
// CHECK-DAG: %[[W:.*]] = nn.constant dense<{{\[\[\[\[}}1]], {{\[\[}}-2]]], {{\[\[\[}}3]], {{\[\[}}4]]]]> : tensor<2x2x1x1xi8>
// CHECK-DAG: %[[WS:.*]] = nn.constant dense<[5.000000e-01, 2.500000e-01]> : tensor<2xf32>
// CHECK-DAG: %[[B:.*]] = nn.constant dense<[1.000000e+00, -1.000000e+00]> : tensor<2xf32>
// CHECK-DAG: %[[Q:.*]] = nn.quantize_linear %arg0, %[[XS]], %[[XZ]]
// CHECK-DAG: %[[XF:.*]] = nn.dequantize_linear %[[Q]], %[[XS]], %[[XZ]] {axis = 0 : i64, is_unsigned = true}
// CHECK-DAG: %[[WF:.*]] = nn.dequantize_linear %[[W]], %[[WS]], %{{.*}} {axis = 0 : i64, is_unsigned = false}
// CHECK: %[[C:.*]] = nn.conv %[[XF]], %[[WF]], %[[B]] {{.*}} -> tensor<1x2x4x4xf32>
// CHECK: nn.quantize_linear %[[C]]
// CHECK-NOT: nn.subtract_zero_point
func.func @main(%arg0: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xi8> {
  %xs = nn.constant dense<5.000000e-01> : tensor<f32>
  %xz = nn.constant dense<3> : tensor<i8>
  %q = nn.quantize_linear %arg0, %xs, %xz {axis = 1 : i64, is_unsigned = true} : (tensor<1x2x4x4xf32>, tensor<f32>, tensor<i8>) -> tensor<1x2x4x4xi8>
  %x = nn.subtract_zero_point %q, %xz {axis = 1 : i64, is_unsigned = true} : (tensor<1x2x4x4xi8>, tensor<i8>) -> tensor<1x2x4x4xi32>
  %w8 = nn.constant dense<[[[[1]], [[-2]]], [[[3]], [[4]]]]> : tensor<2x2x1x1xi8>
  %wz = nn.constant dense<0> : tensor<2xi8>
  %w = nn.subtract_zero_point %w8, %wz {axis = 0 : i64, is_unsigned = false} : (tensor<2x2x1x1xi8>, tensor<2xi8>) -> tensor<2x2x1x1xi32>
  %b = nn.constant dense<[4, -8]> : tensor<2xi32>
  %acc = nn.conv %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xi32>, tensor<2x2x1x1xi32>, tensor<2xi32>) -> tensor<1x2x4x4xi32>
  %s = nn.constant dense<[2.500000e-01, 1.250000e-01]> : tensor<2xf32>
  %z = nn.constant dense<0> : tensor<2xi32>
  %f = nn.dequantize_linear %acc, %s, %z {axis = 1 : i64, is_unsigned = false} : (tensor<1x2x4x4xi32>, tensor<2xf32>, tensor<2xi32>) -> tensor<1x2x4x4xf32>
  %ys = nn.constant dense<1.000000e-01> : tensor<f32>
  %yz = nn.constant dense<-2> : tensor<i8>
  %y = nn.quantize_linear %f, %ys, %yz {axis = 1 : i64, is_unsigned = false} : (tensor<1x2x4x4xf32>, tensor<f32>, tensor<i8>) -> tensor<1x2x4x4xi8>
  return %y : tensor<1x2x4x4xi8>
}

// -----

// An 8-bit model input has no scale of its own: it takes the first
// channel's combined scale (0.25), the weights the rest (1, 0.5).
// CHECK-LABEL: func.func @main
// CHECK-DAG: %[[XS:.*]] = nn.constant dense<2.500000e-01> : tensor<f32>
// CHECK-DAG: %[[WS:.*]] = nn.constant dense<[1.000000e+00, 5.000000e-01]> : tensor<2xf32>
// CHECK: %[[XF:.*]] = nn.dequantize_linear %arg0, %[[XS]], %{{.*}} {axis = 0 : i64, is_unsigned = false}
// CHECK: nn.dequantize_linear %{{.*}}, %[[WS]]
// CHECK: nn.conv %[[XF]]
func.func @main(%arg0: tensor<1x2x4x4xi8>) -> tensor<1x2x4x4xf32> {
  %xz = nn.constant dense<1> : tensor<i8>
  %x = nn.subtract_zero_point %arg0, %xz {axis = 1 : i64, is_unsigned = false} : (tensor<1x2x4x4xi8>, tensor<i8>) -> tensor<1x2x4x4xi32>
  %w8 = nn.constant dense<[[[[1]], [[-2]]], [[[3]], [[4]]]]> : tensor<2x2x1x1xi8>
  %wz = nn.constant dense<0> : tensor<i8>
  %w = nn.subtract_zero_point %w8, %wz {axis = 0 : i64, is_unsigned = false} : (tensor<2x2x1x1xi8>, tensor<i8>) -> tensor<2x2x1x1xi32>
  %acc = nn.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xi32>, tensor<2x2x1x1xi32>) -> tensor<1x2x4x4xi32>
  %s = nn.constant dense<[2.500000e-01, 1.250000e-01]> : tensor<2xf32>
  %z = nn.constant dense<0> : tensor<2xi32>
  %f = nn.dequantize_linear %acc, %s, %z {axis = 1 : i64, is_unsigned = false} : (tensor<1x2x4x4xi32>, tensor<2xf32>, tensor<2xi32>) -> tensor<1x2x4x4xf32>
  return %f : tensor<1x2x4x4xf32>
}

// -----

// An 8-bit max pool between QuantizeLinear and its readers:
// QuantizeLinear(max_pool(DequantizeLinear)) at the same scale and zero
// point. A flatten then QLinearMatMul: the flatten moves after the
// DequantizeLinear and the matmul becomes a gemm (weights scale 0.2 / 0.5).
// CHECK-LABEL: func.func @main
// CHECK-DAG: %[[S:.*]] = nn.constant dense<5.000000e-01> : tensor<f32>
// CHECK-DAG: %[[WS:.*]] = nn.constant dense<4.000000e-01> : tensor<f32>
// CHECK-DAG: %[[Q:.*]] = nn.quantize_linear %arg0, %[[S]], %[[Z:.*]] {axis = 1 : i64, is_unsigned = true}
// CHECK-DAG: %[[D:.*]] = nn.dequantize_linear %[[Q]], %[[S]], %[[Z]] {axis = 0 : i64, is_unsigned = true}
// CHECK-DAG: %[[P:.*]] = nn.max_pool %[[D]] {{.*}} -> tensor<1x2x1x1xf32>
// CHECK-DAG: %[[Q2:.*]] = nn.quantize_linear %[[P]], %[[S]], %[[Z]] {axis = 0 : i64, is_unsigned = true}
// CHECK-DAG: %[[D2:.*]] = nn.dequantize_linear %[[Q2]], %[[S]], %[[Z]]
// CHECK-DAG: %[[F:.*]] = nn.flatten %[[D2]] {axis = 1 : i64} : (tensor<1x2x1x1xf32>) -> tensor<1x2xf32>
// CHECK-DAG: %[[W:.*]] = nn.dequantize_linear %{{.*}}, %[[WS]]
// CHECK: nn.gemm %[[F]], %[[W]] {alpha = 1.000000e+00 : f32, beta = 1.000000e+00 : f32, trans_a = false, trans_b = false}
// CHECK-NOT: nn.cast
// CHECK-NOT: nn.matmul
func.func @main(%arg0: tensor<1x2x2x2xf32>) -> tensor<1x3xf32> {
  %s = nn.constant dense<5.000000e-01> : tensor<f32>
  %z = nn.constant dense<7> : tensor<i8>
  %q = nn.quantize_linear %arg0, %s, %z {axis = 1 : i64, is_unsigned = true} : (tensor<1x2x2x2xf32>, tensor<f32>, tensor<i8>) -> tensor<1x2x2x2xi8>
  %w = nn.cast %q {unsigned_input = true} : tensor<1x2x2x2xi8> to tensor<1x2x2x2xi32>
  %p = nn.max_pool %w {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x2x2x2xi32>) -> tensor<1x2x1x1xi32>
  %n = nn.cast %p : tensor<1x2x1x1xi32> to tensor<1x2x1x1xi8>
  %fl = nn.flatten %n {axis = 1 : i64} : (tensor<1x2x1x1xi8>) -> tensor<1x2xi8>
  %a = nn.subtract_zero_point %fl, %z {axis = 0 : i64, is_unsigned = true} : (tensor<1x2xi8>, tensor<i8>) -> tensor<1x2xi32>
  %b8 = nn.constant dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi8>
  %bz = nn.constant dense<0> : tensor<i8>
  %b = nn.subtract_zero_point %b8, %bz {axis = 1 : i64, is_unsigned = false} : (tensor<2x3xi8>, tensor<i8>) -> tensor<2x3xi32>
  %acc = nn.matmul %a, %b : (tensor<1x2xi32>, tensor<2x3xi32>) -> tensor<1x3xi32>
  %cs = nn.constant dense<2.000000e-01> : tensor<f32>
  %cz = nn.constant dense<0> : tensor<i32>
  %y = nn.dequantize_linear %acc, %cs, %cz {axis = 1 : i64, is_unsigned = false} : (tensor<1x3xi32>, tensor<f32>, tensor<i32>) -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}

// -----

// Weights computed at run time stay integer.
// CHECK-LABEL: func.func @main
// CHECK: nn.subtract_zero_point
// CHECK: nn.conv {{.*}} -> tensor<1x2x4x4xi32>
func.func @main(%arg0: tensor<1x2x4x4xi8>, %arg1: tensor<2x2x1x1xi8>) -> tensor<1x2x4x4xf32> {
  %xz = nn.constant dense<1> : tensor<i8>
  %x = nn.subtract_zero_point %arg0, %xz {axis = 1 : i64, is_unsigned = false} : (tensor<1x2x4x4xi8>, tensor<i8>) -> tensor<1x2x4x4xi32>
  %wz = nn.constant dense<0> : tensor<i8>
  %w = nn.subtract_zero_point %arg1, %wz {axis = 0 : i64, is_unsigned = false} : (tensor<2x2x1x1xi8>, tensor<i8>) -> tensor<2x2x1x1xi32>
  %acc = nn.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xi32>, tensor<2x2x1x1xi32>) -> tensor<1x2x4x4xi32>
  %s = nn.constant dense<2.500000e-01> : tensor<f32>
  %z = nn.constant dense<0> : tensor<i32>
  %f = nn.dequantize_linear %acc, %s, %z {axis = 1 : i64, is_unsigned = false} : (tensor<1x2x4x4xi32>, tensor<f32>, tensor<i32>) -> tensor<1x2x4x4xf32>
  return %f : tensor<1x2x4x4xf32>
}
