// RUN: kiln-opt %s -split-input-file -kiln-fuse-conv-epilogue | FileCheck %s

// Conv + Add (a per-channel bias) + Relu: one group whose operands are the
// conv's and the bias'.
// CHECK-LABEL: func @conv_bias_relu
// CHECK-SAME: (%[[X:.*]]: tensor<1x3x4x4xf32>, %[[W:.*]]: tensor<8x3x1x1xf32>, %[[B:.*]]: tensor<8x1x1xf32>)
// CHECK: %[[R:.*]] = nn.fused conv_epilogue(%[[X]], %[[W]], %[[B]])
// CHECK-NEXT: ^bb0(%[[A0:.*]]: tensor<1x3x4x4xf32>, %[[A1:.*]]: tensor<8x3x1x1xf32>, %[[A2:.*]]: tensor<8x1x1xf32>):
// CHECK-NEXT: %[[C:.*]] = nn.conv %[[A0]], %[[A1]] {
// CHECK-NEXT: %[[S:.*]] = nn.add %[[C]], %[[A2]]
// CHECK-NEXT: %[[Y:.*]] = nn.relu %[[S]]
// CHECK-NEXT: nn.yield %[[Y]] : tensor<1x8x4x4xf32>
// CHECK: return %[[R]]
func.func @conv_bias_relu(%x: tensor<1x3x4x4xf32>, %w: tensor<8x3x1x1xf32>, %b: tensor<8x1x1xf32>) -> tensor<1x8x4x4xf32> {
  %0 = nn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x4x4xf32>, tensor<8x3x1x1xf32>) -> tensor<1x8x4x4xf32>
  %1 = nn.add %0, %b : (tensor<1x8x4x4xf32>, tensor<8x1x1xf32>) -> tensor<1x8x4x4xf32>
  %2 = nn.relu %1 : tensor<1x8x4x4xf32>
  return %2 : tensor<1x8x4x4xf32>
}

// -----

// Conv (with its own bias) + Relu + a residual Add.
// CHECK-LABEL: func @conv_relu_residual
// CHECK: nn.fused conv_epilogue
// CHECK: nn.conv
// CHECK-NEXT: nn.relu
// CHECK-NEXT: nn.add
// CHECK-NEXT: nn.yield
// CHECK-NOT: nn.
// CHECK: return
func.func @conv_relu_residual(%x: tensor<1x8x4x4xf32>, %w: tensor<8x8x3x3xf32>, %b: tensor<8xf32>) -> tensor<1x8x4x4xf32> {
  %0 = nn.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x8x4x4xf32>, tensor<8x8x3x3xf32>, tensor<8xf32>) -> tensor<1x8x4x4xf32>
  %1 = nn.relu %0 : tensor<1x8x4x4xf32>
  %2 = nn.add %1, %x : (tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  return %2 : tensor<1x8x4x4xf32>
}

// -----

// Gemm + Sigmoid and MatMul + Add + Clip are gemm epilogues.
// CHECK-LABEL: func @gemm_sigmoid
// CHECK: nn.fused gemm_epilogue
// CHECK-NEXT: ^bb0
// CHECK-NEXT: nn.gemm
// CHECK-NEXT: nn.sigmoid
// CHECK-LABEL: func @matmul_bias_clip
// CHECK: nn.fused gemm_epilogue
// CHECK-NEXT: ^bb0
// CHECK-NEXT: nn.matmul
// CHECK-NEXT: nn.add
// CHECK-NEXT: nn.clip
func.func @gemm_sigmoid(%a: tensor<2x16xf32>, %b: tensor<10x16xf32>, %c: tensor<10xf32>) -> tensor<2x10xf32> {
  %0 = nn.gemm %a, %b, %c {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = true} : (tensor<2x16xf32>, tensor<10x16xf32>, tensor<10xf32>) -> tensor<2x10xf32>
  %1 = nn.sigmoid %0 : tensor<2x10xf32>
  return %1 : tensor<2x10xf32>
}
func.func @matmul_bias_clip(%a: tensor<2x4x5xf32>, %b: tensor<5x7xf32>, %c: tensor<7xf32>) -> tensor<2x4x7xf32> {
  %0 = nn.matmul %a, %b : (tensor<2x4x5xf32>, tensor<5x7xf32>) -> tensor<2x4x7xf32>
  %1 = nn.add %c, %0 : (tensor<7xf32>, tensor<2x4x7xf32>) -> tensor<2x4x7xf32>
  %2 = nn.clip %1 {min = 0.0 : f32, max = 6.0 : f32} : tensor<2x4x7xf32>
  return %2 : tensor<2x4x7xf32>
}

// -----

// x * sigmoid(x) (SiLU): the conv result has two users, both in the group.
// CHECK-LABEL: func @conv_silu
// CHECK: nn.fused conv_epilogue
// CHECK: %[[C:.*]] = nn.conv
// CHECK-NEXT: %[[S:.*]] = nn.sigmoid %[[C]]
// CHECK-NEXT: nn.mul %[[C]], %[[S]]
func.func @conv_silu(%x: tensor<1x3x4x4xf32>, %w: tensor<8x3x1x1xf32>) -> tensor<1x8x4x4xf32> {
  %0 = nn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x4x4xf32>, tensor<8x3x1x1xf32>) -> tensor<1x8x4x4xf32>
  %1 = nn.sigmoid %0 : tensor<1x8x4x4xf32>
  %2 = nn.mul %0, %1 : (tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  return %2 : tensor<1x8x4x4xf32>
}

