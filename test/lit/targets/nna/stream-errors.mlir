// RUN: kiln-opt %s -split-input-file -verify-diagnostics -kiln-nna-stream -o /dev/null
// What the stream builder refuses: ops whose smallest tile (one output row,
// one channel) does not fit the configuration, and segments that hold more
// than nna ops.

// Eleven input rows of 30000 pixels (330000 bytes) for one output row.
func.func @main(%x: tensor<11x30000x1xi8>) -> tensor<1x14995x1xi8> {
  %w = nn.constant dense<1> : tensor<1x11x11x1xi8>
  %p = nn.constant dense<0> : tensor<1x3xi32>
  // expected-error @+1 {{'nna.conv' op cannot be split to fit the small configuration: one output row of one output channel and one input channel needs 345184 bytes of SRAM, which holds 262144}}
  %y = nna.conv %x, %w, %p {kernel = array<i64: 11, 11>, strides = array<i64: 1, 2>, pads = array<i64: 0, 0, 0, 0>, in_zero = 0 : i64, out_zero = 0 : i64, clamp = array<i64: -128, 127>} : (tensor<11x30000x1xi8>, tensor<1x11x11x1xi8>, tensor<1x3xi32>) -> tensor<1x14995x1xi8>
  return %y : tensor<1x14995x1xi8>
}

// -----

// One output row of 20000 pixels needs more accumulators than the ACC has.
func.func @main(%x: tensor<1x20000x1xi8>) -> tensor<1x20000x1xi8> {
  %w = nn.constant dense<1> : tensor<1x1x1x1xi8>
  %p = nn.constant dense<0> : tensor<1x3xi32>
  // expected-error @+1 {{'nna.conv' op cannot be split to fit the small configuration: one output row of one output channel and one input channel needs 20000 accumulators, the ACC holds 16384}}
  %y = nna.conv %x, %w, %p {kernel = array<i64: 1, 1>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, in_zero = 0 : i64, out_zero = 0 : i64, clamp = array<i64: -128, 127>} : (tensor<1x20000x1xi8>, tensor<1x1x1x1xi8>, tensor<1x3xi32>) -> tensor<1x20000x1xi8>
  return %y : tensor<1x20000x1xi8>
}

// -----

// A 16-row window over rows of 20000 bytes, and the output row.
func.func @main(%x: tensor<16x20000x1xi8>) -> tensor<1x20000x1xi8> {
  // expected-error @+1 {{'nna.pool' op cannot be split to fit the small configuration: one output row of one channel needs 340000 bytes of SRAM, which holds 262144}}
  %y = nna.pool %x {mode = "max", kernel = array<i64: 16, 1>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, in_zero = 0 : i64} : (tensor<16x20000x1xi8>) -> tensor<1x20000x1xi8>
  return %y : tensor<1x20000x1xi8>
}

// -----

func.func @main(%x: tensor<4x4x8xi8>) -> tensor<4x4x8xi8> {
  // expected-error @+1 {{kiln-nna-stream: 'arith.addi' is not an nna op}}
  %y = arith.addi %x, %x : tensor<4x4x8xi8>
  return %y : tensor<4x4x8xi8>
}

// -----

func.func @main(%x: tensor<4x4x8xi8>) -> tensor<4x4x8xi8> {
  %w = nn.constant dense<1> : tensor<8x1x1x8xi8>
  %p = nn.constant dense<0> : tensor<8x3xi32>
  // expected-error @+1 {{kiln-nna-stream: the add's a_zero 1 differs from out_zero 0 (the fused add reads the requantised result)}}
  %y = nna.conv %x, %w, %p, %x {kernel = array<i64: 1, 1>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, in_zero = 0 : i64, out_zero = 0 : i64, clamp = array<i64: -128, 127>, add = #nna.requant<a_zero = 1, a_mult = 1073741824, a_shift = 0, b_zero = 0, b_mult = 1073741824, b_shift = 0, o_mult = 1073741824, o_shift = -20, o_zero = 0, lo = -128, hi = 127>} : (tensor<4x4x8xi8>, tensor<8x1x1x8xi8>, tensor<8x3xi32>, tensor<4x4x8xi8>) -> tensor<4x4x8xi8>
  return %y : tensor<4x4x8xi8>
}

// -----

// Weights come from the stream's constants, never from an argument.
// expected-error @+1 {{kiln-nna-stream: argument 1 'tensor<8x1x1x8xi8>' is not an int8 HxWxC cube}}
func.func @main(%x: tensor<4x4x8xi8>, %w: tensor<8x1x1x8xi8>) -> tensor<4x4x8xi8> {
  %p = nn.constant dense<0> : tensor<8x3xi32>
  %y = nna.conv %x, %w, %p {kernel = array<i64: 1, 1>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, in_zero = 0 : i64, out_zero = 0 : i64, clamp = array<i64: -128, 127>} : (tensor<4x4x8xi8>, tensor<8x1x1x8xi8>, tensor<8x3xi32>) -> tensor<4x4x8xi8>
  return %y : tensor<4x4x8xi8>
}
