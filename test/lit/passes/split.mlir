// RUN: kiln-opt %s -split-input-file -kiln-split="tile-budget=400" | FileCheck %s
// RUN: kiln-opt %s -split-input-file -kiln-split="tile-budget=0" | FileCheck %s --check-prefix=OFF

// With no budget nothing is split.
// OFF-NOT: kiln.split

// Rows: a 3x3 conv on 16x4 (548 bytes) becomes two pieces of 8 output rows.
// The input is padded once; each piece reads the 10 padded rows it needs
// (rows 8 and 9 twice) and has no pads of its own.
// CHECK-LABEL: func @rows
// CHECK: %[[P:.*]] = nn.pad %arg0 {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, value = 0.000000e+00 : f32} : (tensor<1x1x16x4xf32>) -> tensor<1x1x18x6xf32>
// CHECK: %[[X0:.*]] = nn.slice %[[P]] {offsets = array<i64: 0, 0, 0, 0>, sizes = array<i64: 1, 1, 10, 6>
// CHECK: %[[C0:.*]] = nn.conv %[[X0]], %arg1 {dilations = array<i64: 1, 1>, group = 1 : i64, kiln.split = array<i64: 0, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x10x6xf32>, tensor<1x1x3x3xf32>) -> tensor<1x1x8x4xf32>
// CHECK: %[[X1:.*]] = nn.slice %[[P]] {offsets = array<i64: 0, 0, 8, 0>, sizes = array<i64: 1, 1, 10, 6>
// CHECK: %[[C1:.*]] = nn.conv %[[X1]], %arg1 {dilations = array<i64: 1, 1>, group = 1 : i64, kiln.split = array<i64: 1, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}
// CHECK: %[[R:.*]] = nn.concat %[[C0]], %[[C1]] {axis = 2 : i64} : (tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>) -> tensor<1x1x16x4xf32>
// CHECK: return %[[R]]
func.func @rows(%x: tensor<1x1x16x4xf32>, %w: tensor<1x1x3x3xf32>) -> tensor<1x1x16x4xf32> {
  %0 = nn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x16x4xf32>, tensor<1x1x3x3xf32>) -> tensor<1x1x16x4xf32>
  return %0 : tensor<1x1x16x4xf32>
}

// -----

// Output channels: a 1x1 conv with 16 filters (640 bytes) becomes two
// convs of 8 filters each; the constant filters and biases are sliced at
// compile time.
// CHECK-LABEL: func @channels
// CHECK-DAG: %[[W0:.*]] = nn.constant dense_resource<{{.*}}> : tensor<8x4x1x1xf32>
// CHECK-DAG: %[[W1:.*]] = nn.constant dense_resource<{{.*}}> : tensor<8x4x1x1xf32>
// CHECK-DAG: %[[B0:.*]] = nn.constant dense<[0.000000e+00, 1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00, 5.000000e+00, 6.000000e+00, 7.000000e+00]> : tensor<8xf32>
// CHECK-DAG: %[[B1:.*]] = nn.constant dense<[8.000000e+00, 9.000000e+00, 1.000000e+01, 1.100000e+01, 1.200000e+01, 1.300000e+01, 1.400000e+01, 1.500000e+01]> : tensor<8xf32>
// CHECK-DAG: %[[C0:.*]] = nn.conv %arg0, %[[W0]], %[[B0]] {{.*}}kiln.split = array<i64: 0, 2>{{.*}} -> tensor<1x8x2x2xf32>
// CHECK-DAG: %[[C1:.*]] = nn.conv %arg0, %[[W1]], %[[B1]] {{.*}}kiln.split = array<i64: 1, 2>{{.*}} -> tensor<1x8x2x2xf32>
// CHECK: nn.concat %[[C0]], %[[C1]] {axis = 1 : i64}
func.func @channels(%x: tensor<1x4x2x2xf32>) -> tensor<1x16x2x2xf32> {
  %w = nn.constant dense<1.0> : tensor<16x4x1x1xf32>
  %b = nn.constant dense<[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0]> : tensor<16xf32>
  %0 = nn.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x4x2x2xf32>, tensor<16x4x1x1xf32>, tensor<16xf32>) -> tensor<1x16x2x2xf32>
  return %0 : tensor<1x16x2x2xf32>
}

// -----

