// RUN: kiln-opt %s -kiln-autotune-patterns="vector-bits=256 min-time-ms=1" | FileCheck %s
// kiln-autotune-patterns compiles and times, on this machine, each register
// tile of a conv that runs the pattern kernel, and writes the fastest on it
// as kiln.pattern_tile. 8x8 outputs with AVX2 vectors have three tiles:
// 8, 4 or 2 rows of one vector. Which is fastest depends on the machine.

// CHECK:       module attributes {kiln.autotune = ["c1: tile [{{[842]}}, 1, 0] {{[0-9.]+}} ms (default [8, 1, 0] {{[0-9.]+}} ms, 3 tiles timed)"]}
// CHECK-LABEL: func.func @tuned
// CHECK:         linalg.conv_2d_nchw_fchw {{{.*}}kiln.pattern_tile = array<i64: {{[842]}}, 1, 0>
// A dense filter runs the dense kernel: nothing to tune.
// CHECK:         linalg.conv_2d_nchw_fchw
// CHECK-NOT:     kiln.pattern_tile
memref.global "private" constant @w : memref<1x1x3x3xf32> = dense<[[[[0.0, 0.0, 0.0], [0.0, 5.0, 2.0], [0.0, 0.0, 0.0]]]]>
func.func @tuned(%in: memref<1x1x10x16xf32>, %out: memref<1x1x8x8xf32>,
                 %dense: memref<1x1x3x3xf32>) {
  %w = memref.get_global @w : memref<1x1x3x3xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>,
                            strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x1x10x16xf32>, memref<1x1x3x3xf32>)
    outs(%out : memref<1x1x8x8xf32>) loc("c1")
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>,
                            strides = dense<1> : tensor<2xi64>}
    ins(%in, %dense : memref<1x1x10x16xf32>, memref<1x1x3x3xf32>)
    outs(%out : memref<1x1x8x8xf32>)
  return
}
