// RUN: kiln-opt %s -split-input-file -kiln-nna-stream -o /dev/null | FileCheck %s
// RUN: kiln-opt %s -split-input-file -kiln-nna-stream=config=large -o /dev/null | FileCheck %s --check-prefix=LARGE
// The stream builder's split on the small configuration (256 KiB SRAM,
// 16384 accumulators); every op here fits the large one whole.

// Row tiles: the 95x96x32 input (285 KiB) does not fit the SRAM. Each tile
// of 16 output rows reads the input rows its windows cover (stride 2: rows
// 2y-1 .. 2y+1) and pads only where they pass the input: the top on the
// first tile, the bottom (row 95) on the last. Tiles are written into the
// result through its rows (line stride), double-buffered.
// CHECK-LABEL: nna-stream: config small, fused
// CHECK:      result 0: r1+291840 48x48x16
// CHECK:      op 0 nna.conv rows: tiles 3 = rows 3 x out-ch 1 x in-ch 1, out dram, double-buffered
// CHECK:      cmd 0: DMA_LOAD r1+0 -> sram:[[IN0:[0-9]+]] 32 rows x 3072 B
// CHECK-NEXT: cmd 1: DMA_LOAD r0+0 -> sram:[[W:[0-9]+]] 1 rows x 4800 B
// CHECK-NEXT: cmd 2: DMA_LOAD r1+95232 -> sram:[[IN1:[0-9]+]] 33 rows x 3072 B
// CHECK-NEXT: cmd 3: CONV in=sram:[[IN0]] 32x96x32 out=sram:[[OUT0:[0-9]+]] 16x48x16 weights=sram:[[W]] {{.*}} kernel 3x3 stride 2 pads 1,1,0,1 flags FIRST|LAST
// CHECK-NEXT: cmd 4: DMA_STORE sram:[[OUT0]] -> r1+291840 16 rows x 768 B
// CHECK-NEXT: cmd 5: DMA_LOAD r1+193536 -> sram:[[IN0]] 32 rows x 3072 B
// CHECK-NEXT: cmd 6: CONV in=sram:[[IN1]] 33x96x32 out=sram:[[OUT1:[0-9]+]] 16x48x16 weights=sram:[[W]] {{.*}} pads 0,1,0,1 flags FIRST|LAST
// CHECK-NEXT: cmd 7: DMA_STORE sram:[[OUT1]] -> r1+304128 16 rows x 768 B
// CHECK-NEXT: cmd 8: CONV in=sram:[[IN0]] 32x96x32 out=sram:[[OUT0]] 16x48x16 weights=sram:[[W]] {{.*}} pads 0,1,1,1 flags FIRST|LAST
// CHECK-NEXT: cmd 9: DMA_STORE sram:[[OUT0]] -> r1+316416 16 rows x 768 B
// CHECK-NOT:  cmd
// LARGE-LABEL: nna-stream: config large, fused
// LARGE:       op 0 nna.conv rows: tiles 1 =
func.func @main(%x: tensor<95x96x32xi8>) -> tensor<48x48x16xi8> {
  %w = nn.constant dense<1> : tensor<16x3x3x32xi8>
  %p = nn.constant dense<0> : tensor<16x3xi32>
  %y = nna.conv %x, %w, %p {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, in_zero = 0 : i64, out_zero = 0 : i64, clamp = array<i64: -128, 127>} : (tensor<95x96x32xi8>, tensor<16x3x3x32xi8>, tensor<16x3xi32>) -> tensor<48x48x16xi8> loc("rows")
  return %y : tensor<48x48x16xi8>
}

// -----

