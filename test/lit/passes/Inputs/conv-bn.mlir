// Pad -> Conv -> Identity -> BatchNormalization -> Relu: the fold group
// leaves one conv and the relu.
func.func @main(%x: tensor<1x1x2x2xf32> {kiln.name = "x"}) -> (tensor<1x2x4x4xf32> {kiln.name = "y"}) {
  %w = nn.constant dense<[[[[2.0]]], [[[3.0]]]]> : tensor<2x1x1x1xf32>
  %p1 = nn.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %p = nn.pad %x {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, value = 0.0 : f32} : (tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32>
  %c = nn.conv %p, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %d = nn.identity %c : tensor<1x2x4x4xf32>
  %b = nn.batch_norm %d, %p1, %p1, %p1, %p1 {epsilon = 1.0e-5 : f32} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %y = nn.relu %b : tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}
