// RUN: kiln-opt %s -split-input-file -kiln-vector-kernels -canonicalize | FileCheck %s
// RUN: kiln-opt %s -split-input-file -kiln-vector-kernels=vector-bits=512 -canonicalize | FileCheck %s --check-prefix=AVX512
// Convolutions and matrix products on buffers become register tiles of
// vector.fma accumulators in scf loops: loaded from the output once, updated
// over the whole reduction (iter_args), stored once; tails are masked.

// A 3x3 convolution: per output row, one tile of 3 filters x 4 columns (a
// masked vector each); the channel loop carries the accumulators and the
// 3x3 taps are unrolled: 9 input vectors, 27 FMAs per channel.
// CHECK-LABEL: func.func @conv3x3
// CHECK:         scf.for %[[OH:.*]] = %c0 to %c4 step %c1 {
// CHECK-COUNT-3:   vector.maskedload %arg2
// CHECK:           scf.for %[[C:.*]] = %c0 to %c2 step %c1 iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK:             vector.maskedload %arg0[%c0, %[[C]], %[[OH]], %c0]
// CHECK:             memref.load %arg1[%c0, %[[C]], %c0, %c0]
// CHECK-COUNT-27:    vector.fma
// CHECK:             scf.yield
// CHECK-COUNT-3:   vector.maskedstore %arg2
// CHECK-NOT:     linalg.conv
func.func @conv3x3(%in: memref<1x2x6x6xf32>, %w: memref<3x2x3x3xf32>,
                   %out: memref<1x3x4x4xf32>) {
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>,
                            strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x2x6x6xf32>, memref<3x2x3x3xf32>)
    outs(%out : memref<1x3x4x4xf32>)
  return
}

// -----

// A 1x1 convolution is a GEMM over the flattened 7x7 image: 49 columns are
// three full tiles of 16 (6 filters x 2 vectors = 12 accumulators) and a
// masked one-column tail; 8 filters are a tile of 6 and one of 2.
// CHECK-LABEL: func.func @conv1x1
// CHECK-DAG:     %[[IN:.*]] = memref.collapse_shape %arg0 {{\[\[}}0], [1], [2, 3]] : memref<1x16x7x7xf32> into memref<1x16x49xf32>
// CHECK-DAG:     %[[OUT:.*]] = memref.collapse_shape %arg2 {{\[\[}}0], [1], [2, 3]] : memref<1x8x7x7xf32> into memref<1x8x49xf32>
// CHECK:         scf.for %[[X:.*]] = %c0 to %c48 step %c16 {
// CHECK:           scf.for %{{.*}} = %c0 to %c16 step %c1 iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK-COUNT-12:    vector.fma
// CHECK:           scf.for %{{.*}} = %c0 to %c16 step %c1 iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK-COUNT-4:     vector.fma
// CHECK:         vector.constant_mask [1] : vector<8xi1>
// CHECK:         vector.maskedload %[[IN]]
// CHECK:         vector.maskedstore %[[OUT]]
// With AVX-512 a tile is 8 filters x 3 vectors of 16: one full tile of 48
// columns (24 accumulators) and a masked one-column tail.
// AVX512-LABEL: func.func @conv1x1
// AVX512:         %{{.*}}:24 = scf.for %{{.*}} = %c0 to %c16 step %c1 iter_args({{.*}}) -> (vector<16xf32>,
// AVX512:         vector.constant_mask [1] : vector<16xi1>
// AVX512:         %{{.*}}:8 = scf.for %{{.*}} = %c0 to %c16 step %c1 iter_args({{.*}}) -> (vector<16xf32>,
func.func @conv1x1(%in: memref<1x16x7x7xf32>, %w: memref<8x16x1x1xf32>,
                   %out: memref<1x8x7x7xf32>) {
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>,
                            strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x16x7x7xf32>, memref<8x16x1x1xf32>)
    outs(%out : memref<1x8x7x7xf32>)
  return
}

// -----

