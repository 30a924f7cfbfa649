// RUN: kiln-opt %s -split-input-file -kiln-erase-identity-and-dead | FileCheck %s

// An identity is replaced by its input; a dead chain of nn ops goes with
// the constants only it read. Ops of other dialects stay.
// CHECK-LABEL: func @identity_and_dead
// CHECK-NEXT: %[[C:.*]] = arith.constant
// CHECK-NEXT: %[[R:.*]] = nn.relu %arg0
// CHECK-NEXT: return %[[R]]
func.func @identity_and_dead(%x: tensor<2xf32>) -> tensor<2xf32> {
  %keep = arith.constant dense<1.0> : tensor<2xf32>
  %i = nn.identity %x : tensor<2xf32>
  %w = nn.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %d = nn.add %i, %w : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %e = nn.relu %d : tensor<2xf32>
  %r = nn.relu %i : tensor<2xf32>
  return %r : tensor<2xf32>
}

// -----

// Every result used: nothing changes.
// CHECK-LABEL: func @all_live
// CHECK-NEXT: nn.constant
// CHECK-NEXT: nn.add
// CHECK-NEXT: nn.relu
// CHECK-NEXT: return
func.func @all_live(%x: tensor<2xf32>) -> tensor<2xf32> {
  %w = nn.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %d = nn.add %x, %w : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %r = nn.relu %d : tensor<2xf32>
  return %r : tensor<2xf32>
}
