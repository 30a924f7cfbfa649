// RUN: kiln-opt %s -split-input-file -convert-nn-to-linalg | FileCheck %s
// nn -> linalg for the data movement ops: gathers, broadcasts, pad modes and
// slices with negative steps.

// Gather walks the indices along the result's axis dims; negative indices
// wrap, and the index is clamped into the dimension before the read.
// CHECK-DAG: #[[IDX:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d2)>
// CHECK-LABEL: func @gather
// CHECK: linalg.generic {indexing_maps = [#[[IDX]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%{{.*}} : tensor<2x2xi32>)
// CHECK: ^bb0(%[[I:.*]]: i32, %{{.*}}: f32):
// CHECK: %[[C:.*]] = arith.index_cast %[[I]] : i32 to index
// CHECK: %[[W:.*]] = arith.addi %[[C]], %{{.*}}
// CHECK: %[[NEG:.*]] = arith.cmpi slt, %[[C]]
// CHECK: %[[S:.*]] = arith.select %[[NEG]], %[[W]], %[[C]]
// CHECK: %[[LO:.*]] = arith.maxsi %[[S]]
// CHECK: %[[K:.*]] = arith.minsi %[[LO]]
// CHECK: %[[D0:.*]] = linalg.index 0
// CHECK: %[[D3:.*]] = linalg.index 3
// CHECK: tensor.extract %{{.*}}[%[[D0]], %[[K]], %[[D3]]] : tensor<5x4x3xf32>
func.func @gather(%x: tensor<5x4x3xf32>, %i: tensor<2x2xi32>) -> tensor<5x2x2x3xf32> {
  %0 = nn.gather %x, %i {axis = 1 : i64} : (tensor<5x4x3xf32>, tensor<2x2xi32>) -> tensor<5x2x2x3xf32>
  return %0 : tensor<5x2x2x3xf32>
}

// -----

// Expand is a broadcasting copy.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2) -> (d1, 0)>
// CHECK-LABEL: func @expand
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #{{.*}}]{{.*}} ins(%{{.*}} : tensor<3x1xf32>) outs(%{{.*}} : tensor<2x3x6xf32>)
// CHECK-NEXT: ^bb0(%[[V:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: linalg.yield %[[V]]
func.func @expand(%x: tensor<3x1xf32>) -> tensor<2x3x6xf32> {
  %0 = nn.expand %x {shape = array<i64: 2, 1, 6>} : (tensor<3x1xf32>) -> tensor<2x3x6xf32>
  return %0 : tensor<2x3x6xf32>
}

// -----

// Constant padding of integers converts the value to the element type.
// CHECK-LABEL: func @pad_constant_int
// CHECK: %[[V:.*]] = arith.constant 3 : i64
// CHECK: tensor.pad %{{.*}} low[0, 1] high[0, 2]
// CHECK: tensor.yield %[[V]] : i64
func.func @pad_constant_int(%x: tensor<4x5xi64>) -> tensor<4x8xi64> {
  %0 = nn.pad %x {pads = array<i64: 0, 1, 0, 2>, value = 3.0 : f32} : (tensor<4x5xi64>) -> tensor<4x8xi64>
  return %0 : tensor<4x8xi64>
}

// -----

// Edge padding clamps the source index; unpadded dims read in place.
// CHECK-LABEL: func @pad_edge
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<4x8xi32>)
// CHECK: %[[D0:.*]] = linalg.index 0
// CHECK: %[[D1:.*]] = linalg.index 1
// CHECK: %[[I:.*]] = arith.subi %[[D1]], %c1
// CHECK: %[[LO:.*]] = arith.maxsi %[[I]], %c0
// CHECK: %[[K:.*]] = arith.minsi %[[LO]], %c4
// CHECK: tensor.extract %{{.*}}[%[[D0]], %[[K]]] : tensor<4x5xi32>
func.func @pad_edge(%x: tensor<4x5xi32>) -> tensor<4x8xi32> {
  %0 = nn.pad %x {pads = array<i64: 0, 1, 0, 2>, value = 0.0 : f32, mode = "edge"} : (tensor<4x5xi32>) -> tensor<4x8xi32>
  return %0 : tensor<4x8xi32>
}

