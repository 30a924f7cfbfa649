// RUN: kiln-opt %s -split-input-file -kiln-tile-fused-epilogues -canonicalize | FileCheck %s

// The epilogue (kiln.epilogue) is tiled by rows; the conv and its bias
// initialisation, the chain of destinations behind it, are fused into the
// tile loops: per row the bias, the conv and the relu, all in place in the
// loop's iter_arg. The input and the weights are only sliced.
// CHECK-LABEL: func @conv_relu
// CHECK-SAME: (%[[X:.*]]: tensor<1x8x4x4xf32>, %[[W:.*]]: tensor<8x8x1x1xf32>, %[[B:.*]]: tensor<8xf32>)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<1x8x4x4xf32>
// CHECK: scf.for %[[F:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %[[E]])
// CHECK-NEXT: scf.for %[[H:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC2:.*]] = %[[ACC]])
// CHECK-DAG: %[[XS:.*]] = tensor.extract_slice %[[X]][0, 0, %[[H]], 0] [1, 8, 1, 4]
// CHECK-DAG: %[[WS:.*]] = tensor.extract_slice %[[W]][%[[F]], 0, 0, 0] [1, 8, 1, 1]
// CHECK-DAG: %[[BS:.*]] = tensor.extract_slice %[[B]][%[[F]]] [1]
// CHECK-DAG: %[[OUT:.*]] = tensor.extract_slice %[[ACC2]][0, %[[F]], %[[H]], 0] [1, 1, 1, 4]
// CHECK: %[[INIT:.*]] = linalg.generic {{.*}} ins(%[[BS]] : tensor<1xf32>) outs(%[[OUT]] : tensor<1x1x1x4xf32>)
// CHECK: %[[C:.*]] = linalg.conv_2d_nchw_fchw {{.*}} ins(%[[XS]], %[[WS]] : {{.*}}) outs(%[[INIT]] : tensor<1x1x1x4xf32>)
// CHECK: %[[R:.*]] = linalg.generic {{.*}} outs(%[[C]] : tensor<1x1x1x4xf32>)
// CHECK: arith.maximumf
// CHECK: tensor.insert_slice %[[R]] into %[[ACC2]][0, %[[F]], %[[H]], 0] [1, 1, 1, 4]
// CHECK-NOT: kiln.epilogue
#bias = affine_map<(d0, d1, d2, d3) -> (d1)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @conv_relu(%x: tensor<1x8x4x4xf32>, %w: tensor<8x8x1x1xf32>, %b: tensor<8xf32>) -> tensor<1x8x4x4xf32> {
  %0 = tensor.empty() : tensor<1x8x4x4xf32>
  %1 = linalg.generic {indexing_maps = [#bias, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%b : tensor<8xf32>) outs(%0 : tensor<1x8x4x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x8x4x4xf32>
  %2 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x8x4x4xf32>, tensor<8x8x1x1xf32>) outs(%1 : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %3 = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%2 : tensor<1x8x4x4xf32>) attrs = {kiln.epilogue} {
  ^bb0(%out: f32):
    %cst = arith.constant 0.000000e+00 : f32
    %4 = arith.maximumf %out, %cst : f32
    linalg.yield %4 : f32
  } -> tensor<1x8x4x4xf32>
  return %3 : tensor<1x8x4x4xf32>
}

// -----

// Left as it is: the conv reaches the epilogue through a reshape (a grouped
// conv), and an unmarked generic is no epilogue.
// CHECK-LABEL: func @not_tiled
// CHECK-NOT: scf.for
// CHECK: linalg.conv_2d_ngchw_gfchw
// CHECK: tensor.collapse_shape
// CHECK: linalg.generic
// CHECK: linalg.generic
// CHECK-NOT: scf.for
// CHECK-NOT: kiln.epilogue
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @not_tiled(%x: tensor<1x2x2x4x4xf32>, %w: tensor<2x2x2x1x1xf32>, %i: tensor<1x2x2x4x4xf32>, %y: tensor<1x4x4x4xf32>) -> (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) {
  %0 = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x2x2x4x4xf32>, tensor<2x2x2x1x1xf32>) outs(%i : tensor<1x2x2x4x4xf32>) -> tensor<1x2x2x4x4xf32>
  %1 = tensor.collapse_shape %0 [[0], [1, 2], [3], [4]] : tensor<1x2x2x4x4xf32> into tensor<1x4x4x4xf32>
  %2 = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%1 : tensor<1x4x4x4xf32>) attrs = {kiln.epilogue} {
  ^bb0(%out: f32):
    %cst = arith.constant 0.000000e+00 : f32
    %3 = arith.maximumf %out, %cst : f32
    linalg.yield %3 : f32
  } -> tensor<1x4x4x4xf32>
  %4 = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%y : tensor<1x4x4x4xf32>) {
  ^bb0(%out: f32):
    %5 = arith.negf %out : f32
    linalg.yield %5 : f32
  } -> tensor<1x4x4x4xf32>
  return %2, %4 : tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>
}
