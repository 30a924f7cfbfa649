// Two branches on one input: a conv on the GPU, a log_softmax (no OpenCL
// kernel) on the CPU; their concatenation and a relu on the GPU again. The
// CPU branch does not read the conv, so it may run while the GPU computes
// it. Outputs: the relu, and the CPU branch's result itself.
func.func @main(%x: tensor<1x2x4x4xf32> {kiln.name = "x"}) -> (tensor<1x4x4x4xf32> {kiln.name = "y"}, tensor<1x2x4x4xf32> {kiln.name = "z"}) {
  %w = nn.constant dense<0.25> : tensor<2x2x3x3xf32>
  %c = nn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x4x4xf32> loc("conv")
  %s = nn.log_softmax %x {axis = 3 : i64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> loc("lsm")
  %a = nn.concat %c, %s {axis = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x4x4x4xf32> loc("cat")
  %r = nn.relu %a : tensor<1x4x4x4xf32> loc("relu")
  return %r, %s : tensor<1x4x4x4xf32>, tensor<1x2x4x4xf32>
}
