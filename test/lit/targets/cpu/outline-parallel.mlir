// RUN: kiln-opt %s -split-input-file -kiln-outline-parallel=min-work=64 | FileCheck %s
// RUN: kiln-opt %s -split-input-file -kiln-outline-parallel | FileCheck %s --check-prefix=DEFAULT
// @main's parallel loops move into tasks that recompute the views they read
// from @main's arguments; @main dispatches them through a new last argument.

// A kernel's tile loop (marked kiln.parallel) over a view of the arena: the
// task runs iterations [begin, end) of it, iv = 4 + 2 * t.
// CHECK-LABEL: func.func @main
// CHECK-SAME:    (%[[IN:.*]]: memref<64xf32>, %[[ARENA:.*]]: memref<256xi8>, %[[PAR:.*]]: !llvm.ptr)
// CHECK:         %[[N:.*]] = arith.constant 30 : index
// CHECK:         call @kiln.dispatch.0(%[[PAR]], %[[IN]], %[[ARENA]], %[[N]])
// CHECK-NOT:     scf.for
// CHECK:         return
// CHECK:       func.func private @kiln.task.0(%[[TIN:.*]]: memref<64xf32>, %[[TARENA:.*]]: memref<256xi8>, %[[B:.*]]: index, %[[E:.*]]: index)
// CHECK:         %[[V:.*]] = memref.view %[[TARENA]]
// CHECK:         scf.for %[[T:.*]] = %[[B]] to %[[E]] step %c1
// CHECK:           %[[S:.*]] = arith.muli %[[T]], %c2{{.*}}
// CHECK:           %[[IV:.*]] = arith.addi %c4{{.*}}, %[[S]]
// CHECK:           memref.load %[[TIN]][%[[IV]]]
// CHECK:           memref.store {{.*}}, %[[V]][%[[IV]]]
// CHECK:         return
// CHECK:       func.func private @kiln.dispatch.0(!llvm.ptr, memref<64xf32>, memref<256xi8>, index)
// The default threshold (32768 operations) keeps this small loop in @main.
// DEFAULT-LABEL: func.func @main
// DEFAULT-SAME:    (%{{.*}}: memref<64xf32>, %{{.*}}: memref<256xi8>)
// DEFAULT:         scf.for
// DEFAULT-NOT:   kiln.task
func.func @main(%in: memref<64xf32>, %arena: memref<256xi8>) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  %out = memref.view %arena[%c0][] : memref<256xi8> to memref<64xf32>
  scf.for %i = %c4 to %c64 step %c2 {
    %x = memref.load %in[%i] : memref<64xf32>
    %y = arith.addf %x, %x : f32
    %z = arith.mulf %y, %x : f32
    memref.store %z, %out[%i] : memref<64xf32>
  } {kiln.parallel}
  return
}

// -----

// An scf.parallel from linalg: its outer dims (2 x 8 = 16 iterations) are
// shared out, delinearised in the task; the innermost stays a loop.
// CHECK-LABEL: func.func @main
// CHECK:         arith.constant 16 : index
// CHECK:         %[[N:.*]] = arith.constant 16 : index
// CHECK-NEXT:    call @kiln.dispatch.0(%{{.*}}, %{{.*}}, %{{.*}}, %[[N]])
// CHECK:       func.func private @kiln.task.0
// CHECK:         scf.for %[[T:.*]] = %{{.*}} to %{{.*}} step
// CHECK:           %[[J:.*]] = arith.remui %[[T]], %c8{{.*}}
// CHECK:           %[[I:.*]] = arith.divui %[[T]], %c8{{.*}}
// CHECK:           scf.parallel (%[[K:.*]]) = (%c0{{.*}}) to (%c16{{.*}}) step (%c1{{.*}})
// CHECK:             memref.load %arg0[%{{.*}}, %{{.*}}, %[[K]]]
func.func @main(%in: memref<2x8x16xf32>, %out: memref<2x8x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  scf.parallel (%i, %j, %k) = (%c0, %c0, %c0) to (%c2, %c8, %c16)
      step (%c1, %c1, %c1) {
    %x = memref.load %in[%i, %j, %k] : memref<2x8x16xf32>
    %y = arith.addf %x, %x : f32
    memref.store %y, %out[%i, %j, %k] : memref<2x8x16xf32>
  }
  return
}

// -----

// Too few outer iterations (1 x 1) to share: all dims are linearised.
// CHECK-LABEL: func.func @main
// CHECK:         arith.constant 100 : index
// CHECK:         %[[N:.*]] = arith.constant 100 : index
// CHECK-NEXT:    call @kiln.dispatch.0(%{{.*}}, %{{.*}}, %{{.*}}, %[[N]])
// CHECK:       func.func private @kiln.task.0
// CHECK-NOT:     scf.parallel
// CHECK:         return
func.func @main(%in: memref<1x100xf32>, %out: memref<1x100xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c100 = arith.constant 100 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c1, %c100) step (%c1, %c1) {
    %x = memref.load %in[%i, %j] : memref<1x100xf32>
    %y = arith.addf %x, %x : f32
    memref.store %y, %out[%i, %j] : memref<1x100xf32>
  }
  return
}

// -----

// Refused, @main unchanged: an unmarked scf.for (it may carry a
// dependence), a loop that reads a value loaded outside it (a task cannot
// recompute it), a loop with one iteration.
// CHECK-LABEL: func.func @main
// CHECK-SAME:    (%{{.*}}: memref<64xf32>, %{{.*}}: memref<64xf32>)
// CHECK-COUNT-3: scf.for
// CHECK-NOT:   kiln.task
func.func @main(%in: memref<64xf32>, %out: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  scf.for %i = %c1 to %c64 step %c1 {
    %prev = arith.subi %i, %c1 : index
    %x = memref.load %out[%prev] : memref<64xf32>
    %y = memref.load %in[%i] : memref<64xf32>
    %z = arith.addf %x, %y : f32
    %w = arith.mulf %z, %z : f32
    memref.store %w, %out[%i] : memref<64xf32>
  }
  %scale = memref.load %in[%c0] : memref<64xf32>
  scf.for %i = %c0 to %c64 step %c1 {
    %x = memref.load %in[%i] : memref<64xf32>
    %y = arith.mulf %x, %scale : f32
    %z = arith.addf %y, %scale : f32
    memref.store %z, %out[%i] : memref<64xf32>
  } {kiln.parallel}
  scf.for %i = %c0 to %c64 step %c64 {
    scf.for %j = %c0 to %c64 step %c1 {
      %x = memref.load %in[%j] : memref<64xf32>
      %y = arith.addf %x, %x : f32
      memref.store %y, %out[%j] : memref<64xf32>
    }
  } {kiln.parallel}
  return
}
