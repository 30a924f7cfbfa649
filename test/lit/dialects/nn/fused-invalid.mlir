// RUN: kiln-opt %s -split-input-file -verify-diagnostics
// nn.fused holds only what its kind allows, in the group's shape.

func.func @one_op(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{elementwise group needs at least two ops}}
  %0 = nn.fused elementwise(%x) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %r = nn.relu %a : tensor<4xf32>
    nn.yield %r : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}

// -----

func.func @no_anchor(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{epilogue group needs an anchor and at least one elementwise op}}
  %0 = nn.fused conv_epilogue(%x) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %r = nn.relu %a : tensor<4xf32>
    %s = nn.sigmoid %r : tensor<4xf32>
    nn.yield %s : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}

// -----

func.func @wrong_anchor(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) -> tensor<2x4xf32> {
  %0 = nn.fused conv_epilogue(%a, %b) : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32> {
  ^bb0(%l: tensor<2x3xf32>, %r: tensor<3x4xf32>):
    // expected-error @+1 {{is not allowed in an nn.fused of kind conv_epilogue}}
    %m = nn.matmul %l, %r : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
    %t = nn.tanh %m : tensor<2x4xf32>
    nn.yield %t : tensor<2x4xf32>
  }
  return %0 : tensor<2x4xf32>
}

// -----

func.func @anchor_reads_group(%a: tensor<2x2xf32>, %b: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %0 = nn.fused gemm_epilogue(%a, %b) : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32> {
  ^bb0(%l: tensor<2x2xf32>, %r: tensor<2x2xf32>):
    %n = nn.neg %l : tensor<2x2xf32>
    // expected-error @+1 {{as the anchor of a fused group must read block arguments only}}
    %m = nn.matmul %n, %r : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
    %t = nn.tanh %m : tensor<2x2xf32>
    nn.yield %t : tensor<2x2xf32>
  }
  return %0 : tensor<2x2xf32>
}

// -----

func.func @shape(%x: tensor<4xf32>, %y: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %0 = nn.fused elementwise(%x, %y) : (tensor<4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32> {
  ^bb0(%a: tensor<4xf32>, %b: tensor<2x4xf32>):
    // expected-error @+1 {{has shape 'tensor<4xf32>' in a fused group of shape 'tensor<2x4xf32>'}}
    %r = nn.relu %a : tensor<4xf32>
    %s = nn.add %r, %b : (tensor<4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
    nn.yield %s : tensor<2x4xf32>
  }
  return %0 : tensor<2x4xf32>
}

// -----

func.func @unused(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.fused elementwise(%x) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    // expected-error @+1 {{result is unused in its fused group}}
    %r = nn.relu %a : tensor<4xf32>
    %s = nn.exp %a : tensor<4xf32>
    %t = nn.neg %s : tensor<4xf32>
    nn.yield %t : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}

// -----

func.func @integer(%x: tensor<4xi32>) -> tensor<4xf32> {
  %0 = nn.fused elementwise(%x) : (tensor<4xi32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xi32>):
    // expected-error @+1 {{is not allowed in an nn.fused of kind elementwise}}
    %r = nn.add %a, %a : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
    %c = nn.cast %r : tensor<4xi32> to tensor<4xf32>
    nn.yield %c : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}

// -----

func.func @args(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{block arguments must match the operands}}
  %0 = nn.fused elementwise(%x) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>, %b: tensor<4xf32>):
    %r = nn.add %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    %s = nn.neg %r : tensor<4xf32>
    nn.yield %s : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}
