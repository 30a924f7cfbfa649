// RUN: kiln-opt %s -split-input-file -convert-nn-to-linalg | FileCheck %s
// nn.resize: tap tables computed at compile time, one gather for the
// single-tap dimensions, one weighted pass per interpolated dimension.

// Nearest: both resized dims in one gather; N and C are untouched.
// CHECK-DAG: #[[H:.*]] = affine_map<(d0, d1, d2, d3) -> (d2)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2, d3) -> (d3)>
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func @nearest
// CHECK-DAG: %[[HI:.*]] = arith.constant dense<[0, 0, 1, 1]> : tensor<4xi64>
// CHECK-DAG: %[[WI:.*]] = arith.constant dense<[0, 0, 0, 1, 1, 1]> : tensor<6xi64>
// CHECK: linalg.generic {indexing_maps = [#[[H]], #[[W]], #[[ID]]], {{.*}} ins(%[[HI]], %[[WI]] : tensor<4xi64>, tensor<6xi64>) outs(%{{.*}} : tensor<1x1x4x6xf32>)
// CHECK: ^bb0(%[[I:.*]]: i64, %[[J:.*]]: i64, %{{.*}}: f32):
// CHECK: %[[N:.*]] = linalg.index 0
// CHECK: %[[C:.*]] = linalg.index 1
// CHECK: %[[IH:.*]] = arith.index_cast %[[I]] : i64 to index
// CHECK: %[[IW:.*]] = arith.index_cast %[[J]] : i64 to index
// CHECK: %[[V:.*]] = tensor.extract %arg0[%[[N]], %[[C]], %[[IH]], %[[IW]]]
// CHECK: linalg.yield %[[V]]
// CHECK-NOT: linalg.generic
func.func @nearest(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x4x6xf32> {
  %0 = nn.resize %x {sizes = array<i64: 1, 1, 4, 6>, scales = array<f64: 1.0, 1.0, 2.0, 3.0>, mode = "nearest", coordinate_transformation_mode = "asymmetric", nearest_mode = "floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, roi = array<f64>, extrapolation_value = 0.0 : f32} : (tensor<1x1x2x2xf32>) -> tensor<1x1x4x6xf32>
  return %0 : tensor<1x1x4x6xf32>
}

// -----

// Nearest modes, half_pixel 2 -> 5 (x_ori = -0.3, 0.1, 0.5, 0.9, 1.3):
// round_prefer_ceil rounds 0.5 up, the edges clamp.
// CHECK-LABEL: func @round_prefer_ceil
// CHECK: arith.constant dense<[0, 0, 1, 1, 1]> : tensor<5xi64>
func.func @round_prefer_ceil(%x: tensor<2xi64>) -> tensor<5xi64> {
  %0 = nn.resize %x {sizes = array<i64: 5>, scales = array<f64: 2.5>, mode = "nearest", coordinate_transformation_mode = "half_pixel", nearest_mode = "round_prefer_ceil", cubic_coeff_a = -0.75 : f64, exclude_outside = false, roi = array<f64>, extrapolation_value = 0.0 : f32} : (tensor<2xi64>) -> tensor<5xi64>
  return %0 : tensor<5xi64>
}

// -----

// CHECK-LABEL: func @round_prefer_floor
// CHECK: arith.constant dense<[0, 0, 0, 1, 1]> : tensor<5xi64>
func.func @round_prefer_floor(%x: tensor<2xf32>) -> tensor<5xf32> {
  %0 = nn.resize %x {sizes = array<i64: 5>, scales = array<f64: 2.5>, mode = "nearest", coordinate_transformation_mode = "half_pixel", nearest_mode = "round_prefer_floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, roi = array<f64>, extrapolation_value = 0.0 : f32} : (tensor<2xf32>) -> tensor<5xf32>
  return %0 : tensor<5xf32>
}

// -----

// Bilinear half_pixel 2x: one weighted pass per dim (H, then W), two taps
// each; the edges clamp (weight 1 on element 0 / 1).
// CHECK-LABEL: func @bilinear
// CHECK-DAG: %[[I0:.*]] = arith.constant dense<[0, 0, 0, 1]> : tensor<4xi64>
// CHECK-DAG: %[[W0:.*]] = arith.constant dense<[1.000000e+00, 7.500000e-01, 2.500000e-01, 1.000000e+00]> : tensor<4xf32>
// CHECK-DAG: %[[I1:.*]] = arith.constant dense<[0, 1, 1, 1]> : tensor<4xi64>
// CHECK-DAG: %[[W1:.*]] = arith.constant dense<[0.000000e+00, 2.500000e-01, 7.500000e-01, 0.000000e+00]> : tensor<4xf32>
// CHECK: %[[H:.*]] = linalg.generic {{.*}} ins(%[[I0]], %[[W0]], %[[I1]], %[[W1]] : {{.*}}) outs(%{{.*}} : tensor<1x1x4x2xf32>)
// CHECK: ^bb0(%[[A:.*]]: i64, %[[WA:.*]]: f32, %[[B:.*]]: i64, %[[WB:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[XA:.*]] = tensor.extract %arg0
// CHECK: %[[TA:.*]] = arith.mulf %[[WA]], %[[XA]]
// CHECK: %[[XB:.*]] = tensor.extract %arg0
// CHECK: %[[TB:.*]] = arith.mulf %[[WB]], %[[XB]]
// CHECK: %[[S:.*]] = arith.addf %[[TA]], %[[TB]]
// CHECK: linalg.yield %[[S]]
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x1x4x4xf32>)
// CHECK: tensor.extract %[[H]]
func.func @bilinear(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32> {
  %0 = nn.resize %x {sizes = array<i64: 1, 1, 4, 4>, scales = array<f64: 1.0, 1.0, 2.0, 2.0>, mode = "linear", coordinate_transformation_mode = "half_pixel", nearest_mode = "round_prefer_floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, roi = array<f64>, extrapolation_value = 0.0 : f32} : (tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}

// -----

// align_corners 3 -> 5: x_ori = 0, 0.5, 1, 1.5, 2; integer coordinates put
// weight 1 on one tap.
// CHECK-LABEL: func @align_corners
// CHECK: arith.constant dense<[0, 0, 1, 1, 2]> : tensor<5xi64>
// CHECK: arith.constant dense<[1.000000e+00, 5.000000e-01, 1.000000e+00, 5.000000e-01, 1.000000e+00]> : tensor<5xf32>
// CHECK: arith.constant dense<[0, 1, 1, 2, 2]> : tensor<5xi64>
// CHECK: arith.constant dense<[0.000000e+00, 5.000000e-01, 0.000000e+00, 5.000000e-01, 0.000000e+00]> : tensor<5xf32>
func.func @align_corners(%x: tensor<3xf32>) -> tensor<5xf32> {
  %0 = nn.resize %x {sizes = array<i64: 5>, scales = array<f64: 1.6666666666666667>, mode = "linear", coordinate_transformation_mode = "align_corners", nearest_mode = "round_prefer_floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, roi = array<f64>, extrapolation_value = 0.0 : f32} : (tensor<3xf32>) -> tensor<5xf32>
  return %0 : tensor<5xf32>
}

// -----

// Cubic with exclude_outside, 4 -> 2 (x_ori = 0.5, 2.5): each output loses
// the tap outside the input (-1, then 4); the other 3 are renormalised.
// CHECK-LABEL: func @cubic_exclude_outside
// CHECK: arith.constant dense<[0, 1]> : tensor<2xi64>
// CHECK: arith.constant dense<[0.529411793, -0.0588235296]> : tensor<2xf32>
// CHECK: arith.constant dense<[1, 2]> : tensor<2xi64>
// CHECK: arith.constant dense<0.529411793> : tensor<2xf32>
// CHECK: arith.constant dense<[2, 3]> : tensor<2xi64>
// CHECK: arith.constant dense<[-0.0588235296, 0.529411793]> : tensor<2xf32>
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<2xf32>)
// CHECK-COUNT-3: arith.mulf
// CHECK-NOT: arith.mulf
func.func @cubic_exclude_outside(%x: tensor<4xf32>) -> tensor<2xf32> {
  %0 = nn.resize %x {sizes = array<i64: 2>, scales = array<f64: 0.5>, mode = "cubic", coordinate_transformation_mode = "half_pixel", nearest_mode = "round_prefer_floor", cubic_coeff_a = -0.5 : f64, exclude_outside = true, roi = array<f64>, extrapolation_value = 0.0 : f32} : (tensor<4xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// Linear at integer source coordinates only (asymmetric 4 -> 2: x_ori = 0, 2)
// is a gather.
// CHECK-LABEL: func @linear_gather
// CHECK: %[[I:.*]] = arith.constant dense<[0, 2]> : tensor<2xi64>
// CHECK: linalg.generic {{.*}} ins(%[[I]] : tensor<2xi64>)
// CHECK-NOT: arith.mulf
// CHECK: linalg.yield
func.func @linear_gather(%x: tensor<4xf32>) -> tensor<2xf32> {
  %0 = nn.resize %x {sizes = array<i64: 2>, scales = array<f64: 0.5>, mode = "linear", coordinate_transformation_mode = "asymmetric", nearest_mode = "round_prefer_floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, roi = array<f64>, extrapolation_value = 0.0 : f32} : (tensor<4xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// tf_crop_and_resize: the last output falls outside the input; its first
// tap index is -1 and it yields extrapolation_value.
// CHECK-LABEL: func @crop
// CHECK-DAG: %[[I0:.*]] = arith.constant dense<[1, 2, -1]> : tensor<3xi64>
// CHECK-DAG: %[[I1:.*]] = arith.constant dense<[2, 3, 0]> : tensor<3xi64>
// CHECK: linalg.generic {{.*}} ins(%[[I0]], %{{.*}}, %[[I1]], %{{.*}} : {{.*}})
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: i64,
// CHECK: %[[Z:.*]] = arith.constant 0 : i64
// CHECK: %[[OUT:.*]] = arith.cmpi slt, %[[A]], %[[Z]]
// CHECK: arith.maxsi %[[A]], %[[Z]]
// CHECK: %[[SUM:.*]] = arith.addf
// CHECK: %[[E:.*]] = arith.constant 1.000000e+01 : f32
// CHECK: arith.select %[[OUT]], %[[E]], %[[SUM]]
func.func @crop(%x: tensor<1x4xf32>) -> tensor<1x3xf32> {
  %0 = nn.resize %x {sizes = array<i64: 1, 3>, scales = array<f64: 1.0, 0.75>, mode = "linear", coordinate_transformation_mode = "tf_crop_and_resize", nearest_mode = "round_prefer_floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, roi = array<f64: 0.0, 0.4, 1.0, 1.2>, extrapolation_value = 10.0 : f32} : (tensor<1x4xf32>) -> tensor<1x3xf32>
  return %0 : tensor<1x3xf32>
}

// -----

// Same size, scale 1: nothing to do.
// CHECK-LABEL: func @identity
// CHECK-NOT: linalg.generic
// CHECK: return %arg0
func.func @identity(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.resize %x {sizes = array<i64: 2, 3>, scales = array<f64: 1.0, 1.0>, mode = "cubic", coordinate_transformation_mode = "half_pixel", nearest_mode = "round_prefer_floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, roi = array<f64>, extrapolation_value = 0.0 : f32} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}
