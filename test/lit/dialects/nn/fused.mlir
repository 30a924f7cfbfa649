// RUN: kiln-opt %s | kiln-opt | FileCheck %s
// RUN: kiln-opt %s --mlir-print-op-generic | kiln-opt | FileCheck %s

// CHECK-LABEL: func @round_trip
// CHECK: nn.fused conv_epilogue(%{{.*}}, %{{.*}}) : (tensor<1x3x4x4xf32>, tensor<8x3x1x1xf32>) -> tensor<1x8x4x4xf32> {
// CHECK: nn.yield %{{.*}} : tensor<1x8x4x4xf32>
// CHECK: nn.fused elementwise
// CHECK: nn.fused gemm_epilogue
func.func @round_trip(%x: tensor<1x3x4x4xf32>, %w: tensor<8x3x1x1xf32>, %a: tensor<2x3xf32>, %b: tensor<3x4xf32>) -> (tensor<1x8x4x4xf32>, tensor<2x4xf32>) {
  %0 = nn.fused conv_epilogue(%x, %w) : (tensor<1x3x4x4xf32>, tensor<8x3x1x1xf32>) -> tensor<1x8x4x4xf32> {
  ^bb0(%i: tensor<1x3x4x4xf32>, %f: tensor<8x3x1x1xf32>):
    %c = nn.conv %i, %f {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x4x4xf32>, tensor<8x3x1x1xf32>) -> tensor<1x8x4x4xf32>
    %r = nn.relu %c : tensor<1x8x4x4xf32>
    nn.yield %r : tensor<1x8x4x4xf32>
  }
  %1 = nn.fused elementwise(%0) : (tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32> {
  ^bb0(%v: tensor<1x8x4x4xf32>):
    %e = nn.exp %v : tensor<1x8x4x4xf32>
    %n = nn.neg %e : tensor<1x8x4x4xf32>
    nn.yield %n : tensor<1x8x4x4xf32>
  }
  %2 = nn.fused gemm_epilogue(%a, %b) : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32> {
  ^bb0(%l: tensor<2x3xf32>, %r: tensor<3x4xf32>):
    %m = nn.matmul %l, %r : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
    %t = nn.tanh %m : tensor<2x4xf32>
    nn.yield %t : tensor<2x4xf32>
  }
  return %1, %2 : tensor<1x8x4x4xf32>, tensor<2x4xf32>
}
