// RUN: kiln-opt %s -split-input-file | FileCheck %s
// Round trip of the reduction, normalisation and N-D pooling ops.
// RUN: kiln-opt %s -split-input-file | kiln-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func @reduce
func.func @reduce(%x: tensor<3x4x5xf32>, %i: tensor<3x4x5xi64>) -> (tensor<3x1x1xf32>, tensor<4xf32>, tensor<3x5xi64>) {
  // CHECK: nn.reduce %{{.*}} {axes = array<i64: 1, 2>, keepdims = true, kind = "log_sum_exp"} : (tensor<3x4x5xf32>) -> tensor<3x1x1xf32>
  %0 = nn.reduce %x {kind = "log_sum_exp", axes = array<i64: 1, 2>, keepdims = true} : (tensor<3x4x5xf32>) -> tensor<3x1x1xf32>
  // CHECK: nn.reduce %{{.*}} {axes = array<i64: 0, 2>, keepdims = false, kind = "l2"} : (tensor<3x4x5xf32>) -> tensor<4xf32>
  %1 = nn.reduce %x {kind = "l2", axes = array<i64: 0, 2>, keepdims = false} : (tensor<3x4x5xf32>) -> tensor<4xf32>
  // CHECK: nn.reduce %{{.*}} {{.*}}kind = "prod"{{.*}} -> tensor<3x5xi64>
  %2 = nn.reduce %i {kind = "prod", axes = array<i64: 1>, keepdims = false} : (tensor<3x4x5xi64>) -> tensor<3x5xi64>
  return %0, %1, %2 : tensor<3x1x1xf32>, tensor<4xf32>, tensor<3x5xi64>
}

// -----

// CHECK-LABEL: func @arg_reduce
func.func @arg_reduce(%x: tensor<2x3x4xf32>) -> (tensor<2x1x4xi64>, tensor<2x3xi64>) {
  // CHECK: nn.arg_max %{{.*}} {axis = 1 : i64, keepdims = true, select_last_index = false} : (tensor<2x3x4xf32>) -> tensor<2x1x4xi64>
  %0 = nn.arg_max %x {axis = 1 : i64, keepdims = true, select_last_index = false} : (tensor<2x3x4xf32>) -> tensor<2x1x4xi64>
  // CHECK: nn.arg_min %{{.*}} {axis = 2 : i64, keepdims = false, select_last_index = true} : (tensor<2x3x4xf32>) -> tensor<2x3xi64>
  %1 = nn.arg_min %x {axis = 2 : i64, keepdims = false, select_last_index = true} : (tensor<2x3x4xf32>) -> tensor<2x3xi64>
  return %0, %1 : tensor<2x1x4xi64>, tensor<2x3xi64>
}

// -----

// CHECK-LABEL: func @normalisation
func.func @normalisation(%x: tensor<2x3x4x5xf32>, %s: tensor<3xf32>, %b: tensor<3xf32>) -> (tensor<2x3x4x5xf32>, tensor<2x3x4x5xf32>, tensor<2x3x4x5xf32>) {
  // CHECK: nn.log_softmax %{{.*}} {axis = 3 : i64}
  %0 = nn.log_softmax %x {axis = 3 : i64} : (tensor<2x3x4x5xf32>) -> tensor<2x3x4x5xf32>
  // CHECK: nn.instance_norm %{{.*}}, %{{.*}}, %{{.*}} {epsilon = 0.00999999977 : f32}
  %1 = nn.instance_norm %x, %s, %b {epsilon = 0.01 : f32} : (tensor<2x3x4x5xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3x4x5xf32>
  // CHECK: nn.lrn %{{.*}} {alpha = 2.000000e-04 : f32, beta = 5.000000e-01 : f32, bias = 2.000000e+00 : f32, size = 3 : i64}
  %2 = nn.lrn %x {size = 3 : i64, alpha = 0.0002 : f32, beta = 0.5 : f32, bias = 2.0 : f32} : (tensor<2x3x4x5xf32>) -> tensor<2x3x4x5xf32>
  return %0, %1, %2 : tensor<2x3x4x5xf32>, tensor<2x3x4x5xf32>, tensor<2x3x4x5xf32>
}

// -----

// CHECK-LABEL: func @top_k
func.func @top_k(%x: tensor<3x4xf32>) -> (tensor<3x2xf32>, tensor<3x2xi64>) {
  // CHECK: %{{.*}}, %{{.*}} = nn.top_k %{{.*}} {axis = 1 : i64, k = 2 : i64, largest = false} : (tensor<3x4xf32>) -> (tensor<3x2xf32>, tensor<3x2xi64>)
  %v, %i = nn.top_k %x {k = 2 : i64, axis = 1 : i64, largest = false} : (tensor<3x4xf32>) -> (tensor<3x2xf32>, tensor<3x2xi64>)
  return %v, %i : tensor<3x2xf32>, tensor<3x2xi64>
}

// -----

// Pooling takes any number of spatial dims.
// CHECK-LABEL: func @pooling_nd
func.func @pooling_nd(%x: tensor<1x3x32xf32>, %y: tensor<1x3x5x5x5xf32>) -> (tensor<1x3x16xf32>, tensor<1x3x3x3x3xf32>) {
  // CHECK: nn.max_pool {{.*}} -> tensor<1x3x16xf32>
  %0 = nn.max_pool %x {kernel_shape = array<i64: 2>, strides = array<i64: 2>, pads = array<i64: 0, 0>, dilations = array<i64: 1>, ceil_mode = false} : (tensor<1x3x32xf32>) -> tensor<1x3x16xf32>
  // CHECK: nn.avg_pool {{.*}} -> tensor<1x3x3x3x3xf32>
  %1 = nn.avg_pool %y {kernel_shape = array<i64: 2, 2, 2>, strides = array<i64: 2, 2, 2>, pads = array<i64: 1, 1, 1, 1, 1, 1>, ceil_mode = false, count_include_pad = false} : (tensor<1x3x5x5x5xf32>) -> tensor<1x3x3x3x3xf32>
  return %0, %1 : tensor<1x3x16xf32>, tensor<1x3x3x3x3xf32>
}

// -----

// CHECK-LABEL: func @max_pool_with_indices
func.func @max_pool_with_indices(%x: tensor<1x1x5x5xf32>) -> (tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>) {
  // CHECK: nn.max_pool_with_indices {{.*}}storage_order = true{{.*}} -> (tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>)
  %v, %i = nn.max_pool_with_indices %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = false, storage_order = true} : (tensor<1x1x5x5xf32>) -> (tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>)
  return %v, %i : tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>
}

// -----

// CHECK-LABEL: func @lp_pool
func.func @lp_pool(%x: tensor<1x2x7x6xf32>) -> tensor<1x2x4x6xf32> {
  // CHECK: nn.lp_pool %{{.*}} {kernel_shape = array<i64: 3, 2>, p = 3 : i64, pads = array<i64: 1, 0, 1, 1>, strides = array<i64: 2, 1>} : (tensor<1x2x7x6xf32>) -> tensor<1x2x4x6xf32>
  %0 = nn.lp_pool %x {kernel_shape = array<i64: 3, 2>, strides = array<i64: 2, 1>, pads = array<i64: 1, 0, 1, 1>, p = 3 : i64} : (tensor<1x2x7x6xf32>) -> tensor<1x2x4x6xf32>
  return %0 : tensor<1x2x4x6xf32>
}
