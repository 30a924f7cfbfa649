// An op the CPU target runs and the OpenCL target does not (yet).
func.func @main(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %s = nn.log_softmax %x {axis = 1 : i64} : (tensor<1x4xf32>) -> tensor<1x4xf32>
  return %s : tensor<1x4xf32>
}
