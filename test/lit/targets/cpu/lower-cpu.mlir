// RUN: kiln-opt %s -kiln-nn-to-llvm | FileCheck %s
// The CPU pipeline ends in the LLVM dialect with a bare-pointer @main that
// takes (inputs..., outputs..., arena, kiln_parallel), allocates nothing and
// calls no support library or libm function per element: its only calls
// are the runtime's layer marks (kiln-mark-layers), the last one
// KILN_LAYER_END (-1) before it returns.

// CHECK-LABEL: llvm.func @main(
// CHECK-SAME: %{{.*}}: !llvm.ptr {kiln.name = "x"}, %{{.*}}: !llvm.ptr {kiln.name = "y"}, %{{.*}}: !llvm.ptr, %[[PAR:.*]]: !llvm.ptr)
// CHECK-SAME: kiln.arena_size = {{[1-9][0-9]*}} : i64
// CHECK-NOT: llvm.call @{{([^k]|k[^i])}}
// CHECK: %[[END:.*]] = llvm.mlir.constant(-1 : i32) : i32
// CHECK-NOT: llvm.call @{{([^k]|k[^i])}}
// CHECK: llvm.call @kiln.mark(%[[PAR]], %[[END]])
// CHECK-NEXT: llvm.return
// CHECK-NOT: llvm.func @malloc
// CHECK-NOT: llvm.func @memrefCopy
// CHECK-NOT: llvm.func @expf
func.func @main(%x: tensor<1x2x5x5xf32> {kiln.name = "x"}) -> (tensor<1x3xf32> {kiln.name = "y"}) {
  %w = nn.constant dense_resource<w> : tensor<3x2x3x3xf32>
  %c = nn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x5x5xf32>
  %s = nn.sigmoid %c : tensor<1x3x5x5xf32>
  %g = nn.global_avg_pool %s : (tensor<1x3x5x5xf32>) -> tensor<1x3x1x1xf32>
  %f = nn.flatten %g {axis = 1 : i64} : (tensor<1x3x1x1xf32>) -> tensor<1x3xf32>
  %y = nn.softmax %f {axis = 1 : i64} : (tensor<1x3xf32>) -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x04000000000040BF000000BF000080BE000000000000803E0000003F0000403F000040BF000000BF000080BE000000000000803E0000003F0000403F000040BF000000BF000080BE000000000000803E0000003F0000403F000040BF000000BF000080BE000000000000803E0000003F0000403F000040BF000000BF000080BE000000000000803E0000003F0000403F000040BF000000BF000080BE000000000000803E0000003F0000403F000040BF000000BF000080BE000000000000803E0000003F0000403F000040BF000000BF000080BE000000000000803E"
    }
  }
#-}
