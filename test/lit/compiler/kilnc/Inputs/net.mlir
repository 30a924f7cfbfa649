// A small graph for kilnc's command-line and report tests: the fold group
// (pad, identity, batch norm), a merge (two sibling 1x1 convs on one
// input), fusion (conv + relu) and a node whose name needs escaping in HTML.
func.func @main(%x: tensor<1x2x6x6xf32> {kiln.name = "x"}) -> (tensor<1x3x6x6xf32> {kiln.name = "y"}) {
  %w = nn.constant dense<0.5> : tensor<2x2x3x3xf32>
  %s = nn.constant dense<1.0> : tensor<2xf32>
  %w0 = nn.constant dense<0.25> : tensor<1x2x1x1xf32>
  %w1 = nn.constant dense<0.75> : tensor<2x2x1x1xf32>
  %p = nn.pad %x {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, value = 0.0 : f32} : (tensor<1x2x6x6xf32>) -> tensor<1x2x8x8xf32> loc("pad")
  %c = nn.conv %p, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x8x8xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x6x6xf32> loc("conv")
  %i = nn.identity %c : tensor<1x2x6x6xf32> loc("identity")
  %b = nn.batch_norm %i, %s, %s, %s, %s {epsilon = 1.0e-5 : f32} : (tensor<1x2x6x6xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x6x6xf32> loc("bn")
  %r = nn.relu %b : tensor<1x2x6x6xf32> loc("<relu> & 'q' \"x\"")
  %a = nn.conv %r, %w0 {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x6x6xf32>, tensor<1x2x1x1xf32>) -> tensor<1x1x6x6xf32> loc("branch_a")
  %d = nn.conv %r, %w1 {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x6x6xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x6x6xf32> loc("branch_b")
  %y = nn.concat %a, %d {axis = 1 : i64} : (tensor<1x1x6x6xf32>, tensor<1x2x6x6xf32>) -> tensor<1x3x6x6xf32> loc("concat")
  return %y : tensor<1x3x6x6xf32>
}
