// RUN: kiln-opt %s -split-input-file | FileCheck %s
// Round trip of every nn op; the printed form must parse back unchanged.
// RUN: kiln-opt %s -split-input-file | kiln-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func @conv
func.func @conv(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>) -> tensor<1x4x4x4xf32> {
  // CHECK: nn.conv %{{.*}}, %{{.*}}, %{{.*}} {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
  %0 = nn.conv %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  return %0 : tensor<1x4x4x4xf32>
}

// -----

// CHECK-LABEL: func @depthwise_no_bias
func.func @depthwise_no_bias(%x: tensor<1x8x5x5xf32>, %w: tensor<8x1x3x3xf32>) -> tensor<1x8x3x3xf32> {
  // CHECK: nn.conv %{{.*}}, %{{.*}} {{.*}}group = 8
  %0 = nn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 8 : i64} : (tensor<1x8x5x5xf32>, tensor<8x1x3x3xf32>) -> tensor<1x8x3x3xf32>
  return %0 : tensor<1x8x3x3xf32>
}

// -----

// CHECK-LABEL: func @dilated
func.func @dilated(%x: tensor<1x2x9x9xf32>, %w: tensor<2x2x3x3xf32>) -> tensor<1x2x5x5xf32> {
  // CHECK: nn.conv {{.*}}dilations = array<i64: 2, 2>
  %0 = nn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 2, 2>, group = 1 : i64} : (tensor<1x2x9x9xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x5x5xf32>
  return %0 : tensor<1x2x5x5xf32>
}

// -----

// CHECK-LABEL: func @gemm
func.func @gemm(%a: tensor<2x16xf32>, %b: tensor<10x16xf32>, %c: tensor<10xf32>) -> tensor<2x10xf32> {
  // CHECK: nn.gemm {{.*}}trans_b = true
  %0 = nn.gemm %a, %b, %c {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = true} : (tensor<2x16xf32>, tensor<10x16xf32>, tensor<10xf32>) -> tensor<2x10xf32>
  return %0 : tensor<2x10xf32>
}

// -----

// CHECK-LABEL: func @matmul
func.func @matmul(%a: tensor<3x1x4x5xf32>, %b: tensor<2x5x6xf32>, %v: tensor<6xf32>) -> (tensor<3x2x4x6xf32>, tensor<3x2x4xf32>) {
  // CHECK: nn.matmul {{.*}} -> tensor<3x2x4x6xf32>
  %0 = nn.matmul %a, %b : (tensor<3x1x4x5xf32>, tensor<2x5x6xf32>) -> tensor<3x2x4x6xf32>
  // CHECK: nn.matmul {{.*}} -> tensor<3x2x4xf32>
  %1 = nn.matmul %0, %v : (tensor<3x2x4x6xf32>, tensor<6xf32>) -> tensor<3x2x4xf32>
  return %0, %1 : tensor<3x2x4x6xf32>, tensor<3x2x4xf32>
}

// -----

