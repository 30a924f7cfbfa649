// RUN: kiln-opt %s -split-input-file | FileCheck %s
// Round trip of the elementwise nn ops of NNElementwiseOps.td; the printed
// form must parse back unchanged.
// RUN: kiln-opt %s -split-input-file | kiln-opt -split-input-file | FileCheck %s
// CHECK-LABEL: func @abs
func.func @abs(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: nn.abs %{{.*}} : tensor<2x3xf32>
  %0 = nn.abs %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @neg
func.func @neg(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: nn.neg %{{.*}} : tensor<2x3xf32>
  %0 = nn.neg %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @ceil
func.func @ceil(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: nn.ceil %{{.*}} : tensor<2x3xf32>
  %0 = nn.ceil %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @floor
func.func @floor(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: nn.floor %{{.*}} : tensor<2x3xf32>
  %0 = nn.floor %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @round
func.func @round(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: nn.round %{{.*}} : tensor<2x3xf32>
  %0 = nn.round %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @exp
func.func @exp(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: nn.exp %{{.*}} : tensor<2x3xf32>
  %0 = nn.exp %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @log
func.func @log(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: nn.log %{{.*}} : tensor<2x3xf32>
  %0 = nn.log %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @sqrt
func.func @sqrt(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: nn.sqrt %{{.*}} : tensor<2x3xf32>
  %0 = nn.sqrt %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @reciprocal
func.func @reciprocal(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: nn.reciprocal %{{.*}} : tensor<2x3xf32>
  %0 = nn.reciprocal %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @erf
func.func @erf(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: nn.erf %{{.*}} : tensor<2x3xf32>
  %0 = nn.erf %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @tanh
func.func @tanh(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: nn.tanh %{{.*}} : tensor<2x3xf32>
  %0 = nn.tanh %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @sign
func.func @sign(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: nn.sign %{{.*}} : tensor<2x3xf32>
  %0 = nn.sign %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @softplus
func.func @softplus(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: nn.softplus %{{.*}} : tensor<2x3xf32>
  %0 = nn.softplus %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @softsign
func.func @softsign(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: nn.softsign %{{.*}} : tensor<2x3xf32>
  %0 = nn.softsign %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @sin
func.func @sin(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: nn.sin %{{.*}} : tensor<2x3xf32>
  %0 = nn.sin %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @cos
func.func @cos(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: nn.cos %{{.*}} : tensor<2x3xf32>
  %0 = nn.cos %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @tan
func.func @tan(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: nn.tan %{{.*}} : tensor<2x3xf32>
  %0 = nn.tan %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @asin
func.func @asin(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: nn.asin %{{.*}} : tensor<2x3xf32>
  %0 = nn.asin %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @acos
func.func @acos(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: nn.acos %{{.*}} : tensor<2x3xf32>
  %0 = nn.acos %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @atan
func.func @atan(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: nn.atan %{{.*}} : tensor<2x3xf32>
  %0 = nn.atan %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @sinh
func.func @sinh(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: nn.sinh %{{.*}} : tensor<2x3xf32>
  %0 = nn.sinh %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @cosh
func.func @cosh(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: nn.cosh %{{.*}} : tensor<2x3xf32>
  %0 = nn.cosh %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @asinh
func.func @asinh(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: nn.asinh %{{.*}} : tensor<2x3xf32>
  %0 = nn.asinh %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @acosh
func.func @acosh(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: nn.acosh %{{.*}} : tensor<2x3xf32>
  %0 = nn.acosh %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @atanh
func.func @atanh(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: nn.atanh %{{.*}} : tensor<2x3xf32>
  %0 = nn.atanh %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @elu
func.func @elu(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: nn.elu %{{.*}} {alpha = 1.000000e+00 : f32} : tensor<2x3xf32>
  %0 = nn.elu %x {alpha = 1.000000e+00 : f32} : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @celu
func.func @celu(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: nn.celu %{{.*}} {alpha = 2.000000e+00 : f32} : tensor<2x3xf32>
  %0 = nn.celu %x {alpha = 2.000000e+00 : f32} : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @selu
func.func @selu(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: nn.selu %{{.*}} {alpha = 1.500000e+00 : f32, gamma = 2.000000e+00 : f32} : tensor<2x3xf32>
  %0 = nn.selu %x {alpha = 1.500000e+00 : f32, gamma = 2.000000e+00 : f32} : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @thresholded_relu
func.func @thresholded_relu(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: nn.thresholded_relu %{{.*}} {alpha = 1.000000e+00 : f32} : tensor<2x3xf32>
  %0 = nn.thresholded_relu %x {alpha = 1.000000e+00 : f32} : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @shrink
func.func @shrink(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: nn.shrink %{{.*}} {bias = 1.000000e+00 : f32, lambd = 5.000000e-01 : f32} : tensor<2x3xf32>
  %0 = nn.shrink %x {bias = 1.000000e+00 : f32, lambd = 5.000000e-01 : f32} : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @is_nan_is_inf
func.func @is_nan_is_inf(%x: tensor<2x3xf32>) -> (tensor<2x3xi1>, tensor<2x3xi1>) {
  // CHECK: nn.is_nan %{{.*}} : (tensor<2x3xf32>) -> tensor<2x3xi1>
  // CHECK: nn.is_inf %{{.*}} {detect_negative = false, detect_positive = true} : (tensor<2x3xf32>) -> tensor<2x3xi1>
  %0 = nn.is_nan %x : (tensor<2x3xf32>) -> tensor<2x3xi1>
  %1 = nn.is_inf %x {detect_positive = true, detect_negative = false} : (tensor<2x3xf32>) -> tensor<2x3xi1>
  return %0, %1 : tensor<2x3xi1>, tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @max
func.func @max(%a: tensor<2x3xi64>, %b: tensor<3xi64>) -> tensor<2x3xi64> {
  // CHECK: nn.max %{{.*}}, %{{.*}} : (tensor<2x3xi64>, tensor<3xi64>) -> tensor<2x3xi64>
  %0 = nn.max %a, %b : (tensor<2x3xi64>, tensor<3xi64>) -> tensor<2x3xi64>
  return %0 : tensor<2x3xi64>
}

// -----

// CHECK-LABEL: func @min
func.func @min(%a: tensor<2x3xi64>, %b: tensor<3xi64>) -> tensor<2x3xi64> {
  // CHECK: nn.min %{{.*}}, %{{.*}} : (tensor<2x3xi64>, tensor<3xi64>) -> tensor<2x3xi64>
  %0 = nn.min %a, %b : (tensor<2x3xi64>, tensor<3xi64>) -> tensor<2x3xi64>
  return %0 : tensor<2x3xi64>
}

// -----

// CHECK-LABEL: func @pow
func.func @pow(%a: tensor<2x3xf32>, %b: tensor<3xi64>, %c: tensor<f32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  // CHECK: nn.pow %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<3xi64>) -> tensor<2x3xf32>
  // CHECK: nn.pow %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  %0 = nn.pow %a, %b : (tensor<2x3xf32>, tensor<3xi64>) -> tensor<2x3xf32>
  %1 = nn.pow %a, %c : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  return %0, %1 : tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @pow_int
func.func @pow_int(%a: tensor<3xi32>, %b: tensor<3xf32>) -> tensor<3xi32> {
  // CHECK: nn.pow %{{.*}}, %{{.*}} : (tensor<3xi32>, tensor<3xf32>) -> tensor<3xi32>
  %0 = nn.pow %a, %b : (tensor<3xi32>, tensor<3xf32>) -> tensor<3xi32>
  return %0 : tensor<3xi32>
}

// -----

// CHECK-LABEL: func @mod
func.func @mod(%a: tensor<2x3xi64>, %b: tensor<3xi64>) -> tensor<2x3xi64> {
  // CHECK: nn.mod %{{.*}}, %{{.*}} {fmod = true} : (tensor<2x3xi64>, tensor<3xi64>) -> tensor<2x3xi64>
  %0 = nn.mod %a, %b {fmod = true} : (tensor<2x3xi64>, tensor<3xi64>) -> tensor<2x3xi64>
  return %0 : tensor<2x3xi64>
}

// -----

// CHECK-LABEL: func @prelu
func.func @prelu(%x: tensor<1x4x3x3xf32>, %s: tensor<4x1x1xf32>) -> tensor<1x4x3x3xf32> {
  // CHECK: nn.prelu %{{.*}}, %{{.*}} : (tensor<1x4x3x3xf32>, tensor<4x1x1xf32>) -> tensor<1x4x3x3xf32>
  %0 = nn.prelu %x, %s : (tensor<1x4x3x3xf32>, tensor<4x1x1xf32>) -> tensor<1x4x3x3xf32>
  return %0 : tensor<1x4x3x3xf32>
}

// -----

// CHECK-LABEL: func @equal
func.func @equal(%a: tensor<2x3xf32>, %b: tensor<2x1xf32>) -> tensor<2x3xi1> {
  // CHECK: nn.equal %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<2x1xf32>) -> tensor<2x3xi1>
  %0 = nn.equal %a, %b : (tensor<2x3xf32>, tensor<2x1xf32>) -> tensor<2x3xi1>
  return %0 : tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @greater
func.func @greater(%a: tensor<2x3xf32>, %b: tensor<2x1xf32>) -> tensor<2x3xi1> {
  // CHECK: nn.greater %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<2x1xf32>) -> tensor<2x3xi1>
  %0 = nn.greater %a, %b : (tensor<2x3xf32>, tensor<2x1xf32>) -> tensor<2x3xi1>
  return %0 : tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @greater_equal
func.func @greater_equal(%a: tensor<2x3xf32>, %b: tensor<2x1xf32>) -> tensor<2x3xi1> {
  // CHECK: nn.greater_equal %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<2x1xf32>) -> tensor<2x3xi1>
  %0 = nn.greater_equal %a, %b : (tensor<2x3xf32>, tensor<2x1xf32>) -> tensor<2x3xi1>
  return %0 : tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @less
func.func @less(%a: tensor<2x3xf32>, %b: tensor<2x1xf32>) -> tensor<2x3xi1> {
  // CHECK: nn.less %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<2x1xf32>) -> tensor<2x3xi1>
  %0 = nn.less %a, %b : (tensor<2x3xf32>, tensor<2x1xf32>) -> tensor<2x3xi1>
  return %0 : tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @less_equal
func.func @less_equal(%a: tensor<2x3xf32>, %b: tensor<2x1xf32>) -> tensor<2x3xi1> {
  // CHECK: nn.less_equal %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<2x1xf32>) -> tensor<2x3xi1>
  %0 = nn.less_equal %a, %b : (tensor<2x3xf32>, tensor<2x1xf32>) -> tensor<2x3xi1>
  return %0 : tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @and
func.func @and(%a: tensor<2x3xi1>, %b: tensor<3xi1>) -> tensor<2x3xi1> {
  // CHECK: nn.and %{{.*}}, %{{.*}} : (tensor<2x3xi1>, tensor<3xi1>) -> tensor<2x3xi1>
  %0 = nn.and %a, %b : (tensor<2x3xi1>, tensor<3xi1>) -> tensor<2x3xi1>
  return %0 : tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @or
func.func @or(%a: tensor<2x3xi1>, %b: tensor<3xi1>) -> tensor<2x3xi1> {
  // CHECK: nn.or %{{.*}}, %{{.*}} : (tensor<2x3xi1>, tensor<3xi1>) -> tensor<2x3xi1>
  %0 = nn.or %a, %b : (tensor<2x3xi1>, tensor<3xi1>) -> tensor<2x3xi1>
  return %0 : tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @xor
func.func @xor(%a: tensor<2x3xi1>, %b: tensor<3xi1>) -> tensor<2x3xi1> {
  // CHECK: nn.xor %{{.*}}, %{{.*}} : (tensor<2x3xi1>, tensor<3xi1>) -> tensor<2x3xi1>
  %0 = nn.xor %a, %b : (tensor<2x3xi1>, tensor<3xi1>) -> tensor<2x3xi1>
  return %0 : tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @not
func.func @not(%a: tensor<2x3xi1>) -> tensor<2x3xi1> {
  // CHECK: nn.not %{{.*}} : tensor<2x3xi1>
  %0 = nn.not %a : tensor<2x3xi1>
  return %0 : tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @where
func.func @where(%c: tensor<2x1xi1>, %a: tensor<3xi64>, %b: tensor<i64>) -> tensor<2x3xi64> {
  // CHECK: nn.where %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x1xi1>, tensor<3xi64>, tensor<i64>) -> tensor<2x3xi64>
  %0 = nn.where %c, %a, %b : (tensor<2x1xi1>, tensor<3xi64>, tensor<i64>) -> tensor<2x3xi64>
  return %0 : tensor<2x3xi64>
}
