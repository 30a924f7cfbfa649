// RUN: kiln-opt %s -split-input-file -kiln-plan-memory -verify-diagnostics | FileCheck %s

// %a dies after the first generic; %c reuses its space. %b is live across.
// CHECK-LABEL: func @reuse
// CHECK-SAME: %{{.*}}: memref<4xf32>, %[[ARENA:.*]]: memref<128xi8>)
// CHECK-SAME: kiln.arena_size = 128 : i64
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[A:.*]] = memref.view %[[ARENA]][%[[C0]]][] : memref<128xi8> to memref<4xf32>
// CHECK: %[[C64:.*]] = arith.constant 64 : index
// CHECK: %[[B:.*]] = memref.view %[[ARENA]][%[[C64]]][] : memref<128xi8> to memref<4xf32>
// CHECK: %[[C0B:.*]] = arith.constant 0 : index
// CHECK: memref.view %[[ARENA]][%[[C0B]]][] : memref<128xi8> to memref<4xf32>
// CHECK-NOT: memref.alloc
func.func @reuse(%out: memref<4xf32>) {
  %cst = arith.constant 1.0 : f32
  %a = memref.alloc() : memref<4xf32>
  linalg.fill ins(%cst : f32) outs(%a : memref<4xf32>)
  %b = memref.alloc() : memref<4xf32>
  linalg.copy ins(%a : memref<4xf32>) outs(%b : memref<4xf32>)
  %c = memref.alloc() : memref<4xf32>
  linalg.copy ins(%b : memref<4xf32>) outs(%c : memref<4xf32>)
  linalg.copy ins(%c : memref<4xf32>) outs(%out : memref<4xf32>)
  return
}

// -----

// A view keeps its buffer alive: %a is used through %v after %b is made,
// so the two may not share space.
// CHECK-LABEL: func @alias
// CHECK-SAME: kiln.arena_size = 128 : i64
func.func @alias(%out: memref<2x2xf32>) {
  %cst = arith.constant 1.0 : f32
  %a = memref.alloc() : memref<4xf32>
  linalg.fill ins(%cst : f32) outs(%a : memref<4xf32>)
  %v = memref.expand_shape %a [[0, 1]] output_shape [2, 2] : memref<4xf32> into memref<2x2xf32>
  %b = memref.alloc() : memref<2x2xf32>
  linalg.fill ins(%cst : f32) outs(%b : memref<2x2xf32>)
  linalg.add ins(%v, %b : memref<2x2xf32>, memref<2x2xf32>) outs(%out : memref<2x2xf32>)
  return
}

// -----

// Larger buffers are placed first, each at the lowest free offset.
// CHECK-LABEL: func @sizes
// CHECK-SAME: kiln.arena_size = 4160 : i64
// CHECK: memref.view %{{.*}}[%{{.*}}][] : memref<4160xi8> to memref<1024xf32>
func.func @sizes(%out: memref<4xf32>) {
  %cst = arith.constant 1.0 : f32
  %big = memref.alloc() : memref<1024xf32>
  %small = memref.alloc() : memref<4xf32>
  linalg.fill ins(%cst : f32) outs(%big : memref<1024xf32>)
  linalg.fill ins(%cst : f32) outs(%small : memref<4xf32>)
  %s = memref.subview %big[0] [4] [1] : memref<1024xf32> to memref<4xf32, strided<[1]>>
  linalg.add ins(%s, %small : memref<4xf32, strided<[1]>>, memref<4xf32>) outs(%out : memref<4xf32>)
  return
}

// -----

// %r may be %a (an scf.if yields it), so %a stays live while %r is used and
// %b may not take its space.
// CHECK-LABEL: func @region_alias
// CHECK-SAME: kiln.arena_size = 128 : i64
func.func @region_alias(%cond: i1, %out: memref<4xf32>) {
  %cst = arith.constant 1.0 : f32
  %a = memref.alloc() : memref<4xf32>
  linalg.fill ins(%cst : f32) outs(%a : memref<4xf32>)
  %r = scf.if %cond -> memref<4xf32> {
    scf.yield %a : memref<4xf32>
  } else {
    scf.yield %out : memref<4xf32>
  }
  %b = memref.alloc() : memref<4xf32>
  linalg.fill ins(%cst : f32) outs(%b : memref<4xf32>)
  linalg.add ins(%r, %b : memref<4xf32>, memref<4xf32>) outs(%out : memref<4xf32>)
  return
}

// -----

