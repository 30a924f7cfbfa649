// RUN: kiln-opt %s -kiln-plan-memory='exact-limit=0 elide-copies=0' | FileCheck %s --check-prefix=GREEDY
// RUN: kiln-opt %s -kiln-plan-memory='elide-copies=0' | FileCheck %s --check-prefix=EXACT
// Lifetimes form a path b2 - b3 - b1 - b0 (sizes 128, 128, 64, 128 bytes).
// Greedy by size puts b2 and b0 at 0 and b3 at 128, so b1, live with both
// b3 and b0, lands at 256: 320 bytes. The exact search finds 256 (b3 at 0,
// b2 and b1 at 128, b0 at 0).
// GREEDY: kiln.arena_size = 320 : i64
// EXACT: kiln.arena_size = 256 : i64
func.func @path(%out: memref<32xf32>) {
  %cst = arith.constant 1.0 : f32
  %b2 = memref.alloc() : memref<32xf32>
  linalg.fill ins(%cst : f32) outs(%b2 : memref<32xf32>)
  %b3 = memref.alloc() : memref<32xf32>
  linalg.copy ins(%b2 : memref<32xf32>) outs(%b3 : memref<32xf32>)
  %b1 = memref.alloc() : memref<16xf32>
  %s3 = memref.subview %b3[0] [16] [1] : memref<32xf32> to memref<16xf32, strided<[1]>>
  linalg.copy ins(%s3 : memref<16xf32, strided<[1]>>) outs(%b1 : memref<16xf32>)
  %b0 = memref.alloc() : memref<32xf32>
  %s0 = memref.subview %b0[0] [16] [1] : memref<32xf32> to memref<16xf32, strided<[1]>>
  linalg.copy ins(%b1 : memref<16xf32>) outs(%s0 : memref<16xf32, strided<[1]>>)
  linalg.copy ins(%b0 : memref<32xf32>) outs(%out : memref<32xf32>)
  return
}
