// RUN: kilnc %s --emit=shared -o %t.so
// RUN: %python -c "import numpy as n; n.save('%t.x.npy', n.array([[-1, 2, -3, 4]], n.float32))"
// RUN: %kiln_build/bin/kiln-run %t.so --input x=%t.x.npy --top 0 | FileCheck %s
// One value that is two model outputs (an ONNX Identity between outputs
// folds to this): each output is the caller's own buffer, so the second
// gets a copy. kilnc used to crash here.

// CHECK:      output y: f32 1x4
// CHECK-NEXT:   values: 0 2 0 4
// CHECK:      output z: f32 1x4
// CHECK-NEXT:   values: 0 2 0 4
func.func @main(%x: tensor<1x4xf32> {kiln.name = "x"}) -> (tensor<1x4xf32> {kiln.name = "y"}, tensor<1x4xf32> {kiln.name = "z"}) {
  %s = nn.relu %x : tensor<1x4xf32>
  return %s, %s : tensor<1x4xf32>, tensor<1x4xf32>
}
