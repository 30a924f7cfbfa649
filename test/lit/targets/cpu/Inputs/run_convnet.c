/* Runs the model of make_convnet.py through libkilnrt and compares it with
 * a plain C reference. Built two ways:
 *   cc run_convnet.c convnet.o libkilnrt.a            (model linked in)
 *   cc -DKILN_LOAD_SHARED run_convnet.c libkilnrt.a   (argv[1]: convnet.so)
 * Prints what the session reports and the largest errors; exit status 0 only
 * if every output matches. */
#include "kiln/runtime.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#ifdef KILN_LOAD_SHARED
#include <dlfcn.h>
#else
#include "convnet.h"
#endif

/* The formulas of make_convnet.py. */
static float w1(int i) { return (float)((i * 7) % 17 - 8) / 16.0f; }
static float b1(int i) { return (float)(i % 5 - 2) / 8.0f; }
static float w2(int i) { return (float)((i * 5) % 13 - 6) / 512.0f; }

static float image[1 * 3 * 10 * 10], bias2[10];
static float logits[10], features[8 * 8 * 8];
static float ref_logits[10], ref_features[8 * 8 * 8];

static void reference(void) {
  for (int f = 0; f < 8; ++f)
    for (int y = 0; y < 8; ++y)
      for (int x = 0; x < 8; ++x) {
        double acc = 0;
        for (int c = 0; c < 3; ++c)
          for (int ky = 0; ky < 3; ++ky)
            for (int kx = 0; kx < 3; ++kx)
              acc += (double)image[(c * 10 + y + ky) * 10 + x + kx] *
                     w1(((f * 3 + c) * 3 + ky) * 3 + kx);
        acc += b1(f);
        ref_features[(f * 8 + y) * 8 + x] = acc > 0 ? (float)acc : 0.0f;
      }
  for (int j = 0; j < 10; ++j) {
    double acc = 0;
    for (int k = 0; k < 512; ++k)
      acc += (double)ref_features[k] * w2(k * 10 + j);
    ref_logits[j] = (float)tanh(acc + bias2[j]);
  }
}

static double max_error(const float *got, const float *want, int n) {
  double worst = 0;
  for (int i = 0; i < n; ++i) {
    double e = fabs((double)got[i] - want[i]) / (1.0 + fabs(want[i]));
    if (!(e <= worst)) /* NaN counts as the worst */
      worst = isnan(e) ? INFINITY : e;
  }
  return worst;
}

int main(int argc, char **argv) {
#ifdef KILN_LOAD_SHARED
  if (argc < 2)
    return fprintf(stderr, "usage: %s convnet.so\n", argv[0]), 2;
  void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!lib)
    return fprintf(stderr, "dlopen: %s\n", dlerror()), 1;
  const kiln_model *(*get)(void) =
      (const kiln_model *(*)(void))dlsym(lib, "kiln_model_get");
  if (!get)
    return fprintf(stderr, "no kiln_model_get in %s\n", argv[1]), 1;
  const kiln_model *model = get();
#else
  (void)argc, (void)argv;
  const kiln_model *model = kiln_model_convnet();
#endif
  for (int i = 0; i < 300; ++i)
    image[i] = (float)((i * 5) % 13 - 6) / 8.0f;
  for (int i = 0; i < 10; ++i)
    bias2[i] = (float)(i - 5) / 4.0f;
  reference();

  kiln_session *s;
  kiln_error err;
  if (kiln_session_create(model, NULL, &s, &err) != KILN_OK)
    return fprintf(stderr, "create: %s\n", err.message), 1;
  for (size_t i = 0; i < kiln_session_num_inputs(s); ++i)
    printf("input %s %zu bytes\n", kiln_session_input(s, i)->name,
           kiln_session_input(s, i)->size_bytes);
  for (size_t i = 0; i < kiln_session_num_outputs(s); ++i)
    printf("output %s %zu bytes\n", kiln_session_output(s, i)->name,
           kiln_session_output(s, i)->size_bytes);
  printf("arena %zu bytes\n", kiln_session_arena_size(s));

  const kiln_tensor_info *in0 = kiln_session_input(s, 0);
  const kiln_tensor_info *in1 = kiln_session_input(s, 1);
  const kiln_tensor_info *out0 = kiln_session_output(s, 0);
  const kiln_tensor_info *out1 = kiln_session_output(s, 1);
  kiln_tensor inputs[2] = {
      {in0->dtype, in0->rank, in0->dims, image, sizeof image},
      {in1->dtype, in1->rank, in1->dims, bias2, sizeof bias2}};
  kiln_tensor outputs[2] = {
      {out0->dtype, out0->rank, out0->dims, logits, sizeof logits},
      {out1->dtype, out1->rank, out1->dims, features, sizeof features}};
  /* Twice: the arena is reused, so a second run must give the same result. */
  for (int run = 0; run < 2; ++run) {
    memset(logits, 0xff, sizeof logits);
    memset(features, 0xff, sizeof features);
    if (kiln_session_run(s, inputs, 2, outputs, 2, &err) != KILN_OK)
      return fprintf(stderr, "run: %s\n", err.message), 1;
  }
  kiln_session_destroy(s);

  int live = 0;
  for (int j = 0; j < 10; ++j)
    live += fabsf(ref_logits[j]) > 0.05f && fabsf(ref_logits[j]) < 0.95f;
  double e_logits = max_error(logits, ref_logits, 10);
  double e_features = max_error(features, ref_features, 512);
  printf("logits[0..3] %.6f %.6f %.6f %.6f\n", logits[0], logits[1],
         logits[2], logits[3]);
  printf("unsaturated reference logits: %d of 10\n", live);
  printf("max error: logits %.2e features %.2e\n", e_logits, e_features);
  int ok = e_logits < 1e-5 && e_features < 1e-5 && live >= 5;
  printf("%s\n", ok ? "MATCH" : "MISMATCH");
  return ok ? 0 : 1;
}