// Output-channel groups: 256 KiB of weights do not fit beside the input.
// The full input is loaded once; the weights come in groups of 176 output
// channels (11 x atomic K; each block's parameters follow its weights in
// region 0), ping-pong between two buffers, and each group writes its
// channel range of the pool's input, kept in SRAM, through its pixel
// stride.
// CHECK-LABEL: nna-stream: config small, fused
// CHECK:      op 0 nna.conv kgroups: tiles 3 = rows 1 x out-ch 3 x in-ch 1, out sram, double-buffered
// CHECK-NEXT: op 1 nna.pool pool: tiles 1 = rows 1 x out-ch 1 x in-ch 1, out dram
// CHECK:      cmd 0: DMA_LOAD r1+0 -> sram:[[IN:[0-9]+]] 8 rows x 4096 B
// CHECK-NEXT: cmd 1: DMA_LOAD r0+0 -> sram:[[#WA:]] 1 rows x 92224 B
// CHECK-NEXT: cmd 2: DMA_LOAD r0+92224 -> sram:[[WB:[0-9]+]] 1 rows x 92224 B
// CHECK-NEXT: cmd 3: CONV in=sram:[[IN]] 8x8x512 out=sram:[[#KOUT:]] 8x8x176 [pixel 512 line 4096] weights=sram:[[#WA]] params=sram:[[#WA+90112]]
// CHECK-NEXT: cmd 4: DMA_LOAD r0+184448 -> sram:[[#WA]] 1 rows x 83840 B
// CHECK-NEXT: cmd 5: CONV in=sram:[[IN]] 8x8x512 out=sram:[[#KOUT+176]] 8x8x176 [pixel 512 line 4096] weights=sram:[[WB]]
// CHECK-NEXT: cmd 6: CONV in=sram:[[IN]] 8x8x512 out=sram:[[#KOUT+352]] 8x8x160 [pixel 512 line 4096] weights=sram:[[#WA]] params=sram:[[#WA+81920]]
// CHECK-NEXT: cmd 7: POOL max in=sram:[[#KOUT]] 8x8x512 out=sram:[[Y:[0-9]+]] 4x4x512
// CHECK-NEXT: cmd 8: DMA_STORE sram:[[Y]] -> r1+32768 4 rows x 2048 B
// LARGE-LABEL: nna-stream: config large, fused
// LARGE:       op 0 nna.conv kgroups: tiles 1 =
func.func @main(%x: tensor<8x8x512xi8>) -> tensor<4x4x512xi8> {
  %w = nn.constant dense<1> : tensor<512x1x1x512xi8>
  %p = nn.constant dense<0> : tensor<512x3xi32>
  %c = nna.conv %x, %w, %p {kernel = array<i64: 1, 1>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, in_zero = 0 : i64, out_zero = 0 : i64, clamp = array<i64: -128, 127>} : (tensor<8x8x512xi8>, tensor<512x1x1x512xi8>, tensor<512x3xi32>) -> tensor<8x8x512xi8> loc("kgroups")
  %y = nna.pool %c {mode = "max", kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, in_zero = 0 : i64} : (tensor<8x8x512xi8>) -> tensor<4x4x512xi8> loc("pool")
  return %y : tensor<4x4x512xi8>
}

// -----

// Input-channel groups: one group of 16 output channels over all 2048
// input channels needs 288 KiB of weights. Each output-channel group
// accumulates over input channels 0..1439 (FIRST) and 1440..2047 (LAST),
// loaded from the input's channel range (DRAM stride 2048), and its result
// goes to its channel range of the output (DRAM stride 32).
// CHECK-LABEL: nna-stream: config small, fused
// CHECK:      result 0: r1+73728 6x6x32
// CHECK:      op 0 nna.conv cgroups: tiles 4 = rows 1 x out-ch 2 x in-ch 2, out dram
// CHECK:      cmd 0: DMA_LOAD r1+0 -> sram:[[IN:[0-9]+]] 36 rows x 1440 B (strides 2048 -> 1440)
// CHECK-NEXT: cmd 1: DMA_LOAD r0+0 -> sram:[[W:[0-9]+]] 1 rows x 207552 B
// CHECK-NEXT: cmd 2: CONV in=sram:[[IN]] 6x6x1440 out=sram:[[OUT:[0-9]+]] 6x6x16 weights=sram:[[W]] {{.*}} kernel 3x3 stride 1 pads 1,1,1,1 flags FIRST{{$}}
// CHECK-NEXT: cmd 3: DMA_LOAD r1+1440 -> sram:[[IN]] 36 rows x 608 B (strides 2048 -> 608)
// CHECK-NEXT: cmd 4: DMA_LOAD r0+207552 -> sram:[[W]] 1 rows x 87744 B
// CHECK-NEXT: cmd 5: CONV in=sram:[[IN]] 6x6x608 out=sram:[[OUT]] 6x6x16 weights=sram:[[W]] {{.*}} flags LAST{{$}}
// CHECK-NEXT: cmd 6: DMA_STORE sram:[[OUT]] -> r1+73728 36 rows x 16 B (strides 16 -> 32)
// CHECK:      cmd 9: CONV in=sram:[[IN]] 6x6x1440 {{.*}} flags FIRST{{$}}
// CHECK:      cmd 12: CONV in=sram:[[IN]] 6x6x608 {{.*}} flags LAST{{$}}
// CHECK-NEXT: cmd 13: DMA_STORE sram:[[OUT]] -> r1+73744 36 rows x 16 B (strides 16 -> 32)
// CHECK-NOT:  cmd
// LARGE-LABEL: nna-stream: config large, fused
// LARGE:       op 0 nna.conv cgroups: tiles 1 =
func.func @main(%x: tensor<6x6x2048xi8>) -> tensor<6x6x32xi8> {
  %w = nn.constant dense<1> : tensor<32x3x3x2048xi8>
  %p = nn.constant dense<0> : tensor<32x3xi32>
  %y = nna.conv %x, %w, %p {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, in_zero = 0 : i64, out_zero = 0 : i64, clamp = array<i64: -128, 127>} : (tensor<6x6x2048xi8>, tensor<32x3x3x2048xi8>, tensor<32x3xi32>) -> tensor<6x6x32xi8> loc("cgroups")
  return %y : tensor<6x6x32xi8>
}