// The arena frees nothing: deallocations, also of views, disappear.
// CHECK-LABEL: func @dealloc
// CHECK-SAME: kiln.arena_size = 64 : i64
// CHECK-NOT: memref.dealloc
// CHECK: return
func.func @dealloc(%out: memref<4xf32>) {
  %cst = arith.constant 1.0 : f32
  %a = memref.alloc() : memref<4xf32>
  linalg.fill ins(%cst : f32) outs(%a : memref<4xf32>)
  linalg.copy ins(%a : memref<4xf32>) outs(%out : memref<4xf32>)
  %d = memref.cast %a : memref<4xf32> to memref<?xf32>
  memref.dealloc %d : memref<?xf32>
  return
}

// -----

// Index elements take the data layout's size (8 bytes here).
// CHECK-LABEL: func @index_elements
// CHECK-SAME: kiln.arena_size = 128 : i64
func.func @index_elements(%out: memref<9xindex>) {
  %a = memref.alloc() : memref<9xindex>
  linalg.copy ins(%a : memref<9xindex>) outs(%out : memref<9xindex>)
  return
}

// -----

func.func @returned() -> memref<4xf32> {
  // expected-error @+1 {{is returned by the function}}
  %a = memref.alloc() : memref<4xf32>
  return %a : memref<4xf32>
}

// -----

func.func @dynamic(%n: index) {
  // expected-error @+1 {{has a dynamic shape or a non-identity layout}}
  %a = memref.alloc(%n) : memref<?xf32>
  return
}

// -----

func.func @nested(%cond: i1) {
  scf.if %cond {
    // expected-error @+1 {{is inside a nested region}}
    %a = memref.alloc() : memref<4xf32>
  }
  return
}

// -----

// In place: the relu-like generic reads %a for the last time, through the
// same map as it writes the fresh %b, so it writes over %a and %b goes.
// CHECK-LABEL: func @in_place
// CHECK-SAME: kiln.arena_size = 64 : i64, kiln.buffers_size = 128 : i64
// CHECK: %[[A:.*]] = memref.view
// CHECK-NOT: memref.view
// CHECK: linalg.generic {{.*}} ins(%[[A]] : memref<4xf32>) outs(%[[A]] : memref<4xf32>)
#id = affine_map<(d0) -> (d0)>
func.func @in_place(%out: memref<4xf32>) {
  %cst = arith.constant 1.0 : f32
  %a = memref.alloc() : memref<4xf32>
  linalg.fill ins(%cst : f32) outs(%a : memref<4xf32>)
  %b = memref.alloc() : memref<4xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%a : memref<4xf32>) outs(%b : memref<4xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.maximumf %in, %cst : f32
    linalg.yield %m : f32
  }
  linalg.copy ins(%b : memref<4xf32>) outs(%out : memref<4xf32>)
  return
}

// -----

// Not in place: %a is read again after the generic.
// CHECK-LABEL: func @input_still_live
// CHECK-SAME: kiln.arena_size = 128 : i64
#id = affine_map<(d0) -> (d0)>
func.func @input_still_live(%out: memref<4xf32>) {
  %cst = arith.constant 1.0 : f32
  %a = memref.alloc() : memref<4xf32>
  linalg.fill ins(%cst : f32) outs(%a : memref<4xf32>)
  %b = memref.alloc() : memref<4xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%a : memref<4xf32>) outs(%b : memref<4xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  linalg.add ins(%a, %b : memref<4xf32>, memref<4xf32>) outs(%out : memref<4xf32>)
  return
}

// -----

// Not in place: a transpose reads %a[j, i] while writing %b[i, j].
// CHECK-LABEL: func @other_map
// CHECK-SAME: kiln.arena_size = 128 : i64
#id = affine_map<(d0, d1) -> (d0, d1)>
#tr = affine_map<(d0, d1) -> (d1, d0)>
func.func @other_map(%out: memref<2x2xf32>) {
  %cst = arith.constant 1.0 : f32
  %a = memref.alloc() : memref<2x2xf32>
  linalg.fill ins(%cst : f32) outs(%a : memref<2x2xf32>)
  %b = memref.alloc() : memref<2x2xf32>
  linalg.generic {indexing_maps = [#tr, #id], iterator_types = ["parallel", "parallel"]} ins(%a : memref<2x2xf32>) outs(%b : memref<2x2xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  linalg.copy ins(%b : memref<2x2xf32>) outs(%out : memref<2x2xf32>)
  return
}

// -----

// Not in place: a view of %a is another operand, read under another map.
// CHECK-LABEL: func @aliased_operand
// CHECK-SAME: kiln.arena_size = 128 : i64
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @aliased_operand(%out: memref<2x2xf32>) {
  %cst = arith.constant 1.0 : f32
  %a = memref.alloc() : memref<2x2xf32>
  linalg.fill ins(%cst : f32) outs(%a : memref<2x2xf32>)
  %t = memref.transpose %a (i, j) -> (j, i) : memref<2x2xf32> to memref<2x2xf32, strided<[1, 2]>>
  %b = memref.alloc() : memref<2x2xf32>
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%a, %t : memref<2x2xf32>, memref<2x2xf32, strided<[1, 2]>>) outs(%b : memref<2x2xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  }
  linalg.copy ins(%b : memref<2x2xf32>) outs(%out : memref<2x2xf32>)
  return
}

// -----

// Not in place: the output was written before the generic.
// CHECK-LABEL: func @output_used_before
// CHECK-SAME: kiln.arena_size = 128 : i64
#id = affine_map<(d0) -> (d0)>
func.func @output_used_before(%out: memref<4xf32>) {
  %cst = arith.constant 1.0 : f32
  %b = memref.alloc() : memref<4xf32>
  linalg.fill ins(%cst : f32) outs(%b : memref<4xf32>)
  %a = memref.alloc() : memref<4xf32>
  linalg.fill ins(%cst : f32) outs(%a : memref<4xf32>)
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%a : memref<4xf32>) outs(%b : memref<4xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %in, %o : f32
    linalg.yield %s : f32
  }
  linalg.copy ins(%b : memref<4xf32>) outs(%out : memref<4xf32>)
  return
}

