/* The pool behind kiln_parallel; see thread_pool.h.
 *
 * Protocol. run() cuts [0, count) into `chunks` ranges (a few per thread),
 * which the caller and the workers claim one at a time from `claim`: a
 * generation number in the high bits, then the number of chunks, then the
 * next chunk to claim, so that one load says whether a chunk is left of
 * which job. The caller writes task/args/count, stores `claim` for a new
 * generation, then `job` (the same generation) to wake the workers, and
 * claims chunks itself until none is left; then it waits until `done`
 * counts all chunks. A worker claims by compare-and-swap only while `claim`
 * still holds the generation it woke for, so a worker that wakes late finds
 * the job claimed out (or a newer one) and touches nothing else. A claimed
 * chunk keeps the caller in run() until it is done, so the job's fields stay
 * put while a worker reads them. Claiming, rather than a fixed range per
 * thread, keeps run() short when a worker is descheduled (other processes
 * on a phone's or this VM's cores): the others take its chunks.
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

/* Chunks per thread: enough for the others to absorb one slow thread,
 * few enough that a chunk still amortises its call. */
#define KILN_POOL_CHUNKS_PER_THREAD 4

/* claim = generation << 24 | chunks << 12 | next chunk; 4 chunks for each
 * of at most KILN_MAX_THREADS (256) threads fit in 12 bits. */
#define CHUNK_BITS 12
#define CHUNK_MASK ((UINT64_C(1) << CHUNK_BITS) - 1)
#define GENERATION_SHIFT (2 * CHUNK_BITS)

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
  pthread_t thread;
} worker;

struct kiln_thread_pool {
  kiln_parallel parallel; /* first: run() casts self back to the pool */
  uint32_t threads;
  uint32_t started; /* workers running, for destroy and a failed create */
  uint64_t generation;

  /* The current job; written by the caller before it publishes `claim`. */
  kiln_task_fn task;
  void *const *args;
  int64_t count;

  alignas(CACHE_LINE) atomic_uint_least64_t job; /* generation, to wake on */
  atomic_bool stop;
  alignas(CACHE_LINE) atomic_uint_least64_t claim;
  alignas(CACHE_LINE) atomic_uint done; /* chunks finished */
  alignas(CACHE_LINE) atomic_uint sleepers;
  atomic_bool caller_waiting;

  pthread_mutex_t mutex;
  pthread_cond_t work_cv; /* workers sleep here for a new job or stop */
  pthread_cond_t done_cv; /* the caller sleeps here for all chunks done */

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

/* Runs chunks of job `generation` until none is left unclaimed (or a newer
 * job replaced it); returns how many it ran and sets *total to the job's
 * number of chunks when it ran any. */
static uint32_t run_chunks(kiln_thread_pool *pool, uint64_t generation,
                           uint32_t *total) {
  uint32_t ran = 0;
  uint64_t claim = atomic_load_explicit(&pool->claim, memory_order_acquire);
  for (;;) {
    if ((claim >> GENERATION_SHIFT) != generation)
      return ran;
    uint32_t chunk = (uint32_t)(claim & CHUNK_MASK);
    uint32_t chunks = (uint32_t)((claim >> CHUNK_BITS) & CHUNK_MASK);
    if (chunk >= chunks)
      return ran;
    if (!atomic_compare_exchange_weak_explicit(&pool->claim, &claim, claim + 1,
                                               memory_order_acq_rel,
                                               memory_order_acquire))
      continue;
    int64_t begin, end;
    range_of(pool->count, chunks, chunk, &begin, &end);
    pool->task(pool->args, begin, end);
    ++ran;
    *total = chunks;
    claim = atomic_load_explicit(&pool->claim, memory_order_acquire);
  }
}

static void *worker_main(void *arg) {
  worker *w = arg;
  kiln_thread_pool *pool = w->pool;
  uint64_t seen = 0;
  for (;;) {
    seen = wait_for_job(pool, seen);
    if (atomic_load_explicit(&pool->stop, memory_order_acquire))
      return NULL;
    uint32_t chunks = 0;
    uint32_t ran = run_chunks(pool, seen, &chunks);
    if (!ran)
      continue;
    if (atomic_fetch_add(&pool->done, ran) + ran == chunks &&
        atomic_load(&pool->caller_waiting)) {
      pthread_mutex_lock(&pool->mutex);
      pthread_cond_signal(&pool->done_cv);
      pthread_mutex_unlock(&pool->mutex);
    }
  }
}

static void wait_for_workers(kiln_thread_pool *pool, uint32_t chunks) {
  for (int i = 0; i < KILN_POOL_PAUSE_SPINS + KILN_POOL_YIELD_SPINS; ++i) {
    if (atomic_load_explicit(&pool->done, memory_order_acquire) == chunks)
      return;
    backoff(i);
  }
  pthread_mutex_lock(&pool->mutex);
  atomic_store(&pool->caller_waiting, true);
  while (atomic_load(&pool->done) != chunks)
    pthread_cond_wait(&pool->done_cv, &pool->mutex);
  atomic_store(&pool->caller_waiting, false);
  pthread_mutex_unlock(&pool->mutex);
}

/* Layer marks are the session's business (it wraps the pool when it
 * profiles); the pool ignores them. */
static void pool_mark(kiln_parallel *self, uint32_t layer) {
  (void)self;
  (void)layer;
}

static void pool_run(kiln_parallel *self, kiln_task_fn task, void *const *args,
                     int64_t count) {
  kiln_thread_pool *pool = (kiln_thread_pool *)self;
  if (count <= 0)
    return;
  if (pool->threads == 1 || count == 1) {
    task(args, 0, count);
    return;
  }
  int64_t most = (int64_t)pool->threads * KILN_POOL_CHUNKS_PER_THREAD;
  pool->task = task;
  pool->args = args;
  pool->count = count;
  uint32_t chunks = (uint32_t)(count < most ? count : most);
  atomic_store_explicit(&pool->done, 0, memory_order_relaxed);
  /* Never 0 (the workers' initial `seen`), as the generation starts at 1. */
  uint64_t generation = ++pool->generation;
  atomic_store(&pool->claim, generation << GENERATION_SHIFT |
                                 (uint64_t)chunks << CHUNK_BITS); /* releases */
  atomic_store(&pool->job, generation);
  if (atomic_load(&pool->sleepers) != 0) {
    pthread_mutex_lock(&pool->mutex);
    pthread_cond_broadcast(&pool->work_cv);
    pthread_mutex_unlock(&pool->mutex);
  }
  uint32_t total;
  uint32_t ran = run_chunks(pool, generation, &total);
  atomic_fetch_add(&pool->done, ran);
  wait_for_workers(pool, chunks);
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
  pool->parallel.mark = pool_mark;
  pool->threads = threads;
  atomic_init(&pool->job, 0);
  atomic_init(&pool->stop, false);
  atomic_init(&pool->claim, 0);
  atomic_init(&pool->done, 0);
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
