// RUN: kiln-opt %s -split-input-file -convert-nn-to-linalg | FileCheck %s

// LogSumExp subtracts the maximum before exp and adds it back after log.
// CHECK-LABEL: func @reduce_log_sum_exp
// CHECK: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[INIT:.*]] = linalg.fill ins(%[[NEGINF]] : f32)
// CHECK: %[[MAX:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%arg0 : tensor<3x4xf32>) outs(%[[INIT]] : tensor<3x1xf32>)
// CHECK: arith.maximumf
// CHECK: linalg.generic {{.*}} ins(%arg0, %[[MAX]] : tensor<3x4xf32>, tensor<3x1xf32>)
// CHECK: arith.subf
// CHECK: math.exp
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]}
// CHECK: arith.addf
// CHECK: linalg.generic {{.*}} ins(%[[SUM]], %[[MAX]] : tensor<3x1xf32>, tensor<3x1xf32>)
// CHECK: math.log
// CHECK: arith.addf
// CHECK: tensor.collapse_shape {{.*}} into tensor<3xf32>
func.func @reduce_log_sum_exp(%x: tensor<3x4xf32>) -> tensor<3xf32> {
  %0 = nn.reduce %x {kind = "log_sum_exp", axes = array<i64: 1>, keepdims = false} : (tensor<3x4xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// Integer max starts from the type's minimum and compares signed.
// CHECK-LABEL: func @reduce_max_i32
// CHECK: arith.constant -2147483648 : i32
// CHECK: linalg.generic
// CHECK: arith.maxsi
func.func @reduce_max_i32(%x: tensor<3x4xi32>) -> tensor<3x1xi32> {
  %0 = nn.reduce %x {kind = "max", axes = array<i64: 1>, keepdims = true} : (tensor<3x4xi32>) -> tensor<3x1xi32>
  return %0 : tensor<3x1xi32>
}

// -----

// CHECK-LABEL: func @reduce_l2
// CHECK: linalg.generic
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: linalg.generic
// CHECK: math.sqrt
func.func @reduce_l2(%x: tensor<3x4xf32>) -> tensor<1x1xf32> {
  %0 = nn.reduce %x {kind = "l2", axes = array<i64: 0, 1>, keepdims = true} : (tensor<3x4xf32>) -> tensor<1x1xf32>
  return %0 : tensor<1x1xf32>
}

// -----

// select_last_index takes an equal value too (oge); the index comes from
// linalg.index along the axis.
// CHECK-LABEL: func @arg_max_last
// CHECK: %[[R:.*]]:2 = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%arg0 : tensor<2x3xf32>) outs(%{{.*}}, %{{.*}} : tensor<2x1xf32>, tensor<2x1xi64>)
// CHECK: arith.cmpf oge
// CHECK: linalg.index 1
// CHECK: arith.select
// CHECK: tensor.collapse_shape %[[R]]#1 {{.*}} into tensor<2xi64>
func.func @arg_max_last(%x: tensor<2x3xf32>) -> tensor<2xi64> {
  %0 = nn.arg_max %x {axis = 1 : i64, keepdims = false, select_last_index = true} : (tensor<2x3xf32>) -> tensor<2xi64>
  return %0 : tensor<2xi64>
}

// -----

// CHECK-LABEL: func @arg_min_first
// CHECK: arith.constant 0x7F800000 : f32
// CHECK: arith.cmpf olt
func.func @arg_min_first(%x: tensor<2x3xf32>) -> tensor<1x3xi64> {
  %0 = nn.arg_min %x {axis = 0 : i64, keepdims = true, select_last_index = false} : (tensor<2x3xf32>) -> tensor<1x3xi64>
  return %0 : tensor<1x3xi64>
}

// -----

// TopK ranks every entry against the others (ties: lower index first), then
// slot t takes the entry of rank t.
// CHECK-DAG: #[[I:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[J:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-LABEL: func @top_k
// CHECK: %[[RANK:.*]] = linalg.generic {indexing_maps = [#[[I]], #[[J]], #[[I]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0, %arg0 : {{.*}}) outs(%{{.*}} : tensor<3x4xi64>)
// CHECK: arith.cmpf ogt
// CHECK: arith.cmpf oeq
// CHECK: arith.cmpi ult
// CHECK: %[[OUT:.*]]:2 = linalg.generic {indexing_maps = [#[[J]], #[[J]], #[[I]], #[[I]]], {{.*}}} ins(%arg0, %[[RANK]] : tensor<3x4xf32>, tensor<3x4xi64>) outs({{.*}} : tensor<3x2xf32>, tensor<3x2xi64>)
// CHECK: arith.cmpi eq
// CHECK: return %[[OUT]]#0, %[[OUT]]#1
func.func @top_k(%x: tensor<3x4xf32>) -> (tensor<3x2xf32>, tensor<3x2xi64>) {
  %v, %i = nn.top_k %x {k = 2 : i64, axis = 1 : i64, largest = true} : (tensor<3x4xf32>) -> (tensor<3x2xf32>, tensor<3x2xi64>)
  return %v, %i : tensor<3x2xf32>, tensor<3x2xi64>
}

// -----

// CHECK-LABEL: func @log_softmax
// CHECK: arith.maximumf
// CHECK: arith.subf
// CHECK: math.exp
// CHECK: arith.addf
// CHECK: math.log
// CHECK: arith.subf
func.func @log_softmax(%x: tensor<2x5xf32>) -> tensor<2x5xf32> {
  %0 = nn.log_softmax %x {axis = 1 : i64} : (tensor<2x5xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

// CHECK-DAG: #[[CH:.*]] = affine_map<(d0, d1, d2) -> (d1)>
// CHECK-LABEL: func @instance_norm
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK: arith.divf
// CHECK: arith.subf
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK: linalg.generic {indexing_maps = [{{.*}}, {{.*}}, #[[CH]], #[[CH]], {{.*}}]
// CHECK: math.sqrt
func.func @instance_norm(%x: tensor<2x3x4xf32>, %s: tensor<3xf32>, %b: tensor<3xf32>) -> tensor<2x3x4xf32> {
  %0 = nn.instance_norm %x, %s, %b {epsilon = 0.01 : f32} : (tensor<2x3x4xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----

// The squares are zero-padded along the channels; a window dim sums them.
// CHECK-DAG: #[[WIN:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1 + d4, d2, d3)>
// CHECK-LABEL: func @lrn
// CHECK: tensor.pad %{{.*}} low[0, 1, 0, 0] high[0, 1, 0, 0]
// CHECK: linalg.generic {indexing_maps = [#[[WIN]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<1x6x2x2xf32>, tensor<3xf32>)
// CHECK: math.log
// CHECK: math.exp
// CHECK: arith.divf
func.func @lrn(%x: tensor<1x4x2x2xf32>) -> tensor<1x4x2x2xf32> {
  %0 = nn.lrn %x {size = 3 : i64, alpha = 0.0001 : f32, beta = 0.75 : f32, bias = 1.0 : f32} : (tensor<1x4x2x2xf32>) -> tensor<1x4x2x2xf32>
  return %0 : tensor<1x4x2x2xf32>
}

// -----

// Pooling other than 2-D is a linalg.generic with the window dims last.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2 * 2 + d3)>
// CHECK-LABEL: func @max_pool_1d
// CHECK: tensor.pad %{{.*}} low[0, 0, 0] high[0, 0, 1]
// CHECK: linalg.generic {indexing_maps = [#[[IN]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK: arith.maximumf
func.func @max_pool_1d(%x: tensor<1x3x8xf32>) -> tensor<1x3x4xf32> {
  %0 = nn.max_pool %x {kernel_shape = array<i64: 2>, strides = array<i64: 2>, pads = array<i64: 0, 1>, dilations = array<i64: 1>, ceil_mode = false} : (tensor<1x3x8xf32>) -> tensor<1x3x4xf32>
  return %0 : tensor<1x3x4xf32>
}

// -----

// Integer max pooling: the padding and the initial value are the type's
// minimum (not -inf), and the comparison is signed.
// CHECK-LABEL: func @max_pool_i32
// CHECK: %[[MIN:.*]] = arith.constant -2147483648 : i32
// CHECK: tensor.pad %{{.*}} low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: tensor.yield %[[MIN]] : i32
// CHECK: %[[MIN2:.*]] = arith.constant -2147483648 : i32
// CHECK: linalg.fill ins(%[[MIN2]] : i32)
// CHECK: linalg.pooling_nchw_max
func.func @max_pool_i32(%x: tensor<1x2x5x5xi32>) -> tensor<1x2x3x3xi32> {
  %0 = nn.max_pool %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, ceil_mode = false} : (tensor<1x2x5x5xi32>) -> tensor<1x2x3x3xi32>
  return %0 : tensor<1x2x3x3xi32>
}

// -----

// CHECK-LABEL: func @max_pool_1d_i64
// CHECK: arith.constant -9223372036854775808 : i64
// CHECK: linalg.generic
// CHECK: arith.maxsi
func.func @max_pool_1d_i64(%x: tensor<1x3x8xi64>) -> tensor<1x3x4xi64> {
  %0 = nn.max_pool %x {kernel_shape = array<i64: 2>, strides = array<i64: 2>, pads = array<i64: 0, 1>, dilations = array<i64: 1>, ceil_mode = false} : (tensor<1x3x8xi64>) -> tensor<1x3x4xi64>
  return %0 : tensor<1x3x4xi64>
}

// -----

// CHECK-LABEL: func @max_pool_with_indices_i32
// CHECK: arith.constant -2147483648 : i32
// CHECK: linalg.generic
// CHECK: arith.cmpi sgt
// CHECK: arith.select
func.func @max_pool_with_indices_i32(%x: tensor<1x2x5x5xi32>) -> (tensor<1x2x3x3xi32>, tensor<1x2x3x3xi64>) {
  %v, %i = nn.max_pool_with_indices %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, ceil_mode = false, storage_order = false} : (tensor<1x2x5x5xi32>) -> (tensor<1x2x3x3xi32>, tensor<1x2x3x3xi64>)
  return %v, %i : tensor<1x2x3x3xi32>, tensor<1x2x3x3xi64>
}

// -----

// 3-D average pooling: the divisor counts only the cells inside the input.
// CHECK-LABEL: func @avg_pool_3d
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
// CHECK: arith.addf
// CHECK: arith.constant dense<{{\[\[\[}}1.000000e+00, 2.000000e+00], [2.000000e+00, 4.000000e+00]], {{\[\[}}2.000000e+00, 4.000000e+00], [4.000000e+00, 8.000000e+00]]]> : tensor<2x2x2xf32>
// CHECK: arith.divf
func.func @avg_pool_3d(%x: tensor<1x1x3x3x3xf32>) -> tensor<1x1x2x2x2xf32> {
  %0 = nn.avg_pool %x {kernel_shape = array<i64: 2, 2, 2>, strides = array<i64: 2, 2, 2>, pads = array<i64: 1, 1, 1, 0, 0, 0>, ceil_mode = false, count_include_pad = false} : (tensor<1x1x3x3x3xf32>) -> tensor<1x1x2x2x2xf32>
  return %0 : tensor<1x1x2x2x2xf32>
}

// -----

// The flat input position: (n * C + c) * H * W + (oh * 2 + kh - 1) * W + ow * 2 + kw - 1,
// taken where a strictly greater value appears.
// CHECK-LABEL: func @max_pool_with_indices
// CHECK: tensor.pad %{{.*}} low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: %[[R:.*]]:2 = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
// CHECK: arith.cmpf ogt
// CHECK: arith.constant 25 : i64
// CHECK: arith.constant 5 : i64
// CHECK: arith.select
// CHECK: return %[[R]]#0, %[[R]]#1
func.func @max_pool_with_indices(%x: tensor<1x2x5x5xf32>) -> (tensor<1x2x3x3xf32>, tensor<1x2x3x3xi64>) {
  %v, %i = nn.max_pool_with_indices %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, ceil_mode = false, storage_order = false} : (tensor<1x2x5x5xf32>) -> (tensor<1x2x3x3xf32>, tensor<1x2x3x3xi64>)
  return %v, %i : tensor<1x2x3x3xf32>, tensor<1x2x3x3xi64>
}

// -----

// |x|^3 as x*x*x by squaring, zero padding, a window sum, then the cube root
// as exp(log(s) / 3).
// CHECK-LABEL: func @lp_pool
// CHECK: linalg.generic
// CHECK: math.absf
// CHECK: arith.mulf
// CHECK: arith.mulf
// CHECK: tensor.pad %{{.*}} low[0, 0, 1, 0] high[0, 0, 1, 1]
// CHECK: linalg.pooling_nchw_sum
// CHECK: math.log
// CHECK: arith.divf
// CHECK: math.exp
func.func @lp_pool(%x: tensor<1x2x7x6xf32>) -> tensor<1x2x4x6xf32> {
  %0 = nn.lp_pool %x {kernel_shape = array<i64: 3, 2>, strides = array<i64: 2, 1>, pads = array<i64: 1, 0, 1, 1>, p = 3 : i64} : (tensor<1x2x7x6xf32>) -> tensor<1x2x4x6xf32>
  return %0 : tensor<1x2x4x6xf32>
}
