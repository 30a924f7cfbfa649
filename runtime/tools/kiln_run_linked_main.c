/* kiln-run with a model linked in statically, for targets where loading a
 * shared object is not wanted (see runtime/README.md):
 *   cc -DKILN_LINKED_MODEL_FN=kiln_model_<name> kiln_run_linked_main.c \
 *      model.o libkiln_run.a libkiln_tensor_io.a libkilnrt.a -lm -ldl */
#include "kiln-run/kiln_run.h"

#ifndef KILN_LINKED_MODEL_FN
#error "define KILN_LINKED_MODEL_FN to the model's kiln_model_<name> function"
#endif

extern const kiln_model *KILN_LINKED_MODEL_FN(void);

int main(int argc, char **argv) {
  return kiln_run_main(argc, argv, KILN_LINKED_MODEL_FN());
}
