// RUN: kiln-opt %s -split-input-file -kiln-nna-stream=simulate -o /dev/null | FileCheck %s --check-prefix=FUSED
// RUN: kiln-opt %s -split-input-file -kiln-nna-stream="simulate layer-by-layer" -o /dev/null | FileCheck %s --check-prefix=LBL
// The stream builder's merge on the small configuration: intermediates that
// fit stay in SRAM, so fused streams move less DRAM and take fewer cycles
// than layer-by-layer ones. Every cycle and byte count here was recomputed
// from the dumped commands with docs/nna.md's cost model, independently of
// the simulator; the first chain's by hand:
//   fused: load x 64 + 8192/16 = 576 [0, 576), load w1 64 + 9600/16 = 664
//   [576, 1240), conv1 16 + 1 x 2 x 16 x 16 x 9 = 4624 [1240, 5864), load w2
//   [1240, 1904) beside conv1's buffers, conv2 [5864, 10488), pool 16 +
//   8 x 8 x 32 x 4 / 8 = 1040 [10488, 11528), store 64 + 2048/16 = 192:
//   11720 cycles; DRAM 8192 + 2 x 9600 + 2048 = 29440 bytes.
//   layer by layer: conv1 ends at 5864 as above, then store c1 576, load c1
//   576, load w2 664, conv2 4624, store c2 576, load c2 576, pool 1040,
//   store 192: 14688 cycles; DRAM 29440 + 4 x 8192 = 62208 bytes.

// conv -> conv -> pool: no DMA between the three ops but conv2's weights.
// FUSED-LABEL: nna-stream: config small, fused
// FUSED:       commands 7: DMA_LOAD 3, DMA_STORE 1, CONV 2, ADD 0, POOL 1
// FUSED-NEXT:  dram bytes 29440: loaded 27392, stored 2048
// FUSED:       argument 0: r1+0 16x16x32
// FUSED-NEXT:  result 0: r1+8192 8x8x32
// FUSED-NEXT:  op 0 nna.conv c1: tiles 1 = rows 1 x out-ch 1 x in-ch 1, out sram, dram 17792
// FUSED-NEXT:  op 1 nna.conv c2: tiles 1 = rows 1 x out-ch 1 x in-ch 1, out sram, dram 9600
// FUSED-NEXT:  op 2 nna.pool p: tiles 1 = rows 1 x out-ch 1 x in-ch 1, out dram, dram 2048
// FUSED-NEXT:  cmd 0: DMA_LOAD r1+0 -> sram:[[X:[0-9]+]] 16 rows x 512 B
// FUSED-NEXT:  cmd 1: DMA_LOAD r0+0 -> sram:[[W1:[0-9]+]] 1 rows x 9600 B
// FUSED-NEXT:  cmd 2: CONV in=sram:[[X]] 16x16x32 out=sram:[[C1:[0-9]+]] 16x16x32 weights=sram:[[W1]] {{.*}} kernel 3x3 stride 1 pads 1,1,1,1 flags FIRST|LAST
// FUSED-NEXT:  cmd 3: DMA_LOAD r0+9600 -> sram:[[W2:[0-9]+]] 1 rows x 9600 B
// FUSED-NEXT:  cmd 4: CONV in=sram:[[C1]] 16x16x32 out=sram:[[C2:[0-9]+]] 16x16x32 weights=sram:[[W2]] {{.*}} flags FIRST|LAST
// FUSED-NEXT:  cmd 5: POOL max in=sram:[[C2]] 16x16x32 out=sram:[[Y:[0-9]+]] 8x8x32 kernel 2x2 stride 2 pads 0,0,0,0
// FUSED-NEXT:  cmd 6: DMA_STORE sram:[[Y]] -> r1+8192 8 rows x 256 B
// FUSED-NEXT:  simulate: cycles 11720, dram read 27392 B, written 2048 B, busy dma 2096 conv 9248 sdp 0 pdp 1040
// FUSED-NEXT:  result 0: fnv1a 0x{{[0-9a-f]+}}