// -----

// Two convs summed: one is the anchor, the other an operand of the group.
// CHECK-LABEL: func @two_convs
// CHECK: %[[C0:.*]] = nn.conv
// CHECK: nn.fused conv_epilogue({{.*}}%[[C0]]
// CHECK: nn.conv
// CHECK-NEXT: nn.add
// CHECK-NEXT: nn.relu
func.func @two_convs(%x: tensor<1x3x4x4xf32>, %w: tensor<8x3x1x1xf32>) -> tensor<1x8x4x4xf32> {
  %0 = nn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x4x4xf32>, tensor<8x3x1x1xf32>) -> tensor<1x8x4x4xf32>
  %1 = nn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x4x4xf32>, tensor<8x3x1x1xf32>) -> tensor<1x8x4x4xf32>
  %2 = nn.add %0, %1 : (tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %3 = nn.relu %2 : tensor<1x8x4x4xf32>
  return %3 : tensor<1x8x4x4xf32>
}

// -----

// Refused: the conv's result is also returned, so it must exist on its own.
// CHECK-LABEL: func @intermediate_escapes
// CHECK-NOT: nn.fused
// CHECK: nn.conv
// CHECK-NEXT: nn.relu
func.func @intermediate_escapes(%x: tensor<1x3x4x4xf32>, %w: tensor<8x3x1x1xf32>) -> (tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>) {
  %0 = nn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x4x4xf32>, tensor<8x3x1x1xf32>) -> tensor<1x8x4x4xf32>
  %1 = nn.relu %0 : tensor<1x8x4x4xf32>
  return %0, %1 : tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>
}

// -----

// The group ends where a value is needed outside it: the relu result is
// returned, so conv + relu fuse and the add stays outside.
// CHECK-LABEL: func @group_ends_at_escaping_value
// CHECK: %[[R:.*]] = nn.fused conv_epilogue
// CHECK: nn.relu
// CHECK-NEXT: nn.yield
// CHECK: nn.add %[[R]]
func.func @group_ends_at_escaping_value(%x: tensor<1x3x4x4xf32>, %w: tensor<8x3x1x1xf32>, %y: tensor<1x8x4x4xf32>) -> (tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>) {
  %0 = nn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x4x4xf32>, tensor<8x3x1x1xf32>) -> tensor<1x8x4x4xf32>
  %1 = nn.relu %0 : tensor<1x8x4x4xf32>
  %2 = nn.add %1, %y : (tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  return %1, %2 : tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>
}

// -----

// Refused: the add broadcasts the conv's 1x8x1x1 result up to 1x8x4x4, so
// it cannot be applied to the conv's result in place.
// CHECK-LABEL: func @broadcasts_the_wrong_way
// CHECK-NOT: nn.fused
func.func @broadcasts_the_wrong_way(%x: tensor<1x3x1x1xf32>, %w: tensor<8x3x1x1xf32>, %y: tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32> {
  %0 = nn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x1x1xf32>, tensor<8x3x1x1xf32>) -> tensor<1x8x1x1xf32>
  %1 = nn.add %0, %y : (tensor<1x8x1x1xf32>, tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %2 = nn.relu %1 : tensor<1x8x4x4xf32>
  return %2 : tensor<1x8x4x4xf32>
}

// -----

// Refused: softmax is not elementwise (it reads the whole axis), and an
// integer conv (ConvInteger) is no anchor.
// CHECK-LABEL: func @not_fusible
// CHECK-NOT: nn.fused
func.func @not_fusible(%x: tensor<1x3x4x4xf32>, %w: tensor<8x3x1x1xf32>, %xi: tensor<1x3x4x4xi32>, %wi: tensor<8x3x1x1xi32>) -> (tensor<1x8x4x4xf32>, tensor<1x8x4x4xi32>) {
  %0 = nn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x4x4xf32>, tensor<8x3x1x1xf32>) -> tensor<1x8x4x4xf32>
  %1 = nn.softmax %0 {axis = 1 : i64} : (tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %2 = nn.conv %xi, %wi {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x4x4xi32>, tensor<8x3x1x1xi32>) -> tensor<1x8x4x4xi32>
  %3 = nn.add %2, %2 : (tensor<1x8x4x4xi32>, tensor<1x8x4x4xi32>) -> tensor<1x8x4x4xi32>
  return %1, %3 : tensor<1x8x4x4xf32>, tensor<1x8x4x4xi32>
}

// -----

// Refused: no anchor; elementwise groups are kiln-fuse-elementwise's.
// CHECK-LABEL: func @no_anchor
// CHECK-NOT: nn.fused
func.func @no_anchor(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.relu %x : tensor<4xf32>
  %1 = nn.sigmoid %0 : tensor<4xf32>
  return %1 : tensor<4xf32>
}
