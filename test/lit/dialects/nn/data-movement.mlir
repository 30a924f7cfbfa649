// RUN: kiln-opt %s -split-input-file | FileCheck %s
// Round trip of the data movement ops (gather, expand, pad modes, slices
// with negative steps); the printed form must parse back unchanged.
// RUN: kiln-opt %s -split-input-file | kiln-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func @gather
func.func @gather(%x: tensor<5x4x3xf32>, %i: tensor<2x3xi64>) -> tensor<5x2x3x3xf32> {
  // CHECK: nn.gather %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<5x4x3xf32>, tensor<2x3xi64>) -> tensor<5x2x3x3xf32>
  %0 = nn.gather %x, %i {axis = 1 : i64} : (tensor<5x4x3xf32>, tensor<2x3xi64>) -> tensor<5x2x3x3xf32>
  return %0 : tensor<5x2x3x3xf32>
}

// -----

// A scalar index drops the axis; negative axes count from the end.
// CHECK-LABEL: func @gather_scalar_index
func.func @gather_scalar_index(%x: tensor<5x4xi64>, %i: tensor<i32>) -> tensor<5xi64> {
  // CHECK: nn.gather %{{.*}}, %{{.*}} {axis = -1 : i64} : (tensor<5x4xi64>, tensor<i32>) -> tensor<5xi64>
  %0 = nn.gather %x, %i {axis = -1 : i64} : (tensor<5x4xi64>, tensor<i32>) -> tensor<5xi64>
  return %0 : tensor<5xi64>
}

// -----

// CHECK-LABEL: func @expand
func.func @expand(%x: tensor<3x1xf32>) -> (tensor<2x3x6xf32>, tensor<3x4xf32>) {
  // CHECK: nn.expand %{{.*}} {shape = array<i64: 2, 1, 6>} : (tensor<3x1xf32>) -> tensor<2x3x6xf32>
  %0 = nn.expand %x {shape = array<i64: 2, 1, 6>} : (tensor<3x1xf32>) -> tensor<2x3x6xf32>
  // CHECK: nn.expand %{{.*}} {shape = array<i64: 4>} : (tensor<3x1xf32>) -> tensor<3x4xf32>
  %1 = nn.expand %x {shape = array<i64: 4>} : (tensor<3x1xf32>) -> tensor<3x4xf32>
  return %0, %1 : tensor<2x3x6xf32>, tensor<3x4xf32>
}

// -----

// CHECK-LABEL: func @pad_modes
func.func @pad_modes(%x: tensor<1x3x4x5xi32>) -> (tensor<1x3x6x7xi32>, tensor<1x3x6x7xi32>, tensor<1x3x6x7xi32>) {
  // The default mode (constant) is not printed.
  // CHECK: nn.pad %{{.*}} {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, value = 2.000000e+00 : f32} : (tensor<1x3x4x5xi32>) -> tensor<1x3x6x7xi32>
  %0 = nn.pad %x {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, value = 2.0 : f32} : (tensor<1x3x4x5xi32>) -> tensor<1x3x6x7xi32>
  // CHECK: nn.pad %{{.*}} {mode = "reflect", pads = array<i64: 0, 0, 2, 1, 0, 0, 0, 1>, value = 0.000000e+00 : f32}
  %1 = nn.pad %x {pads = array<i64: 0, 0, 2, 1, 0, 0, 0, 1>, value = 0.0 : f32, mode = "reflect"} : (tensor<1x3x4x5xi32>) -> tensor<1x3x6x7xi32>
  // CHECK: nn.pad %{{.*}} {mode = "edge", pads = array<i64: 0, 0, 0, 2, 0, 0, 2, 0>, value = 0.000000e+00 : f32}
  %2 = nn.pad %x {pads = array<i64: 0, 0, 0, 2, 0, 0, 2, 0>, value = 0.0 : f32, mode = "edge"} : (tensor<1x3x4x5xi32>) -> tensor<1x3x6x7xi32>
  return %0, %1, %2 : tensor<1x3x6x7xi32>, tensor<1x3x6x7xi32>, tensor<1x3x6x7xi32>
}

// -----

// Negative steps walk backwards from the offset.
// CHECK-LABEL: func @slice_backwards
func.func @slice_backwards(%x: tensor<20x10x5xf32>) -> tensor<19x3x2xf32> {
  // CHECK: nn.slice %{{.*}} {offsets = array<i64: 19, 9, 4>, sizes = array<i64: 19, 3, 2>, steps = array<i64: -1, -3, -2>}
  %0 = nn.slice %x {offsets = array<i64: 19, 9, 4>, sizes = array<i64: 19, 3, 2>, steps = array<i64: -1, -3, -2>} : (tensor<20x10x5xf32>) -> tensor<19x3x2xf32>
  return %0 : tensor<19x3x2xf32>
}

// -----

// CHECK-LABEL: func @gather_elements
func.func @gather_elements(%x: tensor<3x3xf32>, %i: tensor<2x3xi64>) -> tensor<2x3xf32> {
  // CHECK: nn.gather_elements %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<3x3xf32>, tensor<2x3xi64>) -> tensor<2x3xf32>
  %0 = nn.gather_elements %x, %i {axis = 0 : i64} : (tensor<3x3xf32>, tensor<2x3xi64>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// An empty slice (size 0) may start anywhere in [0, dim], even at the end.
// CHECK-LABEL: func @slice_empty
// CHECK: nn.slice %{{.*}} {offsets = array<i64: 0, 10>, sizes = array<i64: 20, 0>, steps = array<i64: 1, 1>}
func.func @slice_empty(%x: tensor<20x10xf32>) -> tensor<20x0xf32> {
  %0 = nn.slice %x {offsets = array<i64: 0, 10>, sizes = array<i64: 20, 0>, steps = array<i64: 1, 1>} : (tensor<20x10xf32>) -> tensor<20x0xf32>
  return %0 : tensor<20x0xf32>
}
