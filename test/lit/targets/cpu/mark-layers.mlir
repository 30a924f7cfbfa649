// RUN: kiln-opt %s -split-input-file -kiln-mark-layers -verify-diagnostics | FileCheck %s
// @main calls @kiln.mark(par, layer) where the work of another ONNX node
// starts, and KILN_LAYER_END (-1) before it returns; the names go to the
// module's kiln.layers, numbered by first appearance.

// Layers A, B, A again: three marks and the end. Views and constants do
// no work, so the view named C makes no layer; the store without a name
// stays in B's span. @main gains the kiln_parallel argument.
// CHECK-LABEL: module attributes {kiln.layers = ["/a/Conv", "/b/Relu"]}
// CHECK:       func.func @main(%[[IN:.*]]: memref<8xf32>, %[[ARENA:.*]]: memref<64xi8>, %[[PAR:.*]]: !llvm.ptr)
// CHECK:         %[[L0:.*]] = arith.constant 0 : i32
// CHECK-NEXT:    call @kiln.mark(%[[PAR]], %[[L0]])
// CHECK-NEXT:    scf.for
// CHECK:         %[[L1:.*]] = arith.constant 1 : i32
// CHECK-NEXT:    call @kiln.mark(%[[PAR]], %[[L1]])
// CHECK-NEXT:    memref.load
// CHECK-NEXT:    memref.store
// CHECK-NEXT:    memref.store
// CHECK-NEXT:    %[[L0B:.*]] = arith.constant 0 : i32
// CHECK-NEXT:    call @kiln.mark(%[[PAR]], %[[L0B]])
// CHECK-NEXT:    scf.for
// CHECK:         %[[END:.*]] = arith.constant -1 : i32
// CHECK-NEXT:    call @kiln.mark(%[[PAR]], %[[END]])
// CHECK-NEXT:    return
// CHECK:       func.func private @kiln.mark(!llvm.ptr, i32)
func.func @main(%in: memref<8xf32>, %arena: memref<64xi8>) {
  %c0 = arith.constant 0 : index loc("/a/Conv")
  %c1 = arith.constant 1 : index loc("/a/Conv")
  %c8 = arith.constant 8 : index loc("/a/Conv")
  %buf = memref.view %arena[%c0][] : memref<64xi8> to memref<8xf32> loc("/c/Reshape")
  scf.for %i = %c0 to %c8 step %c1 {
    %x = memref.load %in[%i] : memref<8xf32>
    memref.store %x, %buf[%i] : memref<8xf32>
  } loc("/a/Conv")
  %y = memref.load %buf[%c0] : memref<8xf32> loc("/b/Relu")
  memref.store %y, %buf[%c1] : memref<8xf32> loc("/b/Relu")
  memref.store %y, %buf[%c8] : memref<8xf32> loc(unknown)
  scf.for %i = %c0 to %c8 step %c1 {
    %x = memref.load %buf[%i] : memref<8xf32>
    memref.store %x, %in[%i] : memref<8xf32>
  } loc(fused["/a/Conv", "/a/Relu"])
  return
}

// -----

// An existing kiln_parallel argument (kiln-outline-parallel's) is reused;
// work from a .mlir file is named file:line.
// CHECK-LABEL: module attributes {kiln.layers = ["mark-layers.mlir:{{[0-9]+}}"]}
// CHECK:       func.func @main(%{{.*}}: memref<4xf32>, %[[PAR:.*]]: !llvm.ptr)
// CHECK-NOT:     !llvm.ptr
// CHECK:         call @kiln.mark(%[[PAR]]
func.func @main(%out: memref<4xf32>, %par: !llvm.ptr) {
  %c0 = arith.constant 0 : index
  %f = arith.constant 1.0 : f32
  memref.store %f, %out[%c0] : memref<4xf32>
  return
}

// -----

// A model without work gets no marks and an empty table.
// CHECK-LABEL: module attributes {kiln.layers = []}
// CHECK:       func.func @main
// CHECK-NOT:     call @kiln.mark
// CHECK:         return
func.func @main(%out: memref<4xf32>) {
  return
}

// -----

// expected-error @below {{kiln-mark-layers: @kiln.mark is already defined}}
module {
  func.func @main(%out: memref<4xf32>) {
    return
  }
  func.func private @kiln.mark(%p: !llvm.ptr, %i: i32)
}
