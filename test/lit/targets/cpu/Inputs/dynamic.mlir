// An input without a static shape: refused at the model boundary.
func.func @main(%x: tensor<?xf32> {kiln.name = "x"}) -> (tensor<?xf32> {kiln.name = "y"}) {
  return %x : tensor<?xf32>
}
