// RUN: kiln-opt %s -split-input-file -verify-diagnostics
// Every nn op rejects inconsistent shapes and attributes. Ops that infer
// their result type report the reason, then that inference failed.

func.func @conv_group_mismatch(%x: tensor<1x6x8x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+2 {{group 4 must divide the 6 input channels and the 4 filters}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 4 : i64} : (tensor<1x6x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_channels(%x: tensor<1x6x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+2 {{filter has 3 channels per group, input has 6 channels in 1 groups}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x6x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_wrong_result(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+2 {{'nn.conv' op inferred type(s) 'tensor<1x4x6x6xf32>' are incompatible with return type(s) of operation 'tensor<1x4x8x8xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @conv_bias(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{bias must have shape 4, got 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_strides(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+2 {{strides entries must be >= 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv %x, %w {strides = array<i64: 0, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_window_too_large(%x: tensor<1x3x2x2xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+2 {{does not fit the padded input}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x2x2xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x1x1xf32>
  return
}

// -----

func.func @gemm_inner(%a: tensor<2x16xf32>, %b: tensor<10x15xf32>) {
  // expected-error @+2 {{inner dimensions differ: 16 vs 15}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.gemm %a, %b {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = true} : (tensor<2x16xf32>, tensor<10x15xf32>) -> tensor<2x10xf32>
  return
}

// -----

func.func @gemm_c(%a: tensor<2x16xf32>, %b: tensor<16x10xf32>, %c: tensor<3xf32>) {
  // expected-error @+2 {{C of shape 3 does not broadcast to 2x10}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.gemm %a, %b, %c {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = false} : (tensor<2x16xf32>, tensor<16x10xf32>, tensor<3xf32>) -> tensor<2x10xf32>
  return
}

// -----

func.func @matmul_inner(%a: tensor<4x5xf32>, %b: tensor<6x7xf32>) {
  // expected-error @+2 {{inner dimensions differ: 4x5 x 6x7}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.matmul %a, %b : (tensor<4x5xf32>, tensor<6x7xf32>) -> tensor<4x7xf32>
  return
}

// -----

func.func @matmul_batch(%a: tensor<2x4x5xf32>, %b: tensor<3x5x7xf32>) {
  // expected-error @+2 {{batch dimensions do not broadcast}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.matmul %a, %b : (tensor<2x4x5xf32>, tensor<3x5x7xf32>) -> tensor<2x4x7xf32>
  return
}

// -----

func.func @add_broadcast(%a: tensor<2x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+2 {{shapes 2x3 and 4 do not broadcast}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.add %a, %b : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @sub_types(%a: tensor<2xf32>, %b: tensor<2xi64>) {
  // expected-error @+2 {{operand element types differ}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.sub %a, %b : (tensor<2xf32>, tensor<2xi64>) -> tensor<2xf32>
  return
}

// -----

func.func @mul_result(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{'nn.mul' op inferred type(s) 'tensor<2x3xf32>' are incompatible}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.mul %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<3x3xf32>
  return
}

// -----

func.func @div_result(%a: tensor<2x3xf32>, %b: tensor<1xf32>) {
  // expected-error @+2 {{'nn.div' op inferred type(s) 'tensor<2x3xf32>' are incompatible}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.div %a, %b : (tensor<2x3xf32>, tensor<1xf32>) -> tensor<2x1xf32>
  return
}

// -----

func.func @relu_type(%x: tensor<2x3xi64>) {
  // expected-error @+1 {{must be ranked tensor of floating-point values}}
  %0 = nn.relu %x : tensor<2x3xi64>
  return
}

// -----

func.func @sigmoid_int(%x: tensor<2xi32>) {
  // expected-error @+1 {{must be ranked tensor of floating-point values}}
  %0 = nn.sigmoid %x : tensor<2xi32>
  return
}

// -----

func.func @hard_swish_unranked(%x: tensor<*xf32>) {
  // expected-error @+1 {{must be ranked tensor of floating-point values}}
  %0 = "nn.hard_swish"(%x) : (tensor<*xf32>) -> tensor<*xf32>
  return
}

// -----

func.func @hard_sigmoid_int(%x: tensor<2xi8>) {
  // expected-error @+1 {{must be ranked tensor of floating-point values}}
  %0 = nn.hard_sigmoid %x {alpha = 0.2 : f32, beta = 0.5 : f32} : tensor<2xi8>
  return
}

// -----

func.func @leaky_relu_missing_alpha(%x: tensor<2xf32>) {
  // expected-error @+1 {{requires attribute 'alpha'}}
  %0 = nn.leaky_relu %x : tensor<2xf32>
  return
}

// -----

func.func @clip_bounds(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{min must not exceed max}}
  %0 = nn.clip %x {min = 6.0 : f32, max = 0.0 : f32} : tensor<2x3xf32>
  return
}

// -----

func.func @identity_type(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "nn.identity"(%x) : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return
}

// -----

func.func @max_pool_rank(%x: tensor<2x7x7xf32>) {
  // expected-error @+2 {{kernel_shape must have 1 entries, has 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.max_pool %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = false} : (tensor<2x7x7xf32>) -> tensor<2x3x3xf32>
  return
}

// -----

func.func @max_pool_pads(%x: tensor<1x2x7x7xf32>) {
  // expected-error @+2 {{pads must be non-negative}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.max_pool %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: -1, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = false} : (tensor<1x2x7x7xf32>) -> tensor<1x2x3x3xf32>
  return
}

// -----

func.func @avg_pool_kernel(%x: tensor<1x2x7x7xf32>) {
  // expected-error @+2 {{kernel_shape must have 2 entries, has 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.avg_pool %x {kernel_shape = array<i64: 3, 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false, count_include_pad = false} : (tensor<1x2x7x7xf32>) -> tensor<1x2x3x3xf32>
  return
}

// -----

func.func @global_avg_pool_rank(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{expects an input of rank >= 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.global_avg_pool %x : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @batch_norm_channels(%x: tensor<1x3x2x2xf32>, %s: tensor<4xf32>) {
  // expected-error @+2 {{scale, bias, mean and variance must have shape 3, got 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.batch_norm %x, %s, %s, %s, %s {epsilon = 1.0e-5 : f32} : (tensor<1x3x2x2xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x3x2x2xf32>
  return
}

// -----

func.func @softmax_axis(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{axis 2 out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.softmax %x {axis = 2 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @reduce_mean_axes(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{axes must be distinct, normalised dims below 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.reduce_mean %x {axes = array<i64: 1, 1>, keepdims = true} : (tensor<2x3xf32>) -> tensor<2x1xf32>
  return
}

// -----

func.func @concat_shapes(%x: tensor<1x2x3xf32>, %y: tensor<1x2x4xf32>) {
  // expected-error @+2 {{input shapes 1x2x3 and 1x2x4 differ outside the axis}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.concat %x, %y {axis = 1 : i64} : (tensor<1x2x3xf32>, tensor<1x2x4xf32>) -> tensor<1x4x3xf32>
  return
}

// -----

func.func @reshape_count(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{cannot reshape 2x3 (6 elements) to 4x2 (8 elements)}}
  %0 = nn.reshape %x : (tensor<2x3xf32>) -> tensor<4x2xf32>
  return
}

// -----

func.func @flatten_axis(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{axis out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.flatten %x {axis = 3 : i64} : (tensor<2x3xf32>) -> tensor<6x1xf32>
  return
}

// -----

func.func @transpose_perm(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{perm must be a permutation of 0..1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.transpose %x {perm = array<i64: 0, 0>} : (tensor<2x3xf32>) -> tensor<2x2xf32>
  return
}

// -----

func.func @pad_count(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{pads must have 4 entries, has 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.pad %x {pads = array<i64: 1, 1>, value = 0.0 : f32} : (tensor<2x3xf32>) -> tensor<3x4xf32>
  return
}

// -----

func.func @slice_bounds(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{slice of dimension 1 is empty or out of bounds}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.slice %x {offsets = array<i64: 0, 2>, sizes = array<i64: 2, 2>, steps = array<i64: 1, 1>} : (tensor<2x3xf32>) -> tensor<2x2xf32>
  return
}

// -----

func.func @constant_type() {
  // expected-error @+1 {{value type 'tensor<2xf32>' does not match result type 'tensor<3xf32>'}}
  %0 = "nn.constant"() {value = dense<[1.0, 2.0]> : tensor<2xf32>} : () -> tensor<3xf32>
  return
}

// -----

func.func @cast_shape(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{requires the same shape for all operands and results}}
  %0 = nn.cast %x : tensor<2x3xf32> to tensor<3x2xi64>
  return
}

// -----

func.func @cast_unsigned_float(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{unsigned_input needs an integer input (not bool)}}
  %0 = nn.cast %x {unsigned_input = true} : tensor<2x3xf32> to tensor<2x3xi64>
  return
}

// -----

func.func @cast_unsigned_bool(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{unsigned_result needs an integer result (not bool)}}
  %0 = nn.cast %x {unsigned_result = true} : tensor<2x3xf32> to tensor<2x3xi1>
  return
}

// -----

func.func @max_pool_channels_last_1d(%x: tensor<1x7x2xf32>) {
  // expected-error @+2 {{channels_last expects a 2-D (NxHxWxC) input, got 1x7x2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.max_pool %x {channels_last, kernel_shape = array<i64: 3>, strides = array<i64: 1>, pads = array<i64: 0, 0>, dilations = array<i64: 1>, ceil_mode = false} : (tensor<1x7x2xf32>) -> tensor<1x5x2xf32>
  return
}
