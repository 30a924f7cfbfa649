/* Fault injection for tests: the runtime's failure paths (a device that
 * cannot be opened, an allocation that fails) are driven from the
 * environment, so tests reach them on any machine:
 *   KILN_OPENCL_FAULT=platform|build|run   (opencl.c)
 *   KILN_ALLOC_FAULT=session|device        the session's block, or a
 *                                          device's host memory (GPU host
 *                                          block, NNA arenas), is not
 *                                          allocated.
 *   KILN_DEVICE_FAULT=<dev>:create         in a session on a model with
 *   KILN_DEVICE_FAULT=<dev>:run[:N]        per-segment variants
 *                                          (variant_session.c, read at its
 *                                          creation; dev: cpu, gpu or nna):
 *                                          creating a variant's sub-session
 *                                          on dev always fails, or the Nth
 *                                          run (default 1st) of a variant
 *                                          on dev, counted over the
 *                                          session's life, fails once; both
 *                                          with KILN_ERROR_DEVICE, as a
 *                                          device that fails would. Other
 *                                          values are ignored. A live
 *                                          session takes the same faults
 *                                          from
 *                                          kiln_session_inject_device_fault
 *                                          (variant_session.h). */
#ifndef KILN_RT_FAULT_H
#define KILN_RT_FAULT_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Whether environment variable `var` names `step`. */
static inline bool kiln_fault(const char *var, const char *step) {
  const char *f = getenv(var);
  return f && strcmp(f, step) == 0;
}

#endif /* KILN_RT_FAULT_H */
