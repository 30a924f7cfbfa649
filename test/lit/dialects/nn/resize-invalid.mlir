// RUN: kiln-opt %s -split-input-file -verify-diagnostics
// nn.resize rejects inconsistent sizes, scales, modes and roi.

func.func @sizes_rank(%x: tensor<1x1x2x2xf32>) {
  // expected-error @+2 {{sizes and scales need one entry per dimension}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.resize %x {sizes = array<i64: 4, 4>, scales = array<f64: 1.0, 1.0, 2.0, 2.0>, mode = "nearest", coordinate_transformation_mode = "asymmetric", nearest_mode = "floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, roi = array<f64>, extrapolation_value = 0.0 : f32} : (tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32>
  return
}

// -----

func.func @empty_size(%x: tensor<1x1x2x2xf32>) {
  // expected-error @+2 {{sizes entries must be >= 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.resize %x {sizes = array<i64: 1, 1, 0, 4>, scales = array<f64: 1.0, 1.0, 0.1, 2.0>, mode = "nearest", coordinate_transformation_mode = "asymmetric", nearest_mode = "floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, roi = array<f64>, extrapolation_value = 0.0 : f32} : (tensor<1x1x2x2xf32>) -> tensor<1x1x0x4xf32>
  return
}

// -----

func.func @bad_scale(%x: tensor<1x1x2x2xf32>) {
  // expected-error @+2 {{scales entries must be finite and > 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.resize %x {sizes = array<i64: 1, 1, 4, 4>, scales = array<f64: 1.0, 0.0, 2.0, 2.0>, mode = "nearest", coordinate_transformation_mode = "asymmetric", nearest_mode = "floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, roi = array<f64>, extrapolation_value = 0.0 : f32} : (tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32>
  return
}

// -----

func.func @bad_mode(%x: tensor<1x1x2x2xf32>) {
  // expected-error @+2 {{mode must be nearest, linear or cubic, not 'area'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.resize %x {sizes = array<i64: 1, 1, 4, 4>, scales = array<f64: 1.0, 1.0, 2.0, 2.0>, mode = "area", coordinate_transformation_mode = "asymmetric", nearest_mode = "floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, roi = array<f64>, extrapolation_value = 0.0 : f32} : (tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32>
  return
}

// -----

func.func @linear_int(%x: tensor<1x1x2x2xi32>) {
  // expected-error @+2 {{linear interpolation needs a float tensor}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.resize %x {sizes = array<i64: 1, 1, 4, 4>, scales = array<f64: 1.0, 1.0, 2.0, 2.0>, mode = "linear", coordinate_transformation_mode = "asymmetric", nearest_mode = "floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, roi = array<f64>, extrapolation_value = 0.0 : f32} : (tensor<1x1x2x2xi32>) -> tensor<1x1x4x4xi32>
  return
}

// -----

func.func @bad_coordinate_mode(%x: tensor<1x1x2x2xf32>) {
  // expected-error @+2 {{unknown coordinate_transformation_mode 'corners'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.resize %x {sizes = array<i64: 1, 1, 4, 4>, scales = array<f64: 1.0, 1.0, 2.0, 2.0>, mode = "linear", coordinate_transformation_mode = "corners", nearest_mode = "floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, roi = array<f64>, extrapolation_value = 0.0 : f32} : (tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32>
  return
}

// -----

func.func @bad_nearest_mode(%x: tensor<1x1x2x2xf32>) {
  // expected-error @+2 {{unknown nearest_mode 'round'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.resize %x {sizes = array<i64: 1, 1, 4, 4>, scales = array<f64: 1.0, 1.0, 2.0, 2.0>, mode = "nearest", coordinate_transformation_mode = "asymmetric", nearest_mode = "round", cubic_coeff_a = -0.75 : f64, exclude_outside = false, roi = array<f64>, extrapolation_value = 0.0 : f32} : (tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32>
  return
}

// -----

func.func @crop_without_roi(%x: tensor<1x1x2x2xf32>) {
  // expected-error @+2 {{tf_crop_and_resize needs a roi of 2 * rank entries}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.resize %x {sizes = array<i64: 1, 1, 4, 4>, scales = array<f64: 1.0, 1.0, 2.0, 2.0>, mode = "linear", coordinate_transformation_mode = "tf_crop_and_resize", nearest_mode = "floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, roi = array<f64: 0.0, 1.0>, extrapolation_value = 0.0 : f32} : (tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32>
  return
}

// -----

func.func @roi_unused(%x: tensor<2xf32>) {
  // expected-error @+2 {{roi is only used by tf_crop_and_resize}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.resize %x {sizes = array<i64: 4>, scales = array<f64: 2.0>, mode = "linear", coordinate_transformation_mode = "half_pixel", nearest_mode = "floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, roi = array<f64: 0.0, 1.0>, extrapolation_value = 0.0 : f32} : (tensor<2xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @wrong_result(%x: tensor<1x1x2x2xf32>) {
  // expected-error @+2 {{'nn.resize' op inferred type(s) 'tensor<1x1x4x4xf32>' are incompatible with return type(s) of operation 'tensor<1x1x4x5xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.resize %x {sizes = array<i64: 1, 1, 4, 4>, scales = array<f64: 1.0, 1.0, 2.0, 2.0>, mode = "nearest", coordinate_transformation_mode = "asymmetric", nearest_mode = "floor", cubic_coeff_a = -0.75 : f64, exclude_outside = false, roi = array<f64>, extrapolation_value = 0.0 : f32} : (tensor<1x1x2x2xf32>) -> tensor<1x1x4x5xf32>
  return
}
