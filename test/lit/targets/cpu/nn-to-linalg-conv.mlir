// RUN: kiln-opt %s -split-input-file -convert-nn-to-linalg | FileCheck %s

// 1-D (and 3-D) convolutions: one generic over (group, per-group) channels;
// the input reads o * stride + k * dilation.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d4, d3 * 2 + d5)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d1, d2, d4, d5)>
// CHECK-LABEL: func @conv_1d_grouped
// CHECK: tensor.pad %{{.*}} low[0, 0, 1] high[0, 0, 0]
// CHECK: %[[BIAS:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<6xf32>)
// CHECK: tensor.expand_shape {{.*}} into tensor<2x2x2x11xf32>
// CHECK: tensor.expand_shape {{.*}} into tensor<2x3x2x3xf32>
// CHECK: tensor.expand_shape %[[BIAS]] {{.*}} into tensor<2x2x3x5xf32>
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #[[W]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: tensor.collapse_shape {{.*}} into tensor<2x6x5xf32>
func.func @conv_1d_grouped(%x: tensor<2x4x10xf32>, %w: tensor<6x2x3xf32>, %b: tensor<6xf32>) -> tensor<2x6x5xf32> {
  %0 = nn.conv %x, %w, %b {strides = array<i64: 2>, pads = array<i64: 1, 0>, dilations = array<i64: 1>, group = 2 : i64} : (tensor<2x4x10xf32>, tensor<6x2x3xf32>, tensor<6xf32>) -> tensor<2x6x5xf32>
  return %0 : tensor<2x6x5xf32>
}

// -----

// The input is strided into a zero tensor (stride - 1 zeros between
// elements, (K - 1) * dilation around), then read with the kernel flipped.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d5, d3 - d6 + 3, d4 - d7 + 4)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d1, d5, d2, d6, d7)>
// CHECK-LABEL: func @conv_transpose
// CHECK: %[[Z:.*]] = linalg.fill {{.*}} -> tensor<1x1x10x7xf32>
// CHECK: tensor.insert_slice %{{.*}} into %[[Z]][0, 0, 2, 2] [1, 1, 3, 3] [1, 1, 3, 2]
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #[[W]], #{{.*}}]
// CHECK: tensor.collapse_shape {{.*}} into tensor<1x2x7x3xf32>
func.func @conv_transpose(%x: tensor<1x1x3x3xf32>, %w: tensor<1x2x3x3xf32>) -> tensor<1x2x7x3xf32> {
  %0 = nn.conv_transpose %x, %w {strides = array<i64: 3, 2>, pads = array<i64: 1, 2, 1, 2>, dilations = array<i64: 1, 1>, output_padding = array<i64: 0, 0>, group = 1 : i64} : (tensor<1x1x3x3xf32>, tensor<1x2x3x3xf32>) -> tensor<1x2x7x3xf32>
  return %0 : tensor<1x2x7x3xf32>
}

// -----

// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[Y:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func @einsum
// CHECK: linalg.generic {indexing_maps = [#[[X]], #[[Y]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins({{.*}} : tensor<5x2x3xf64>, tensor<5x3x4xf64>)
// CHECK: arith.mulf {{.*}} : f64
// CHECK: arith.addf {{.*}} : f64
func.func @einsum(%x: tensor<5x2x3xf64>, %y: tensor<5x3x4xf64>) -> tensor<5x2x4xf64> {
  %0 = nn.einsum %x, %y {operand_indices = [array<i64: 98, 105, 106>, array<i64: 98, 106, 107>], result_indices = array<i64: 98, 105, 107>} : (tensor<5x2x3xf64>, tensor<5x3x4xf64>) -> tensor<5x2x4xf64>
  return %0 : tensor<5x2x4xf64>
}

// -----

// A repeated index reads the diagonal: the input's map uses one loop dim
// twice. `bii -> bi` is all parallel; `ii ->` (a trace) is one reduction.
// CHECK-DAG: #[[DIAG:.*]] = affine_map<(d0, d1) -> (d0, d1, d1)>
// CHECK-DAG: #[[ID2:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[TR:.*]] = affine_map<(d0) -> (d0, d0)>
// CHECK-DAG: #[[SCALAR:.*]] = affine_map<(d0) -> ()>
// CHECK-LABEL: func @einsum_diagonal
// CHECK: linalg.generic {indexing_maps = [#[[DIAG]], #[[ID2]]], iterator_types = ["parallel", "parallel"]} ins({{.*}} : tensor<2x3x3xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[TR]], #[[SCALAR]]], iterator_types = ["reduction"]} ins({{.*}} : tensor<3x3xf32>)
func.func @einsum_diagonal(%x: tensor<2x3x3xf32>, %y: tensor<3x3xf32>) -> (tensor<2x3xf32>, tensor<f32>) {
  %0 = nn.einsum %x {operand_indices = [array<i64: 98, 105, 105>], result_indices = array<i64: 98, 105>} : (tensor<2x3x3xf32>) -> tensor<2x3xf32>
  %1 = nn.einsum %y {operand_indices = [array<i64: 105, 105>], result_indices = array<i64>} : (tensor<3x3xf32>) -> tensor<f32>
  return %0, %1 : tensor<2x3xf32>, tensor<f32>
}