// -----

// Copy elision into a slice: %x dies copied into the interior of the padded
// %p, so %p's allocation, fill and subview move up and %x's producer writes
// straight into the interior; the copy and %x go. The fill then only fills
// the border: rows 0 and 3, then columns 0 and 3 of rows 1-2.
// CHECK-LABEL: func @pad_placement
// CHECK-SAME: kiln.arena_size = 64 : i64, kiln.buffers_size = 128 : i64
// CHECK: %[[P:.*]] = memref.view {{.*}} to memref<4x4xf32>
// CHECK-NEXT: %[[B0:.*]] = memref.subview %[[P]][0, 0] [1, 4] [1, 1]
// CHECK-NEXT: linalg.map outs(%[[B0]] : memref<1x4xf32, strided<[4, 1]>>)
// CHECK: %[[B1:.*]] = memref.subview %[[P]][3, 0] [1, 4] [1, 1]
// CHECK-NEXT: linalg.map outs(%[[B1]]
// CHECK: %[[B2:.*]] = memref.subview %[[P]][1, 0] [2, 1] [1, 1]
// CHECK-NEXT: linalg.map outs(%[[B2]]
// CHECK: %[[B3:.*]] = memref.subview %[[P]][1, 3] [2, 1] [1, 1]
// CHECK-NEXT: linalg.map outs(%[[B3]]
// CHECK-NOT: linalg.map
// CHECK: %[[S:.*]] = memref.subview %[[P]][1, 1] [2, 2] [1, 1]
// CHECK-NEXT: linalg.generic {{.*}} ins(%{{.*}} : memref<2x2xf32>) outs(%[[S]] : memref<2x2xf32, strided<[4, 1], offset: 5>>)
// CHECK-NOT: linalg.copy ins(%{{.*}} : memref<2x2xf32>)
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @pad_placement(%in: memref<2x2xf32>, %out: memref<4x4xf32>) {
  %cst = arith.constant 0.0 : f32
  %x = memref.alloc() : memref<2x2xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%in : memref<2x2xf32>) outs(%x : memref<2x2xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.maximumf %a, %cst : f32
    linalg.yield %m : f32
  }
  %p = memref.alloc() : memref<4x4xf32>
  linalg.map outs(%p : memref<4x4xf32>)
    (%init: f32) {
      linalg.yield %cst : f32
    }
  %s = memref.subview %p[1, 1] [2, 2] [1, 1] : memref<4x4xf32> to memref<2x2xf32, strided<[4, 1], offset: 5>>
  linalg.copy ins(%x : memref<2x2xf32>) outs(%s : memref<2x2xf32, strided<[4, 1], offset: 5>>)
  linalg.copy ins(%p : memref<4x4xf32>) outs(%out : memref<4x4xf32>)
  return
}

// -----