// Layer by layer every op stores its result and the next loads it back.
// LBL-LABEL:   nna-stream: config small, layer by layer
// LBL:         commands 11: DMA_LOAD 5, DMA_STORE 3, CONV 2, ADD 0, POOL 1
// LBL-NEXT:    dram bytes 62208: loaded 43776, stored 18432
// LBL:         op 0 nna.conv c1: {{.*}}, out dram, dram 25984
// LBL-NEXT:    op 1 nna.conv c2: {{.*}}, out dram, dram 25984
// LBL-NEXT:    op 2 nna.pool p: {{.*}}, out dram, dram 10240
// LBL-NEXT:    cmd 0: DMA_LOAD r1+0 -> sram:{{[0-9]+}} 16 rows x 512 B
// LBL-NEXT:    cmd 1: DMA_LOAD r0+0 -> sram:{{[0-9]+}} 1 rows x 9600 B
// LBL-NEXT:    cmd 2: CONV {{.*}} out=sram:[[C1:[0-9]+]] 16x16x32
// LBL-NEXT:    cmd 3: DMA_STORE sram:[[C1]] -> r1+[[H1:[0-9]+]] 16 rows x 512 B
// LBL-NEXT:    cmd 4: DMA_LOAD r1+[[H1]] -> sram:[[IN2:[0-9]+]] 16 rows x 512 B
// LBL-NEXT:    cmd 5: DMA_LOAD r0+9600 -> sram:{{[0-9]+}} 1 rows x 9600 B
// LBL-NEXT:    cmd 6: CONV in=sram:[[IN2]] 16x16x32 out=sram:[[C2:[0-9]+]] 16x16x32
// LBL-NEXT:    cmd 7: DMA_STORE sram:[[C2]] -> r1+[[H2:[0-9]+]] 16 rows x 512 B
// LBL-NEXT:    cmd 8: DMA_LOAD r1+[[H2]] -> sram:[[IN3:[0-9]+]] 16 rows x 512 B
// LBL-NEXT:    cmd 9: POOL max in=sram:[[IN3]] 16x16x32 out=sram:[[Y:[0-9]+]] 8x8x32
// LBL-NEXT:    cmd 10: DMA_STORE sram:[[Y]] -> r1+8192 8 rows x 256 B
// LBL-NEXT:    simulate: cycles 14688, dram read 43776 B, written 18432 B, busy dma 4400 conv 9248 sdp 0 pdp 1040
// LBL-NEXT:    result 0: fnv1a 0x{{[0-9a-f]+}}
func.func @main(%x: tensor<16x16x32xi8>) -> tensor<8x8x32xi8> {
  %w1 = nn.constant dense<1> : tensor<32x3x3x32xi8>
  %w2 = nn.constant dense<2> : tensor<32x3x3x32xi8>
  %p = nn.constant dense<0> : tensor<32x3xi32>
  %c1 = nna.conv %x, %w1, %p {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, in_zero = 0 : i64, out_zero = 0 : i64, clamp = array<i64: -128, 127>} : (tensor<16x16x32xi8>, tensor<32x3x3x32xi8>, tensor<32x3xi32>) -> tensor<16x16x32xi8> loc("c1")
  %c2 = nna.conv %c1, %w2, %p {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, in_zero = 0 : i64, out_zero = 0 : i64, clamp = array<i64: -128, 127>} : (tensor<16x16x32xi8>, tensor<32x3x3x32xi8>, tensor<32x3xi32>) -> tensor<16x16x32xi8> loc("c2")
  %y = nna.pool %c2 {mode = "max", kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, in_zero = 0 : i64} : (tensor<16x16x32xi8>) -> tensor<8x8x32xi8> loc("p")
  return %y : tensor<8x8x32xi8>
}

// -----