// A fused group is cut as a whole, its residual operand sliced with it:
// 896 bytes need both cuts, 2 channel halves x 2 row halves (320 bytes).
// CHECK-LABEL: func @fused
// CHECK-COUNT-4: nn.fused conv_epilogue{{.*}}kiln.split = array<i64: {{[0-3]}}, 4>{{.*}} -> tensor<1x8x1x2xf32>
// CHECK: %[[A:.*]] = nn.concat {{.*}} {axis = 2 : i64} : (tensor<1x8x1x2xf32>, tensor<1x8x1x2xf32>) -> tensor<1x8x2x2xf32>
// CHECK: %[[B:.*]] = nn.concat {{.*}} {axis = 2 : i64}
// CHECK: nn.concat %[[A]], %[[B]] {axis = 1 : i64} : (tensor<1x8x2x2xf32>, tensor<1x8x2x2xf32>) -> tensor<1x16x2x2xf32>
func.func @fused(%x: tensor<1x4x2x2xf32>, %w: tensor<16x4x1x1xf32>, %b: tensor<16xf32>, %r: tensor<1x16x2x2xf32>) -> tensor<1x16x2x2xf32> {
  %0 = nn.fused conv_epilogue(%x, %w, %b, %r) : (tensor<1x4x2x2xf32>, tensor<16x4x1x1xf32>, tensor<16xf32>, tensor<1x16x2x2xf32>) -> tensor<1x16x2x2xf32> {
  ^bb0(%a: tensor<1x4x2x2xf32>, %f: tensor<16x4x1x1xf32>, %c: tensor<16xf32>, %s: tensor<1x16x2x2xf32>):
    %1 = nn.conv %a, %f, %c {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x4x2x2xf32>, tensor<16x4x1x1xf32>, tensor<16xf32>) -> tensor<1x16x2x2xf32>
    %2 = nn.add %1, %s : (tensor<1x16x2x2xf32>, tensor<1x16x2x2xf32>) -> tensor<1x16x2x2xf32>
    %3 = nn.relu %2 : tensor<1x16x2x2xf32>
    nn.yield %3 : tensor<1x16x2x2xf32>
  }
  return %0 : tensor<1x16x2x2xf32>
}

// -----

// Gemm columns: B (512 bytes) in two halves of 16 columns, C with them.
// CHECK-LABEL: func @gemm
// CHECK: %[[B0:.*]] = nn.slice %arg1 {offsets = array<i64: 0, 0>, sizes = array<i64: 4, 16>
// CHECK: %[[C0:.*]] = nn.slice %arg2 {offsets = array<i64: 0>, sizes = array<i64: 16>
// CHECK: %[[G0:.*]] = nn.gemm %arg0, %[[B0]], %[[C0]] {{.*}} -> tensor<1x16xf32>
// CHECK: %[[B1:.*]] = nn.slice %arg1 {offsets = array<i64: 0, 16>, sizes = array<i64: 4, 16>
// CHECK: %[[C1:.*]] = nn.slice %arg2 {offsets = array<i64: 16>, sizes = array<i64: 16>
// CHECK: %[[G1:.*]] = nn.gemm %arg0, %[[B1]], %[[C1]]
// CHECK: nn.concat %[[G0]], %[[G1]] {axis = 1 : i64}
func.func @gemm(%a: tensor<1x4xf32>, %b: tensor<4x32xf32>, %c: tensor<32xf32>) -> tensor<1x32xf32> {
  %0 = nn.gemm %a, %b, %c {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = false} : (tensor<1x4xf32>, tensor<4x32xf32>, tensor<32xf32>) -> tensor<1x32xf32>
  return %0 : tensor<1x32xf32>
}

// -----

// A depthwise conv is cut at group boundaries: each piece reads its own
// 8 input channels and has 8 groups.
// CHECK-LABEL: func @depthwise
// CHECK: %[[P:.*]] = nn.pad %arg0
// CHECK: %[[X0:.*]] = nn.slice %[[P]] {offsets = array<i64: 0, 0, 0, 0>, sizes = array<i64: 1, 8, 3, 3>
// CHECK: nn.conv %[[X0]], {{.*}}group = 8 : i64{{.*}} -> tensor<1x8x1x1xf32>
// CHECK: %[[X1:.*]] = nn.slice %[[P]] {offsets = array<i64: 0, 8, 0, 0>, sizes = array<i64: 1, 8, 3, 3>
// CHECK: nn.conv %[[X1]], {{.*}}group = 8 : i64{{.*}} -> tensor<1x8x1x1xf32>
func.func @depthwise(%x: tensor<1x16x1x1xf32>, %w: tensor<16x1x3x3xf32>) -> tensor<1x16x1x1xf32> {
  %0 = nn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 16 : i64} : (tensor<1x16x1x1xf32>, tensor<16x1x3x3xf32>) -> tensor<1x16x1x1xf32>
  return %0 : tensor<1x16x1x1xf32>
}

