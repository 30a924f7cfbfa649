// RUN: kiln-opt %s | kiln-opt | FileCheck %s
// The nna ops round-trip: a conv with its fused add, a depthwise conv with
// a ReLU clamp, the SDP add, max, average and global pooling.

// CHECK-LABEL: func.func @ops
// CHECK: nna.conv %{{.*}} {add = #nna.requant<a_zero = 3, a_mult = 1073741824, a_shift = 0, b_zero = -5, b_mult = 1073741824, b_shift = -1, o_mult = 1500000000, o_shift = -19, o_zero = -128, lo = -128, hi = 127>, clamp = array<i64: -128, 127>
// CHECK: nna.conv %{{.*}} {clamp = array<i64: -128, 127>, depthwise, in_zero = -128 : i64, kernel = array<i64: 3, 3>, out_zero = -128 : i64, pads = array<i64: 0, 0, 1, 1>, strides = array<i64: 2, 2>}
// CHECK: nna.add
// CHECK: nna.pool %{{.*}} {in_zero = -128 : i64, kernel = array<i64: 2, 2>, mode = "max"
// CHECK: nna.pool %{{.*}} {count_include_pad, in_zero = 7 : i64, kernel = array<i64: 3, 3>, mode = "avg"
// CHECK: nna.pool %{{.*}} {in_zero = -128 : i64, kernel = array<i64: 4, 4>, mode = "avg"
func.func @ops(%x: tensor<8x8x16xi8>, %w: tensor<32x3x3x16xi8>, %p: tensor<32x3xi32>, %b: tensor<8x8x32xi8>, %dw: tensor<32x3x3x1xi8>) -> (tensor<4x4x32xi8>, tensor<4x4x32xi8>, tensor<8x8x32xi8>, tensor<1x1x32xi8>) {
  %0 = nna.conv %x, %w, %p, %b {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, in_zero = -128 : i64, out_zero = 3 : i64, clamp = array<i64: -128, 127>, add = #nna.requant<a_zero = 3, a_mult = 1073741824, a_shift = 0, b_zero = -5, b_mult = 1073741824, b_shift = -1, o_mult = 1500000000, o_shift = -19, o_zero = -128, lo = -128, hi = 127>} : (tensor<8x8x16xi8>, tensor<32x3x3x16xi8>, tensor<32x3xi32>, tensor<8x8x32xi8>) -> tensor<8x8x32xi8>
  %1 = nna.conv %0, %dw, %p {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 1, 1>, depthwise, in_zero = -128 : i64, out_zero = -128 : i64, clamp = array<i64: -128, 127>} : (tensor<8x8x32xi8>, tensor<32x3x3x1xi8>, tensor<32x3xi32>) -> tensor<4x4x32xi8>
  %2 = nna.add %0, %b {add = #nna.requant<a_zero = 3, a_mult = 1073741824, a_shift = 0, b_zero = -5, b_mult = 1073741824, b_shift = 0, o_mult = 1500000000, o_shift = -19, o_zero = -128, lo = -128, hi = 127>} : (tensor<8x8x32xi8>, tensor<8x8x32xi8>) -> tensor<8x8x32xi8>
  %3 = nna.pool %2 {mode = "max", kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, in_zero = -128 : i64} : (tensor<8x8x32xi8>) -> tensor<4x4x32xi8>
  %4 = nna.pool %2 {mode = "avg", kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 0, 0>, count_include_pad, in_zero = 7 : i64} : (tensor<8x8x32xi8>) -> tensor<4x4x32xi8>
  %5 = nna.pool %1 {mode = "avg", kernel = array<i64: 4, 4>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, in_zero = -128 : i64} : (tensor<4x4x32xi8>) -> tensor<1x1x32xi8>
  return %3, %4, %2, %5 : tensor<4x4x32xi8>, tensor<4x4x32xi8>, tensor<8x8x32xi8>, tensor<1x1x32xi8>
}
