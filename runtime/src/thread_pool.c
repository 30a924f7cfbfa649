/* The pool behind kiln_parallel; see thread_pool.h.
 *
 * Protocol. The caller publishes a job by writing task/args/count and
 * `pending`, then storing a new value to `job`: a generation number in the
 * high bits and the number of ranges in the low bits. Worker k (1-based)
 * waits for `job` to change; if k < ranges it runs range k and decrements
 * `pending`, otherwise it touches nothing else, so the caller may publish
 * the next job once `pending` is 0 without racing with idle workers. The
 * caller runs range 0 itself, then waits for `pending` to reach 0.
 *
 * Both waits spin a while, then sleep on a condition variable. A sleeper
 * counts itself (`sleepers`, `caller_waiting`) under the mutex before it
 * checks its condition, and the waker changes the condition before it reads
 * the count (both sequentially consistent), so one of the two always sees
 * the other: no wake-up is lost, and a run() with no sleepers makes no
 * system call. */
#include "thread_pool.h"

#include "error.h"

#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Polls before sleeping (about 0.3-1 ms in all): long enough to cover the
 * gap between two run() calls of a model, short enough not to burn a core
 * for long when the app stops calling. Most polls yield the core, so that
 * with more threads than cores the thread being waited for gets to run
 * (pure pause spinning made a run() take milliseconds there). */
#define KILN_POOL_PAUSE_SPINS 100
#define KILN_POOL_YIELD_SPINS 1000

#define RANGE_BITS 16 /* KILN_MAX_THREADS fits */
#define RANGE_MASK ((UINT64_C(1) << RANGE_BITS) - 1)

/* Keeps the words that different threads write on separate cache lines. */
#define CACHE_LINE 64

