// RUN: kiln-opt %s -split-input-file -verify-diagnostics
// Every nna op rejects what docs/nna.md forbids of its command.

func.func @conv_kernel_vs_weights(%x: tensor<8x8x16xi8>, %w: tensor<32x3x3x16xi8>, %p: tensor<32x3xi32>) {
  // expected-error @+1 {{weights are 3x3 per channel, the kernel 5x5}}
  %0 = nna.conv %x, %w, %p {kernel = array<i64: 5, 5>, strides = array<i64: 1, 1>, pads = array<i64: 2, 2, 2, 2>, in_zero = 0 : i64, out_zero = 0 : i64, clamp = array<i64: -128, 127>} : (tensor<8x8x16xi8>, tensor<32x3x3x16xi8>, tensor<32x3xi32>) -> tensor<8x8x32xi8>
  return
}

// -----

func.func @conv_channels(%x: tensor<8x8x16xi8>, %w: tensor<32x3x3x8xi8>, %p: tensor<32x3xi32>) {
  // expected-error @+1 {{weights' input channels (8, 32) do not match the input's 16 channels}}
  %0 = nna.conv %x, %w, %p {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, in_zero = 0 : i64, out_zero = 0 : i64, clamp = array<i64: -128, 127>} : (tensor<8x8x16xi8>, tensor<32x3x3x8xi8>, tensor<32x3xi32>) -> tensor<8x8x32xi8>
  return
}

// -----

func.func @conv_depthwise(%x: tensor<8x8x16xi8>, %w: tensor<32x3x3x16xi8>, %p: tensor<32x3xi32>) {
  // expected-error @+1 {{depthwise: weights need 1 input channel}}
  %0 = nna.conv %x, %w, %p {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, in_zero = 0 : i64, out_zero = 0 : i64, clamp = array<i64: -128, 127>, depthwise} : (tensor<8x8x16xi8>, tensor<32x3x3x16xi8>, tensor<32x3xi32>) -> tensor<8x8x32xi8>
  return
}

// -----

func.func @conv_result_channels(%x: tensor<8x8x16xi8>, %w: tensor<32x3x3x16xi8>, %p: tensor<32x3xi32>) {
  // expected-error @+1 {{result has 16 channels and params 32x3; the weights give 32 channels}}
  %0 = nna.conv %x, %w, %p {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, in_zero = 0 : i64, out_zero = 0 : i64, clamp = array<i64: -128, 127>} : (tensor<8x8x16xi8>, tensor<32x3x3x16xi8>, tensor<32x3xi32>) -> tensor<8x8x16xi8>
  return
}

// -----

func.func @conv_stride(%x: tensor<8x8x16xi8>, %w: tensor<32x3x3x16xi8>, %p: tensor<32x3xi32>) {
  // expected-error @+1 {{stride 5 is outside 1..4}}
  %0 = nna.conv %x, %w, %p {kernel = array<i64: 3, 3>, strides = array<i64: 5, 1>, pads = array<i64: 1, 1, 1, 1>, in_zero = 0 : i64, out_zero = 0 : i64, clamp = array<i64: -128, 127>} : (tensor<8x8x16xi8>, tensor<32x3x3x16xi8>, tensor<32x3xi32>) -> tensor<2x8x32xi8>
  return
}

// -----

func.func @conv_pad(%x: tensor<8x8x16xi8>, %w: tensor<32x3x3x16xi8>, %p: tensor<32x3xi32>) {
  // expected-error @+1 {{pad 3 is not in 0..2}}
  %0 = nna.conv %x, %w, %p {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 3, 1, 1, 1>, in_zero = 0 : i64, out_zero = 0 : i64, clamp = array<i64: -128, 127>} : (tensor<8x8x16xi8>, tensor<32x3x3x16xi8>, tensor<32x3xi32>) -> tensor<10x8x32xi8>
  return
}

// -----

func.func @conv_shape(%x: tensor<8x8x16xi8>, %w: tensor<32x3x3x16xi8>, %p: tensor<32x3xi32>) {
  // expected-error @+1 {{result dim 0 is 7, the window gives 8}}
  %0 = nna.conv %x, %w, %p {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, in_zero = 0 : i64, out_zero = 0 : i64, clamp = array<i64: -128, 127>} : (tensor<8x8x16xi8>, tensor<32x3x3x16xi8>, tensor<32x3xi32>) -> tensor<7x8x32xi8>
  return
}

// -----

func.func @conv_kernel_size(%x: tensor<8x8x16xi8>, %w: tensor<32x13x1x16xi8>, %p: tensor<32x3xi32>) {
  // expected-error @+1 {{kernel size 13 is outside 1..11}}
  %0 = nna.conv %x, %w, %p {kernel = array<i64: 13, 1>, strides = array<i64: 1, 1>, pads = array<i64: 6, 0, 6, 0>, in_zero = 0 : i64, out_zero = 0 : i64, clamp = array<i64: -128, 127>} : (tensor<8x8x16xi8>, tensor<32x13x1x16xi8>, tensor<32x3xi32>) -> tensor<8x8x32xi8>
  return
}