// -----

// A diagonal combined with a contraction: `ij,jj -> i`.
// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1) -> (d1, d1)>
// CHECK-DAG: #[[O:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func @einsum_diagonal_contraction
// CHECK: linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[O]]], iterator_types = ["parallel", "reduction"]}
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @einsum_diagonal_contraction(%x: tensor<2x3xf32>, %y: tensor<3x3xf32>) -> tensor<2xf32> {
  %0 = nn.einsum %x, %y {operand_indices = [array<i64: 105, 106>, array<i64: 106, 106>], result_indices = array<i64: 105>} : (tensor<2x3xf32>, tensor<3x3xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// Per axis: scale and zero point are read along dim 1; uint8 saturates to
// [0, 255] after rounding half to even.
// CHECK-DAG: #[[AX:.*]] = affine_map<(d0, d1, d2) -> (d1)>
// CHECK-LABEL: func @quantize
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[AX]], #[[AX]], #{{.*}}]
// CHECK: arith.divf
// CHECK: math.roundeven
// CHECK: arith.extui {{.*}} : i8 to i32
// CHECK: arith.maximumf
// CHECK: arith.constant 2.550000e+02 : f32
// CHECK: arith.minimumf
// CHECK: arith.fptosi {{.*}} : f32 to i32
// CHECK: arith.trunci {{.*}} : i32 to i8
func.func @quantize(%x: tensor<1x3x2xf32>, %s: tensor<3xf32>, %z: tensor<3xi8>) -> tensor<1x3x2xi8> {
  %0 = nn.quantize_linear %x, %s, %z {axis = 1 : i64, is_unsigned = true} : (tensor<1x3x2xf32>, tensor<3xf32>, tensor<3xi8>) -> tensor<1x3x2xi8>
  return %0 : tensor<1x3x2xi8>
}

// -----

// Per tensor (scalar scale and zero point), signed.
// CHECK-DAG: #[[SCALAR:.*]] = affine_map<(d0) -> ()>
// CHECK-LABEL: func @dequantize
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[SCALAR]], #[[SCALAR]], #{{.*}}]
// CHECK: arith.extsi {{.*}} : i8 to i32
// CHECK: arith.extsi {{.*}} : i8 to i32
// CHECK: arith.subi
// CHECK: arith.sitofp {{.*}} : i32 to f32
// CHECK: arith.mulf
func.func @dequantize(%x: tensor<4xi8>, %s: tensor<f32>, %z: tensor<i8>) -> tensor<4xf32> {
  %0 = nn.dequantize_linear %x, %s, %z {axis = 0 : i64, is_unsigned = false} : (tensor<4xi8>, tensor<f32>, tensor<i8>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func @matmul_integer
// CHECK: arith.extui {{.*}} : i8 to i32
// CHECK: arith.subi
// CHECK: linalg.fill ins(%{{.*}} : i32)
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: arith.muli
// CHECK: arith.addi
func.func @matmul_integer(%a: tensor<4x3xi8>, %za: tensor<4xi8>, %b: tensor<3x2xi32>) -> tensor<4x2xi32> {
  %0 = nn.subtract_zero_point %a, %za {axis = 0 : i64, is_unsigned = true} : (tensor<4x3xi8>, tensor<4xi8>) -> tensor<4x3xi32>
  %1 = nn.matmul %0, %b : (tensor<4x3xi32>, tensor<3x2xi32>) -> tensor<4x2xi32>
  return %1 : tensor<4x2xi32>
}

// -----

// min(0, min(x)) and max(0, max(x)) as reductions from 0, then scale and
// zero point as scalars, then the elementwise quantisation.
// CHECK-LABEL: func @dynamic_quantize
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<1x1xf32>)
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction", "reduction"]
// CHECK: arith.minimumf
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction", "reduction"]
// CHECK: arith.maximumf
// CHECK: %[[SCALE:.*]] = arith.divf
// CHECK: math.roundeven
// CHECK: linalg.generic
// CHECK: arith.divf %{{.*}}, %[[SCALE]]
// CHECK: math.roundeven
// CHECK: arith.trunci {{.*}} : i32 to i8
// CHECK: tensor.from_elements %[[SCALE]] : tensor<f32>
// CHECK: tensor.from_elements %{{.*}} : tensor<i8>
func.func @dynamic_quantize(%x: tensor<3x4xf32>) -> (tensor<3x4xi8>, tensor<f32>, tensor<i8>) {
  %y, %s, %z = nn.dynamic_quantize_linear %x : (tensor<3x4xf32>) -> (tensor<3x4xi8>, tensor<f32>, tensor<i8>)
  return %y, %s, %z : tensor<3x4xi8>, tensor<f32>, tensor<i8>
}

// -----

// A pruned conv that stays NCHW (kiln-prune-patterns marked it) gets its
// padded rows widened to a multiple of 16 floats (5 + 1 + 1 = 7 -> 16: 10
// columns on the right), so the pattern kernel reads aligned vectors.
// CHECK-LABEL: func @pruned_conv_rows
// CHECK: tensor.pad %{{.*}} low[0, 0, 1, 1] high[0, 0, 1, 10]
// CHECK: linalg.conv_2d_nchw_fchw {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x1x7x16xf32>, tensor<1x1x3x3xf32>)
func.func @pruned_conv_rows(%x: tensor<1x1x5x5xf32>) -> tensor<1x1x5x5xf32> {
  %w = nn.constant dense<1.0> : tensor<1x1x3x3xf32>
  %y = nn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64, kiln.prune = {nonzero = 1 : i64, weights = 9 : i64}} : (tensor<1x1x5x5xf32>, tensor<1x1x3x3xf32>) -> tensor<1x1x5x5xf32>
  return %y : tensor<1x1x5x5xf32>
}

