// RUN: kilnc %s --emit=opencl -o - | FileCheck %s
// RUN: kilnc %s --devices=cpu,gpu --stats -o %t.o 2>&1 | FileCheck %s --check-prefix=STATS
// The GPU variant: one OpenCL C kernel per nn op or fused group, a
// work-item per output element, every shape and offset compiled in. The
// conv and its ReLU are one fused group: the conv's sum, then the ReLU as
// a scalar expression, then one store. The flatten is a view (no kernel).

// STATS: kilnc:   gpu (OpenCL): 4 kernels, {{[0-9]+}} bytes of OpenCL C, device arena {{[0-9]+}} bytes, weights {{[0-9]+}} bytes

// CHECK:      __kernel void k0(__global float *arena, __global const float *weights) {
// CHECK:        const long c3 = t % 4; t /= 4;
// CHECK:        float acc = (weights + {{[0-9]+}})[c1];
// CHECK:        for (long c = 0; c < 2; ++c, x += 16, f += 9)
// CHECK:          const long ih = c2 * 1 - 1 + kh * 1;
// CHECK:        const float v0 = acc;
// CHECK-NEXT:   const float v1 = fmax(v0, 0.0f);
// CHECK-NEXT:   arena[{{[0-9]+}} + i] = v1;
// CHECK:      __kernel void k1(
// CHECK:        float acc = -INFINITY;
// CHECK:        if (in) acc = fmax(acc, x[ih * 4 + iw]);
// CHECK:      __kernel void k2(
// CHECK:        acc /= 4.000000000e+00f;
// CHECK:      __kernel void k3(
// CHECK:        sum += {{.*}};
// CHECK:        float acc = 1.000000000e+00f * sum + 1.000000000e+00f * (weights + {{[0-9]+}})[0 + c1 * 1];
// CHECK-NOT:  __kernel
func.func @main(%x: tensor<1x2x4x4xf32>) -> tensor<1x3xf32> {
  %w = nn.constant dense<0.5> : tensor<3x2x3x3xf32>
  %b = nn.constant dense<[0.1, 0.2, 0.3]> : tensor<3xf32>
  %c = nn.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<3x2x3x3xf32>, tensor<3xf32>) -> tensor<1x3x4x4xf32>
  %r = nn.relu %c : tensor<1x3x4x4xf32>
  %p = nn.max_pool %r {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = false} : (tensor<1x3x4x4xf32>) -> tensor<1x3x2x2xf32>
  %g = nn.global_avg_pool %p : (tensor<1x3x2x2xf32>) -> tensor<1x3x1x1xf32>
  %f = nn.flatten %g {axis = 1 : i64} : (tensor<1x3x1x1xf32>) -> tensor<1x3xf32>
  %m = nn.constant dense<1.0> : tensor<3x3xf32>
  %bias = nn.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %y = nn.gemm %f, %m, %bias {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = false} : (tensor<1x3xf32>, tensor<3x3xf32>, tensor<3xf32>) -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}