// Depthwise with stride 2: each tap reads the 7 elements its 4 outputs need
// (a masked 16-wide load) and keeps every other lane.
// CHECK-LABEL: func.func @depthwise_stride2
// CHECK:         scf.for %[[C:.*]] = %c0 to %c3 step %c1 {
// CHECK:           scf.for %[[OH:.*]] = %c0 to %c4 step %c1 {
// CHECK:             vector.constant_mask [7] : vector<16xi1>
// CHECK:             vector.maskedload %arg0{{.*}} into vector<16xf32>
// CHECK:             vector.shuffle {{.*}} [0, 2, 4, 6, 8, 10, 12, 14] : vector<16xf32>, vector<16xf32>
// CHECK-COUNT-9:     vector.fma
// CHECK:             vector.maskedstore %arg2
func.func @depthwise_stride2(%in: memref<1x3x9x9xf32>, %w: memref<3x3x3xf32>,
                             %out: memref<1x3x4x4xf32>) {
  linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>,
                                     strides = dense<2> : tensor<2xi64>}
    ins(%in, %w : memref<1x3x9x9xf32>, memref<3x3x3xf32>)
    outs(%out : memref<1x3x4x4xf32>)
  return
}

// -----

// Gemm with transB (a fully connected layer): dot products along the
// contiguous K, 4 rows of B per load of A, reduced once per output.
// CHECK-LABEL: func.func @fully_connected
// CHECK:         scf.for %{{.*}} = %c0 to %c16 step %c8 iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK-COUNT-4:   vector.fma
// CHECK:         vector.constant_mask [4] : vector<8xi1>
// CHECK:         vector.reduction <add>
// CHECK:         arith.mulf %{{.*}}, %cst{{.*}} : f32
#mk = affine_map<(m, n, k) -> (m, k)>
#nk = affine_map<(m, n, k) -> (n, k)>
#mn = affine_map<(m, n, k) -> (m, n)>
func.func @fully_connected(%a: memref<1x20xf32>, %b: memref<4x20xf32>,
                           %c: memref<1x4xf32>) {
  linalg.generic {indexing_maps = [#mk, #nk, #mn],
                  iterator_types = ["parallel", "parallel", "reduction"]}
    ins(%a, %b : memref<1x20xf32>, memref<4x20xf32>)
    outs(%c : memref<1x4xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %alpha = arith.constant 0.5 : f32
    %q = arith.mulf %p, %alpha : f32
    %s = arith.addf %acc, %q : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Integer convolutions are not vector kernels: linalg's loops lower them.
// CHECK-LABEL: func.func @integer_conv
// CHECK:         linalg.conv_2d_nchw_fchw
// CHECK-NOT:     vector.
func.func @integer_conv(%in: memref<1x2x6x6xi32>, %w: memref<3x2x3x3xi32>,
                        %out: memref<1x3x4x4xi32>) {
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>,
                            strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x2x6x6xi32>, memref<3x2x3x3xi32>)
    outs(%out : memref<1x3x4x4xi32>)
  return
}

// -----

// The conv's bias initialisation and its in-place epilogue (here a residual
// add and a ReLU, as NNToLinalg lowers a fused group) move into the tile:
// the accumulators start as the broadcast bias and the epilogue runs on
// them before the one store. Neither generic is left.
// CHECK-LABEL: func.func @fused_bias_epilogue
// CHECK-NOT:     linalg.generic
// CHECK:         %[[RES:.*]] = memref.collapse_shape %arg4
// CHECK:         %[[OUT:.*]] = memref.collapse_shape %arg2
// CHECK:         %[[B:.*]] = memref.load %arg3[%c0] : memref<2xf32>
// CHECK:         %[[BV:.*]] = vector.broadcast %[[B]] : f32 to vector<8xf32>
// CHECK:         %[[ACC:.*]]:4 = scf.for {{.*}} iter_args(%{{.*}} = %[[BV]], %{{.*}} = %[[BV]],
// CHECK:           vector.fma
// CHECK:         %[[R:.*]] = vector.load %[[RES]][%c0, %c0, %c0]
// CHECK:         %[[S:.*]] = arith.addf %[[R]], %[[ACC]]#0 : vector<8xf32>
// CHECK:         %[[M:.*]] = arith.maximumf %[[S]], %{{.*}} : vector<8xf32>
// CHECK:         vector.store %[[M]], %[[OUT]][%c0, %c0, %c0]
// CHECK-NOT:     linalg.generic
#chan = affine_map<(n, c, h, w) -> (c)>
#id = affine_map<(n, c, h, w) -> (n, c, h, w)>
func.func @fused_bias_epilogue(%in: memref<1x4x3x3xf32>, %w: memref<2x4x1x1xf32>,
                               %out: memref<1x2x3x3xf32>, %bias: memref<2xf32>,
                               %res: memref<1x2x3x3xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [#chan, #id],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
    ins(%bias : memref<2xf32>) outs(%out : memref<1x2x3x3xf32>) {
  ^bb0(%b: f32, %o: f32):
    linalg.yield %b : f32
  }
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>,
                            strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x4x3x3xf32>, memref<2x4x1x1xf32>)
    outs(%out : memref<1x2x3x3xf32>)
  linalg.generic {indexing_maps = [#id, #id],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
    ins(%res : memref<1x2x3x3xf32>) outs(%out : memref<1x2x3x3xf32>) {
  ^bb0(%r: f32, %o: f32):
    %s = arith.addf %r, %o : f32
    %m = arith.maximumf %s, %zero : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// Max pooling 3x3 stride 2 (padded with -inf before): the depthwise row
// tile with arith.maximumf in place of the FMA, 9 taps unrolled.
// CHECK-LABEL: func.func @max_pool
// CHECK:         scf.for %{{.*}} = %c0 to %c2 step %c1 {
// CHECK:           scf.for %{{.*}} = %c0 to %c5 step %c1 {
// CHECK:             vector.maskedload %arg2
// CHECK-COUNT-9:     arith.maximumf {{.*}} : vector<8xf32>
// CHECK:             vector.maskedstore %arg2
// CHECK-NOT:     linalg.pooling
func.func @max_pool(%in: memref<1x2x11x11xf32>, %win: memref<3x3xf32>,
                    %out: memref<1x2x5x5xf32>) {
  linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>,
                           strides = dense<2> : tensor<2xi64>}
    ins(%in, %win : memref<1x2x11x11xf32>, memref<3x3xf32>)
    outs(%out : memref<1x2x5x5xf32>)
  return
}

// -----

// Global pooling has one output column: the loops keep it.
// CHECK-LABEL: func.func @global_sum_pool
// CHECK:         linalg.pooling_nchw_sum
func.func @global_sum_pool(%in: memref<1x2x7x7xf32>, %win: memref<7x7xf32>,
                           %out: memref<1x2x1x1xf32>) {
  linalg.pooling_nchw_sum {dilations = dense<1> : tensor<2xi64>,
                           strides = dense<1> : tensor<2xi64>}
    ins(%in, %win : memref<1x2x7x7xf32>, memref<7x7xf32>)
    outs(%out : memref<1x2x1x1xf32>)
  return
}

// -----

// Global average pooling's sum (a reduction generic over the trailing H x W
// into out[n, c, 0, 0]): 4 independent vector accumulators over the 49
// contiguous elements (one step of 32, a single iteration that the
// canonicalizer unrolls, then two full vectors and a masked one), one
// horizontal add per channel.
// CHECK-LABEL: func.func @global_sum
// CHECK:         %[[IN:.*]] = memref.collapse_shape %arg0 {{\[\[}}0], [1], [2, 3]]
// CHECK:         scf.for %[[C:.*]] = %c0 to %c3 step %c1 {
// CHECK-COUNT-4:   vector.load %[[IN]]
// CHECK:           vector.load %[[IN]][%c0, %[[C]], %c32]
// CHECK:           vector.load %[[IN]][%c0, %[[C]], %c40]
// CHECK:           vector.maskedload %[[IN]][%c0, %[[C]], %c48]
// CHECK:           %[[R:.*]] = vector.reduction <add>
// CHECK:           %[[OLD:.*]] = memref.load %arg1[%c0, %[[C]], %c0, %c0]
// CHECK:           %[[NEW:.*]] = arith.addf %[[OLD]], %[[R]] : f32
// CHECK:           memref.store %[[NEW]], %arg1[%c0, %[[C]], %c0, %c0]
#id4 = affine_map<(n, c, h, w) -> (n, c, h, w)>
#nc00 = affine_map<(n, c, h, w) -> (n, c, 0, 0)>
func.func @global_sum(%in: memref<1x3x7x7xf32>, %out: memref<1x3x1x1xf32>) {
  linalg.generic {indexing_maps = [#id4, #nc00],
                  iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
    ins(%in : memref<1x3x7x7xf32>) outs(%out : memref<1x3x1x1xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %x, %acc : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Stride 2 with full vectors: the element after each 15-element span is
// still inside the 18-wide rows, so the span is one plain 16-wide load.
// CHECK-LABEL: func.func @depthwise_stride2_full
// CHECK-NOT:     vector.maskedload
// CHECK:         vector.load %arg0{{.*}} : memref<1x1x17x18xf32>, vector<16xf32>
// CHECK:         vector.shuffle
// CHECK-NOT:     vector.maskedload
func.func @depthwise_stride2_full(%in: memref<1x1x17x18xf32>,
                                  %w: memref<1x3x3xf32>,
                                  %out: memref<1x1x8x8xf32>) {
  linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>,
                                     strides = dense<2> : tensor<2xi64>}
    ins(%in, %w : memref<1x1x17x18xf32>, memref<1x3x3xf32>)
    outs(%out : memref<1x1x8x8xf32>)
  return
}

// -----

// Channels-last conv with a constant filter (KHxKWxCxF = 1x1x2x3): the
// filter is packed at compile time into tile order, [C][KH][KW][8] for a
// tile of one 8-lane vector (zeros after F = 3), as a new global; the
// unpacked global goes. The tile reads full vectors of it, no mask.
// CHECK-LABEL: memref.global "private" constant @w_packed8_8 : memref<16xf32> = dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 4.000000e+00, 5.000000e+00, 6.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00]>
// CHECK-NOT: memref.global "private" constant @w :
// CHECK-LABEL: func @packed_filter
// CHECK: memref.get_global @w_packed8_8
// CHECK: vector.load %{{.*}} : memref<16xf32>, vector<8xf32>
// CHECK-NOT: linalg.conv_2d_nhwc_hwcf
memref.global "private" constant @w : memref<1x1x2x3xf32> = dense<[[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]]]>
func.func @packed_filter(%x: memref<1x4x4x2xf32>, %y: memref<1x4x4x3xf32>) {
  %w = memref.get_global @w : memref<1x1x2x3xf32>
  linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : memref<1x4x4x2xf32>, memref<1x1x2x3xf32>) outs(%y : memref<1x4x4x3xf32>)
  return
}

// -----

// A sum over the leading dims H and W of an NHWC tensor into N x 1 x 1 x C
// (the mean kiln-layout makes of global pooling): tiles of channel
// vectors accumulate in registers over (h, w); every load is a contiguous
// vector of channels.
// CHECK-LABEL: func @leading_sum
// CHECK-NOT: linalg.generic
// CHECK: scf.for
// CHECK: scf.for
// CHECK: vector.load %arg0[%c0, %{{.*}}, %{{.*}}, %{{.*}}] : memref<1x5x5x16xf32>, vector<8xf32>
// CHECK: arith.addf {{.*}} : vector<8xf32>
// CHECK: vector.store {{.*}} : memref<1x1x1x16xf32>, vector<8xf32>
func.func @leading_sum(%x: memref<1x5x5x16xf32>, %y: memref<1x1x1x16xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, 0, 0, d3)>], iterator_types = ["parallel", "reduction", "reduction", "parallel"]} ins(%x : memref<1x5x5x16xf32>) outs(%y : memref<1x1x1x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A channels-last max pool whose output was filled with -inf just before
// (a view in between): the accumulators start as -inf, not as loads of the
// output, and the fill goes. Four pixels (one tile) by one 8-channel vector,
// four taps each: max(-inf, x) folds to x, so 4 x 3 maxima are left.
// CHECK-LABEL: func.func @max_pool_nhwc_fill
// CHECK-NOT:     linalg.fill
// CHECK-NOT:     vector.load %arg1
// CHECK-COUNT-12: arith.maximumf {{.*}} : vector<8xf32>
// CHECK-COUNT-4: vector.store {{.*}}, %arg1
// CHECK-NOT:     linalg.
func.func @max_pool_nhwc_fill(%in: memref<1x4x4x8xf32>, %out: memref<1x2x2x8xf32>,
                              %arena: memref<64xi8>) {
  %neg = arith.constant 0xFF800000 : f32
  linalg.fill ins(%neg : f32) outs(%out : memref<1x2x2x8xf32>)
  %c0 = arith.constant 0 : index
  %win = memref.view %arena[%c0][] : memref<64xi8> to memref<2x2xf32>
  linalg.pooling_nhwc_max {dilations = dense<1> : tensor<2xi64>,
                           strides = dense<2> : tensor<2xi64>}
    ins(%in, %win : memref<1x4x4x8xf32>, memref<2x2xf32>)
    outs(%out : memref<1x2x2x8xf32>)
  return
}

// -----

// A channels-last depthwise conv's bias initialisation is absorbed even with
// the filter's reshape in between (as NNToLinalg emits it): the accumulators
// start as bias vectors, no generic is left and the output is never loaded.
// CHECK-LABEL: func.func @depthwise_nhwc_bias
// CHECK-NOT:     linalg.generic
// CHECK:         %[[BV:.*]] = vector.load %arg3[%c0] : memref<8xf32>, vector<8xf32>
// CHECK-NOT:     vector.load %arg2
// CHECK:         vector.fma {{.*}}, %[[BV]]
// CHECK-NOT:     linalg.
#chan4 = affine_map<(n, h, w, c) -> (c)>
#id4 = affine_map<(n, h, w, c) -> (n, h, w, c)>
func.func @depthwise_nhwc_bias(%in: memref<1x3x3x8xf32>, %w: memref<3x3x1x8xf32>,
                               %out: memref<1x1x1x8xf32>, %bias: memref<8xf32>) {
  linalg.generic {indexing_maps = [#chan4, #id4],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
    ins(%bias : memref<8xf32>) outs(%out : memref<1x1x1x8xf32>) {
  ^bb0(%b: f32, %o: f32):
    linalg.yield %b : f32
  }
  %w3 = memref.collapse_shape %w [[0], [1], [2, 3]] : memref<3x3x1x8xf32> into memref<3x3x8xf32>
  linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>,
                                     strides = dense<1> : tensor<2xi64>}
    ins(%in, %w3 : memref<1x3x3x8xf32>, memref<3x3x8xf32>)
    outs(%out : memref<1x1x1x8xf32>)
  return
}

// -----

// A 3x3 stride-1 conv whose constant filter keeps at most 30% of its
// weights (kiln-prune-patterns) runs the pattern kernel: the filter is
// stored compressed (per filter in FKR order, per tap mask, a run of
// (channel, weights) entries) and each mask gets a loop over its run with
// its taps unrolled. Here both kernels keep only their centre (mask 16):
// 2 of 18 weights; the tile is the 2 output rows of 2 (masked) lanes, so
// each entry is 2 FMAs.
// CHECK-DAG: memref.global "private" constant @w_fkw_weights : memref<2xf32> = dense<[5.000000e+00, 7.000000e+00]>
// CHECK-DAG: memref.global "private" constant @w_fkw_channels : memref<2xi32> = dense<0>
// CHECK-DAG: memref.global "private" constant @w_fkw_runs : memref<3xi32> = dense<[0, 1, 2]>
// CHECK-DAG: memref.global "private" constant @w_fkw_order : memref<2xi32> = dense<[0, 1]>
// CHECK-DAG: memref.global "private" constant @w_fkw_weight_starts : memref<2xi32> = dense<[0, 1]>
// CHECK-LABEL: func.func @pattern_conv
// CHECK:         scf.for
// CHECK:           memref.load {{.*}} : memref<2xi32>
// CHECK:           scf.for {{.*}} iter_args
// CHECK-COUNT-2:     vector.fma
// CHECK-NOT:         vector.fma
// CHECK:             scf.yield
// CHECK-NOT:     linalg.conv
// CHECK-NOT:     memref.get_global @w :
memref.global "private" constant @w : memref<2x1x3x3xf32> = dense<[[[[0.0, 0.0, 0.0], [0.0, 5.0, 0.0], [0.0, 0.0, 0.0]]], [[[0.0, 0.0, 0.0], [0.0, 7.0, 0.0], [0.0, 0.0, 0.0]]]]>
func.func @pattern_conv(%in: memref<1x1x4x4xf32>, %out: memref<1x2x2x2xf32>) {
  %w = memref.get_global @w : memref<2x1x3x3xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>,
                            strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x1x4x4xf32>, memref<2x1x3x3xf32>)
    outs(%out : memref<1x2x2x2xf32>)
  return
}

// -----

// The same kernel on rows of whole vectors (NNToLinalg widens a pruned
// conv's padded rows to 16 floats): each input row is read as aligned
// vectors and a tap's column shift is a lane shift of two of them. The
// filter keeps taps 4 and 5 (centre and right): 2 of 9 weights.
// CHECK-LABEL: func.func @pattern_conv_aligned
// CHECK:         scf.for {{.*}} iter_args
// CHECK-NOT:       vector.maskedload %arg0
// CHECK:           vector.load %arg0
// CHECK:           vector.shuffle {{.*}} [1, 2, 3, 4, 5, 6, 7, 8]
// CHECK:           vector.fma
memref.global "private" constant @w2 : memref<1x1x3x3xf32> = dense<[[[[0.0, 0.0, 0.0], [0.0, 5.0, 2.0], [0.0, 0.0, 0.0]]]]>
func.func @pattern_conv_aligned(%in: memref<1x1x4x16xf32>, %out: memref<1x1x2x6xf32>) {
  %w = memref.get_global @w2 : memref<1x1x3x3xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>,
                            strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x1x4x16xf32>, memref<1x1x3x3xf32>)
    outs(%out : memref<1x1x2x6xf32>)
  return
}
