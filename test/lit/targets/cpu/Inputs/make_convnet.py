#!/usr/bin/env python3
"""Writes convnet.mlir: a small linalg-on-tensors model for end-to-end tests.

  image (1x3x10x10) -> conv 3x3 (8 filters) + bias -> relu = features
  features -> flatten -> matmul (512x10) + bias (input) -> tanh = logits

Weights are dense_resource blobs whose values follow closed formulas that
run_convnet.c repeats to compute its reference; every value is a small
multiple of a power of two, so both sides start from identical floats.
"""
import struct
import sys


def w1(i):
    return ((i * 7) % 17 - 8) / 16.0


def b1(i):
    return (i % 5 - 2) / 8.0


def w2(i):
    return ((i * 5) % 13 - 6) / 512.0


def blob(values):
    # A builtin resource blob: 4-byte alignment, then little-endian data.
    data = struct.pack("<I", 4) + struct.pack("<%df" % len(values), *values)
    return '"0x' + data.hex().upper() + '"'


MODEL = """\
#nchw = affine_map<(n, c, h, w) -> (n, c, h, w)>
#channel = affine_map<(n, c, h, w) -> (c)>
#id2 = affine_map<(i, j) -> (i, j)>
func.func @main(%image: tensor<1x3x10x10xf32> {kiln.name = "image"},
                %bias2: tensor<1x10xf32> {kiln.name = "bias2"})
    -> (tensor<1x10xf32> {kiln.name = "logits"},
        tensor<1x8x8x8xf32> {kiln.name = "features"}) {
  %zero = arith.constant 0.0 : f32
  %w1 = arith.constant dense_resource<w1> : tensor<8x3x3x3xf32>
  %b1 = arith.constant dense_resource<b1> : tensor<8xf32>
  %w2 = arith.constant dense_resource<w2> : tensor<512x10xf32>
  %e0 = tensor.empty() : tensor<1x8x8x8xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e0 : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  %conv = linalg.conv_2d_nchw_fchw
      {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%image, %w1 : tensor<1x3x10x10xf32>, tensor<8x3x3x3xf32>)
      outs(%acc : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  %e1 = tensor.empty() : tensor<1x8x8x8xf32>
  %features = linalg.generic
      {indexing_maps = [#nchw, #channel, #nchw],
       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%conv, %b1 : tensor<1x8x8x8xf32>, tensor<8xf32>)
      outs(%e1 : tensor<1x8x8x8xf32>) {
  ^bb0(%c: f32, %b: f32, %o: f32):
    %s = arith.addf %c, %b : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  } -> tensor<1x8x8x8xf32>
  %flat = tensor.collapse_shape %features [[0], [1, 2, 3]]
      : tensor<1x8x8x8xf32> into tensor<1x512xf32>
  %e2 = tensor.empty() : tensor<1x10xf32>
  %acc2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<1x10xf32>) -> tensor<1x10xf32>
  %mm = linalg.matmul ins(%flat, %w2 : tensor<1x512xf32>, tensor<512x10xf32>)
      outs(%acc2 : tensor<1x10xf32>) -> tensor<1x10xf32>
  %e3 = tensor.empty() : tensor<1x10xf32>
  %logits = linalg.generic
      {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%mm, %bias2 : tensor<1x10xf32>, tensor<1x10xf32>)
      outs(%e3 : tensor<1x10xf32>) {
  ^bb0(%m: f32, %b: f32, %o: f32):
    %s = arith.addf %m, %b : f32
    %t = math.tanh %s : f32
    linalg.yield %t : f32
  } -> tensor<1x10xf32>
  return %logits, %features : tensor<1x10xf32>, tensor<1x8x8x8xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w1: @W1@,
      b1: @B1@,
      w2: @W2@
    }
  }
#-}
"""

sys.stdout.write(
    MODEL.replace("@W1@", blob([w1(i) for i in range(8 * 3 * 3 * 3)]))
    .replace("@B1@", blob([b1(i) for i in range(8)]))
    .replace("@W2@", blob([w2(i) for i in range(512 * 10)])))
