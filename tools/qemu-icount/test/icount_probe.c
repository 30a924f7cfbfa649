/* An aarch64 program whose instruction counts are known exactly, for
 * check_icount.py: probe_fma_kernel and probe_window are written in assembly
 * so that the compiler cannot change them.
 *
 *   icount_probe N   runs probe_window(N) twice (N >= 1)
 *
 * probe_fma_kernel(n) executes 15 * n + 1 instructions: n iterations of a
 * 15-instruction loop, then ret. Per iteration (see FMA classes in
 * qemu_icount.c):
 *   vector FMAs  7, MACs 4 + 2 + 4 + 2 + 2 + 8 + 4 = 26
 *   scalar FMAs  3, MACs 1 + 1 + 1               =  3
 *   not FMAs     fmul, fadd, integer mla, subs, b.ne
 * probe_window(n) calls probe_fma_kernel(n), then probe_stop. With the
 * plugin's start=probe_fma_kernel,stop=probe_stop one window holds the
 * kernel plus the TB that returns into probe_window and calls probe_stop
 * (one instruction: bl): 15 * n + 2 instructions. */
#include <stdio.h>
#include <stdlib.h>

void probe_window(long n);

__asm__(".arch armv8.2-a+fp16\n"
        ".text\n"
        ".p2align 4\n"
        ".globl probe_fma_kernel\n"
        ".type probe_fma_kernel, %function\n"
        "probe_fma_kernel:\n"
        "1:\n"
        "  fmla  v0.4s, v1.4s, v2.4s\n"      /* vector, 4 MACs */
        "  fmls  v3.2s, v4.2s, v5.2s\n"      /* vector, 2 */
        "  fmla  v6.4s, v7.4s, v8.s[1]\n"    /* by element, 4 */
        "  fmla  v9.2d, v10.2d, v11.2d\n"    /* vector, 2 */
        "  fmls  v12.2d, v13.2d, v14.d[1]\n" /* by element, 2 */
        "  fmla  v15.8h, v16.8h, v17.8h\n"   /* half vector, 8 */
        "  fmla  v18.4h, v19.4h, v7.h[2]\n"  /* half by element, 4 */
        "  fmadd s20, s21, s22, s23\n"       /* scalar, 1 */
        "  fnmsub d24, d25, d26, d27\n"      /* scalar, 1 */
        "  fmla  s28, s29, v30.s[3]\n"       /* scalar by element, 1 */
        "  fmul  v27.4s, v28.4s, v29.4s\n"   /* not an FMA */
        "  fadd  v30.4s, v31.4s, v0.4s\n"    /* not an FMA */
        "  mla   v1.4s, v2.4s, v3.4s\n"      /* integer: not counted */
        "  subs  x0, x0, #1\n"
        "  b.ne  1b\n"
        "  ret\n"
        ".size probe_fma_kernel, .-probe_fma_kernel\n"
        "\n"
        ".p2align 4\n"
        ".globl probe_stop\n"
        ".type probe_stop, %function\n"
        "probe_stop:\n"
        "  ret\n"
        ".size probe_stop, .-probe_stop\n"
        "\n"
        ".p2align 4\n"
        ".globl probe_window\n"
        ".type probe_window, %function\n"
        "probe_window:\n"
        "  stp   x29, x30, [sp, #-16]!\n"
        "  bl    probe_fma_kernel\n"
        "  bl    probe_stop\n"
        "  ldp   x29, x30, [sp], #16\n"
        "  ret\n"
        ".size probe_window, .-probe_window\n");

int main(int argc, char **argv) {
  long n = argc == 2 ? strtol(argv[1], NULL, 10) : 0;
  if (n < 1) {
    fprintf(stderr, "usage: icount_probe N (N >= 1)\n");
    return 2;
  }
  probe_window(n);
  probe_window(n);
  return 0;
}
