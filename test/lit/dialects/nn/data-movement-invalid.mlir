// RUN: kiln-opt %s -split-input-file -verify-diagnostics
// The data movement ops reject inconsistent shapes and attributes.

func.func @gather_axis(%x: tensor<5x4xf32>, %i: tensor<3xi64>) {
  // expected-error @+2 {{axis 2 out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.gather %x, %i {axis = 2 : i64} : (tensor<5x4xf32>, tensor<3xi64>) -> tensor<5x3xf32>
  return
}

// -----

func.func @gather_scalar(%x: tensor<f32>, %i: tensor<i64>) {
  // expected-error @+2 {{cannot gather from a scalar}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.gather %x, %i {axis = 0 : i64} : (tensor<f32>, tensor<i64>) -> tensor<f32>
  return
}

// -----

func.func @gather_float_indices(%x: tensor<5x4xf32>, %i: tensor<3xf32>) {
  // expected-error @+1 {{operand #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values}}
  %0 = nn.gather %x, %i {axis = 0 : i64} : (tensor<5x4xf32>, tensor<3xf32>) -> tensor<3x4xf32>
  return
}

// -----

func.func @gather_wrong_result(%x: tensor<5x4xf32>, %i: tensor<2x3xi64>) {
  // expected-error @+2 {{'nn.gather' op inferred type(s) 'tensor<2x3x4xf32>' are incompatible with return type(s) of operation 'tensor<6x4xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.gather %x, %i {axis = 0 : i64} : (tensor<5x4xf32>, tensor<2x3xi64>) -> tensor<6x4xf32>
  return
}

// -----

func.func @expand_incompatible(%x: tensor<3x2xf32>) {
  // expected-error @+2 {{cannot broadcast 3x2 to 4x3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.expand %x {shape = array<i64: 4, 3>} : (tensor<3x2xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @expand_zero(%x: tensor<3x1xf32>) {
  // expected-error @+2 {{shape 3x0 has a dimension below 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.expand %x {shape = array<i64: 3, 0>} : (tensor<3x1xf32>) -> tensor<3x1xf32>
  return
}

// -----

func.func @pad_mode(%x: tensor<4x5xf32>) {
  // expected-error @+2 {{mode must be constant, reflect or edge, got 'wrap'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.pad %x {pads = array<i64: 1, 1, 1, 1>, value = 0.0 : f32, mode = "wrap"} : (tensor<4x5xf32>) -> tensor<6x7xf32>
  return
}

// -----

func.func @pad_reflect_too_wide(%x: tensor<4x5xf32>) {
  // expected-error @+2 {{reflect pads of dimension 0 must be smaller than its size 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.pad %x {pads = array<i64: 4, 0, 0, 0>, value = 0.0 : f32, mode = "reflect"} : (tensor<4x5xf32>) -> tensor<8x5xf32>
  return
}

// -----

func.func @pad_negative(%x: tensor<4x5xf32>) {
  // expected-error @+2 {{pads must be non-negative}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.pad %x {pads = array<i64: -1, 0, 0, 0>, value = 0.0 : f32, mode = "edge"} : (tensor<4x5xf32>) -> tensor<3x5xf32>
  return
}

// -----

func.func @slice_backwards_out_of_bounds(%x: tensor<10xf32>) {
  // expected-error @+2 {{slice of dimension 0 is empty or out of bounds}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.slice %x {offsets = array<i64: 3>, sizes = array<i64: 5>, steps = array<i64: -1>} : (tensor<10xf32>) -> tensor<5xf32>
  return
}

// -----

func.func @slice_zero_step(%x: tensor<10xf32>) {
  // expected-error @+2 {{slice of dimension 0 is empty or out of bounds}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.slice %x {offsets = array<i64: 3>, sizes = array<i64: 1>, steps = array<i64: 0>} : (tensor<10xf32>) -> tensor<1xf32>
  return
}

// -----

func.func @gather_elements_rank(%x: tensor<3x3xf32>, %i: tensor<3xi64>) {
  // expected-error @+2 {{indices must have rank 2, got 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.gather_elements %x, %i {axis = 0 : i64} : (tensor<3x3xf32>, tensor<3xi64>) -> tensor<3xf32>
  return
}

// -----

func.func @gather_elements_too_wide(%x: tensor<3x3xf32>, %i: tensor<2x4xi64>) {
  // expected-error @+2 {{indices 2x4 exceed the input 3x3 in dimension 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.gather_elements %x, %i {axis = 0 : i64} : (tensor<3x3xf32>, tensor<2x4xi64>) -> tensor<2x4xf32>
  return
}

// -----

func.func @slice_empty_past_end(%x: tensor<10xf32>) {
  // expected-error @+2 {{slice of dimension 0 is empty or out of bounds}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.slice %x {offsets = array<i64: 11>, sizes = array<i64: 0>, steps = array<i64: 1>} : (tensor<10xf32>) -> tensor<0xf32>
  return
}
