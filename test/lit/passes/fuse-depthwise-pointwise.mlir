// RUN: kiln-opt %s -split-input-file -kiln-fuse-depthwise-pointwise="intermediate-budget=1024" | FileCheck %s

// A depthwise conv + ReLU (its 8x8x8 result is 2 KiB) then a 1x1 conv: two
// bands of 4 rows, the depthwise piece of a band right before the
// pointwise piece that reads it; the input padded once; the pointwise
// pieces concatenated by rows.
// CHECK-LABEL: func @pair
// CHECK: %[[P:.*]] = nn.pad %arg0 {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>
// CHECK: %[[X0:.*]] = nn.slice %[[P]] {offsets = array<i64: 0, 0, 0, 0>, sizes = array<i64: 1, 8, 6, 10>
// CHECK: %[[D0:.*]] = nn.fused conv_epilogue(%[[X0]], %arg1) {kiln.dw_pw = array<i64: 0, 2>} {{.*}} -> tensor<1x8x4x8xf32>
// CHECK: nn.conv {{.*}}group = 8 : i64, pads = array<i64: 0, 0, 0, 0>
// CHECK: %[[Q0:.*]] = nn.conv %[[D0]], %arg2 {{{.*}}kiln.dw_pw = array<i64: 0, 2>{{.*}} -> tensor<1x4x4x8xf32>
// CHECK: %[[X1:.*]] = nn.slice %[[P]] {offsets = array<i64: 0, 0, 4, 0>, sizes = array<i64: 1, 8, 6, 10>
// CHECK: %[[D1:.*]] = nn.fused conv_epilogue(%[[X1]], %arg1) {kiln.dw_pw = array<i64: 1, 2>}
// CHECK: %[[Q1:.*]] = nn.conv %[[D1]], %arg2 {{{.*}}kiln.dw_pw = array<i64: 1, 2>
// CHECK: %[[R:.*]] = nn.concat %[[Q0]], %[[Q1]] {axis = 2 : i64} : (tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>) -> tensor<1x4x8x8xf32>
// CHECK: return %[[R]]
func.func @pair(%x: tensor<1x8x8x8xf32>, %wd: tensor<8x1x3x3xf32>, %wp: tensor<4x8x1x1xf32>) -> tensor<1x4x8x8xf32> {
  %d = nn.fused conv_epilogue(%x, %wd) : (tensor<1x8x8x8xf32>, tensor<8x1x3x3xf32>) -> tensor<1x8x8x8xf32> {
  ^bb0(%a: tensor<1x8x8x8xf32>, %f: tensor<8x1x3x3xf32>):
    %0 = nn.conv %a, %f {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 8 : i64} : (tensor<1x8x8x8xf32>, tensor<8x1x3x3xf32>) -> tensor<1x8x8x8xf32>
    %1 = nn.relu %0 : tensor<1x8x8x8xf32>
    nn.yield %1 : tensor<1x8x8x8xf32>
  }
  %p = nn.conv %d, %wp {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x8x8x8xf32>, tensor<4x8x1x1xf32>) -> tensor<1x4x8x8xf32>
  return %p : tensor<1x4x8x8xf32>
}

// -----

