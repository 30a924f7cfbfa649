// RUN: kiln-opt %s -split-input-file -verify-diagnostics
// The elementwise nn ops of NNElementwiseOps.td reject inconsistent shapes,
// element types and attributes.

func.func @max_shapes(%a: tensor<2x3xf32>, %b: tensor<2xf32>) {
  // expected-error @+2 {{shapes 2x3, 2 do not broadcast}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.max %a, %b : (tensor<2x3xf32>, tensor<2xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @min_types(%a: tensor<2xf32>, %b: tensor<2xi64>) {
  // expected-error @+2 {{operand element types differ}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.min %a, %b : (tensor<2xf32>, tensor<2xi64>) -> tensor<2xf32>
  return
}

// -----

func.func @pow_float_exponent(%a: tensor<2xf32>, %b: tensor<2xf64>) {
  // expected-error @+2 {{a floating-point exponent must have the base's element type}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.pow %a, %b : (tensor<2xf32>, tensor<2xf64>) -> tensor<2xf32>
  return
}

// -----

func.func @pow_bool_exponent(%a: tensor<2xf32>, %b: tensor<2xi1>) {
  // expected-error @+2 {{operands must not be i1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.pow %a, %b : (tensor<2xf32>, tensor<2xi1>) -> tensor<2xf32>
  return
}

// -----

func.func @prelu_slope(%x: tensor<2x3xf32>, %s: tensor<4x3xf32>) {
  // expected-error @+2 {{slope of shape 4x3 does not broadcast to the input's 2x3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.prelu %x, %s : (tensor<2x3xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @prelu_grows(%x: tensor<3xf32>, %s: tensor<2x3xf32>) {
  // expected-error @+2 {{slope of shape 2x3 does not broadcast to the input's 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.prelu %x, %s : (tensor<3xf32>, tensor<2x3xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @equal_types(%a: tensor<2xi32>, %b: tensor<2xi64>) {
  // expected-error @+2 {{operand element types differ}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.equal %a, %b : (tensor<2xi32>, tensor<2xi64>) -> tensor<2xi1>
  return
}

// -----

func.func @where_shapes(%c: tensor<4xi1>, %a: tensor<3xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{shapes 4, 3, 3 do not broadcast}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.where %c, %a, %b : (tensor<4xi1>, tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @where_types(%c: tensor<3xi1>, %a: tensor<3xf32>, %b: tensor<3xi64>) {
  // expected-error @+2 {{operand element types differ}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.where %c, %a, %b : (tensor<3xi1>, tensor<3xf32>, tensor<3xi64>) -> tensor<3xf32>
  return
}

// -----

func.func @less_wrong_result(%a: tensor<2xf32>, %b: tensor<2xf32>) {
  // expected-error @+2 {{'nn.less' op inferred type(s) 'tensor<2xi1>' are incompatible with return type(s) of operation 'tensor<3xi1>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.less %a, %b : (tensor<2xf32>, tensor<2xf32>) -> tensor<3xi1>
  return
}

// -----

func.func @and_not_bool(%a: tensor<2xi8>, %b: tensor<2xi8>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 1-bit signless integer values}}
  %0 = nn.and %a, %b : (tensor<2xi8>, tensor<2xi8>) -> tensor<2xi1>
  return
}

// -----

func.func @where_condition(%c: tensor<3xf32>, %a: tensor<3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 1-bit signless integer values}}
  %0 = nn.where %c, %a, %b : (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @exp_int(%a: tensor<3xi64>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point values}}
  %0 = nn.exp %a : tensor<3xi64>
  return
}

// -----

func.func @is_nan_int(%a: tensor<3xi32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point values}}
  %0 = nn.is_nan %a : (tensor<3xi32>) -> tensor<3xi1>
  return
}

// -----

func.func @celu_alpha(%x: tensor<3xf32>) {
  // expected-error @+1 {{'nn.celu' op alpha must not be 0}}
  %0 = nn.celu %x {alpha = 0.0 : f32} : tensor<3xf32>
  return
}

// -----

func.func @shrink_lambd(%x: tensor<3xf32>) {
  // expected-error @+1 {{'nn.shrink' op lambd must not be negative}}
  %0 = nn.shrink %x {lambd = -1.0 : f32, bias = 0.0 : f32} : tensor<3xf32>
  return
}

// -----

func.func @not_type(%a: tensor<3xi1>) {
  // expected-error @+1 {{'nn.not' op requires the same type for all operands and results}}
  %0 = "nn.not"(%a) : (tensor<3xi1>) -> tensor<4xi1>
  return
}

// -----

func.func @mod_float(%a: tensor<2xf32>, %b: tensor<2xf32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values}}
  %0 = nn.mod %a, %b {fmod = false} : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @mod_types(%a: tensor<2xi32>, %b: tensor<2xi64>) {
  // expected-error @+2 {{operand element types differ}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.mod %a, %b {fmod = false} : (tensor<2xi32>, tensor<2xi64>) -> tensor<2xi32>
  return
}
