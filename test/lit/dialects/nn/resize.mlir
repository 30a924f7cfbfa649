// RUN: kiln-opt %s -split-input-file | FileCheck %s
// Round trip of nn.resize; the printed form must parse back unchanged.
// RUN: kiln-opt %s -split-input-file | kiln-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func @nearest
func.func @nearest(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x4x6xf32> {
  // CHECK: nn.resize %{{.*}} {coordinate_transformation_mode = "asymmetric", cubic_coeff_a = -7.500000e-01 : f64, exclude_outside = false, extrapolation_value = 0.000000e+00 : f32, mode = "nearest", nearest_mode = "floor", roi = array<f64>, scales = array<f64: 1.000000e+00, 1.000000e+00, 2.000000e+00, 3.000000e+00>, sizes = array<i64: 1, 1, 4, 6>} : (tensor<1x1x2x2xf32>) -> tensor<1x1x4x6xf32>
  %0 = nn.resize %x {sizes = array<i64: 1, 1, 4, 6>, scales = array<f64: 1.0, 1.0, 2.0, 3.0>, mode = "nearest", coordinate_transformation_mode = "asymmetric", nearest_mode = "floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, roi = array<f64>, extrapolation_value = 0.0 : f32} : (tensor<1x1x2x2xf32>) -> tensor<1x1x4x6xf32>
  return %0 : tensor<1x1x4x6xf32>
}

// -----

// Nearest works on integers too.
// CHECK-LABEL: func @nearest_i64
func.func @nearest_i64(%x: tensor<3x5xi64>) -> tensor<6x2xi64> {
  // CHECK: nn.resize %{{.*}} : (tensor<3x5xi64>) -> tensor<6x2xi64>
  %0 = nn.resize %x {sizes = array<i64: 6, 2>, scales = array<f64: 2.0, 0.4>, mode = "nearest", coordinate_transformation_mode = "half_pixel", nearest_mode = "round_prefer_ceil", cubic_coeff_a = -0.75 : f64, exclude_outside = false, roi = array<f64>, extrapolation_value = 0.0 : f32} : (tensor<3x5xi64>) -> tensor<6x2xi64>
  return %0 : tensor<6x2xi64>
}

// -----

// CHECK-LABEL: func @cubic_exclude_outside
func.func @cubic_exclude_outside(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x3x3xf32> {
  // CHECK: nn.resize {{.*}}cubic_coeff_a = -5.000000e-01 : f64, exclude_outside = true{{.*}}mode = "cubic"
  %0 = nn.resize %x {sizes = array<i64: 1, 1, 3, 3>, scales = array<f64: 1.0, 1.0, 0.8, 0.8>, mode = "cubic", coordinate_transformation_mode = "half_pixel", nearest_mode = "round_prefer_floor", cubic_coeff_a = -0.5 : f64, exclude_outside = true, roi = array<f64>, extrapolation_value = 0.0 : f32} : (tensor<1x1x4x4xf32>) -> tensor<1x1x3x3xf32>
  return %0 : tensor<1x1x3x3xf32>
}

// -----

// CHECK-LABEL: func @crop_and_resize
func.func @crop_and_resize(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x3x3xf32> {
  // CHECK: nn.resize {{.*}}coordinate_transformation_mode = "tf_crop_and_resize"{{.*}}extrapolation_value = 1.000000e+01 : f32, mode = "linear"{{.*}}roi = array<f64: 0.000000e+00, 0.000000e+00, 4.000000e-01, 6.000000e-01, 1.000000e+00, 1.000000e+00, 6.000000e-01, 8.000000e-01>
  %0 = nn.resize %x {sizes = array<i64: 1, 1, 3, 3>, scales = array<f64: 1.0, 1.0, 0.75, 0.75>, mode = "linear", coordinate_transformation_mode = "tf_crop_and_resize", nearest_mode = "round_prefer_floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, roi = array<f64: 0.0, 0.0, 0.4, 0.6, 1.0, 1.0, 0.6, 0.8>, extrapolation_value = 10.0 : f32} : (tensor<1x1x4x4xf32>) -> tensor<1x1x3x3xf32>
  return %0 : tensor<1x1x3x3xf32>
}
