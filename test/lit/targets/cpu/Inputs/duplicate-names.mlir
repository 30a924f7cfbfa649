// Two inputs with one name: the runtime could not tell them apart.
func.func @main(%a: tensor<4xf32> {kiln.name = "x"}, %b: tensor<4xf32> {kiln.name = "x"}) -> (tensor<4xf32> {kiln.name = "y"}) {
  %e = tensor.empty() : tensor<4xf32>
  %y = linalg.add ins(%a, %b : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}
