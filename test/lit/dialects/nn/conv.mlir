// RUN: kiln-opt %s -split-input-file | FileCheck %s
// Round trip of the ops of NNConvOps.td; the printed form must parse back.
// RUN: kiln-opt %s -split-input-file | kiln-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func @conv_1d_grouped
func.func @conv_1d_grouped(%x: tensor<2x4x10xf32>, %w: tensor<6x2x3xf32>) -> tensor<2x6x5xf32> {
  // CHECK: nn.conv %{{.*}}, %{{.*}} {dilations = array<i64: 1>, group = 2 : i64, pads = array<i64: 1, 0>, strides = array<i64: 2>} : (tensor<2x4x10xf32>, tensor<6x2x3xf32>) -> tensor<2x6x5xf32>
  %0 = nn.conv %x, %w {strides = array<i64: 2>, pads = array<i64: 1, 0>, dilations = array<i64: 1>, group = 2 : i64} : (tensor<2x4x10xf32>, tensor<6x2x3xf32>) -> tensor<2x6x5xf32>
  return %0 : tensor<2x6x5xf32>
}

// -----

// CHECK-LABEL: func @conv_3d_int
func.func @conv_3d_int(%x: tensor<1x2x4x4x4xi32>, %w: tensor<3x2x2x2x2xi32>, %b: tensor<3xi32>) -> tensor<1x3x2x2x2xi32> {
  // CHECK: nn.conv %{{.*}}, %{{.*}}, %{{.*}} {dilations = array<i64: 1, 1, 2>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0, 0, 0>, strides = array<i64: 2, 2, 1>}
  %0 = nn.conv %x, %w, %b {strides = array<i64: 2, 2, 1>, pads = array<i64: 0, 0, 0, 0, 0, 0>, dilations = array<i64: 1, 1, 2>, group = 1 : i64} : (tensor<1x2x4x4x4xi32>, tensor<3x2x2x2x2xi32>, tensor<3xi32>) -> tensor<1x3x2x2x2xi32>
  return %0 : tensor<1x3x2x2x2xi32>
}

// -----

// CHECK-LABEL: func @conv_transpose
func.func @conv_transpose(%x: tensor<1x2x3x3xf32>, %w: tensor<2x3x3x3xf32>, %b: tensor<6xf32>) -> tensor<1x6x10x8xf32> {
  // CHECK: nn.conv_transpose %{{.*}}, %{{.*}}, %{{.*}} {dilations = array<i64: 1, 1>, group = 2 : i64, output_padding = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 3, 2>}
  %0 = nn.conv_transpose %x, %w, %b {strides = array<i64: 3, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, output_padding = array<i64: 1, 1>, group = 2 : i64} : (tensor<1x2x3x3xf32>, tensor<2x3x3x3xf32>, tensor<6xf32>) -> tensor<1x6x10x8xf32>
  return %0 : tensor<1x6x10x8xf32>
}

// -----

// A negative pad extends the result with zeros (ONNX output_shape).
// CHECK-LABEL: func @conv_transpose_1d_negative_pad
func.func @conv_transpose_1d_negative_pad(%x: tensor<1x1x3xf32>, %w: tensor<1x2x3xf32>) -> tensor<1x2x6xf32> {
  // CHECK: nn.conv_transpose %{{.*}}, %{{.*}} {{{.*}}pads = array<i64: 0, -1>
  %0 = nn.conv_transpose %x, %w {strides = array<i64: 1>, pads = array<i64: 0, -1>, dilations = array<i64: 1>, output_padding = array<i64: 0>, group = 1 : i64} : (tensor<1x1x3xf32>, tensor<1x2x3xf32>) -> tensor<1x2x6xf32>
  return %0 : tensor<1x2x6xf32>
}

// -----

// CHECK-LABEL: func @einsum_batch_matmul
func.func @einsum_batch_matmul(%x: tensor<5x2x3xf64>, %y: tensor<5x3x4xf64>) -> tensor<5x2x4xf64> {
  // CHECK: nn.einsum %{{.*}}, %{{.*}} {operand_indices = [array<i64: 98, 105, 106>, array<i64: 98, 106, 107>], result_indices = array<i64: 98, 105, 107>} : (tensor<5x2x3xf64>, tensor<5x3x4xf64>) -> tensor<5x2x4xf64>
  %0 = nn.einsum %x, %y {operand_indices = [array<i64: 98, 105, 106>, array<i64: 98, 106, 107>], result_indices = array<i64: 98, 105, 107>} : (tensor<5x2x3xf64>, tensor<5x3x4xf64>) -> tensor<5x2x4xf64>
  return %0 : tensor<5x2x4xf64>
}

// -----

// A repeated index reads the diagonal; summed away it is a trace.
// CHECK-LABEL: func @einsum_diagonal
func.func @einsum_diagonal(%x: tensor<2x3x3xf32>) -> (tensor<2x3xf32>, tensor<f32>) {
  // CHECK: nn.einsum %{{.*}} {operand_indices = [array<i64: 0, 1, 1>], result_indices = array<i64: 0, 1>} : (tensor<2x3x3xf32>) -> tensor<2x3xf32>
  %0 = nn.einsum %x {operand_indices = [array<i64: 0, 1, 1>], result_indices = array<i64: 0, 1>} : (tensor<2x3x3xf32>) -> tensor<2x3xf32>
  // CHECK: nn.einsum {{.*}} -> tensor<f32>
  %1 = nn.einsum %x {operand_indices = [array<i64: 0, 1, 1>], result_indices = array<i64>} : (tensor<2x3x3xf32>) -> tensor<f32>
  return %0, %1 : tensor<2x3xf32>, tensor<f32>
}

