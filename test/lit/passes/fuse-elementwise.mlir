// RUN: kiln-opt %s -split-input-file -kiln-fuse-elementwise | FileCheck %s

// Mul, Add, Sigmoid, Mul: one group; the broadcast operands become its
// inputs.
// CHECK-LABEL: func @chain
// CHECK-SAME: (%[[X:.*]]: tensor<2x8xf32>, %[[S:.*]]: tensor<8xf32>, %[[B:.*]]: tensor<f32>)
// CHECK: %[[R:.*]] = nn.fused elementwise(%[[X]], %[[S]], %[[B]])
// CHECK-NEXT: ^bb0(%[[A0:.*]]: tensor<2x8xf32>, %[[A1:.*]]: tensor<8xf32>, %[[A2:.*]]: tensor<f32>):
// CHECK-NEXT: %[[M:.*]] = nn.mul %[[A0]], %[[A1]]
// CHECK-NEXT: %[[P:.*]] = nn.add %[[M]], %[[A2]]
// CHECK-NEXT: %[[G:.*]] = nn.sigmoid %[[P]]
// CHECK-NEXT: %[[Y:.*]] = nn.mul %[[P]], %[[G]]
// CHECK-NEXT: nn.yield %[[Y]]
// CHECK: return %[[R]]
func.func @chain(%x: tensor<2x8xf32>, %s: tensor<8xf32>, %b: tensor<f32>) -> tensor<2x8xf32> {
  %0 = nn.mul %x, %s : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  %1 = nn.add %0, %b : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %2 = nn.sigmoid %1 : tensor<2x8xf32>
  %3 = nn.mul %1, %2 : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  return %3 : tensor<2x8xf32>
}

// -----

// The chain is cut where a value is needed outside: %1 is returned, so
// {%0, %1} and {%2, %3} are two groups.
// CHECK-LABEL: func @cut_at_escaping_value
// CHECK: %[[G0:.*]] = nn.fused elementwise
// CHECK: nn.exp
// CHECK-NEXT: nn.neg
// CHECK-NEXT: nn.yield
// CHECK: %[[G1:.*]] = nn.fused elementwise(%[[G0]])
// CHECK: nn.tanh
// CHECK-NEXT: nn.abs
// CHECK-NEXT: nn.yield
// CHECK: return %[[G0]], %[[G1]]
func.func @cut_at_escaping_value(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %0 = nn.exp %x : tensor<4xf32>
  %1 = nn.neg %0 : tensor<4xf32>
  %2 = nn.tanh %1 : tensor<4xf32>
  %3 = nn.abs %2 : tensor<4xf32>
  return %1, %3 : tensor<4xf32>, tensor<4xf32>
}

// -----

// Refused: the add's result is larger than the relu's, so the relu would
// have to be recomputed per broadcast element; it stays on its own and
// the add joins the sigmoid.
// CHECK-LABEL: func @broadcast_splits
// CHECK: nn.relu %{{.*}} : tensor<8xf32>
// CHECK: nn.fused elementwise
// CHECK-NEXT: ^bb0
// CHECK-NEXT: nn.add
// CHECK-NEXT: nn.sigmoid
func.func @broadcast_splits(%x: tensor<8xf32>, %y: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %0 = nn.relu %x : tensor<8xf32>
  %1 = nn.add %0, %y : (tensor<8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %2 = nn.sigmoid %1 : tensor<2x8xf32>
  return %2 : tensor<2x8xf32>
}

// -----

// Refused: a lone op, integer arithmetic, and a chain broken by a
// non-elementwise op (softmax) and by one that is not fusible (cast).
// CHECK-LABEL: func @not_fusible
// CHECK-NOT: nn.fused
func.func @not_fusible(%x: tensor<2x8xf32>, %i: tensor<4xi32>) -> (tensor<2x8xf32>, tensor<4xi32>, tensor<2x8xf32>) {
  %0 = nn.relu %x : tensor<2x8xf32>
  %1 = nn.softmax %0 {axis = 1 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %2 = nn.sigmoid %1 : tensor<2x8xf32>
  %3 = nn.add %i, %i : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  %4 = nn.mul %3, %i : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  %5 = nn.cast %x : tensor<2x8xf32> to tensor<2x8xf16>
  %6 = nn.cast %5 : tensor<2x8xf16> to tensor<2x8xf32>
  %7 = nn.exp %6 : tensor<2x8xf32>
  return %2, %4, %7 : tensor<2x8xf32>, tensor<4xi32>, tensor<2x8xf32>
}

// -----

// Epilogue groups are left as they are; only the chain after one fuses.
// CHECK-LABEL: func @after_epilogue
// CHECK: %[[E:.*]] = nn.fused conv_epilogue
// CHECK: nn.relu
// CHECK-NEXT: nn.yield
// CHECK: nn.fused elementwise(%[[E]])
// CHECK-NEXT: ^bb0
// CHECK-NEXT: nn.exp
// CHECK-NEXT: nn.neg
func.func @after_epilogue(%x: tensor<1x3x4x4xf32>, %w: tensor<8x3x1x1xf32>) -> (tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>) {
  %0 = nn.fused conv_epilogue(%x, %w) : (tensor<1x3x4x4xf32>, tensor<8x3x1x1xf32>) -> tensor<1x8x4x4xf32> {
  ^bb0(%a: tensor<1x3x4x4xf32>, %b: tensor<8x3x1x1xf32>):
    %c = nn.conv %a, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x4x4xf32>, tensor<8x3x1x1xf32>) -> tensor<1x8x4x4xf32>
    %r = nn.relu %c : tensor<1x8x4x4xf32>
    nn.yield %r : tensor<1x8x4x4xf32>
  }
  %1 = nn.exp %0 : tensor<1x8x4x4xf32>
  %2 = nn.neg %1 : tensor<1x8x4x4xf32>
  return %0, %2 : tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>
}