// -----

// ACC-limited: both convs fit the SRAM, but their 65536 outputs do not fit
// 16384 accumulators. The 3x3 conv has 16 output channels, one MAC-array
// atom, so it takes row tiles of 16 x 64 x 16 = 16384. The depthwise one
// takes 2 row tiles of 32 channels (16 x 32 x 32), channel groups outside
// the rows so that each group's weights are loaded once; its channel ranges
// move through DRAM strides of 64. Double-buffered, the next tile's input
// (and the next group's weights) load into the other buffer before the
// current tile computes.
// CHECK-LABEL: nna-stream: config small, fused
// CHECK:      op 0 nna.conv acc: tiles 4 = rows 4 x out-ch 1 x in-ch 1, out dram, double-buffered
// CHECK-NEXT: op 1 nna.conv dw: tiles 4 = rows 2 x out-ch 2 x in-ch 1, out dram, double-buffered, out-ch groups outer
// CHECK:      CONV in=sram:{{[0-9]+}} 17x64x16 out=sram:{{[0-9]+}} 16x64x16 {{.*}} pads 1,1,0,1 flags FIRST|LAST
// CHECK:      CONV in=sram:{{[0-9]+}} 18x64x16 out=sram:{{[0-9]+}} 16x64x16 {{.*}} pads 0,1,0,1 flags FIRST|LAST
// CHECK:      CONV in=sram:{{[0-9]+}} 18x64x16 out=sram:{{[0-9]+}} 16x64x16 {{.*}} pads 0,1,0,1 flags FIRST|LAST
// CHECK:      CONV in=sram:{{[0-9]+}} 17x64x16 out=sram:{{[0-9]+}} 16x64x16 {{.*}} pads 0,1,1,1 flags FIRST|LAST
// CHECK:      DMA_LOAD r1+65536 -> sram:[[A:[0-9]+]] 544 rows x 32 B (strides 64 -> 32)
// CHECK-NEXT: DMA_LOAD r0+{{[0-9]+}} -> sram:[[DWA:[0-9]+]] 1 rows x 672 B
// CHECK-NEXT: DMA_LOAD r1+96256 -> sram:[[B:[0-9]+]] 544 rows x 32 B (strides 64 -> 32)
// CHECK-NEXT: CONV in=sram:[[A]] 17x32x32 out=sram:{{[0-9]+}} 16x32x32 weights=sram:[[DWA]] {{.*}} pads 1,1,0,1 flags FIRST|LAST|DEPTHWISE
// CHECK-NEXT: DMA_STORE sram:{{[0-9]+}} -> r1+196608 512 rows x 32 B (strides 32 -> 64)
// CHECK-NEXT: DMA_LOAD r1+65568 -> sram:[[A]] 544 rows x 32 B (strides 64 -> 32)
// CHECK-NEXT: DMA_LOAD r0+{{[0-9]+}} -> sram:[[DWB:[0-9]+]] 1 rows x 672 B
// CHECK-NEXT: CONV in=sram:[[B]] 17x32x32 out=sram:{{[0-9]+}} 16x32x32 weights=sram:[[DWA]] {{.*}} pads 0,1,1,1 flags FIRST|LAST|DEPTHWISE
// CHECK-NEXT: DMA_STORE sram:{{[0-9]+}} -> r1+229376 512 rows x 32 B (strides 32 -> 64)
// CHECK-NEXT: DMA_LOAD r1+96288 -> sram:[[B]] 544 rows x 32 B (strides 64 -> 32)
// CHECK-NEXT: CONV in=sram:[[A]] 17x32x32 out=sram:{{[0-9]+}} 16x32x32 weights=sram:[[DWB]] {{.*}} pads 1,1,0,1 flags FIRST|LAST|DEPTHWISE
// CHECK-NEXT: DMA_STORE sram:{{[0-9]+}} -> r1+196640 512 rows x 32 B (strides 32 -> 64)
// CHECK-NEXT: CONV in=sram:[[B]] 17x32x32 out=sram:{{[0-9]+}} 16x32x32 weights=sram:[[DWB]] {{.*}} pads 0,1,1,1 flags FIRST|LAST|DEPTHWISE
// CHECK-NEXT: DMA_STORE sram:{{[0-9]+}} -> r1+229408 512 rows x 32 B (strides 32 -> 64)
// LARGE-LABEL: nna-stream: config large, fused
// LARGE:       op 0 nna.conv acc: tiles 1 =
// LARGE:       op 1 nna.conv dw: tiles 1 =
func.func @main(%x: tensor<64x64x16xi8>, %d: tensor<32x32x64xi8>) -> (tensor<64x64x16xi8>, tensor<32x32x64xi8>) {
  %w = nn.constant dense<1> : tensor<16x3x3x16xi8>
  %p = nn.constant dense<0> : tensor<16x3xi32>
  %y = nna.conv %x, %w, %p {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, in_zero = 0 : i64, out_zero = 0 : i64, clamp = array<i64: -128, 127>} : (tensor<64x64x16xi8>, tensor<16x3x3x16xi8>, tensor<16x3xi32>) -> tensor<64x64x16xi8> loc("acc")
  %dw = nn.constant dense<1> : tensor<64x3x3x1xi8>
  %dp = nn.constant dense<0> : tensor<64x3xi32>
  %z = nna.conv %d, %dw, %dp {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, depthwise, in_zero = 0 : i64, out_zero = 0 : i64, clamp = array<i64: -128, 127>} : (tensor<32x32x64xi8>, tensor<64x3x3x1xi8>, tensor<64x3xi32>) -> tensor<32x32x64xi8> loc("dw")
  return %y, %z : tensor<64x64x16xi8>, tensor<32x32x64xi8>
}