// CHECK-LABEL: func @binary
func.func @binary(%a: tensor<1x4x3x3xf32>, %b: tensor<4x1x1xf32>) -> tensor<1x4x3x3xf32> {
  // CHECK: nn.add
  %0 = nn.add %a, %b : (tensor<1x4x3x3xf32>, tensor<4x1x1xf32>) -> tensor<1x4x3x3xf32>
  // CHECK: nn.sub
  %1 = nn.sub %0, %b : (tensor<1x4x3x3xf32>, tensor<4x1x1xf32>) -> tensor<1x4x3x3xf32>
  // CHECK: nn.mul
  %2 = nn.mul %b, %1 : (tensor<4x1x1xf32>, tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  // CHECK: nn.div
  %3 = nn.div %2, %a : (tensor<1x4x3x3xf32>, tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  return %3 : tensor<1x4x3x3xf32>
}

// -----

// CHECK-LABEL: func @unary
func.func @unary(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: nn.relu
  %0 = nn.relu %x : tensor<2x3xf32>
  // CHECK: nn.clip %{{.*}} {max = 6.000000e+00 : f32, min = 0.000000e+00 : f32}
  %1 = nn.clip %0 {min = 0.0 : f32, max = 6.0 : f32} : tensor<2x3xf32>
  // CHECK: nn.sigmoid
  %2 = nn.sigmoid %1 : tensor<2x3xf32>
  // CHECK: nn.hard_sigmoid
  %3 = nn.hard_sigmoid %2 {alpha = 0.2 : f32, beta = 0.5 : f32} : tensor<2x3xf32>
  // CHECK: nn.hard_swish
  %4 = nn.hard_swish %3 : tensor<2x3xf32>
  // CHECK: nn.leaky_relu
  %5 = nn.leaky_relu %4 {alpha = 0.01 : f32} : tensor<2x3xf32>
  // CHECK: nn.identity
  %6 = nn.identity %5 : tensor<2x3xf32>
  return %6 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @pooling
func.func @pooling(%x: tensor<1x2x7x7xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x3x3xf32>, tensor<1x2x1x1xf32>) {
  // ceil_mode rounds up: (7 - 3 + 1) / 2 -> 3 + 1 = 4 outputs.
  // CHECK: nn.max_pool {{.*}} -> tensor<1x2x4x4xf32>
  %0 = nn.max_pool %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 1, 1>, dilations = array<i64: 1, 1>, ceil_mode = true} : (tensor<1x2x7x7xf32>) -> tensor<1x2x4x4xf32>
  // CHECK: nn.avg_pool {{.*}} -> tensor<1x2x3x3xf32>
  %1 = nn.avg_pool %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false, count_include_pad = false} : (tensor<1x2x7x7xf32>) -> tensor<1x2x3x3xf32>
  // CHECK: nn.global_avg_pool
  %2 = nn.global_avg_pool %x : (tensor<1x2x7x7xf32>) -> tensor<1x2x1x1xf32>
  return %0, %1, %2 : tensor<1x2x4x4xf32>, tensor<1x2x3x3xf32>, tensor<1x2x1x1xf32>
}

// -----

// CHECK-LABEL: func @norms
func.func @norms(%x: tensor<1x3x2x2xf32>, %s: tensor<3xf32>) -> (tensor<1x3x2x2xf32>, tensor<1x3x2x2xf32>, tensor<1x3x1x1xf32>) {
  // CHECK: nn.batch_norm {{.*}}epsilon
  %0 = nn.batch_norm %x, %s, %s, %s, %s {epsilon = 1.0e-5 : f32} : (tensor<1x3x2x2xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x3x2x2xf32>
  // CHECK: nn.softmax {{.*}}axis = 1
  %1 = nn.softmax %x {axis = 1 : i64} : (tensor<1x3x2x2xf32>) -> tensor<1x3x2x2xf32>
  // CHECK: nn.reduce_mean {{.*}}axes = array<i64: 2, 3>
  %2 = nn.reduce_mean %x {axes = array<i64: 2, 3>, keepdims = true} : (tensor<1x3x2x2xf32>) -> tensor<1x3x1x1xf32>
  return %0, %1, %2 : tensor<1x3x2x2xf32>, tensor<1x3x2x2xf32>, tensor<1x3x1x1xf32>
}

// -----

// CHECK-LABEL: func @data_movement
func.func @data_movement(%x: tensor<1x2x3x4xf32>, %y: tensor<1x5x3x4xf32>) -> (tensor<1x7x3x4xf32>, tensor<6x4xf32>, tensor<1x24xf32>, tensor<4x3x2x1xf32>, tensor<1x2x5x6xf32>, tensor<1x1x3x2xf32>) {
  // CHECK: nn.concat {{.*}}axis = 1
  %0 = nn.concat %x, %y {axis = 1 : i64} : (tensor<1x2x3x4xf32>, tensor<1x5x3x4xf32>) -> tensor<1x7x3x4xf32>
  // CHECK: nn.reshape %{{.*}} : (tensor<1x2x3x4xf32>) -> tensor<6x4xf32>
  %1 = nn.reshape %x : (tensor<1x2x3x4xf32>) -> tensor<6x4xf32>
  // CHECK: nn.flatten
  %2 = nn.flatten %x {axis = 1 : i64} : (tensor<1x2x3x4xf32>) -> tensor<1x24xf32>
  // CHECK: nn.transpose {{.*}}perm = array<i64: 3, 2, 1, 0>
  %3 = nn.transpose %x {perm = array<i64: 3, 2, 1, 0>} : (tensor<1x2x3x4xf32>) -> tensor<4x3x2x1xf32>
  // CHECK: nn.pad
  %4 = nn.pad %x {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, value = 0.0 : f32} : (tensor<1x2x3x4xf32>) -> tensor<1x2x5x6xf32>
  // CHECK: nn.slice
  %5 = nn.slice %x {offsets = array<i64: 0, 1, 0, 1>, sizes = array<i64: 1, 1, 3, 2>, steps = array<i64: 1, 1, 1, 2>} : (tensor<1x2x3x4xf32>) -> tensor<1x1x3x2xf32>
  return %0, %1, %2, %3, %4, %5 : tensor<1x7x3x4xf32>, tensor<6x4xf32>, tensor<1x24xf32>, tensor<4x3x2x1xf32>, tensor<1x2x5x6xf32>, tensor<1x1x3x2xf32>
}

// -----

// CHECK-LABEL: func @constants
func.func @constants() -> (tensor<2xf32>, tensor<4xf32>) {
  // CHECK: nn.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
  %0 = nn.constant dense<[1.0, 2.0]> : tensor<2xf32>
  // CHECK: nn.constant dense_resource<w> : tensor<4xf32>
  %1 = nn.constant dense_resource<w> : tensor<4xf32>
  return %0, %1 : tensor<2xf32>, tensor<4xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x040000000000803F000000400000404000008040"
    }
  }
#-}

// -----

// CHECK-LABEL: func @cast
// CHECK: nn.cast %{{.*}} : tensor<2x3xf32> to tensor<2x3xi64>
// CHECK: nn.cast %{{.*}} {unsigned_input = true} : tensor<2x3xi8> to tensor<2x3xf32>
// CHECK: nn.cast %{{.*}} : tensor<2x3xf32> to tensor<2x3xi1>
func.func @cast(%x: tensor<2x3xf32>, %u: tensor<2x3xi8>) -> (tensor<2x3xi64>, tensor<2x3xf32>, tensor<2x3xi1>) {
  %0 = nn.cast %x : tensor<2x3xf32> to tensor<2x3xi64>
  %1 = nn.cast %u {unsigned_input = true} : tensor<2x3xi8> to tensor<2x3xf32>
  %2 = nn.cast %x : tensor<2x3xf32> to tensor<2x3xi1>
  return %0, %1, %2 : tensor<2x3xi64>, tensor<2x3xf32>, tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @pools_channels_last
func.func @pools_channels_last(%x: tensor<1x7x7x2xf32>) -> (tensor<1x4x4x2xf32>, tensor<1x3x3x2xf32>) {
  // CHECK: nn.max_pool {{.*}}channels_last{{.*}} -> tensor<1x4x4x2xf32>
  %0 = nn.max_pool %x {channels_last, kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 1, 1>, dilations = array<i64: 1, 1>, ceil_mode = true} : (tensor<1x7x7x2xf32>) -> tensor<1x4x4x2xf32>
  // CHECK: nn.avg_pool {{.*}}channels_last{{.*}} -> tensor<1x3x3x2xf32>
  %1 = nn.avg_pool %x {channels_last, kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false, count_include_pad = false} : (tensor<1x7x7x2xf32>) -> tensor<1x3x3x2xf32>
  return %0, %1 : tensor<1x4x4x2xf32>, tensor<1x3x3x2xf32>
}