// -----

// Batch before rows when both take two pieces: no input row is read twice.
// CHECK-LABEL: func @batch
// CHECK: %[[P:.*]] = nn.pad %arg0
// CHECK: nn.slice %[[P]] {offsets = array<i64: 0, 0, 0, 0>, sizes = array<i64: 1, 1, 6, 10>
// CHECK: nn.slice %[[P]] {offsets = array<i64: 1, 0, 0, 0>, sizes = array<i64: 1, 1, 6, 10>
// CHECK: nn.concat {{.*}} {axis = 0 : i64}
func.func @batch(%x: tensor<2x1x4x8xf32>, %w: tensor<1x1x3x3xf32>) -> tensor<2x1x4x8xf32> {
  %0 = nn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<2x1x4x8xf32>, tensor<1x1x3x3xf32>) -> tensor<2x1x4x8xf32>
  return %0 : tensor<2x1x4x8xf32>
}

// -----

// Left alone: a conv that fits, a 1-D conv, and a matmul.
// CHECK-LABEL: func @kept
// CHECK-NOT: kiln.split
// CHECK-NOT: nn.slice
func.func @kept(%x: tensor<1x1x4x4xf32>, %w: tensor<1x1x1x1xf32>, %y: tensor<1x1x512xf32>, %v: tensor<1x1x3xf32>, %a: tensor<32x32xf32>) -> (tensor<1x1x4x4xf32>, tensor<1x1x510xf32>, tensor<32x32xf32>) {
  %0 = nn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x4x4xf32>
  %1 = nn.conv %y, %v {strides = array<i64: 1>, pads = array<i64: 0, 0>, dilations = array<i64: 1>, group = 1 : i64} : (tensor<1x1x512xf32>, tensor<1x1x3xf32>) -> tensor<1x1x510xf32>
  %2 = nn.matmul %a, %a : (tensor<32x32xf32>, tensor<32x32xf32>) -> tensor<32x32xf32>
  return %0, %1, %2 : tensor<1x1x4x4xf32>, tensor<1x1x510xf32>, tensor<32x32xf32>
}

// -----

// Channels-last: rows are dim 1 and output channels dim 3. A 3x3 conv on
// 16x4x1 -> 16 channels (an NHWC 1x16x4x16 result, 4096 bytes plus its
// operands) is cut along rows and channels; the pads are hoisted into one
// NHWC pad (dims 1 and 2), the filter (KHxKWxCxF) is sliced along F.
// CHECK-LABEL: func @channels_last
// CHECK: %[[P:.*]] = nn.pad %arg0 {pads = array<i64: 0, 1, 1, 0, 0, 1, 1, 0>, value = 0.000000e+00 : f32} : (tensor<1x16x4x1xf32>) -> tensor<1x18x6x1xf32>
// CHECK: nn.slice %arg1 {offsets = array<i64: 0, 0, 0, 0>, sizes = array<i64: 3, 3, 1, 8>
// CHECK: nn.conv {{.*}}channels_last{{.*}}kiln.split = array<i64: 0, {{[0-9]+}}>, pads = array<i64: 0, 0, 0, 0>{{.*}} -> tensor<1x{{[0-9]+}}x4x8xf32>
// CHECK: nn.concat {{.*}}axis = 3 : i64
// CHECK: nn.concat {{.*}}axis = 1 : i64{{.*}} -> tensor<1x16x4x16xf32>
func.func @channels_last(%x: tensor<1x16x4x1xf32>, %w: tensor<3x3x1x16xf32>) -> tensor<1x16x4x16xf32> {
  %0 = nn.conv %x, %w {channels_last, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x16x4x1xf32>, tensor<3x3x1x16xf32>) -> tensor<1x16x4x16xf32>
  return %0 : tensor<1x16x4x16xf32>
}
