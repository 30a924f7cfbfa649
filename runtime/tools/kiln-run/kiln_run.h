/* kiln-run: run a compiled model from the command line (see --help). */
#ifndef KILN_RUN_H
#define KILN_RUN_H

#include "kiln/model_format.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The whole CLI. With linked_model NULL the first positional argument is a
 * shared object exporting kiln_model_get, loaded with dlopen; otherwise
 * linked_model is run and no model path is taken. Returns the exit status:
 * 0 on success, 1 on any error (one "kiln-run: error: ..." line on stderr). */
int kiln_run_main(int argc, char **argv, const kiln_model *linked_model);

/* A monotonic clock in milliseconds, and qsort's comparison of doubles:
 * the timing the CLI's parts share. */
double kiln_run_now_ms(void);
int kiln_run_compare_doubles(const void *a, const void *b);

/* Prints that one "kiln-run: error: ..." line (printf format) and returns 1:
 * the CLI's error path, shared by its parts. */
int kiln_run_fail(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

#ifdef __cplusplus
}
#endif
#endif /* KILN_RUN_H */