// -----

// Reflect padding mirrors at both borders without repeating them.
// CHECK-LABEL: func @pad_reflect
// CHECK: %[[D1:.*]] = linalg.index 1
// CHECK: %[[I:.*]] = arith.subi %[[D1]], %c1
// CHECK: %[[NEG:.*]] = arith.subi %c0{{.*}}, %[[I]]
// CHECK: %[[BELOW:.*]] = arith.cmpi slt, %[[I]]
// CHECK: %[[J:.*]] = arith.select %[[BELOW]], %[[NEG]], %[[I]]
// CHECK: %[[ABOVE:.*]] = arith.cmpi sge, %[[J]], %c5
// CHECK: %[[M:.*]] = arith.subi %c8, %[[J]]
// CHECK: %[[K:.*]] = arith.select %[[ABOVE]], %[[M]], %[[J]]
// CHECK: tensor.extract %{{.*}}[%{{.*}}, %[[K]]] : tensor<4x5xf32>
func.func @pad_reflect(%x: tensor<4x5xf32>) -> tensor<4x8xf32> {
  %0 = nn.pad %x {pads = array<i64: 0, 1, 0, 2>, value = 0.0 : f32, mode = "reflect"} : (tensor<4x5xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// A slice with a negative step is a copy through an affine map.
// CHECK-DAG: #[[REV:.*]] = affine_map<(d0, d1) -> (-d0 + 19, d1 * 3 + 1)>
// CHECK-LABEL: func @slice_backwards
// CHECK: linalg.generic {indexing_maps = [#[[REV]], #{{.*}}]{{.*}} ins(%{{.*}} : tensor<20x10xf32>) outs(%{{.*}} : tensor<19x3xf32>)
// CHECK-NOT: tensor.extract_slice
func.func @slice_backwards(%x: tensor<20x10xf32>) -> tensor<19x3xf32> {
  %0 = nn.slice %x {offsets = array<i64: 19, 1>, sizes = array<i64: 19, 3>, steps = array<i64: -1, 3>} : (tensor<20x10xf32>) -> tensor<19x3xf32>
  return %0 : tensor<19x3xf32>
}

// -----

// GatherElements walks the indices; the index replaces the axis coordinate.
// CHECK-LABEL: func @gather_elements
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<2x3xi64>) outs(%{{.*}} : tensor<2x3xf32>)
// CHECK: ^bb0(%[[I:.*]]: i64, %{{.*}}: f32):
// CHECK: %[[D0:.*]] = linalg.index 0
// CHECK: arith.index_cast %[[I]]
// CHECK: %[[K:.*]] = arith.minsi
// CHECK: tensor.extract %{{.*}}[%[[D0]], %[[K]]] : tensor<3x4xf32>
func.func @gather_elements(%x: tensor<3x4xf32>, %i: tensor<2x3xi64>) -> tensor<2x3xf32> {
  %0 = nn.gather_elements %x, %i {axis = 1 : i64} : (tensor<3x4xf32>, tensor<2x3xi64>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// An empty slice reads nothing: it becomes an empty tensor.
// CHECK-LABEL: func @slice_empty
// CHECK: %[[E:.*]] = tensor.empty() : tensor<20x0xf32>
// CHECK-NOT: tensor.extract_slice
// CHECK: return %[[E]]
func.func @slice_empty(%x: tensor<20x10xf32>) -> tensor<20x0xf32> {
  %0 = nn.slice %x {offsets = array<i64: 0, 10>, sizes = array<i64: 20, 0>, steps = array<i64: 1, 1>} : (tensor<20x10xf32>) -> tensor<20x0xf32>
  return %0 : tensor<20x0xf32>
}