// The same chain tiled (64 x 64 x 16 outputs need 4 ACC-sized row tiles):
// conv1's tiles write rows of its SRAM result, conv2's tiles read rows of
// it (with their halo) and write rows of its own, the pool reads that whole.
// Only x, the weights and the pool's result move: 70 input rows (halos)
// x 1024 + 2 x 2496 + 16384 = 93056 bytes, against 361344 layer by layer.
// FUSED-LABEL: nna-stream: config small, fused
// FUSED:       commands 16: DMA_LOAD 6, DMA_STORE 1, CONV 8, ADD 0, POOL 1
// FUSED-NEXT:  dram bytes 93056: loaded 76672, stored 16384
// FUSED:       op 0 nna.conv c1: tiles 4 = rows 4 x out-ch 1 x in-ch 1, out sram, double-buffered, dram 74176
// FUSED-NEXT:  op 1 nna.conv c2: tiles 4 = rows 4 x out-ch 1 x in-ch 1, out sram, dram 2496
// FUSED-NEXT:  op 2 nna.pool p: tiles 1 = rows 1 x out-ch 1 x in-ch 1, out dram, dram 16384
// FUSED:       CONV in=sram:{{[0-9]+}} 17x64x16 out=sram:[[#T1:]] 16x64x16 {{.*}} pads 1,1,0,1
// FUSED:       CONV in=sram:{{[0-9]+}} 17x64x16 out=sram:[[#T1+49152]] 16x64x16 {{.*}} pads 0,1,1,1
// FUSED-NEXT:  DMA_LOAD r0+2496
// FUSED-NEXT:  CONV in=sram:[[#T1]] 17x64x16 out=sram:[[#T2:]] 16x64x16 {{.*}} pads 1,1,0,1
// FUSED-NEXT:  CONV in=sram:[[#T1+15360]] 18x64x16 out=sram:[[#T2+16384]] 16x64x16 {{.*}} pads 0,1,0,1
// FUSED-NEXT:  CONV in=sram:[[#T1+31744]] 18x64x16 out=sram:[[#T2+32768]] 16x64x16 {{.*}} pads 0,1,0,1
// FUSED-NEXT:  CONV in=sram:[[#T1+48128]] 17x64x16 out=sram:[[#T2+49152]] 16x64x16 {{.*}} pads 0,1,1,1
// FUSED-NEXT:  POOL max in=sram:[[#T2]] 64x64x16
// FUSED-NEXT:  DMA_STORE
// FUSED-NEXT:  simulate: cycles 84524, dram read 76672 B, written 16384 B
// LBL-LABEL:   nna-stream: config small, layer by layer
// LBL:         commands 29: DMA_LOAD 11, DMA_STORE 9, CONV 8, ADD 0, POOL 1
// LBL-NEXT:    dram bytes 361344: loaded 213888, stored 147456
// LBL:         simulate: cycles 105928, dram read 213888 B, written 147456 B
func.func @main(%x: tensor<64x64x16xi8>) -> tensor<32x32x16xi8> {
  %w = nn.constant dense<1> : tensor<16x3x3x16xi8>
  %p = nn.constant dense<0> : tensor<16x3xi32>
  %c1 = nna.conv %x, %w, %p {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, in_zero = 0 : i64, out_zero = 0 : i64, clamp = array<i64: -128, 127>} : (tensor<64x64x16xi8>, tensor<16x3x3x16xi8>, tensor<16x3xi32>) -> tensor<64x64x16xi8> loc("c1")
  %c2 = nna.conv %c1, %w, %p {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, in_zero = 0 : i64, out_zero = 0 : i64, clamp = array<i64: -128, 127>} : (tensor<64x64x16xi8>, tensor<16x3x3x16xi8>, tensor<16x3xi32>) -> tensor<64x64x16xi8> loc("c2")
  %y = nna.pool %c2 {mode = "max", kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, in_zero = 0 : i64} : (tensor<64x64x16xi8>) -> tensor<32x32x16xi8> loc("p")
  return %y : tensor<32x32x16xi8>
}