// A pointwise group with a residual add: the residual is cut into the same
// bands.
// CHECK-LABEL: func @residual
// CHECK: nn.slice %arg3 {offsets = array<i64: 0, 0, 0, 0>, sizes = array<i64: 1, 8, 4, 8>
// CHECK: nn.fused conv_epilogue{{.*}}kiln.dw_pw = array<i64: 0, 2>{{.*}} -> tensor<1x8x4x8xf32>
// CHECK: nn.slice %arg3 {offsets = array<i64: 0, 0, 4, 0>, sizes = array<i64: 1, 8, 4, 8>
func.func @residual(%x: tensor<1x8x8x8xf32>, %wd: tensor<8x1x3x3xf32>, %wp: tensor<8x8x1x1xf32>, %r: tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32> {
  %d = nn.conv %x, %wd {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 8 : i64} : (tensor<1x8x8x8xf32>, tensor<8x1x3x3xf32>) -> tensor<1x8x8x8xf32>
  %p = nn.fused conv_epilogue(%d, %wp, %r) : (tensor<1x8x8x8xf32>, tensor<8x8x1x1xf32>, tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32> {
  ^bb0(%a: tensor<1x8x8x8xf32>, %f: tensor<8x8x1x1xf32>, %s: tensor<1x8x8x8xf32>):
    %0 = nn.conv %a, %f {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x8x8x8xf32>, tensor<8x8x1x1xf32>) -> tensor<1x8x8x8xf32>
    %1 = nn.add %0, %s : (tensor<1x8x8x8xf32>, tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
    nn.yield %1 : tensor<1x8x8x8xf32>
  }
  return %p : tensor<1x8x8x8xf32>
}

// -----

// Left alone: an intermediate within the budget (4x4x8 = 512 bytes); a
// depthwise result with another user; a 3x3 conv after the depthwise one;
// a strided 1x1 conv; a grouped (not depthwise) conv before a 1x1.
// CHECK-LABEL: func @kept
// CHECK-NOT: kiln.dw_pw
func.func @kept(%s: tensor<1x8x4x4xf32>, %x: tensor<1x8x8x8xf32>, %wd: tensor<8x1x3x3xf32>, %wp: tensor<8x8x1x1xf32>, %w3: tensor<8x8x3x3xf32>, %wg: tensor<8x4x3x3xf32>) -> (tensor<1x8x4x4xf32>, tensor<1x8x8x8xf32>, tensor<1x8x8x8xf32>, tensor<1x8x8x8xf32>, tensor<1x8x4x4xf32>, tensor<1x8x8x8xf32>) {
  %0 = nn.conv %s, %wd {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 8 : i64} : (tensor<1x8x4x4xf32>, tensor<8x1x3x3xf32>) -> tensor<1x8x4x4xf32>
  %1 = nn.conv %0, %wp {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x8x4x4xf32>, tensor<8x8x1x1xf32>) -> tensor<1x8x4x4xf32>
  %2 = nn.conv %x, %wd {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 8 : i64} : (tensor<1x8x8x8xf32>, tensor<8x1x3x3xf32>) -> tensor<1x8x8x8xf32>
  %3 = nn.conv %2, %wp {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x8x8x8xf32>, tensor<8x8x1x1xf32>) -> tensor<1x8x8x8xf32>
  %4 = nn.conv %x, %wd {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 8 : i64} : (tensor<1x8x8x8xf32>, tensor<8x1x3x3xf32>) -> tensor<1x8x8x8xf32>
  %5 = nn.conv %4, %w3 {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x8x8x8xf32>, tensor<8x8x3x3xf32>) -> tensor<1x8x8x8xf32>
  %6 = nn.conv %x, %wd {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 8 : i64} : (tensor<1x8x8x8xf32>, tensor<8x1x3x3xf32>) -> tensor<1x8x8x8xf32>
  %7 = nn.conv %6, %wp {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x8x8x8xf32>, tensor<8x8x1x1xf32>) -> tensor<1x8x4x4xf32>
  %8 = nn.conv %x, %wg {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 2 : i64} : (tensor<1x8x8x8xf32>, tensor<8x4x3x3xf32>) -> tensor<1x8x8x8xf32>
  %9 = nn.conv %8, %wp {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x8x8x8xf32>, tensor<8x8x1x1xf32>) -> tensor<1x8x8x8xf32>
  return %1, %2, %3, %5, %7, %9 : tensor<1x8x4x4xf32>, tensor<1x8x8x8xf32>, tensor<1x8x8x8xf32>, tensor<1x8x8x8xf32>, tensor<1x8x4x4xf32>, tensor<1x8x8x8xf32>
}

// -----

// Channels-last: the bands are of dim 1 (rows of NHWC), the pad is hoisted
// over dims 1 and 2, and the pieces are concatenated along dim 1.
// CHECK-LABEL: func @pair_channels_last
// CHECK: %[[P:.*]] = nn.pad %arg0 {pads = array<i64: 0, 1, 1, 0, 0, 1, 1, 0>
// CHECK: %[[X0:.*]] = nn.slice %[[P]] {offsets = array<i64: 0, 0, 0, 0>, sizes = array<i64: 1, 6, 10, 8>
// CHECK: %[[D0:.*]] = nn.conv %[[X0]], %arg1 {channels_last, {{.*}}group = 8 : i64, kiln.dw_pw = array<i64: 0, 2>{{.*}} -> tensor<1x4x8x8xf32>
// CHECK: %[[Q0:.*]] = nn.conv %[[D0]], %arg2 {channels_last, {{.*}}kiln.dw_pw = array<i64: 0, 2>{{.*}} -> tensor<1x4x8x4xf32>
// CHECK: %[[X1:.*]] = nn.slice %[[P]] {offsets = array<i64: 0, 4, 0, 0>, sizes = array<i64: 1, 6, 10, 8>
// CHECK: %[[R:.*]] = nn.concat %[[Q0]], %{{.*}} {axis = 1 : i64} : (tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>) -> tensor<1x8x8x4xf32>
// CHECK: return %[[R]]
func.func @pair_channels_last(%x: tensor<1x8x8x8xf32>, %wd: tensor<3x3x1x8xf32>, %wp: tensor<1x1x8x4xf32>) -> tensor<1x8x8x4xf32> {
  %d = nn.conv %x, %wd {channels_last, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 8 : i64} : (tensor<1x8x8x8xf32>, tensor<3x3x1x8xf32>) -> tensor<1x8x8x8xf32>
  %p = nn.conv %d, %wp {channels_last, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x8x8x8xf32>, tensor<1x1x8x4xf32>) -> tensor<1x8x8x4xf32>
  return %p : tensor<1x8x8x4xf32>
}