// -----

// Pools and adds tile by rows: the max pool's input and output (288 KiB
// each) and the add's three 128 KiB cubes do not fit. The pool's tiles read
// one halo row above and below, padding only at the tensor's edges.
// CHECK-LABEL: nna-stream: config small, fused
// CHECK:      op 0 nna.pool pool: tiles 3 = rows 3 x out-ch 1 x in-ch 1, out dram, double-buffered
// CHECK-NEXT: op 1 nna.add add: tiles 16 = rows 16 x out-ch 1 x in-ch 1, out dram, double-buffered
// CHECK:      POOL max in=sram:{{[0-9]+}} 33x96x16 out=sram:{{[0-9]+}} 32x96x16 kernel 3x3 stride 1 pads 1,1,0,1
// CHECK:      POOL max in=sram:{{[0-9]+}} 34x96x16 out=sram:{{[0-9]+}} 32x96x16 kernel 3x3 stride 1 pads 0,1,0,1
// CHECK:      POOL max in=sram:{{[0-9]+}} 33x96x16 out=sram:{{[0-9]+}} 32x96x16 kernel 3x3 stride 1 pads 0,1,1,1
// CHECK-COUNT-16: ADD a=sram:{{[0-9]+}} 4x64x32 b=sram:{{[0-9]+}} 4x64x32 out=sram:{{[0-9]+}} 4x64x32
// CHECK-NOT:  ADD
// LARGE-LABEL: nna-stream: config large, fused
// LARGE:       op 0 nna.pool pool: tiles 1 =
// LARGE:       op 1 nna.add add: tiles 1 =
func.func @main(%q: tensor<96x96x16xi8>, %a: tensor<64x64x32xi8>, %b: tensor<64x64x32xi8>) -> (tensor<96x96x16xi8>, tensor<64x64x32xi8>) {
  %m = nna.pool %q {mode = "max", kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, in_zero = 0 : i64} : (tensor<96x96x16xi8>) -> tensor<96x96x16xi8> loc("pool")
  %s = nna.add %a, %b {add = #nna.requant<a_zero = 0, a_mult = 1073741824, a_shift = 0, b_zero = 0, b_mult = 1073741824, b_shift = 0, o_mult = 1073741824, o_shift = -20, o_zero = 0, lo = -128, hi = 127>} : (tensor<64x64x32xi8>, tensor<64x64x32xi8>) -> tensor<64x64x32xi8> loc("add")
  return %m, %s : tensor<96x96x16xi8>, tensor<64x64x32xi8>
}
