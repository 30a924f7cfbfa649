// RUN: kiln-opt %s -split-input-file -verify-diagnostics
// The ops of NNConvOps.td reject inconsistent shapes and attributes.

func.func @conv_4d_spatial(%x: tensor<1x1x2x2x2x2xf32>, %w: tensor<1x1x1x1x1x1xf32>) {
  // expected-error @+2 {{expects an input with 1 to 3 spatial dims (NxCxD...), got 1x1x2x2x2x2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv %x, %w {strides = array<i64: 1, 1, 1, 1>, pads = array<i64: 0, 0, 0, 0, 0, 0, 0, 0>, dilations = array<i64: 1, 1, 1, 1>, group = 1 : i64} : (tensor<1x1x2x2x2x2xf32>, tensor<1x1x1x1x1x1xf32>) -> tensor<1x1x2x2x2x2xf32>
  return
}

// -----

func.func @conv_1d_strides(%x: tensor<1x2x8xf32>, %w: tensor<4x2x3xf32>) {
  // expected-error @+2 {{strides must have 1 entries, has 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0>, dilations = array<i64: 1>, group = 1 : i64} : (tensor<1x2x8xf32>, tensor<4x2x3xf32>) -> tensor<1x4x6xf32>
  return
}

// -----

func.func @conv_negative_pads(%x: tensor<1x2x8xf32>, %w: tensor<4x2x3xf32>) {
  // expected-error @+2 {{pads must be non-negative}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv %x, %w {strides = array<i64: 1>, pads = array<i64: -1, 0>, dilations = array<i64: 1>, group = 1 : i64} : (tensor<1x2x8xf32>, tensor<4x2x3xf32>) -> tensor<1x4x5xf32>
  return
}

// -----

func.func @conv_rank_mismatch(%x: tensor<1x2x8x8xf32>, %w: tensor<4x2x3xf32>) {
  // expected-error @+2 {{filter 4x2x3 and input 1x2x8x8 differ in rank}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x8x8xf32>, tensor<4x2x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_bias_type(%x: tensor<1x2x8xi32>, %w: tensor<4x2x3xi32>, %b: tensor<4xf32>) {
  // expected-error @+2 {{bias element type differs from the input's}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = "nn.conv"(%x, %w, %b) {strides = array<i64: 1>, pads = array<i64: 0, 0>, dilations = array<i64: 1>, group = 1 : i64} : (tensor<1x2x8xi32>, tensor<4x2x3xi32>, tensor<4xf32>) -> tensor<1x4x6xi32>
  return
}

// -----

func.func @conv_i8(%x: tensor<1x2x8xi8>, %w: tensor<4x2x3xi8>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point or 32-bit signless integer values}}
  %0 = nn.conv %x, %w {strides = array<i64: 1>, pads = array<i64: 0, 0>, dilations = array<i64: 1>, group = 1 : i64} : (tensor<1x2x8xi8>, tensor<4x2x3xi8>) -> tensor<1x4x6xi8>
  return
}

// -----

func.func @conv_transpose_channels(%x: tensor<1x2x3x3xf32>, %w: tensor<1x2x3x3xf32>) {
  // expected-error @+2 {{filter has 1 input channels, input has 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv_transpose %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, output_padding = array<i64: 0, 0>, group = 1 : i64} : (tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) -> tensor<1x2x5x5xf32>
  return
}

// -----

func.func @conv_transpose_output_padding(%x: tensor<1x1x3x3xf32>, %w: tensor<1x2x3x3xf32>) {
  // expected-error @+2 {{output_padding entries must be below the stride or the dilation}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv_transpose %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, output_padding = array<i64: 1, 0>, group = 1 : i64} : (tensor<1x1x3x3xf32>, tensor<1x2x3x3xf32>) -> tensor<1x2x6x5xf32>
  return
}

// -----

func.func @conv_transpose_pads_too_large(%x: tensor<1x1x3xf32>, %w: tensor<1x2x3xf32>) {
  // expected-error @+2 {{pads 3 and 2 leave no output of the 5 computed}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv_transpose %x, %w {strides = array<i64: 1>, pads = array<i64: 3, 2>, dilations = array<i64: 1>, output_padding = array<i64: 0>, group = 1 : i64} : (tensor<1x1x3xf32>, tensor<1x2x3xf32>) -> tensor<1x2x1xf32>
  return
}

// -----

func.func @einsum_diagonal_not_square(%x: tensor<3x4xf32>) {
  // expected-error @+2 {{index 0 has sizes 3 and 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.einsum %x {operand_indices = [array<i64: 0, 0>], result_indices = array<i64: 0>} : (tensor<3x4xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @einsum_sizes(%x: tensor<3x4xf32>, %y: tensor<5x2xf32>) {
  // expected-error @+2 {{index 1 has sizes 4 and 5}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.einsum %x, %y {operand_indices = [array<i64: 0, 1>, array<i64: 1, 2>], result_indices = array<i64: 0, 2>} : (tensor<3x4xf32>, tensor<5x2xf32>) -> tensor<3x2xf32>
  return
}