// -----

// CHECK-LABEL: func @einsum_inner
func.func @einsum_inner(%x: tensor<5xf32>, %y: tensor<5xf32>) -> tensor<f32> {
  // CHECK: nn.einsum {{.*}} -> tensor<f32>
  %0 = nn.einsum %x, %y {operand_indices = [array<i64: 0>, array<i64: 0>], result_indices = array<i64>} : (tensor<5xf32>, tensor<5xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// CHECK-LABEL: func @quantize_per_axis
func.func @quantize_per_axis(%x: tensor<1x3x2xf32>, %s: tensor<3xf32>, %z: tensor<3xi8>) -> tensor<1x3x2xi8> {
  // CHECK: nn.quantize_linear %{{.*}}, %{{.*}}, %{{.*}} {axis = 1 : i64, is_unsigned = true} : (tensor<1x3x2xf32>, tensor<3xf32>, tensor<3xi8>) -> tensor<1x3x2xi8>
  %0 = nn.quantize_linear %x, %s, %z {axis = 1 : i64, is_unsigned = true} : (tensor<1x3x2xf32>, tensor<3xf32>, tensor<3xi8>) -> tensor<1x3x2xi8>
  return %0 : tensor<1x3x2xi8>
}

// -----

// CHECK-LABEL: func @dequantize
func.func @dequantize(%x: tensor<4xi32>, %s: tensor<f32>, %z: tensor<i32>) -> tensor<4xf32> {
  // CHECK: nn.dequantize_linear %{{.*}}, %{{.*}}, %{{.*}} {axis = 0 : i64, is_unsigned = false} : (tensor<4xi32>, tensor<f32>, tensor<i32>) -> tensor<4xf32>
  %0 = nn.dequantize_linear %x, %s, %z {axis = 0 : i64, is_unsigned = false} : (tensor<4xi32>, tensor<f32>, tensor<i32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func @subtract_zero_point_matmul
func.func @subtract_zero_point_matmul(%a: tensor<4x3xi8>, %za: tensor<4xi8>, %b: tensor<3x2xi32>) -> tensor<4x2xi32> {
  // CHECK: %[[A:.*]] = nn.subtract_zero_point %{{.*}}, %{{.*}} {axis = 0 : i64, is_unsigned = true} : (tensor<4x3xi8>, tensor<4xi8>) -> tensor<4x3xi32>
  // CHECK: nn.matmul %[[A]], %{{.*}} : (tensor<4x3xi32>, tensor<3x2xi32>) -> tensor<4x2xi32>
  %0 = nn.subtract_zero_point %a, %za {axis = 0 : i64, is_unsigned = true} : (tensor<4x3xi8>, tensor<4xi8>) -> tensor<4x3xi32>
  %1 = nn.matmul %0, %b : (tensor<4x3xi32>, tensor<3x2xi32>) -> tensor<4x2xi32>
  return %1 : tensor<4x2xi32>
}

// -----

// CHECK-LABEL: func @dynamic_quantize
func.func @dynamic_quantize(%x: tensor<3x4xf32>) -> (tensor<3x4xi8>, tensor<f32>, tensor<i8>) {
  // CHECK: nn.dynamic_quantize_linear %{{.*}} : (tensor<3x4xf32>) -> (tensor<3x4xi8>, tensor<f32>, tensor<i8>)
  %y, %s, %z = nn.dynamic_quantize_linear %x : (tensor<3x4xf32>) -> (tensor<3x4xi8>, tensor<f32>, tensor<i8>)
  return %y, %s, %z : tensor<3x4xi8>, tensor<f32>, tensor<i8>
}

// -----

// Channels-last (kiln-layout's form): NHWC input, KHxKWx(C/group)xF
// filter, NHWC result; strided, padded, depthwise.
// CHECK-LABEL: func @conv_channels_last
func.func @conv_channels_last(%x: tensor<1x7x7x4xf32>, %w: tensor<3x3x4x6xf32>, %d: tensor<3x3x1x4xf32>) -> (tensor<1x4x4x6xf32>, tensor<1x7x7x4xf32>) {
  // CHECK: nn.conv %{{.*}}, %{{.*}} {channels_last, {{.*}}} : (tensor<1x7x7x4xf32>, tensor<3x3x4x6xf32>) -> tensor<1x4x4x6xf32>
  %0 = nn.conv %x, %w {channels_last, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x7x7x4xf32>, tensor<3x3x4x6xf32>) -> tensor<1x4x4x6xf32>
  // CHECK: nn.conv %{{.*}}, %{{.*}} {channels_last, {{.*}}group = 4 : i64{{.*}}} : (tensor<1x7x7x4xf32>, tensor<3x3x1x4xf32>) -> tensor<1x7x7x4xf32>
  %1 = nn.conv %x, %d {channels_last, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 4 : i64} : (tensor<1x7x7x4xf32>, tensor<3x3x1x4xf32>) -> tensor<1x7x7x4xf32>
  return %0, %1 : tensor<1x4x4x6xf32>, tensor<1x7x7x4xf32>
}