// Copy elision through views: %x is written in two halves (the pieces of a
// split conv), then dies copied into the padded %p. Each half becomes the
// same half of %p's interior.
// CHECK-LABEL: func @pieces_placement
// CHECK-SAME: kiln.arena_size = 64 : i64, kiln.buffers_size = 128 : i64
// CHECK: %[[P:.*]] = memref.view {{.*}} to memref<4x4xf32>
// CHECK: %[[S:.*]] = memref.subview %[[P]][1, 1] [2, 2] [1, 1]
// CHECK: %[[H0:.*]] = memref.subview %[[S]][0, 0] [1, 2] [1, 1] : memref<2x2xf32, strided<[4, 1], offset: 5>> to memref<1x2xf32, strided<[4, 1], offset: 5>>
// CHECK-NEXT: linalg.copy ins(%{{.*}}) outs(%[[H0]]
// CHECK: %[[H1:.*]] = memref.subview %[[S]][1, 0] [1, 2] [1, 1] : memref<2x2xf32, strided<[4, 1], offset: 5>> to memref<1x2xf32, strided<[4, 1], offset: 9>>
// CHECK-NEXT: linalg.copy ins(%{{.*}}) outs(%[[H1]]
// CHECK-NOT: linalg.copy ins(%{{.*}} : memref<2x2xf32>)
func.func @pieces_placement(%in: memref<1x2xf32>, %out: memref<4x4xf32>) {
  %cst = arith.constant 0.0 : f32
  %x = memref.alloc() : memref<2x2xf32>
  %x0 = memref.subview %x[0, 0] [1, 2] [1, 1] : memref<2x2xf32> to memref<1x2xf32, strided<[2, 1]>>
  linalg.copy ins(%in : memref<1x2xf32>) outs(%x0 : memref<1x2xf32, strided<[2, 1]>>)
  %x1 = memref.subview %x[1, 0] [1, 2] [1, 1] : memref<2x2xf32> to memref<1x2xf32, strided<[2, 1], offset: 2>>
  linalg.copy ins(%in : memref<1x2xf32>) outs(%x1 : memref<1x2xf32, strided<[2, 1], offset: 2>>)
  %p = memref.alloc() : memref<4x4xf32>
  linalg.fill ins(%cst : f32) outs(%p : memref<4x4xf32>)
  %s = memref.subview %p[1, 1] [2, 2] [1, 1] : memref<4x4xf32> to memref<2x2xf32, strided<[4, 1], offset: 5>>
  linalg.copy ins(%x : memref<2x2xf32>) outs(%s : memref<2x2xf32, strided<[4, 1], offset: 5>>)
  linalg.copy ins(%p : memref<4x4xf32>) outs(%out : memref<4x4xf32>)
  return
}

// -----

// No elision: %x is read again after the copy.
// CHECK-LABEL: func @copy_source_live
// CHECK-SAME: kiln.arena_size = 128 : i64
// CHECK: linalg.copy ins(%{{.*}} : memref<2x2xf32>) outs(%{{.*}} : memref<2x2xf32, strided<[4, 1], offset: 5>>)
func.func @copy_source_live(%in: memref<2x2xf32>, %out: memref<4x4xf32>, %out2: memref<2x2xf32>) {
  %cst = arith.constant 0.0 : f32
  %x = memref.alloc() : memref<2x2xf32>
  linalg.copy ins(%in : memref<2x2xf32>) outs(%x : memref<2x2xf32>)
  %p = memref.alloc() : memref<4x4xf32>
  linalg.fill ins(%cst : f32) outs(%p : memref<4x4xf32>)
  %s = memref.subview %p[1, 1] [2, 2] [1, 1] : memref<4x4xf32> to memref<2x2xf32, strided<[4, 1], offset: 5>>
  linalg.copy ins(%x : memref<2x2xf32>) outs(%s : memref<2x2xf32, strided<[4, 1], offset: 5>>)
  linalg.copy ins(%x : memref<2x2xf32>) outs(%out2 : memref<2x2xf32>)
  linalg.copy ins(%p : memref<4x4xf32>) outs(%out : memref<4x4xf32>)
  return
}

// -----

// No elision: %p is filled from a value computed after %x was allocated
// (moving the fill up would read it before it exists).
// CHECK-LABEL: func @fill_from_later_value
// CHECK: linalg.copy ins(%{{.*}} : memref<2x2xf32>) outs(%{{.*}} : memref<2x2xf32, strided<[4, 1], offset: 5>>)
func.func @fill_from_later_value(%in: memref<2x2xf32>, %v: memref<f32>, %out: memref<4x4xf32>) {
  %x = memref.alloc() : memref<2x2xf32>
  linalg.copy ins(%in : memref<2x2xf32>) outs(%x : memref<2x2xf32>)
  %c = memref.load %v[] : memref<f32>
  %p = memref.alloc() : memref<4x4xf32>
  linalg.fill ins(%c : f32) outs(%p : memref<4x4xf32>)
  %s = memref.subview %p[1, 1] [2, 2] [1, 1] : memref<4x4xf32> to memref<2x2xf32, strided<[4, 1], offset: 5>>
  linalg.copy ins(%x : memref<2x2xf32>) outs(%s : memref<2x2xf32, strided<[4, 1], offset: 5>>)
  linalg.copy ins(%p : memref<4x4xf32>) outs(%out : memref<4x4xf32>)
  return
}
