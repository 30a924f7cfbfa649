/* A small pthread pool behind a session's kiln_parallel (kiln/model_format.h).
 *
 * A pool of `threads` runs each run() on the calling thread plus up to
 * threads - 1 workers. Compiled models call run() 50-200 times an
 * inference for a few microseconds to milliseconds of work each, so
 * dispatch is a store to an atomic job word that workers spin on briefly
 * before sleeping on a condition variable; the caller and the workers then
 * claim chunks of the range (4 per thread) until none is left. One thread calls
 * run() at a time (a session is not thread-safe), and never from inside a task.
 */
#ifndef KILN_RT_THREAD_POOL_H
#define KILN_RT_THREAD_POOL_H

#include "kiln/runtime.h"

#include <stdint.h>

/* More threads than this are taken for a mistake. */
#define KILN_MAX_THREADS 256u

typedef struct kiln_thread_pool kiln_thread_pool;

/* Starts threads - 1 workers (1 <= threads <= KILN_MAX_THREADS); with
 * threads == 1 none, and run() calls the task directly. */
kiln_status kiln_thread_pool_create(uint32_t threads, kiln_thread_pool **out,
                                    kiln_error *error);

/* Stops and joins the workers and frees the pool. NULL is a no-op. */
void kiln_thread_pool_destroy(kiln_thread_pool *pool);

/* The pool as compiled code sees it; valid until the pool is destroyed. */
kiln_parallel *kiln_thread_pool_parallel(kiln_thread_pool *pool);

#endif /* KILN_RT_THREAD_POOL_H */
