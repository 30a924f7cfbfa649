// RUN: kiln-opt %s -split-input-file -kiln-expand-narrow-floats | FileCheck %s
// f16/bf16 conversions become integer code on the bits (no fpext/fptrunc of
// half or bfloat left for LLVM to turn into runtime-library calls);
// test/lit/targets/cpu/run-narrow-floats.test checks the numbers.

// Extension: rebias normal numbers (f16: +112), scale subnormals by the
// smallest subnormal (f16: 2^-24), keep inf/NaN; f64 goes through f32.
// CHECK-LABEL: func @ext
// CHECK-DAG: %[[SUB:.*]] = arith.constant 5.96046448E-8 : f32
// CHECK-DAG: %[[REBIAS:.*]] = arith.constant 112 : i32
// CHECK: arith.bitcast %{{.*}} : f16 to i16
// CHECK: arith.addi %{{.*}}, %[[REBIAS]] : i32
// CHECK: arith.mulf %{{.*}}, %[[SUB]] : f32
// CHECK: arith.bitcast %{{.*}} : bf16 to i16
// CHECK: %[[F:.*]] = arith.bitcast %{{.*}} : i32 to f32
// CHECK: arith.extf %[[F]] : f32 to f64
// CHECK-NOT: arith.extf %{{.*}} : f16
// CHECK-NOT: arith.extf %{{.*}} : bf16
func.func @ext(%h: f16, %b: bf16) -> (f32, f64) {
  %0 = arith.extf %h : f16 to f32
  %1 = arith.extf %b : bf16 to f64
  return %0, %1 : f32, f64
}

// -----

// Truncation rounds to nearest even on the bits: rebias, add half an ulp
// less one plus the kept lsb, shift; below the smallest normal the FPU
// rounds (adding 0.5 for f16: its ulp is 2^-24); NaN becomes 0x7e00, the
// rest of the overflow 0x7c00. f64 is rounded once, in i64.
// CHECK-LABEL: func @trunc
// CHECK-DAG: arith.constant 5.000000e-01 : f32
// CHECK-DAG: arith.constant 32256 : i32
// CHECK-DAG: arith.constant 31744 : i32
// CHECK-DAG: arith.constant 13 : i32
// CHECK: arith.bitcast %{{.*}} : f32 to i32
// CHECK: arith.shrui
// CHECK: arith.addf %{{.*}} : f32
// CHECK: arith.cmpi ugt
// CHECK: arith.trunci %{{.*}} : i32 to i16
// CHECK: arith.bitcast %{{.*}} : i16 to f16
// CHECK: arith.bitcast %{{.*}} : f64 to i64
// CHECK: arith.addf %{{.*}} : f64
// CHECK: arith.trunci %{{.*}} : i64 to i16
// CHECK: arith.bitcast %{{.*}} : i16 to f16
// CHECK-NOT: arith.truncf
func.func @trunc(%x: f32, %d: f64) -> (f16, f16) {
  %0 = arith.truncf %x : f32 to f16
  %1 = arith.truncf %d : f64 to f16
  return %0, %1 : f16, f16
}

// -----

// bfloat16 shares f32's exponent: subnormal f32 inputs are rounded by the
// FPU with 2^-110 (ulp 2^-133); NaN becomes 0x7fc0, inf 0x7f80.
// CHECK-LABEL: func @trunc_bf16
// CHECK-DAG: arith.constant 7.70371977E-34 : f32
// CHECK-DAG: arith.constant 32704 : i32
// CHECK-DAG: arith.constant 32640 : i32
// CHECK: arith.bitcast %{{.*}} : i16 to bf16
func.func @trunc_bf16(%x: f32) -> bf16 {
  %0 = arith.truncf %x : f32 to bf16
  return %0 : bf16
}

// -----

// Vectors convert lane-wise with splat constants.
// CHECK-LABEL: func @vector
// CHECK: arith.bitcast %{{.*}} : vector<4xf16> to vector<4xi16>
// CHECK: arith.bitcast %{{.*}} : vector<4xi32> to vector<4xf32>
func.func @vector(%v: vector<4xf16>) -> vector<4xf32> {
  %0 = arith.extf %v : vector<4xf16> to vector<4xf32>
  return %0 : vector<4xf32>
}

// -----

// Other conversions stay as they are.
// CHECK-LABEL: func @untouched
// CHECK: arith.extf %{{.*}} : f32 to f64
// CHECK: arith.truncf %{{.*}} : f64 to f32
func.func @untouched(%x: f32, %d: f64) -> (f64, f32) {
  %0 = arith.extf %x : f32 to f64
  %1 = arith.truncf %d : f64 to f32
  return %0, %1 : f64, f32
}
