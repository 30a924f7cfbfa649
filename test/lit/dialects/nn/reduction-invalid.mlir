// RUN: kiln-opt %s -split-input-file -verify-diagnostics
// The reduction and normalisation ops reject inconsistent shapes and
// attributes.

func.func @reduce_kind(%x: tensor<3x4xf32>) {
  // expected-error @+2 {{unknown reduction kind 'mean'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.reduce %x {kind = "mean", axes = array<i64: 1>, keepdims = true} : (tensor<3x4xf32>) -> tensor<3x1xf32>
  return
}

// -----

func.func @reduce_float_only(%x: tensor<3x4xi64>) {
  // expected-error @+2 {{reduction 'l2' needs a float input}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.reduce %x {kind = "l2", axes = array<i64: 1>, keepdims = true} : (tensor<3x4xi64>) -> tensor<3x1xi64>
  return
}

// -----

func.func @reduce_axes(%x: tensor<3x4xf32>) {
  // expected-error @+2 {{axes must be distinct, normalised dims below 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.reduce %x {kind = "sum", axes = array<i64: -1>, keepdims = true} : (tensor<3x4xf32>) -> tensor<3x1xf32>
  return
}

// -----

func.func @reduce_empty_axes(%x: tensor<3x4xf32>) {
  // expected-error @+2 {{axes must not be empty}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.reduce %x {kind = "sum", axes = array<i64>, keepdims = true} : (tensor<3x4xf32>) -> tensor<3x4xf32>
  return
}

// -----

func.func @reduce_result(%x: tensor<3x4xf32>) {
  // expected-error @+2 {{'nn.reduce' op inferred type(s) 'tensor<3x1xf32>' are incompatible with return type(s) of operation 'tensor<3xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.reduce %x {kind = "max", axes = array<i64: 1>, keepdims = true} : (tensor<3x4xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @arg_max_axis(%x: tensor<3x4xf32>) {
  // expected-error @+2 {{axis 2 must be a normalised dim below 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.arg_max %x {axis = 2 : i64, keepdims = true, select_last_index = false} : (tensor<3x4xf32>) -> tensor<3x1xi64>
  return
}

// -----

func.func @arg_min_result_type(%x: tensor<3x4xf32>) {
  // expected-error @+1 {{result #0 must be ranked tensor of 64-bit signless integer values}}
  %0 = nn.arg_min %x {axis = 1 : i64, keepdims = true, select_last_index = false} : (tensor<3x4xf32>) -> tensor<3x1xf32>
  return
}

// -----

func.func @log_softmax_axis(%x: tensor<3x4xf32>) {
  // expected-error @+2 {{axis -1 must be a normalised dim below 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.log_softmax %x {axis = -1 : i64} : (tensor<3x4xf32>) -> tensor<3x4xf32>
  return
}

// -----

func.func @top_k_k(%x: tensor<3x4xf32>) {
  // expected-error @+2 {{k = 5 must be in 1..4}}
  // expected-error @+1 {{failed to infer returned types}}
  %v, %i = nn.top_k %x {k = 5 : i64, axis = 1 : i64, largest = true} : (tensor<3x4xf32>) -> (tensor<3x5xf32>, tensor<3x5xi64>)
  return
}

// -----

func.func @instance_norm_scale(%x: tensor<2x3x4xf32>, %s: tensor<4xf32>) {
  // expected-error @+2 {{scale and bias must have shape 3 and the input's element type, got 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.instance_norm %x, %s, %s {epsilon = 0.01 : f32} : (tensor<2x3x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  return
}

// -----

func.func @lrn_rank(%x: tensor<3x4xf32>) {
  // expected-error @+2 {{expects an input of rank >= 3 (N, C, spatial...), got 3x4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.lrn %x {size = 3 : i64, alpha = 0.0001 : f32, beta = 0.75 : f32, bias = 1.0 : f32} : (tensor<3x4xf32>) -> tensor<3x4xf32>
  return
}

// -----

func.func @lrn_size(%x: tensor<1x3x4xf32>) {
  // expected-error @+2 {{size must be >= 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.lrn %x {size = 0 : i64, alpha = 0.0001 : f32, beta = 0.75 : f32, bias = 1.0 : f32} : (tensor<1x3x4xf32>) -> tensor<1x3x4xf32>
  return
}

// -----

func.func @avg_pool_3d_pads(%x: tensor<1x3x5x5x5xf32>) {
  // expected-error @+2 {{pads must have 6 entries, has 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.avg_pool %x {kernel_shape = array<i64: 2, 2, 2>, strides = array<i64: 2, 2, 2>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false, count_include_pad = false} : (tensor<1x3x5x5x5xf32>) -> tensor<1x3x2x2x2xf32>
  return
}

// -----

func.func @max_pool_rank2(%x: tensor<7x7xf32>) {
  // expected-error @+2 {{expects an N x C x spatial... input of rank >= 3, got 7x7}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.max_pool %x {kernel_shape = array<i64: 3>, strides = array<i64: 2>, pads = array<i64: 0, 0>, dilations = array<i64: 1>, ceil_mode = false} : (tensor<7x7xf32>) -> tensor<7x3xf32>
  return
}

// -----

func.func @max_pool_with_indices_type(%x: tensor<1x1x5x5xf32>) {
  // expected-error @+1 {{result #1 must be ranked tensor of 64-bit signless integer values}}
  %v, %i = nn.max_pool_with_indices %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = false, storage_order = false} : (tensor<1x1x5x5xf32>) -> (tensor<1x1x2x2xf32>, tensor<1x1x2x2xi32>)
  return
}

// -----

func.func @lp_pool_p(%x: tensor<1x2x7x6xf32>) {
  // expected-error @+2 {{p must be >= 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.lp_pool %x {kernel_shape = array<i64: 3, 2>, strides = array<i64: 2, 1>, pads = array<i64: 1, 0, 1, 1>, p = 0 : i64} : (tensor<1x2x7x6xf32>) -> tensor<1x2x4x6xf32>
  return
}

// -----

// i8 does not say whether it is signed: the importer widens it to i32.
func.func @max_pool_i8(%x: tensor<1x1x4x4xi8>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point or 32-bit signless integer or 64-bit signless integer values}}
  %0 = nn.max_pool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = false} : (tensor<1x1x4x4xi8>) -> tensor<1x1x2x2xi8>
  return
}
