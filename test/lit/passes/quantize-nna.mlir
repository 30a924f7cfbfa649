// RUN: kiln-opt %s -split-input-file -kiln-quantize-nna | FileCheck %s
// Post-training int8 for the NNA from calibrated ranges (kiln.range).

// The input (range [-1, 1]: scale 2/255, zero round(-128 + 127.5) = -1) is
// quantised once by the CPU, after NCHW -> HxWxC, and read twice: by the
// conv and by the add fused into it. Conv weights are symmetric per output
// channel (channel 0: [0.5, -0.25] / (0.5/127) = [127, -63.5 -> -64]); the
// bias 0.1 / (2/255 * 0.5/127) = 3239.3; the requantisation to the ReLU's
// range [0, 1.5] (zero -128) multiplies by 0.00525 = 0.672 * 2^-7. The
// global average pool keeps the add's quantisation; the gemm on its
// flattened 1x1x2 cube is a 1x1 conv; softmax stays float, after a
// dequantisation.
// CHECK-LABEL: func.func @main
// CHECK:      %[[T:.*]] = nn.transpose %arg0 {perm = array<i64: 0, 2, 3, 1>}
// CHECK-NEXT: %[[R:.*]] = nn.reshape %[[T]] : (tensor<1x4x4x2xf32>) -> tensor<4x4x2xf32>
// CHECK-NEXT: %[[S:.*]] = nn.constant dense<0.00784313772> : tensor<f32>
// CHECK-NEXT: %[[Z:.*]] = nn.constant dense<-1> : tensor<i8>
// CHECK-NEXT: %[[X:.*]] = nn.quantize_linear %[[R]], %[[S]], %[[Z]]
// CHECK-NEXT: %[[W:.*]] = nn.constant dense<{{\[\[\[\[}}127, -64]]], {{\[\[\[}}16, 127]]]]> : tensor<2x1x1x2xi8>
// CHECK-NEXT: %[[P:.*]] = nn.constant dense<{{\[\[}}3239, 1442928645, -7], [-3239, 1442928645, -6]]> : tensor<2x3xi32>
// CHECK-NEXT: %[[C:.*]] = nna.conv %[[X]], %[[W]], %[[P]], %[[X]] {add = #nna.requant<a_zero = -128, a_mult = 1610612736, a_shift = -1, b_zero = -1, b_mult = 1073741824, b_shift = 0, o_mult = 1227133513, o_shift = -19, o_zero = -55, lo = -128, hi = 127>, clamp = array<i64: -128, 127>, in_zero = -1 : i64, kernel = array<i64: 1, 1>, out_zero = -128 : i64
// CHECK-NEXT: %[[G:.*]] = nna.pool %[[C]] {in_zero = -55 : i64, kernel = array<i64: 4, 4>, mode = "avg"
// CHECK:      %[[F:.*]] = nna.conv %[[G]], %{{.*}}, %{{.*}} {clamp = array<i64: -128, 127>, in_zero = -55 : i64, kernel = array<i64: 1, 1>, out_zero = -19 : i64
// CHECK-SAME: -> tensor<1x1x3xi8>
// CHECK:      %[[D:.*]] = nn.dequantize_linear %[[F]]
// CHECK-NEXT: %[[B:.*]] = nn.reshape %[[D]] : (tensor<1x1x3xf32>) -> tensor<1x3xf32>
// CHECK-NEXT: nn.softmax %[[B]]
// CHECK-NOT:  nn.conv
// CHECK-NOT:  nn.gemm

func.func @main(%x: tensor<1x2x4x4xf32> {kiln.name = "x", kiln.range = array<f64: -1.0, 1.0>}) -> (tensor<1x3xf32> {kiln.name = "y"}) {
  %w = nn.constant dense<[[[[0.5]], [[-0.25]]], [[[0.125]], [[1.0]]]]> : tensor<2x2x1x1xf32>
  %bias = nn.constant dense<[0.1, -0.2]> : tensor<2xf32>
  %c = nn.conv %x, %w, %bias {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64, kiln.range = array<f64: -1.5, 1.5>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %r = nn.relu %c {kiln.range = array<f64: 0.0, 1.5>} : tensor<1x2x4x4xf32>
  %a = nn.add %r, %x {kiln.range = array<f64: -1.0, 2.5>} : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %g = nn.global_avg_pool %a {kiln.range = array<f64: 0.0, 1.0>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x1x1xf32>
  %f = nn.flatten %g {axis = 1 : i64} : (tensor<1x2x1x1xf32>) -> tensor<1x2xf32>
  %fw = nn.constant dense<[[1.0, 2.0], [3.0, -4.0], [0.5, 0.5]]> : tensor<3x2xf32>
  %y = nn.gemm %f, %fw {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = true, kiln.range = array<f64: -3.0, 4.0>} : (tensor<1x2xf32>, tensor<3x2xf32>) -> tensor<1x3xf32>
  %s = nn.softmax %y {axis = 1 : i64} : (tensor<1x3xf32>) -> tensor<1x3xf32>
  return %s : tensor<1x3xf32>
}

// -----

// What stays float: a grouped conv that is not depthwise, an op without a
// calibrated range, a pool with ceil_mode. A depthwise conv with a ReLU6
// (Clip 0..6 over a range [0, 6]: zero -128, 6 -> 127) is one nna.conv
// whose result the CPU dequantises back to NCHW.
// CHECK-LABEL: func.func @main
// CHECK:      nn.conv {{.*}}group = 2
// CHECK:      nna.conv {{.*}}clamp = array<i64: -128, 127>, depthwise, {{.*}}out_zero = -128
// CHECK:      nn.dequantize_linear
// CHECK-NEXT: nn.reshape {{.*}} -> tensor<1x3x3x4xf32>
// CHECK-NEXT: nn.transpose {{.*}}perm = array<i64: 0, 3, 1, 2>{{.*}} -> tensor<1x4x3x3xf32>
// CHECK-NEXT: nn.sigmoid
// CHECK-NEXT: nn.max_pool {{.*}}ceil_mode = true
// CHECK-NOT:  nna.
func.func @main(%x: tensor<1x4x3x3xf32> {kiln.range = array<f64: -2.0, 2.0>}) -> (tensor<1x4x3x3xf32>, tensor<1x4x2x2xf32>) {
  %w = nn.constant dense<0.5> : tensor<4x2x1x1xf32>
  %g = nn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 2 : i64, kiln.range = array<f64: -2.0, 2.0>} : (tensor<1x4x3x3xf32>, tensor<4x2x1x1xf32>) -> tensor<1x4x3x3xf32>
  %dw = nn.constant dense<0.25> : tensor<4x1x3x3xf32>
  %d = nn.conv %g, %dw {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 4 : i64, kiln.range = array<f64: -4.0, 4.0>} : (tensor<1x4x3x3xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x3x3xf32>
  %r = nn.clip %d {min = 0.0 : f32, max = 6.0 : f32, kiln.range = array<f64: 0.0, 6.0>} : tensor<1x4x3x3xf32>
  %s = nn.sigmoid %r : tensor<1x4x3x3xf32>
  %p = nn.max_pool %r {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = true, kiln.range = array<f64: 0.0, 6.0>} : (tensor<1x4x3x3xf32>) -> tensor<1x4x2x2xf32>
  return %s, %p : tensor<1x4x3x3xf32>, tensor<1x4x2x2xf32>
}
