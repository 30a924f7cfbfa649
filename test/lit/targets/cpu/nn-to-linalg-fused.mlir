// RUN: kiln-opt %s -split-input-file -convert-nn-to-linalg | FileCheck %s
// RUN: kiln-opt %s -split-input-file -convert-nn-to-linalg -kiln-bufferize | FileCheck %s --check-prefix=BUF

// A conv epilogue: the conv accumulates into the broadcast bias, then one
// generic applies relu and the residual add to the conv's result in place
// (its output operand is the conv's result, read by the body).
// CHECK-DAG: #[[CH:.*]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func @conv_epilogue
// CHECK-SAME: (%[[X:.*]]: tensor<1x8x4x4xf32>, %[[W:.*]]: tensor<8x8x1x1xf32>, %[[B:.*]]: tensor<8xf32>)
// CHECK: %[[INIT:.*]] = linalg.generic {indexing_maps = [#[[CH]], #[[ID]]]{{.*}} ins(%[[B]] : tensor<8xf32>)
// CHECK: %[[C:.*]] = linalg.conv_2d_nchw_fchw {{.*}} outs(%[[INIT]] : tensor<1x8x4x4xf32>)
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[X]] : tensor<1x8x4x4xf32>) outs(%[[C]] : tensor<1x8x4x4xf32>)
// CHECK-NEXT: ^bb0(%[[RES:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0.0
// CHECK-NEXT: %[[RELU:.*]] = arith.maximumf %[[ACC]], %[[ZERO]]
// CHECK-NEXT: %[[SUM:.*]] = arith.addf %[[RELU]], %[[RES]]
// CHECK-NEXT: linalg.yield %[[SUM]]
// CHECK: return %[[R]]
// The epilogue writes the conv's buffer, here the caller's out-parameter:
// no buffer of its own, no copy.
// BUF-LABEL: func @conv_epilogue
// BUF-SAME: %[[OUT:arg[0-9]+]]: memref<1x8x4x4xf32>) {
// BUF-NOT: memref.alloc
// BUF: linalg.conv_2d_nchw_fchw {{.*}} outs(%[[OUT]] : memref<1x8x4x4xf32>)
// BUF-NEXT: linalg.generic {{.*}} outs(%[[OUT]] : memref<1x8x4x4xf32>)
// BUF-NOT: memref.alloc
// BUF-NOT: memref.copy
// BUF: return
func.func @conv_epilogue(%x: tensor<1x8x4x4xf32>, %w: tensor<8x8x1x1xf32>, %b: tensor<8xf32>) -> tensor<1x8x4x4xf32> {
  %0 = nn.fused conv_epilogue(%x, %w, %b) : (tensor<1x8x4x4xf32>, tensor<8x8x1x1xf32>, tensor<8xf32>) -> tensor<1x8x4x4xf32> {
  ^bb0(%a: tensor<1x8x4x4xf32>, %f: tensor<8x8x1x1xf32>, %c: tensor<8xf32>):
    %1 = nn.conv %a, %f, %c {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x8x4x4xf32>, tensor<8x8x1x1xf32>, tensor<8xf32>) -> tensor<1x8x4x4xf32>
    %2 = nn.relu %1 : tensor<1x8x4x4xf32>
    %3 = nn.add %2, %a : (tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
    nn.yield %3 : tensor<1x8x4x4xf32>
  }
  return %0 : tensor<1x8x4x4xf32>
}

// -----

// A gemm epilogue with a broadcast operand: the bias vector reads along n.
// CHECK-DAG: #[[N:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func @gemm_epilogue
// CHECK: %[[P:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: linalg.generic {indexing_maps = [#[[N]], #{{.*}}]{{.*}} ins(%{{.*}} : tensor<4xf32>) outs(%[[P]] : tensor<2x4xf32>)
// CHECK: arith.addf
// CHECK: math.tanh
// CHECK-NOT: linalg.generic
func.func @gemm_epilogue(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>, %v: tensor<4xf32>) -> tensor<2x4xf32> {
  %0 = nn.fused gemm_epilogue(%a, %b, %v) : (tensor<2x3xf32>, tensor<3x4xf32>, tensor<4xf32>) -> tensor<2x4xf32> {
  ^bb0(%l: tensor<2x3xf32>, %r: tensor<3x4xf32>, %c: tensor<4xf32>):
    %m = nn.matmul %l, %r : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
    %s = nn.add %m, %c : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
    %t = nn.tanh %s : tensor<2x4xf32>
    nn.yield %t : tensor<2x4xf32>
  }
  return %0 : tensor<2x4xf32>
}

// -----

// An elementwise group: one generic over all its inputs, no intermediate
// tensor.
// CHECK-DAG: #[[VEC:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[SCALAR:.*]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func @elementwise
// CHECK: %[[E:.*]] = tensor.empty() : tensor<2x8xf32>
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[VEC]], #[[SCALAR]], #{{.*}}]{{.*}} ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<2x8xf32>, tensor<8xf32>, tensor<f32>) outs(%[[E]] : tensor<2x8xf32>)
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %[[S:.*]]: f32, %[[B:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[M:.*]] = arith.mulf %[[X]], %[[S]]
// CHECK-NEXT: %[[P:.*]] = arith.addf %[[M]], %[[B]]
// CHECK: math.exp
// CHECK: %[[G:.*]] = arith.divf
// CHECK-NEXT: %[[Y:.*]] = arith.mulf %[[P]], %[[G]]
// CHECK-NEXT: linalg.yield %[[Y]]
// CHECK-NOT: linalg.generic
func.func @elementwise(%x: tensor<2x8xf32>, %s: tensor<8xf32>, %b: tensor<f32>) -> tensor<2x8xf32> {
  %0 = nn.fused elementwise(%x, %s, %b) : (tensor<2x8xf32>, tensor<8xf32>, tensor<f32>) -> tensor<2x8xf32> {
  ^bb0(%a0: tensor<2x8xf32>, %a1: tensor<8xf32>, %a2: tensor<f32>):
    %0 = nn.mul %a0, %a1 : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
    %1 = nn.add %0, %a2 : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
    %2 = nn.sigmoid %1 : tensor<2x8xf32>
    %3 = nn.mul %1, %2 : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
    nn.yield %3 : tensor<2x8xf32>
  }
  return %0 : tensor<2x8xf32>
}