/* One wait between polls; `i` counts the polls so far. */
static inline void backoff(int i) {
  if (i >= KILN_POOL_PAUSE_SPINS) {
    sched_yield();
    return;
  }
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

typedef struct worker {
  kiln_thread_pool *pool;
  uint32_t index; /* 1..threads-1: the range it runs */
  pthread_t thread;
} worker;

struct kiln_thread_pool {
  kiln_parallel parallel; /* first: run() casts self back to the pool */
  uint32_t threads;
  uint32_t started; /* workers running, for destroy and a failed create */
  uint64_t generation;

  /* The current job; written by the caller before it publishes `job`. */
  kiln_task_fn task;
  void *const *args;
  int64_t count;

  alignas(CACHE_LINE) atomic_uint_least64_t job;
  atomic_bool stop;
  alignas(CACHE_LINE) atomic_uint pending;
  alignas(CACHE_LINE) atomic_uint sleepers;
  atomic_bool caller_waiting;

  pthread_mutex_t mutex;
  pthread_cond_t work_cv; /* workers sleep here for a new job or stop */
  pthread_cond_t done_cv; /* the caller sleeps here for pending == 0 */

  worker workers[]; /* threads - 1 */
};

/* [begin, end) of range i of n over [0, count): sizes differ by at most 1. */
static void range_of(int64_t count, uint32_t n, uint32_t i, int64_t *begin,
                     int64_t *end) {
  int64_t base = count / n, extra = count % n;
  *begin = base * i + (i < extra ? i : extra);
  *end = *begin + base + (i < extra ? 1 : 0);
}

/* Waits until `job` differs from `seen` or the pool stops; returns `job`. */
static uint64_t wait_for_job(kiln_thread_pool *pool, uint64_t seen) {
  for (int i = 0; i < KILN_POOL_PAUSE_SPINS + KILN_POOL_YIELD_SPINS; ++i) {
    uint64_t job = atomic_load_explicit(&pool->job, memory_order_acquire);
    if (job != seen || atomic_load_explicit(&pool->stop, memory_order_relaxed))
      return job;
    backoff(i);
  }
  pthread_mutex_lock(&pool->mutex);
  atomic_fetch_add(&pool->sleepers, 1);
  uint64_t job;
  while ((job = atomic_load(&pool->job)) == seen && !atomic_load(&pool->stop))
    pthread_cond_wait(&pool->work_cv, &pool->mutex);
  atomic_fetch_sub(&pool->sleepers, 1);
  pthread_mutex_unlock(&pool->mutex);
  return job;
}

static void *worker_main(void *arg) {
  worker *w = arg;
  kiln_thread_pool *pool = w->pool;
  uint64_t seen = 0;
  for (;;) {
    seen = wait_for_job(pool, seen);
    if (atomic_load_explicit(&pool->stop, memory_order_acquire))
      return NULL;
    uint32_t ranges = (uint32_t)(seen & RANGE_MASK);
    if (w->index >= ranges)
      continue;
    int64_t begin, end;
    range_of(pool->count, ranges, w->index, &begin, &end);
    pool->task(pool->args, begin, end);
    if (atomic_fetch_sub(&pool->pending, 1) == 1 &&
        atomic_load(&pool->caller_waiting)) {
      pthread_mutex_lock(&pool->mutex);
      pthread_cond_signal(&pool->done_cv);
      pthread_mutex_unlock(&pool->mutex);
    }
  }
}

static void wait_for_workers(kiln_thread_pool *pool) {
  for (int i = 0; i < KILN_POOL_PAUSE_SPINS + KILN_POOL_YIELD_SPINS; ++i) {
    if (atomic_load_explicit(&pool->pending, memory_order_acquire) == 0)
      return;
    backoff(i);
  }
  pthread_mutex_lock(&pool->mutex);
  atomic_store(&pool->caller_waiting, true);
  while (atomic_load(&pool->pending) != 0)
    pthread_cond_wait(&pool->done_cv, &pool->mutex);
  atomic_store(&pool->caller_waiting, false);
  pthread_mutex_unlock(&pool->mutex);
}

static void pool_run(kiln_parallel *self, kiln_task_fn task, void *const *args,
                     int64_t count) {
  kiln_thread_pool *pool = (kiln_thread_pool *)self;
  if (count <= 0)
    return;
  uint32_t ranges =
      count < (int64_t)pool->threads ? (uint32_t)count : pool->threads;
  if (ranges == 1) {
    task(args, 0, count);
    return;
  }
  pool->task = task;
  pool->args = args;
  pool->count = count;
  atomic_store_explicit(&pool->pending, ranges - 1, memory_order_relaxed);
  /* Never 0 (the workers' initial `seen`), as the generation starts at 1. */
  uint64_t job = (++pool->generation << RANGE_BITS) | ranges;
  atomic_store(&pool->job, job); /* releases the fields above */
  if (atomic_load(&pool->sleepers) != 0) {
    pthread_mutex_lock(&pool->mutex);
    pthread_cond_broadcast(&pool->work_cv);
    pthread_mutex_unlock(&pool->mutex);
  }
  int64_t begin, end;
  range_of(count, ranges, 0, &begin, &end);
  task(args, begin, end);
  wait_for_workers(pool);
}

/* Stops and joins the started workers, then frees everything. */
static void shut_down(kiln_thread_pool *pool) {
  atomic_store(&pool->stop, true);
  pthread_mutex_lock(&pool->mutex);
  pthread_cond_broadcast(&pool->work_cv);
  pthread_mutex_unlock(&pool->mutex);
  for (uint32_t i = 0; i < pool->started; ++i)
    pthread_join(pool->workers[i].thread, NULL);
  pthread_cond_destroy(&pool->done_cv);
  pthread_cond_destroy(&pool->work_cv);
  pthread_mutex_destroy(&pool->mutex);
  free(pool);
}

kiln_status kiln_thread_pool_create(uint32_t threads, kiln_thread_pool **out,
                                    kiln_error *error) {
  *out = NULL;
  if (threads < 1 || threads > KILN_MAX_THREADS)
    return kiln_fail(error, KILN_ERROR_INVALID_ARGUMENT,
                     "thread pool of %u threads: must be 1..%u", threads,
                     KILN_MAX_THREADS);
  /* aligned_alloc wants a multiple of the alignment. */
  size_t size = sizeof(kiln_thread_pool) + (threads - 1) * sizeof(worker);
  size = (size + CACHE_LINE - 1) / CACHE_LINE * CACHE_LINE;
  kiln_thread_pool *pool = aligned_alloc(CACHE_LINE, size);
  if (!pool)
    return kiln_fail(error, KILN_ERROR_OUT_OF_MEMORY,
                     "cannot allocate a thread pool of %u threads", threads);
  memset(pool, 0, size);
  pool->parallel.run = pool_run;
  pool->threads = threads;
  atomic_init(&pool->job, 0);
  atomic_init(&pool->stop, false);
  atomic_init(&pool->pending, 0);
  atomic_init(&pool->sleepers, 0);
  atomic_init(&pool->caller_waiting, false);
  int rc = pthread_mutex_init(&pool->mutex, NULL);
  if (rc == 0 && (rc = pthread_cond_init(&pool->work_cv, NULL)) != 0)
    pthread_mutex_destroy(&pool->mutex);
  if (rc == 0 && (rc = pthread_cond_init(&pool->done_cv, NULL)) != 0) {
    pthread_cond_destroy(&pool->work_cv);
    pthread_mutex_destroy(&pool->mutex);
  }
  if (rc != 0) {
    free(pool);
    return kiln_fail(error, KILN_ERROR_OUT_OF_MEMORY,
                     "cannot initialise the thread pool's locks: %s",
                     strerror(rc));
  }
  for (uint32_t i = 0; i + 1 < threads; ++i) {
    worker *w = &pool->workers[i];
    w->pool = pool;
    w->index = i + 1;
    rc = pthread_create(&w->thread, NULL, worker_main, w);
    if (rc != 0) {
      shut_down(pool);
      return kiln_fail(error, KILN_ERROR_OUT_OF_MEMORY,
                       "cannot start worker thread %u of %u: %s", i + 1,
                       threads - 1, strerror(rc));
    }
    pool->started = i + 1;
  }
  *out = pool;
  return KILN_OK;
}

void kiln_thread_pool_destroy(kiln_thread_pool *pool) {
  if (pool)
    shut_down(pool);
}

kiln_parallel *kiln_thread_pool_parallel(kiln_thread_pool *pool) {
  return &pool->parallel;
}