// -----

func.func @einsum_unknown_result_index(%x: tensor<3x4xf32>) {
  // expected-error @+2 {{result index 7 is in no operand}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.einsum %x {operand_indices = [array<i64: 0, 1>], result_indices = array<i64: 7>} : (tensor<3x4xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @einsum_index_count(%x: tensor<3x4xf32>) {
  // expected-error @+2 {{operand of shape 3x4 needs 2 indices, has 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.einsum %x {operand_indices = [array<i64: 0>], result_indices = array<i64: 0>} : (tensor<3x4xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @quantize_axis_size(%x: tensor<1x3x2xf32>, %s: tensor<2xf32>, %z: tensor<2xi8>) {
  // expected-error @+2 {{per-axis parameter of size 2 does not match dim 1 (3)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.quantize_linear %x, %s, %z {axis = 1 : i64, is_unsigned = true} : (tensor<1x3x2xf32>, tensor<2xf32>, tensor<2xi8>) -> tensor<1x3x2xi8>
  return
}

// -----

func.func @quantize_shapes_differ(%x: tensor<1x3x2xf32>, %s: tensor<3xf32>, %z: tensor<i8>) {
  // expected-error @+2 {{scale and zero point shapes differ}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.quantize_linear %x, %s, %z {axis = 1 : i64, is_unsigned = false} : (tensor<1x3x2xf32>, tensor<3xf32>, tensor<i8>) -> tensor<1x3x2xi8>
  return
}

// -----

func.func @dequantize_unsigned_i32(%x: tensor<4xi32>, %s: tensor<f32>, %z: tensor<i32>) {
  // expected-error @+2 {{only 8-bit inputs can be unsigned}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.dequantize_linear %x, %s, %z {axis = 0 : i64, is_unsigned = true} : (tensor<4xi32>, tensor<f32>, tensor<i32>) -> tensor<4xf32>
  return
}

// -----

func.func @dequantize_zero_point_type(%x: tensor<4xi8>, %s: tensor<f32>, %z: tensor<i32>) {
  // expected-error @+2 {{zero point and input element types differ}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.dequantize_linear %x, %s, %z {axis = 0 : i64, is_unsigned = false} : (tensor<4xi8>, tensor<f32>, tensor<i32>) -> tensor<4xf32>
  return
}

// -----

func.func @subtract_zero_point_rank(%x: tensor<4x3xi8>, %z: tensor<4x3xi8>) {
  // expected-error @+2 {{scale and zero point must be scalars or 1-D, got 4x3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.subtract_zero_point %x, %z {axis = 0 : i64, is_unsigned = false} : (tensor<4x3xi8>, tensor<4x3xi8>) -> tensor<4x3xi32>
  return
}

// -----

func.func @matmul_mixed(%a: tensor<4x3xi32>, %b: tensor<3x2xf32>) {
  // expected-error @+2 {{operand element types differ}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.matmul %a, %b : (tensor<4x3xi32>, tensor<3x2xf32>) -> tensor<4x2xi32>
  return
}

// -----

func.func @dynamic_quantize_result(%x: tensor<3x4xf32>) {
  // expected-error @+2 {{'nn.dynamic_quantize_linear' op inferred type(s) 'tensor<3x4xi8>', 'tensor<f32>', 'tensor<i8>' are incompatible with return type(s) of operation 'tensor<4x3xi8>', 'tensor<f32>', 'tensor<i8>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %y, %s, %z = "nn.dynamic_quantize_linear"(%x) : (tensor<3x4xf32>) -> (tensor<4x3xi8>, tensor<f32>, tensor<i8>)
  return
}

// -----

func.func @conv_channels_last_1d(%x: tensor<1x5x4xf32>, %w: tensor<3x4x6xf32>) {
  // expected-error @+2 {{channels_last expects a 2-D (NxHxWxC) input and a KHxKWxCxF filter, got 1x5x4 and 3x4x6}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv %x, %w {channels_last, strides = array<i64: 1>, pads = array<i64: 0, 0>, dilations = array<i64: 1>, group = 1 : i64} : (tensor<1x5x4xf32>, tensor<3x4x6xf32>) -> tensor<1x3x6xf32>
  return
}

// -----

// An NCHW-shaped filter does not fit an NHWC input: the filter's channel
// dim (its third) must be the input's (its last).
func.func @conv_channels_last_filter(%x: tensor<1x7x7x4xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+2 {{filter has 3 channels per group, input has 4 channels in 1 groups}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv %x, %w {channels_last, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x7x7x4xf32>, tensor<6x4x3x3xf32>) -> tensor<1x5x5x6xf32>
  return
}