// -----

func.func @conv_taps(%x: tensor<8x8x1024xi8>, %w: tensor<32x11x11x1024xi8>, %p: tensor<32x3xi32>) {
  // expected-error @+1 {{has 123904 taps per output: the int32 accumulator could overflow}}
  %0 = nna.conv %x, %w, %p {kernel = array<i64: 11, 11>, strides = array<i64: 1, 1>, pads = array<i64: 5, 5, 5, 5>, in_zero = 0 : i64, out_zero = 0 : i64, clamp = array<i64: -128, 127>} : (tensor<8x8x1024xi8>, tensor<32x11x11x1024xi8>, tensor<32x3xi32>) -> tensor<8x8x32xi8>
  return
}

// -----

func.func @conv_zero(%x: tensor<8x8x16xi8>, %w: tensor<32x3x3x16xi8>, %p: tensor<32x3xi32>) {
  // expected-error @+1 {{zero points must be int8}}
  %0 = nna.conv %x, %w, %p {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, in_zero = 0 : i64, out_zero = 200 : i64, clamp = array<i64: -128, 127>} : (tensor<8x8x16xi8>, tensor<32x3x3x16xi8>, tensor<32x3xi32>) -> tensor<8x8x32xi8>
  return
}

// -----

func.func @conv_clamp(%x: tensor<8x8x16xi8>, %w: tensor<32x3x3x16xi8>, %p: tensor<32x3xi32>) {
  // expected-error @+1 {{clamp [5, 4] is not an int8 range}}
  %0 = nna.conv %x, %w, %p {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, in_zero = 0 : i64, out_zero = 0 : i64, clamp = array<i64: 5, 4>} : (tensor<8x8x16xi8>, tensor<32x3x3x16xi8>, tensor<32x3xi32>) -> tensor<8x8x32xi8>
  return
}

// -----

func.func @conv_addend(%x: tensor<8x8x16xi8>, %w: tensor<32x3x3x16xi8>, %p: tensor<32x3xi32>, %b: tensor<8x8x32xi8>) {
  // expected-error @+1 {{needs both an addend and add parameters, or neither}}
  %0 = nna.conv %x, %w, %p, %b {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, in_zero = 0 : i64, out_zero = 0 : i64, clamp = array<i64: -128, 127>} : (tensor<8x8x16xi8>, tensor<32x3x3x16xi8>, tensor<32x3xi32>, tensor<8x8x32xi8>) -> tensor<8x8x32xi8>
  return
}

// -----

func.func @requant_shift(%a: tensor<8x8x32xi8>, %b: tensor<8x8x32xi8>) {
  // expected-error @+1 {{shift 31 is outside -31..30}}
  %0 = nna.add %a, %b {add = #nna.requant<a_zero = 0, a_mult = 1, a_shift = 31, b_zero = 0, b_mult = 1, b_shift = 0, o_mult = 1, o_shift = 0, o_zero = 0, lo = -128, hi = 127>} : (tensor<8x8x32xi8>, tensor<8x8x32xi8>) -> tensor<8x8x32xi8>
  return
}

// -----

func.func @add_types(%a: tensor<8x8x32xi8>, %b: tensor<8x8x16xi8>) {
  // expected-error @+1 {{operands and result must have one type}}
  %0 = nna.add %a, %b {add = #nna.requant<a_zero = 0, a_mult = 1, a_shift = 0, b_zero = 0, b_mult = 1, b_shift = 0, o_mult = 1, o_shift = 0, o_zero = 0, lo = -128, hi = 127>} : (tensor<8x8x32xi8>, tensor<8x8x16xi8>) -> tensor<8x8x32xi8>
  return
}

// -----

func.func @pool_mode(%x: tensor<8x8x32xi8>) {
  // expected-error @+1 {{mode 'min' is not max or avg}}
  %0 = nna.pool %x {mode = "min", kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, in_zero = 0 : i64} : (tensor<8x8x32xi8>) -> tensor<4x4x32xi8>
  return
}

// -----

func.func @pool_channels(%x: tensor<8x8x32xi8>) {
  // expected-error @+1 {{changes the channel count}}
  %0 = nna.pool %x {mode = "max", kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, in_zero = 0 : i64} : (tensor<8x8x32xi8>) -> tensor<4x4x16xi8>
  return
}

// -----

func.func @pool_kernel(%x: tensor<40x8x32xi8>) {
  // expected-error @+1 {{kernel size 17 is outside 1..16}}
  %0 = nna.pool %x {mode = "max", kernel = array<i64: 17, 1>, strides = array<i64: 2, 2>, pads = array<i64: 8, 0, 8, 0>, in_zero = 0 : i64} : (tensor<40x8x32xi8>) -> tensor<4x4x32xi8>
  return
}
