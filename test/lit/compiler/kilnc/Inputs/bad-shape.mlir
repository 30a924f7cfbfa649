// A malformed model: the relu's operand type is not its input's.
func.func @main(%x: tensor<4xf32> {kiln.name = "x"}) -> (tensor<4xf32> {kiln.name = "y"}) {
  %y = nn.relu %x : tensor<5xf32>
  return %y : tensor<4xf32>
}
