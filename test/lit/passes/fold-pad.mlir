// RUN: kiln-opt %s -split-input-file -kiln-fold-pad | FileCheck %s

// A zero pad of H and W joins the conv's own pads (begins, then ends).
// CHECK-LABEL: func @conv
// CHECK-NEXT: %[[W:.*]] = nn.constant
// CHECK-NEXT: %[[R:.*]] = nn.conv %arg0, %[[W]] {{{.*}}pads = array<i64: 1, 2, 1, 3>
// CHECK-NEXT: return %[[R]]
func.func @conv(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x6x9xf32> {
  %w = nn.constant dense<1.0> : tensor<1x1x1x1xf32>
  %p = nn.pad %x {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 2>, value = 0.0 : f32} : (tensor<1x1x4x4xf32>) -> tensor<1x1x6x7xf32>
  %c = nn.conv %p, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 1, 0, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x6x7xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x6x9xf32>
  return %c : tensor<1x1x6x9xf32>
}

// -----

// A -inf pad joins a max pool's pads; a zero pad a counting avg pool's, and
// an avg pool without pads of its own starts counting them.
// CHECK-LABEL: func @pools
// CHECK-NEXT: %[[M:.*]] = nn.max_pool %arg0 {{{.*}}pads = array<i64: 1, 1, 1, 1>
// CHECK-NEXT: %[[A:.*]] = nn.avg_pool %arg0 {{{.*}}count_include_pad = true{{.*}}pads = array<i64: 1, 1, 1, 1>
// CHECK-NEXT: return %[[M]], %[[A]]
func.func @pools(%x: tensor<1x1x4x4xf32>) -> (tensor<1x1x3x3xf32>, tensor<1x1x3x3xf32>) {
  %p = nn.pad %x {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, value = 0xFF800000 : f32} : (tensor<1x1x4x4xf32>) -> tensor<1x1x6x6xf32>
  %m = nn.max_pool %p {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = false} : (tensor<1x1x6x6xf32>) -> tensor<1x1x3x3xf32>
  %z = nn.pad %x {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, value = 0.0 : f32} : (tensor<1x1x4x4xf32>) -> tensor<1x1x6x6xf32>
  %a = nn.avg_pool %z {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false, count_include_pad = false} : (tensor<1x1x6x6xf32>) -> tensor<1x1x3x3xf32>
  return %m, %a : tensor<1x1x3x3xf32>, tensor<1x1x3x3xf32>
}

// -----

// Refused: reflect and edge pads; a non-zero value for conv; a zero pad
// for max pool (0 could win over negative inputs); a pad of the channel
// dim; an avg pool that leaves its own pads out of the count; ceil_mode.
// CHECK-LABEL: func @refused
// CHECK-COUNT-7: nn.pad
// CHECK: nn.conv %{{.*}} {{{.*}}pads = array<i64: 0, 0, 0, 0>
// CHECK: nn.conv %{{.*}} {{{.*}}pads = array<i64: 0, 0, 0, 0>
// CHECK: nn.conv %{{.*}} {{{.*}}pads = array<i64: 0, 0, 0, 0>
// CHECK: nn.max_pool %{{.*}} {{{.*}}pads = array<i64: 0, 0, 0, 0>
// CHECK: nn.conv %{{.*}} {{{.*}}pads = array<i64: 0, 0, 0, 0>
// CHECK: nn.avg_pool %{{.*}} {{{.*}}pads = array<i64: 1, 1, 1, 1>
// CHECK: nn.max_pool %{{.*}} {{{.*}}pads = array<i64: 0, 0, 0, 0>
func.func @refused(%x: tensor<1x1x4x4xf32>) -> (tensor<1x1x6x6xf32>, tensor<1x1x6x6xf32>, tensor<1x1x6x6xf32>, tensor<1x1x3x3xf32>, tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x1x3x3xf32>) {
  %w = nn.constant dense<1.0> : tensor<1x1x1x1xf32>
  %w2 = nn.constant dense<1.0> : tensor<1x2x1x1xf32>
  %r = nn.pad %x {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, value = 0.0 : f32, mode = "reflect"} : (tensor<1x1x4x4xf32>) -> tensor<1x1x6x6xf32>
  %e = nn.pad %x {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, value = 0.0 : f32, mode = "edge"} : (tensor<1x1x4x4xf32>) -> tensor<1x1x6x6xf32>
  %o = nn.pad %x {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, value = 1.0 : f32} : (tensor<1x1x4x4xf32>) -> tensor<1x1x6x6xf32>
  %z = nn.pad %x {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, value = 0.0 : f32} : (tensor<1x1x4x4xf32>) -> tensor<1x1x6x6xf32>
  %ch = nn.pad %x {pads = array<i64: 0, 1, 0, 0, 0, 0, 0, 0>, value = 0.0 : f32} : (tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32>
  %z2 = nn.pad %x {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, value = 0.0 : f32} : (tensor<1x1x4x4xf32>) -> tensor<1x1x6x6xf32>
  %n = nn.pad %x {pads = array<i64: 0, 0, 1, 1, 0, 0, 0, 0>, value = 0xFF800000 : f32} : (tensor<1x1x4x4xf32>) -> tensor<1x1x5x5xf32>
  %0 = nn.conv %r, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x6x6xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x6x6xf32>
  %1 = nn.conv %e, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x6x6xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x6x6xf32>
  %2 = nn.conv %o, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x6x6xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x6x6xf32>
  %3 = nn.max_pool %z {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = false} : (tensor<1x1x6x6xf32>) -> tensor<1x1x3x3xf32>
  %4 = nn.conv %ch, %w2 {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>) -> tensor<1x1x4x4xf32>
  %5 = nn.avg_pool %z2 {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, ceil_mode = false, count_include_pad = false} : (tensor<1x1x6x6xf32>) -> tensor<1x1x4x4xf32>
  %6 = nn.max_pool %n {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = true} : (tensor<1x1x5x5xf32>) -> tensor<1x1x3x3xf32>
  return %0, %1, %2, %3, %4, %5, %6 : tensor<1x1x6x6xf32>, tensor<1x1x6x6xf32>, tensor<1x1x6x6xf32>, tensor<1x1x3x3xf32>, tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x1x3x3xf32>
}
