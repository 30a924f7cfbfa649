// RUN: kiln-opt %s -convert-nn-to-linalg -kiln-bufferize | FileCheck %s
// RUN: kiln-opt %s -kiln-nn-to-llvm | FileCheck %s --check-prefix=LLVM
// Model arguments with no elements become memref<0xi8> (a bare pointer cannot
// stand for a memref whose inner dim is 0); their uses get a local empty
// buffer, and the rest of the model is untouched.

// CHECK-LABEL: func.func @main(
// CHECK-SAME: %{{.*}}: memref<0xi8> {kiln.name = "e"}, %[[X:.*]]: memref<2x3xf32> {kiln.name = "x"}, %{{.*}}: memref<0xi8> {kiln.name = "y"}, %[[Z:.*]]: memref<2x3xf32> {kiln.name = "z"})
// CHECK: memref.alloca() : memref<3x0xf32>

// LLVM-LABEL: llvm.func @main(
// LLVM-SAME: %{{.*}}: !llvm.ptr {kiln.name = "e"}, %{{.*}}: !llvm.ptr {kiln.name = "x"}, %{{.*}}: !llvm.ptr {kiln.name = "y"}, %{{.*}}: !llvm.ptr {kiln.name = "z"}
func.func @main(%e: tensor<3x0xf32> {kiln.name = "e"}, %x: tensor<2x3xf32> {kiln.name = "x"}) -> (tensor<3x0xf32> {kiln.name = "y"}, tensor<2x3xf32> {kiln.name = "z"}) {
  %0 = nn.relu %e : tensor<3x0xf32>
  %1 = nn.relu %x : tensor<2x3xf32>
  return %0, %1 : tensor<3x0xf32>, tensor<2x3xf32>
}
