#include "kiln_run.h"

#include <stddef.h>

int main(int argc, char **argv) { return kiln_run_main(argc, argv, NULL); }
