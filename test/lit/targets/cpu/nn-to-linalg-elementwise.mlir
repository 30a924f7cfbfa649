// RUN: kiln-opt %s -split-input-file -convert-nn-to-linalg | FileCheck %s
// nn -> linalg for the ops of NNElementwiseOps.td: one linalg.generic each,
// with the body checked.

// CHECK-LABEL: func @abs
// CHECK: linalg.generic
// CHECK: math.absf
func.func @abs(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.abs %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @neg
// CHECK: linalg.generic
// CHECK: arith.negf
func.func @neg(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.neg %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Rounding goes through an integer conversion, not math.floor/ceil/round
// (libm calls on x86-64 without SSE4.1).
// CHECK-LABEL: func @floor
// CHECK: linalg.generic
// CHECK: %[[ABS:.*]] = math.absf
// CHECK: arith.cmpf olt, %[[ABS]], %{{.*}}
// CHECK: %[[I:.*]] = arith.fptosi %{{.*}} : f32 to i32
// CHECK: %[[T:.*]] = arith.sitofp %[[I]] : i32 to f32
// CHECK: math.copysign %[[T]]
// CHECK: arith.cmpf ogt
// CHECK: arith.subf
// CHECK-NOT: math.floor
func.func @floor(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.floor %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @ceil
// CHECK: linalg.generic
// CHECK: arith.fptosi
// CHECK: arith.cmpf olt
// CHECK: arith.addf
// CHECK: math.copysign
func.func @ceil(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.ceil %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @round
// CHECK: linalg.generic
// CHECK: arith.fptosi
// CHECK: arith.subf
// CHECK: arith.cmpf ogt
// CHECK: arith.cmpf oeq
// CHECK: arith.trunci %{{.*}} : i32 to i1
// CHECK: arith.ori
func.func @round(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.round %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @exp
// CHECK: linalg.generic
// CHECK: math.exp
func.func @exp(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.exp %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @log
// CHECK: linalg.generic
// CHECK: math.log
func.func @log(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.log %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @sqrt
// CHECK: linalg.generic
// CHECK: math.sqrt
func.func @sqrt(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.sqrt %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @erf
// CHECK: linalg.generic
// CHECK: math.erf
func.func @erf(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.erf %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @tanh
// CHECK: linalg.generic
// CHECK: math.tanh
func.func @tanh(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.tanh %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @sin
// CHECK: linalg.generic
// CHECK: math.sin
func.func @sin(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.sin %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @cos
// CHECK: linalg.generic
// CHECK: math.cos
func.func @cos(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.cos %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @tan
// CHECK: linalg.generic
// CHECK: math.tan
func.func @tan(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.tan %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @asin
// CHECK: linalg.generic
// CHECK: math.asin
func.func @asin(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.asin %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @acos
// CHECK: linalg.generic
// CHECK: math.acos
func.func @acos(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.acos %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @atan
// CHECK: linalg.generic
// CHECK: math.atan
func.func @atan(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.atan %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @sinh
// CHECK: linalg.generic
// CHECK: math.sinh
func.func @sinh(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.sinh %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @cosh
// CHECK: linalg.generic
// CHECK: math.cosh
func.func @cosh(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.cosh %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @asinh
// CHECK: linalg.generic
// CHECK: math.asinh
func.func @asinh(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.asinh %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @acosh
// CHECK: linalg.generic
// CHECK: math.acosh
func.func @acosh(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.acosh %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @atanh
// CHECK: linalg.generic
// CHECK: math.atanh
func.func @atanh(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.atanh %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @reciprocal
// CHECK: linalg.generic
// CHECK: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: arith.divf %[[ONE]], %{{.*}}
func.func @reciprocal(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.reciprocal %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @sign
// CHECK: linalg.generic
// CHECK: arith.cmpf ogt
// CHECK: arith.select
// CHECK: arith.cmpf olt
// CHECK: arith.select
func.func @sign(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.sign %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @softplus
// CHECK: linalg.generic
// CHECK: math.absf
// CHECK: math.exp
// CHECK: arith.maximumf
// CHECK: math.log1p
// CHECK: arith.addf
func.func @softplus(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.softplus %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @softsign
// CHECK: linalg.generic
// CHECK: math.absf
// CHECK: arith.addf
// CHECK: arith.divf
func.func @softsign(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.softsign %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @elu
// CHECK: linalg.generic
// CHECK: arith.constant 2.000000e+00 : f32
// CHECK: math.exp
// CHECK: arith.cmpf olt
// CHECK: arith.select
func.func @elu(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.elu %x {alpha = 2.0 : f32} : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @celu
// CHECK: linalg.generic
// CHECK: arith.divf
// CHECK: math.exp
// CHECK: arith.maximumf
// CHECK: arith.minimumf
// CHECK: arith.addf
func.func @celu(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.celu %x {alpha = 2.0 : f32} : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @selu
// CHECK: linalg.generic
// CHECK: math.exp
// CHECK: arith.cmpf ogt
// CHECK: arith.select
// CHECK: arith.constant 3.000000e+00 : f32
// CHECK: arith.mulf
func.func @selu(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.selu %x {alpha = 2.0 : f32, gamma = 3.0 : f32} : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @thresholded_relu
// CHECK: linalg.generic
// CHECK: arith.constant 1.500000e+00 : f32
// CHECK: arith.cmpf ogt
// CHECK: arith.select
func.func @thresholded_relu(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.thresholded_relu %x {alpha = 1.5 : f32} : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @shrink
// CHECK: linalg.generic
// CHECK: arith.constant -5.000000e-01 : f32
// CHECK: arith.cmpf olt
// CHECK: arith.cmpf ogt
// CHECK: arith.subf
// CHECK: arith.select
// CHECK: arith.addf
// CHECK: arith.select
func.func @shrink(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.shrink %x {lambd = 0.5 : f32, bias = 1.0 : f32} : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @is_nan
// CHECK: linalg.generic
// CHECK: arith.cmpf uno
// CHECK: linalg.yield %{{.*}} : i1
func.func @is_nan(%x: tensor<2x3xf32>) -> tensor<2x3xi1> {
  %0 = nn.is_nan %x : (tensor<2x3xf32>) -> tensor<2x3xi1>
  return %0 : tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @is_inf
// CHECK: linalg.generic
// CHECK: arith.constant 0xFF800000 : f32
// CHECK: arith.cmpf oeq
// CHECK: arith.ori
func.func @is_inf(%x: tensor<2x3xf32>) -> tensor<2x3xi1> {
  %0 = nn.is_inf %x {detect_positive = false, detect_negative = true} : (tensor<2x3xf32>) -> tensor<2x3xi1>
  return %0 : tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @not
// CHECK: linalg.generic
// CHECK: %[[TRUE:.*]] = arith.constant true
// CHECK: arith.xori %{{.*}}, %[[TRUE]] : i1
func.func @not(%x: tensor<2x3xi1>) -> tensor<2x3xi1> {
  %0 = nn.not %x : tensor<2x3xi1>
  return %0 : tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @max_float
// CHECK: linalg.generic
// CHECK: arith.maximumf
func.func @max_float(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x3xf32> {
  %0 = nn.max %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @max_int
// CHECK: linalg.generic
// CHECK: arith.maxsi
func.func @max_int(%a: tensor<2x3xi64>, %b: tensor<2x3xi64>) -> tensor<2x3xi64> {
  %0 = nn.max %a, %b : (tensor<2x3xi64>, tensor<2x3xi64>) -> tensor<2x3xi64>
  return %0 : tensor<2x3xi64>
}

// -----

// CHECK-LABEL: func @min_float
// CHECK: linalg.generic
// CHECK: arith.minimumf
func.func @min_float(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.min %a, %b : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @min_int
// CHECK: linalg.generic
// CHECK: arith.minsi
func.func @min_int(%a: tensor<3xi32>, %b: tensor<3xi32>) -> tensor<3xi32> {
  %0 = nn.min %a, %b : (tensor<3xi32>, tensor<3xi32>) -> tensor<3xi32>
  return %0 : tensor<3xi32>
}

// -----

// CHECK-LABEL: func @pow_float
// CHECK: linalg.generic
// CHECK: math.absf
// CHECK: math.log
// CHECK: arith.mulf
// CHECK: math.exp
// CHECK: arith.negf
// CHECK: arith.select
func.func @pow_float(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.pow %a, %b : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @pow_float_int
// CHECK: linalg.generic
// CHECK: arith.sitofp %{{.*}} : i64 to f32
// CHECK: math.exp
func.func @pow_float_int(%a: tensor<2x3xf32>, %b: tensor<3xi64>) -> tensor<2x3xf32> {
  %0 = nn.pow %a, %b : (tensor<2x3xf32>, tensor<3xi64>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// The exponent's bits are walked at its own width (no bit of an i64
// exponent is lost to an i32 base).
// CHECK-LABEL: func @pow_int
// CHECK: linalg.generic
// CHECK-NOT: arith.trunci %{{.*}} : i64 to i32
// CHECK: arith.muli %{{.*}} : i32
// CHECK: arith.shrui %{{.*}} : i64
// CHECK: arith.cmpi slt, %{{.*}} : i64
// CHECK: arith.select
func.func @pow_int(%a: tensor<3xi32>, %b: tensor<3xi64>) -> tensor<3xi32> {
  %0 = nn.pow %a, %b : (tensor<3xi32>, tensor<3xi64>) -> tensor<3xi32>
  return %0 : tensor<3xi32>
}

// -----

// CHECK-LABEL: func @mod_python
// CHECK: linalg.generic
// CHECK: arith.remsi
// CHECK: arith.xori
// CHECK: arith.addi
// CHECK: arith.select
func.func @mod_python(%a: tensor<3xi32>, %b: tensor<3xi32>) -> tensor<3xi32> {
  %0 = nn.mod %a, %b {fmod = false} : (tensor<3xi32>, tensor<3xi32>) -> tensor<3xi32>
  return %0 : tensor<3xi32>
}

// -----

// CHECK-LABEL: func @mod_fmod
// CHECK: linalg.generic
// CHECK: %[[R:.*]] = arith.remsi
// CHECK: linalg.yield %[[R]] : i64
func.func @mod_fmod(%a: tensor<3xi64>, %b: tensor<3xi64>) -> tensor<3xi64> {
  %0 = nn.mod %a, %b {fmod = true} : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  return %0 : tensor<3xi64>
}

// -----

// The slope is read broadcast (per channel here).
// CHECK: #[[SLOPE:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, 0, 0)>
// CHECK-LABEL: func @prelu
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[SLOPE]], #{{.*}}]
// CHECK: arith.mulf
// CHECK: arith.cmpf olt
// CHECK: arith.select
func.func @prelu(%x: tensor<1x4x3x3xf32>, %s: tensor<4x1x1xf32>) -> tensor<1x4x3x3xf32> {
  %0 = nn.prelu %x, %s : (tensor<1x4x3x3xf32>, tensor<4x1x1xf32>) -> tensor<1x4x3x3xf32>
  return %0 : tensor<1x4x3x3xf32>
}

// -----

// CHECK-LABEL: func @equal_float
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<2x3xi1>)
// CHECK: arith.cmpf oeq
func.func @equal_float(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x3xi1> {
  %0 = nn.equal %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  return %0 : tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @equal_int
// CHECK: linalg.generic
// CHECK: arith.cmpi eq
func.func @equal_int(%a: tensor<2x3xi64>, %b: tensor<2x3xi64>) -> tensor<2x3xi1> {
  %0 = nn.equal %a, %b : (tensor<2x3xi64>, tensor<2x3xi64>) -> tensor<2x3xi1>
  return %0 : tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @greater_float
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<2x3xi1>)
// CHECK: arith.cmpf ogt
func.func @greater_float(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x3xi1> {
  %0 = nn.greater %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  return %0 : tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @greater_int
// CHECK: linalg.generic
// CHECK: arith.cmpi sgt
func.func @greater_int(%a: tensor<2x3xi64>, %b: tensor<2x3xi64>) -> tensor<2x3xi1> {
  %0 = nn.greater %a, %b : (tensor<2x3xi64>, tensor<2x3xi64>) -> tensor<2x3xi1>
  return %0 : tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @greater_equal_float
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<2x3xi1>)
// CHECK: arith.cmpf oge
func.func @greater_equal_float(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x3xi1> {
  %0 = nn.greater_equal %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  return %0 : tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @greater_equal_int
// CHECK: linalg.generic
// CHECK: arith.cmpi sge
func.func @greater_equal_int(%a: tensor<2x3xi64>, %b: tensor<2x3xi64>) -> tensor<2x3xi1> {
  %0 = nn.greater_equal %a, %b : (tensor<2x3xi64>, tensor<2x3xi64>) -> tensor<2x3xi1>
  return %0 : tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @less_float
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<2x3xi1>)
// CHECK: arith.cmpf olt
func.func @less_float(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x3xi1> {
  %0 = nn.less %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  return %0 : tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @less_int
// CHECK: linalg.generic
// CHECK: arith.cmpi slt
func.func @less_int(%a: tensor<2x3xi64>, %b: tensor<2x3xi64>) -> tensor<2x3xi1> {
  %0 = nn.less %a, %b : (tensor<2x3xi64>, tensor<2x3xi64>) -> tensor<2x3xi1>
  return %0 : tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @less_equal_float
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<2x3xi1>)
// CHECK: arith.cmpf ole
func.func @less_equal_float(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x3xi1> {
  %0 = nn.less_equal %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  return %0 : tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @less_equal_int
// CHECK: linalg.generic
// CHECK: arith.cmpi sle
func.func @less_equal_int(%a: tensor<2x3xi64>, %b: tensor<2x3xi64>) -> tensor<2x3xi1> {
  %0 = nn.less_equal %a, %b : (tensor<2x3xi64>, tensor<2x3xi64>) -> tensor<2x3xi1>
  return %0 : tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @and
// CHECK: linalg.generic
// CHECK: arith.andi
func.func @and(%a: tensor<2x3xi1>, %b: tensor<3xi1>) -> tensor<2x3xi1> {
  %0 = nn.and %a, %b : (tensor<2x3xi1>, tensor<3xi1>) -> tensor<2x3xi1>
  return %0 : tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @or
// CHECK: linalg.generic
// CHECK: arith.ori
func.func @or(%a: tensor<2x3xi1>, %b: tensor<3xi1>) -> tensor<2x3xi1> {
  %0 = nn.or %a, %b : (tensor<2x3xi1>, tensor<3xi1>) -> tensor<2x3xi1>
  return %0 : tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @xor
// CHECK: linalg.generic
// CHECK: arith.xori
func.func @xor(%a: tensor<2x3xi1>, %b: tensor<3xi1>) -> tensor<2x3xi1> {
  %0 = nn.xor %a, %b : (tensor<2x3xi1>, tensor<3xi1>) -> tensor<2x3xi1>
  return %0 : tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @where
// CHECK: linalg.generic
// CHECK: ^bb0(%[[C:.*]]: i1, %[[A:.*]]: i64, %[[B:.*]]: i64, %{{.*}}: i64)
// CHECK: arith.select %[[C]], %[[A]], %[[B]] : i64
func.func @where(%c: tensor<2x1xi1>, %a: tensor<3xi64>, %b: tensor<i64>) -> tensor<2x3xi64> {
  %0 = nn.where %c, %a, %b : (tensor<2x1xi1>, tensor<3xi64>, tensor<i64>) -> tensor<2x3xi64>
  return %0 : tensor<2x3xi64>
}

// -----

// An unsigned exponent converts as unsigned, and is never negative.
// CHECK-LABEL: func @pow_unsigned_exponent
// CHECK: arith.uitofp %{{.*}} : i64 to f32
// CHECK: math.exp
func.func @pow_unsigned_exponent(%a: tensor<3xf32>, %b: tensor<3xi64>) -> tensor<3xf32> {
  %0 = nn.pow %a, %b {unsigned_exponent = true} : (tensor<3xf32>, tensor<3xi64>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// CHECK-LABEL: func @pow_int_unsigned_exponent
// CHECK: arith.shrui %{{.*}} : i32
// CHECK-NOT: arith.cmpi slt
// CHECK: linalg.yield
func.func @pow_int_unsigned_exponent(%a: tensor<3xi64>, %b: tensor<3xi32>) -> tensor<3xi64> {
  %0 = nn.pow %a, %b {unsigned_exponent = true} : (tensor<3xi64>, tensor<3xi32>) -> tensor<3xi64>
  return %0 : tensor<3xi64>
}

// -----

// CHECK-LABEL: func @max_min_unsigned
// CHECK: arith.maxui %{{.*}} : i32
// CHECK: arith.minui %{{.*}} : i32
// CHECK-LABEL: func @max_signed
// CHECK: arith.maxsi %{{.*}} : i16
func.func @max_min_unsigned(%a: tensor<3xi32>, %b: tensor<3xi32>) -> tensor<3xi32> {
  %0 = nn.max %a, %b {is_unsigned = true} : (tensor<3xi32>, tensor<3xi32>) -> tensor<3xi32>
  %1 = nn.min %0, %b {is_unsigned = true} : (tensor<3xi32>, tensor<3xi32>) -> tensor<3xi32>
  return %1 : tensor<3xi32>
}
func.func @max_signed(%a: tensor<3xi16>, %b: tensor<3xi16>) -> tensor<3xi16> {
  %0 = nn.max %a, %b : (tensor<3xi16>, tensor<3xi16>) -> tensor<3xi16>
  return %0 : tensor<3xi16>
}