// -----

// A value larger than the SRAM (96 x 96 x 32: 288 KiB) goes to the arena
// even fused, and its consumer loads it back; the pool's result fits and
// stays.
// FUSED-LABEL: nna-stream: config small, fused
// FUSED:       op 0 nna.conv big: {{.*}}, out dram,
// FUSED-NEXT:  op 1 nna.pool p: {{.*}}, out sram,
// FUSED-NEXT:  op 2 nna.conv c: {{.*}}, out dram,
// FUSED:       CONV {{.*}} out=sram:[[O:[0-9]+]] 4x96x32 {{.*}} pads 1,1,0,1
// FUSED-NEXT:  DMA_STORE sram:[[O]] -> r1+[[BIG:[0-9]+]] 4 rows x 3072 B
// FUSED:       DMA_LOAD r1+[[BIG]] -> sram:[[P:[0-9]+]] 18 rows x 3072 B
// FUSED-NEXT:  DMA_LOAD
// FUSED-NEXT:  POOL max in=sram:[[P]] 18x96x32 out=sram:{{[0-9]+}} 9x48x32
// LBL-LABEL:   nna-stream: config small, layer by layer
func.func @main(%x: tensor<96x96x16xi8>) -> tensor<48x48x32xi8> {
  %w = nn.constant dense<1> : tensor<32x3x3x16xi8>
  %p = nn.constant dense<0> : tensor<32x3xi32>
  %w2 = nn.constant dense<1> : tensor<32x1x1x32xi8>
  %c = nna.conv %x, %w, %p {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, in_zero = 0 : i64, out_zero = 0 : i64, clamp = array<i64: -128, 127>} : (tensor<96x96x16xi8>, tensor<32x3x3x16xi8>, tensor<32x3xi32>) -> tensor<96x96x32xi8> loc("big")
  %m = nna.pool %c {mode = "max", kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, in_zero = 0 : i64} : (tensor<96x96x32xi8>) -> tensor<48x48x32xi8> loc("p")
  %y = nna.conv %m, %w2, %p {kernel = array<i64: 1, 1>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, in_zero = 0 : i64, out_zero = 0 : i64, clamp = array<i64: -128, 127>} : (tensor<48x48x32xi8>, tensor<32x1x1x32xi8>, tensor<32x3xi32>) -> tensor<48x48x32xi8> loc("c")
  return %y : tensor<48x48x32xi8>
}

// -----

// A value that fits the SRAM exactly (8 x 4096 x 8 = 256 KiB) leaves its
// producer no room: the first attempt fails on the conv, the value is sent
// to the arena, and the stream is built again.
// FUSED-LABEL: nna-stream: config small, fused
// FUSED:       op 0 nna.conv c: {{.*}}, out dram,
// FUSED-NEXT:  op 1 nna.pool p: {{.*}}, out dram,
// LBL-LABEL:   nna-stream: config small, layer by layer
func.func @main(%x: tensor<8x4096x8xi8>) -> tensor<4x2048x8xi8> {
  %w = nn.constant dense<1> : tensor<8x1x1x8xi8>
  %p = nn.constant dense<0> : tensor<8x3xi32>
  %c = nna.conv %x, %w, %p {kernel = array<i64: 1, 1>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, in_zero = 0 : i64, out_zero = 0 : i64, clamp = array<i64: -128, 127>} : (tensor<8x4096x8xi8>, tensor<8x1x1x8xi8>, tensor<8x3xi32>) -> tensor<8x4096x8xi8> loc("c")
  %y = nna.pool %c {mode = "max", kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, in_zero = 0 : i64} : (tensor<8x4096x8xi8>) -> tensor<4x2048x8xi8> loc("p")
  return %y : tensor<4x2048x8xi8>
}