// -----

// A channels-last conv whose neighbouring tile pixels would be 4 KiB apart
// (512 channels at stride 2: every pixel in the same L1 sets) reads a
// padded copy with 16 channels more per pixel, through a slice.
// CHECK-LABEL: func @spread_pixels
// CHECK: %[[P:.*]] = tensor.pad %{{.*}} low[0, 1, 1, 0] high[0, 1, 1, 16]
// CHECK: %[[S:.*]] = tensor.extract_slice %[[P]][0, 0, 0, 0] [1, 6, 6, 512] [1, 1, 1, 1] : tensor<1x6x6x528xf32> to tensor<1x6x6x512xf32>
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[S]], %{{.*}} : tensor<1x6x6x512xf32>, tensor<3x3x512x1xf32>)
func.func @spread_pixels(%x: tensor<1x4x4x512xf32>) -> tensor<1x2x2x1xf32> {
  %w = nn.constant dense<1.0> : tensor<3x3x512x1xf32>
  %y = nn.conv %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64, channels_last} : (tensor<1x4x4x512xf32>, tensor<3x3x512x1xf32>) -> tensor<1x2x2x1xf32>
  return %y : tensor<1x2x2x1xf32>
}

// -----

// A channels-last grouped conv (2 groups of 2 input and 3 output channels)
// becomes one channels-last conv per group on channel slices of the input,
// the filter and the accumulator, each inserted back into its slice.
// CHECK-LABEL: func @grouped_channels_last
// CHECK: %[[I0:.*]] = tensor.extract_slice %arg0[0, 0, 0, 0] [1, 5, 5, 2] [1, 1, 1, 1]
// CHECK: %[[W0:.*]] = tensor.extract_slice %{{.*}}[0, 0, 0, 0] [1, 1, 2, 3] [1, 1, 1, 1]
// CHECK: %[[C0:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[I0]], %[[W0]] : tensor<1x5x5x2xf32>, tensor<1x1x2x3xf32>)
// CHECK: %[[R0:.*]] = tensor.insert_slice %[[C0]] into %{{.*}}[0, 0, 0, 0] [1, 5, 5, 3] [1, 1, 1, 1]
// CHECK: tensor.extract_slice %arg0[0, 0, 0, 2] [1, 5, 5, 2] [1, 1, 1, 1]
// CHECK: tensor.extract_slice %{{.*}}[0, 0, 0, 3] [1, 1, 2, 3] [1, 1, 1, 1]
// CHECK: linalg.conv_2d_nhwc_hwcf
// CHECK: tensor.insert_slice %{{.*}} into %[[R0]][0, 0, 0, 3] [1, 5, 5, 3] [1, 1, 1, 1]
func.func @grouped_channels_last(%x: tensor<1x5x5x4xf32>) -> tensor<1x5x5x6xf32> {
  %w = nn.constant dense<1.0> : tensor<1x1x2x6xf32>
  %y = nn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 2 : i64, channels_last} : (tensor<1x5x5x4xf32>, tensor<1x1x2x6xf32>) -> tensor<1x5x5x6xf32>
  return %y : tensor<1x5x5x6xf32>
}
