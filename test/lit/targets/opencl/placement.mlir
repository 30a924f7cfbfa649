// RUN: kilnc %s --emit=opencl -o - | FileCheck %s
// RUN: kilnc %s --devices=cpu,gpu --stats --emit=shared -o %t.so 2>&1 | FileCheck %s --check-prefix=STATS
// RUN: %if opencl %{ %python -c "import numpy as n; n.save('%t.x.npy', n.random.RandomState(0).randn(1, 2, 4, 4).astype(n.float32))" %}
// RUN: %if opencl %{ %kiln_build/bin/kiln-run %t.so --input x=%t.x.npy --output-dir %t.cpu %}
// RUN: %if opencl %{ %kiln_build/bin/kiln-run %t.so --device=gpu --input x=%t.x.npy --output-dir %t.gpu %}
// RUN: %if opencl %{ %python %S/Inputs/same_outputs.py %t.cpu %t.gpu %}
// Concat and slice by placement: the two kernels feeding the concat write
// their halves straight into its buffer (no concat kernel), and the slice
// of a contiguous range is a view into it (no slice kernel): the last
// kernel reads the concat's buffer 16 floats on.

// STATS: kilnc:   gpu (OpenCL): 3 kernels,

// CHECK:      __kernel void k0(
// CHECK:        arena{{\[}}[[#A:]] + i] = fmax(
// CHECK:      __kernel void k1(
// CHECK:        arena{{\[}}[[#A+32]] + i] = (1.0f / (1.0f + exp(
// CHECK:      __kernel void k2(
// CHECK:        (arena + [[#A+16]])[0 + c3 * 1 + c2 * 4 + c1 * 16]
// CHECK-NOT:  __kernel
func.func @main(%x: tensor<1x2x4x4xf32> {kiln.name = "x"}) -> (tensor<1x2x4x4xf32> {kiln.name = "y"}) {
  %a = nn.relu %x : tensor<1x2x4x4xf32>
  %b = nn.sigmoid %x : tensor<1x2x4x4xf32>
  %c = nn.concat %a, %b {axis = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x4x4x4xf32>
  %s = nn.slice %c {offsets = array<i64: 0, 1, 0, 0>, sizes = array<i64: 1, 2, 4, 4>, steps = array<i64: 1, 1, 1, 1>} : (tensor<1x4x4x4xf32>) -> tensor<1x2x4x4xf32>
  %y = nn.neg %s : tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}
