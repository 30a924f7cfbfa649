// Two inputs; elementwise ops whose ranges numpy can recompute.
func.func @main(%a: tensor<1x3x4x4xf32> {kiln.name = "a"}, %b: tensor<1x3x4x4xf32> {kiln.name = "b"}) -> (tensor<1x3x2x2xf32> {kiln.name = "y"}) {
  %k = nn.constant dense<3.0> : tensor<1xf32>
  %m = nn.mul %a, %k : (tensor<1x3x4x4xf32>, tensor<1xf32>) -> tensor<1x3x4x4xf32> loc("scale")
  %s = nn.sigmoid %b : tensor<1x3x4x4xf32> loc("gate")
  %p = nn.mul %m, %s : (tensor<1x3x4x4xf32>, tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32> loc("product")
  %y = nn.max_pool %p {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = false} : (tensor<1x3x4x4xf32>) -> tensor<1x3x2x2xf32> loc("pool")
  return %y : tensor<1x3x2x2xf32>
}
