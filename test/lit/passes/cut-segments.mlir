// RUN: kiln-opt %s -split-input-file -kiln-cut-segments=segments=2 | FileCheck %s
// RUN: kiln-opt %s -split-input-file -kiln-cut-segments=segments=3 | FileCheck %s --check-prefix=THREE
// RUN: kiln-opt %s -split-input-file -kiln-cut-segments="segments=2 max-live=2" | FileCheck %s --check-prefix=LIVE2

// Four equal ops in a chain, a skip connection over the middle two: the
// balanced cut (after the second op) has two values crossing, so with
// max-live 1 the cut moves to the first point past half the work where one
// does: after the third op. With max-live 2 it takes the balanced one.
// CHECK-LABEL: func.func @main
// CHECK-SAME: kiln.segments = 2
// CHECK: nn.relu {{.*}}kiln.segment = 0
// CHECK: nn.relu {{.*}}kiln.segment = 0
// CHECK: nn.add {{.*}}kiln.segment = 0
// CHECK: nn.relu {{.*}}kiln.segment = 1
// LIVE2: nn.relu {{.*}}kiln.segment = 0
// LIVE2: nn.relu {{.*}}kiln.segment = 0
// LIVE2: nn.add {{.*}}kiln.segment = 1
// LIVE2: nn.relu {{.*}}kiln.segment = 1
// Three segments asked: the first third ends inside op 0 (no point there),
// the next allowed point (after the add) is past two thirds already, so two
// segments result: a model with fewer points gets fewer segments.
// THREE: kiln.segments = 2
// THREE: nn.add {{.*}}kiln.segment = 0
// THREE: nn.relu {{.*}}kiln.segment = 1
func.func @main(%x: tensor<64xf32>) -> tensor<64xf32> {
  %a = nn.relu %x : tensor<64xf32>
  %b = nn.relu %a : tensor<64xf32>
  %c = nn.add %a, %b : (tensor<64xf32>, tensor<64xf32>) -> tensor<64xf32>
  %d = nn.relu %c : tensor<64xf32>
  return %d : tensor<64xf32>
}

// -----

// A model output read by a later op crosses once (as the later segment's
// input); model inputs are every segment's to read and do not count.
// CHECK-LABEL: func.func @main
// CHECK-SAME: kiln.segments = 2
// CHECK: nn.relu {{.*}}kiln.segment = 0
// CHECK: nn.add {{.*}}kiln.segment = 1
func.func @main(%x: tensor<64xf32>) -> (tensor<64xf32>, tensor<64xf32>) {
  %a = nn.relu %x : tensor<64xf32>
  %b = nn.add %a, %x : (tensor<64xf32>, tensor<64xf32>) -> tensor<64xf32>
  return %a, %b : tensor<64xf32>, tensor<64xf32>
}
