// RUN: kiln-opt %s -split-input-file -kiln-vector-kernels=vector-bits=512 -canonicalize -verify-diagnostics | FileCheck %s
// The pattern kernel's register tiles with AVX-512 (16-lane vectors), and
// the kiln.pattern_tile attribute that kiln-autotune-patterns sets.

// Output rows of at most 8 columns (a 7x7 layer) run as pairs by default:
// one vector holds two output rows, each built from two 8-float row loads,
// so 12 of 16 lanes work here instead of 6. With one accumulator, the taps
// alternate between two accumulator sets (two short FMA chains), summed
// before the stores; each row half is stored with its own masked store.
// CHECK-LABEL: func.func @pairs
// CHECK:         vector.maskedload %arg1[%c0, %{{.*}}, %c0, %c0], {{.*}} into vector<8xf32>
// CHECK:         vector.maskedload %arg1[%c0, %{{.*}}, %c1, %c0], {{.*}} into vector<8xf32>
// CHECK:         scf.for {{.*}} iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>)
// CHECK:           %[[TOP:.*]] = vector.load %arg0[%c0, %{{.*}}, %c1, %c1] : memref<1x1x4x16xf32>, vector<8xf32>
// CHECK:           %[[BOTTOM:.*]] = vector.load %arg0[%c0, %{{.*}}, %c2, %c1] : memref<1x1x4x16xf32>, vector<8xf32>
// CHECK:           %[[PAIR:.*]] = vector.shuffle %[[TOP]], %[[BOTTOM]] [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]
// CHECK:           vector.fma %[[PAIR]]
// CHECK:           vector.fma
// CHECK:           scf.yield
// CHECK:         %[[SUM:.*]] = arith.addf
// CHECK:         vector.extract_strided_slice %[[SUM]] {offsets = [0], sizes = [8]
// CHECK:         vector.maskedstore %arg1[%c0, %{{.*}}, %c0, %c0]
// CHECK:         vector.extract_strided_slice %[[SUM]] {offsets = [8], sizes = [8]
// CHECK:         vector.maskedstore %arg1[%c0, %{{.*}}, %c1, %c0]
memref.global "private" constant @w : memref<1x1x3x3xf32> = dense<[[[[0.0, 0.0, 0.0], [0.0, 5.0, 2.0], [0.0, 0.0, 0.0]]]]>
func.func @pairs(%in: memref<1x1x4x16xf32>, %out: memref<1x1x2x6xf32>) {
  %w = memref.get_global @w : memref<1x1x3x3xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>,
                            strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x1x4x16xf32>, memref<1x1x3x3xf32>)
    outs(%out : memref<1x1x2x6xf32>)
  return
}

// -----

// kiln.pattern_tile = [rows, vectors, pairs] picks another of the conv's
// tiles: here rows of one vector (aligned loads, lane shifts for tx).
// CHECK-LABEL: func.func @rows_tile
// CHECK:         scf.for {{.*}} iter_args
// CHECK:           vector.load %arg0[%c0, %{{.*}}, %c1, %c0] : memref<1x1x4x16xf32>, vector<16xf32>
// CHECK:           vector.shuffle {{.*}} [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]
// CHECK-NOT:     kiln.pattern_tile
memref.global "private" constant @w : memref<1x1x3x3xf32> = dense<[[[[0.0, 0.0, 0.0], [0.0, 5.0, 2.0], [0.0, 0.0, 0.0]]]]>
func.func @rows_tile(%in: memref<1x1x4x16xf32>, %out: memref<1x1x2x6xf32>) {
  %w = memref.get_global @w : memref<1x1x3x3xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>,
                            strides = dense<1> : tensor<2xi64>,
                            kiln.pattern_tile = array<i64: 2, 1, 0>}
    ins(%in, %w : memref<1x1x4x16xf32>, memref<1x1x3x3xf32>)
    outs(%out : memref<1x1x2x6xf32>)
  return
}

// -----

memref.global "private" constant @w : memref<1x1x3x3xf32> = dense<[[[[0.0, 0.0, 0.0], [0.0, 5.0, 2.0], [0.0, 0.0, 0.0]]]]>
func.func @not_a_tile(%in: memref<1x1x4x16xf32>, %out: memref<1x1x2x6xf32>) {
  %w = memref.get_global @w : memref<1x1x3x3xf32>
  // expected-error @+1 {{has kiln.pattern_tile = array<i64: 3, 1, 0>, not one of its tiles [rows, vectors, pairs]: [2, 1, 1] [2, 1, 0]}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>,
                            strides = dense<1> : tensor<2xi64>,
                            kiln.pattern_tile = array<i64: 3, 1, 0>}
    ins(%in, %w : memref<1x1x4x16xf32>, memref<1x1x3x3xf32>)
    outs(%out : memref<1x1x2x6xf32>)
  return
}

// -----

func.func @dense_filter(%in: memref<1x1x4x16xf32>, %w: memref<1x1x3x3xf32>,
                        %out: memref<1x1x2x6xf32>) {
  // expected-error @+1 {{has kiln.pattern_tile but does not run the pattern kernel}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>,
                            strides = dense<1> : tensor<2xi64>,
                            kiln.pattern_tile = array<i64: 2, 1, 0>}
    ins(%in, %w : memref<1x1x4x16xf32>, memref<1x1x3x3xf32>)
    outs(%out : memref<1x1x2x6xf32>)
  return
}
