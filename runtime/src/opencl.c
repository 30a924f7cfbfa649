/* The OpenCL executor (KILN_ENABLE_OPENCL). In-advance compilation: the
 * program binary is cached on disk under a key of the device, its driver
 * version and the program source, so a later session skips the compiler.
 *
 * KILN_OPENCL_FAULT (testing hook) makes a step fail on purpose:
 * "platform" (no platform found), "build" (the build fails) or "run" (every
 * run fails), so that the fallback paths can be tested on any machine. */
#define _POSIX_C_SOURCE 200809L
#include "opencl.h"
#include "error.h"
#include "fault.h"

#ifdef KILN_ENABLE_OPENCL

#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>

#include <dlfcn.h>
#include <pthread.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The OpenCL API, loaded from the ICD loader at the first GPU session:
 * libkilnrt itself links nothing of OpenCL, so apps that never ask for the
 * GPU (and devices without OpenCL) need no libOpenCL. */
#define KILN_CL_FUNCTIONS(X)                                                   \
  X(clGetPlatformIDs)                                                          \
  X(clGetDeviceIDs)                                                            \
  X(clGetDeviceInfo)                                                           \
  X(clGetKernelWorkGroupInfo)                                                  \
  X(clCreateContext)                                                           \
  X(clCreateCommandQueue)                                                      \
  X(clCreateProgramWithBinary)                                                 \
  X(clCreateProgramWithSource)                                                 \
  X(clBuildProgram)                                                            \
  X(clGetProgramInfo)                                                          \
  X(clGetProgramBuildInfo)                                                     \
  X(clCreateBuffer)                                                            \
  X(clCreateKernel)                                                            \
  X(clSetKernelArg)                                                            \
  X(clEnqueueWriteBuffer)                                                      \
  X(clEnqueueNDRangeKernel)                                                    \
  X(clEnqueueReadBuffer)                                                       \
  X(clFinish)                                                                  \
  X(clFlush)                                                                   \
  X(clWaitForEvents)                                                           \
  X(clReleaseEvent)                                                            \
  X(clReleaseKernel)                                                           \
  X(clReleaseMemObject)                                                        \
  X(clReleaseProgram)                                                          \
  X(clReleaseCommandQueue)                                                     \
  X(clReleaseContext)

static struct {
#define KILN_CL_POINTER(name) __typeof__(&name) name;
  KILN_CL_FUNCTIONS(KILN_CL_POINTER)
#undef KILN_CL_POINTER
  bool loaded;
  char error[160];
} cl_api;

static void load_api(void) {
  const char *names[] = {"libOpenCL.so.1", "libOpenCL.so"};
  void *lib = NULL;
  for (size_t i = 0; !lib && i < sizeof names / sizeof *names; ++i)
    lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    snprintf(cl_api.error, sizeof cl_api.error,
             "OpenCL: no ICD loader (libOpenCL.so.1) found");
    return;
  }
#define KILN_CL_LOAD(name)                                                     \
  if (!(*(void **)&cl_api.name = dlsym(lib, #name))) {                         \
    snprintf(cl_api.error, sizeof cl_api.error,                                \
             "OpenCL: the ICD loader lacks %s", #name);                        \
    return;                                                                    \
  }
  KILN_CL_FUNCTIONS(KILN_CL_LOAD)
#undef KILN_CL_LOAD
  cl_api.loaded = true;
}

static pthread_once_t cl_api_once = PTHREAD_ONCE_INIT;

struct kiln_opencl {
  kiln_cl_plan plan;
  /* CPU steps: the model's entries, the session's kiln_parallel, and one
   * block holding the host memory then the CPU segments' arena. */
  const kiln_entry_fn *entries;
  kiln_parallel *parallel;
  unsigned char *host;
  void *cpu_arena;
  void **argv;
  cl_event *events; /* per step: its last download's, or NULL */
  cl_device_id device;
  /* Tuned work-group sizes: <cache key>.wg beside the program binary. */
  char tune_path[4096];
  bool tuned;
  uint32_t changed;
  cl_context context;
  cl_command_queue queue;
  cl_program program;
  cl_kernel *kernels;
  cl_mem arena;
  cl_mem weights;
  bool fail_runs;
};

static bool fault(const char *step) {
  return kiln_fault("KILN_OPENCL_FAULT", step);
}

/* FNV-1a 64 over several strings: the cache key. */
static uint64_t fnv1a64(uint64_t h, const void *data, size_t size) {
  const uint8_t *p = data;
  for (size_t i = 0; i < size; ++i) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

/* mkdir -p. */
static bool make_dirs(const char *path) {
  char buf[4096];
  size_t n = strlen(path);
  if (n == 0 || n >= sizeof buf)
    return false;
  memcpy(buf, path, n + 1);
  for (size_t i = 1; i <= n; ++i) {
    if (buf[i] != '/' && buf[i] != '\0')
      continue;
    char c = buf[i];
    buf[i] = '\0';
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
      return false;
    buf[i] = c;
  }
  return true;
}

/* The whole file, or NULL; at most 512 MiB. */
static unsigned char *read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  unsigned char *data = NULL;
  long n;
  if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && n <= (512l << 20) &&
      fseek(f, 0, SEEK_SET) == 0 && (data = malloc((size_t)n)) &&
      fread(data, 1, (size_t)n, f) == (size_t)n)
    *size = (size_t)n;
  else {
    free(data);
    data = NULL;
  }
  fclose(f);
  return data;
}

/* Writes the program's binary to `path` through a temporary file, so that
 * a concurrent reader never sees half a file. Failure only costs the cache. */
static void write_binary(cl_program program, const char *path) {
  size_t size = 0;
  if (cl_api.clGetProgramInfo(program, CL_PROGRAM_BINARY_SIZES, sizeof size,
                              &size, NULL) != CL_SUCCESS ||
      size == 0)
    return;
  unsigned char *data = malloc(size);
  if (!data)
    return;
  char tmp[4200];
  if (cl_api.clGetProgramInfo(program, CL_PROGRAM_BINARIES, sizeof data, &data,
                              NULL) == CL_SUCCESS &&
      snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid()) <
          (int)sizeof tmp) {
    FILE *f = fopen(tmp, "wb");
    if (f) {
      bool ok = fwrite(data, 1, size, f) == size;
      ok = fclose(f) == 0 && ok;
      if (!ok || rename(tmp, path) != 0)
        remove(tmp);
    }
  }
  free(data);
}

static kiln_status build_failure(cl_program program, cl_device_id device,
                                 cl_int err, kiln_error *error) {
  char log[160] = "";
  if (program)
    cl_api.clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG,
                                 sizeof log - 1, log, NULL);
  log[sizeof log - 1] = '\0';
  for (char *p = log; *p; ++p)
    if (*p == '\n')
      *p = ' ';
  return kiln_fail(error, KILN_ERROR_DEVICE,
                   "OpenCL: program build failed (error %d)%s%s", (int)err,
                   log[0] ? ": " : "", log);
}

/* The first GPU of any platform, else the first device at all. */
static kiln_status pick_device(cl_device_id *device, kiln_error *error) {
  cl_platform_id platforms[16];
  cl_uint count = 0;
  if (fault("platform") ||
      cl_api.clGetPlatformIDs(16, platforms, &count) != CL_SUCCESS ||
      count == 0)
    return kiln_fail(error, KILN_ERROR_DEVICE, "OpenCL: no platform found");
  if (count > 16)
    count = 16;
  for (int pass = 0; pass < 2; ++pass)
    for (cl_uint p = 0; p < count; ++p)
      if (cl_api.clGetDeviceIDs(
              platforms[p], pass == 0 ? CL_DEVICE_TYPE_GPU : CL_DEVICE_TYPE_ALL,
              1, device, NULL) == CL_SUCCESS)
        return KILN_OK;
  return kiln_fail(error, KILN_ERROR_DEVICE, "OpenCL: no device found");
}

static kiln_status build_program(kiln_opencl *cl, cl_device_id device,
                                 const char *cache_dir,
                                 kiln_program_source *source,
                                 kiln_error *error) {
  char name[256] = "", driver[256] = "";
  cl_api.clGetDeviceInfo(device, CL_DEVICE_NAME, sizeof name - 1, name, NULL);
  cl_api.clGetDeviceInfo(device, CL_DRIVER_VERSION, sizeof driver - 1, driver,
                         NULL);
  uint64_t key = fnv1a64(14695981039346656037ull, name, strlen(name));
  key = fnv1a64(key, "\n", 1);
  key = fnv1a64(key, driver, strlen(driver));
  key = fnv1a64(key, "\n", 1);
  key = fnv1a64(key, cl->plan.source, cl->plan.source_size);
  char path[4096] = "";
  if (cache_dir && cache_dir[0] && make_dirs(cache_dir)) {
    snprintf(path, sizeof path, "%s/%016llx.clbin", cache_dir,
             (unsigned long long)key);
    snprintf(cl->tune_path, sizeof cl->tune_path, "%s/%016llx.wg", cache_dir,
             (unsigned long long)key);
  }

  cl_int err;
  if (path[0] && !fault("build")) {
    size_t size = 0;
    unsigned char *binary = read_file(path, &size);
    if (binary) {
      const unsigned char *bin = binary;
      cl_int status;
      cl->program = cl_api.clCreateProgramWithBinary(
          cl->context, 1, &device, &size, &bin, &status, &err);
      free(binary);
      if (cl->program && err == CL_SUCCESS && status == CL_SUCCESS &&
          cl_api.clBuildProgram(cl->program, 1, &device, "", NULL, NULL) ==
              CL_SUCCESS) {
        *source = KILN_PROGRAM_CACHED;
        return KILN_OK;
      }
      /* A stale or foreign file: build from source and replace it. */
      if (cl->program)
        cl_api.clReleaseProgram(cl->program);
      cl->program = NULL;
    }
  }
  const char *text = cl->plan.source;
  size_t length = cl->plan.source_size;
  const char *broken = "__kernel void kiln_broken( {";
  if (fault("build")) {
    text = broken;
    length = strlen(broken);
  }
  cl->program =
      cl_api.clCreateProgramWithSource(cl->context, 1, &text, &length, &err);
  if (!cl->program || err != CL_SUCCESS)
    return build_failure(NULL, device, err, error);
  err = cl_api.clBuildProgram(cl->program, 1, &device, "-cl-std=CL1.2", NULL,
                              NULL);
  if (err != CL_SUCCESS)
    return build_failure(cl->program, device, err, error);
  *source = KILN_PROGRAM_BUILT;
  if (path[0])
    write_binary(cl->program, path);
  return KILN_OK;
}

/* A tuned size file: "KLWG", u32 launches, then per launch u64 local[0]
 * (0: the driver's choice). Sizes apply to 1-D launches and must divide the
 * plan's grid; a file that does not fit the plan is ignored. */
#define KILN_WG_MAGIC 0x47574c4bu

static bool local_fits(const kiln_cl_launch *l, uint64_t local) {
  return l->work_dim == 1 && local <= 1024 &&
         (local == 0 || l->global[0] % local == 0);
}

static void load_tuning(kiln_opencl *cl) {
  size_t size = 0;
  unsigned char *data = cl->tune_path[0] && !fault("build")
                            ? read_file(cl->tune_path, &size)
                            : NULL;
  uint32_t n = cl->plan.num_launches;
  bool ok = data && size == 8 + 8 * (size_t)n;
  uint32_t magic = 0, count = 0;
  if (ok) {
    memcpy(&magic, data, 4);
    memcpy(&count, data + 4, 4);
    ok = magic == KILN_WG_MAGIC && count == n;
  }
  for (uint32_t i = 0; ok && i < n; ++i) {
    uint64_t local;
    memcpy(&local, data + 8 + 8 * (size_t)i, 8);
    ok = local_fits(&cl->plan.launches[i], local) ||
         local == cl->plan.launches[i].local[0];
  }
  for (uint32_t i = 0; ok && i < n; ++i) {
    kiln_cl_launch *l = &cl->plan.launches[i];
    uint64_t local;
    memcpy(&local, data + 8 + 8 * (size_t)i, 8);
    cl->changed += local != l->local[0];
    l->local[0] = local;
    l->local[1] = l->local[2] = local ? 1 : 0;
  }
  cl->tuned = ok;
  free(data);
}

static uint64_t clock_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The fastest of 3 timed runs of launch `l` at `local` (after one warm-up),
 * in ns; UINT64_MAX if the device refuses it. */
static uint64_t time_launch(kiln_opencl *cl, const kiln_cl_launch *l,
                            uint64_t local) {
  size_t global[3] = {(size_t)l->global[0], (size_t)l->global[1],
                      (size_t)l->global[2]};
  size_t loc[3] = {(size_t)local, 1, 1};
  uint64_t best = UINT64_MAX;
  for (int run = 0; run < 4; ++run) {
    uint64_t t0 = clock_ns();
    if (cl_api.clEnqueueNDRangeKernel(cl->queue, cl->kernels[l->kernel], 1,
                                      NULL, global, local ? loc : NULL, 0, NULL,
                                      NULL) != CL_SUCCESS ||
        cl_api.clFinish(cl->queue) != CL_SUCCESS)
      return UINT64_MAX;
    uint64_t dt = clock_ns() - t0;
    if (run > 0 && dt < best)
      best = dt;
  }
  return best;
}

void kiln_opencl_tuning(const kiln_opencl *cl, kiln_gpu_tuning *out) {
  *out = (kiln_gpu_tuning){.launches = cl->plan.num_launches,
                           .tuned = cl->tuned,
                           .changed = cl->changed};
}

kiln_status kiln_opencl_tune(kiln_opencl *cl, kiln_gpu_tuning *out,
                             kiln_error *error) {
  static const uint64_t candidates[] = {0, 16, 32, 64, 128, 256, 512};
  size_t device_max = 0;
  cl_api.clGetDeviceInfo(cl->device, CL_DEVICE_MAX_WORK_GROUP_SIZE,
                         sizeof device_max, &device_max, NULL);
  uint32_t n = cl->plan.num_launches;
  uint64_t planned = 0, tuned = 0;
  uint32_t changed = 0;
  uint64_t *chosen = calloc(n ? n : 1, sizeof(uint64_t));
  if (!chosen)
    return kiln_fail(error, KILN_ERROR_OUT_OF_MEMORY, "OpenCL: tuning");
  for (uint32_t i = 0; i < n; ++i) {
    kiln_cl_launch *l = &cl->plan.launches[i];
    /* The plan's own size first: kept unless another is faster. */
    uint64_t planned_local = l->local[0];
    size_t kernel_max = 0;
    cl_api.clGetKernelWorkGroupInfo(cl->kernels[l->kernel], cl->device,
                                    CL_KERNEL_WORK_GROUP_SIZE,
                                    sizeof kernel_max, &kernel_max, NULL);
    uint64_t at_plan = time_launch(cl, l, planned_local);
    uint64_t best = at_plan, best_local = planned_local;
    for (size_t c = 0; c < sizeof candidates / sizeof *candidates; ++c) {
      uint64_t local = candidates[c];
      if (local == planned_local || !local_fits(l, local) ||
          (local && ((device_max && local > device_max) ||
                     (kernel_max && local > kernel_max))))
        continue;
      uint64_t t = time_launch(cl, l, local);
      /* 3% better, or it is noise. */
      if (t < UINT64_MAX && t * 100 < best * 97) {
        best = t;
        best_local = local;
      }
    }
    if (at_plan == UINT64_MAX && best == UINT64_MAX) {
      free(chosen);
      return kiln_fail(error, KILN_ERROR_DEVICE,
                       "OpenCL: launch %u fails at every work-group size", i);
    }
    planned += at_plan == UINT64_MAX ? best : at_plan;
    tuned += best;
    chosen[i] = best_local;
    changed += best_local != planned_local;
  }
  for (uint32_t i = 0; i < n; ++i) {
    kiln_cl_launch *l = &cl->plan.launches[i];
    l->local[0] = chosen[i];
    l->local[1] = l->local[2] = chosen[i] ? 1 : 0;
  }
  cl->tuned = true;
  cl->changed = changed;
  if (cl->tune_path[0]) {
    /* Through a temporary file, like the binaries. */
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", cl->tune_path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (f) {
      uint32_t head[2] = {KILN_WG_MAGIC, n};
      bool ok = fwrite(head, 4, 2, f) == 2 && fwrite(chosen, 8, n, f) == n;
      ok = fclose(f) == 0 && ok;
      if (!ok || rename(tmp, cl->tune_path) != 0)
        remove(tmp);
    }
  }
  free(chosen);
  kiln_opencl_tuning(cl, out);
  out->planned_ms = (double)planned / 1e6;
  out->tuned_ms = (double)tuned / 1e6;
  return KILN_OK;
}

/* The host block: host memory, then the CPU arena at 64 bytes. */
static kiln_status alloc_host(kiln_opencl *cl, kiln_error *error) {
  const kiln_cl_plan *p = &cl->plan;
  uint32_t max_args = 0;
  for (uint32_t i = 0; i < p->num_steps; ++i)
    if (p->steps[i].kind == KILN_CL_STEP_CPU && p->steps[i].num_args > max_args)
      max_args = p->steps[i].num_args;
  uint64_t arena_at = (p->host_size + 63) / 64 * 64;
  if (arena_at < p->host_size || p->cpu_arena_size > (uint64_t)PTRDIFF_MAX ||
      arena_at > (uint64_t)PTRDIFF_MAX - p->cpu_arena_size - 64)
    return kiln_fail(error, KILN_ERROR_OUT_OF_MEMORY,
                     "OpenCL: host memory of %llu + %llu bytes: too large",
                     (unsigned long long)p->host_size,
                     (unsigned long long)p->cpu_arena_size);
  size_t total = (size_t)(arena_at + p->cpu_arena_size) + 64;
  cl->host = kiln_fault("KILN_ALLOC_FAULT", "device") ? NULL : malloc(total);
  cl->argv = calloc((size_t)max_args + 2, sizeof(void *));
  cl->events = calloc(p->num_steps, sizeof(cl_event));
  if (!cl->host || !cl->argv || !cl->events)
    return kiln_fail(error, KILN_ERROR_OUT_OF_MEMORY,
                     "OpenCL: cannot allocate %zu bytes of host memory", total);
  /* malloc aligns to 16 at least; the arena wants 64. */
  uintptr_t at =
      ((uintptr_t)cl->host + (uintptr_t)arena_at + 63) & ~(uintptr_t)63;
  cl->cpu_arena = (void *)at;
  return KILN_OK;
}

kiln_status kiln_opencl_create(kiln_cl_plan *plan, const kiln_model *model,
                               kiln_parallel *parallel, const char *cache_dir,
                               kiln_opencl **out, kiln_program_source *source,
                               kiln_error *error) {
  *out = NULL;
  kiln_opencl *cl = calloc(1, sizeof *cl);
  if (!cl) {
    kiln_cl_plan_free(plan);
    return kiln_fail(error, KILN_ERROR_OUT_OF_MEMORY, "OpenCL: session");
  }
  cl->plan = *plan;
  memset(plan, 0, sizeof *plan);
  cl->fail_runs = fault("run");
  cl->entries = model->entries;
  cl->parallel = parallel;
  cl_device_id device;
  cl_int err;
  kiln_status st = alloc_host(cl, error);
  if (st != KILN_OK)
    goto fail;
  pthread_once(&cl_api_once, load_api);
  if (!cl_api.loaded) {
    st = kiln_fail(error, KILN_ERROR_DEVICE, "%s", cl_api.error);
    goto fail;
  }
  st = pick_device(&device, error);
  if (st != KILN_OK)
    goto fail;
  cl->context = cl_api.clCreateContext(NULL, 1, &device, NULL, NULL, &err);
  if (!cl->context) {
    st = kiln_fail(error, KILN_ERROR_DEVICE,
                   "OpenCL: cannot create a context (error %d)", (int)err);
    goto fail;
  }
  cl->queue = cl_api.clCreateCommandQueue(cl->context, device, 0, &err);
  if (!cl->queue) {
    st = kiln_fail(error, KILN_ERROR_DEVICE,
                   "OpenCL: cannot create a queue (error %d)", (int)err);
    goto fail;
  }
  if ((st = build_program(cl, device, cache_dir, source, error)) != KILN_OK)
    goto fail;
  /* Buffers of at least one byte: OpenCL refuses empty ones. */
  uint64_t arena = cl->plan.arena_size ? cl->plan.arena_size : 4;
  cl->arena = cl_api.clCreateBuffer(cl->context, CL_MEM_READ_WRITE,
                                    (size_t)arena, NULL, &err);
  if (!cl->arena) {
    st = kiln_fail(error, KILN_ERROR_DEVICE,
                   "OpenCL: cannot allocate the %llu-byte arena (error %d)",
                   (unsigned long long)arena, (int)err);
    goto fail;
  }
  cl->weights = cl_api.clCreateBuffer(
      cl->context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
      cl->plan.weights_size ? (size_t)cl->plan.weights_size : 4,
      cl->plan.weights_size ? (void *)cl->plan.weights : (void *)&arena, &err);
  if (!cl->weights) {
    st = kiln_fail(error, KILN_ERROR_DEVICE,
                   "OpenCL: cannot upload %llu bytes of weights (error %d)",
                   (unsigned long long)cl->plan.weights_size, (int)err);
    goto fail;
  }
  cl->kernels = calloc(cl->plan.num_kernels ? cl->plan.num_kernels : 1,
                       sizeof(cl_kernel));
  if (!cl->kernels) {
    st = kiln_fail(error, KILN_ERROR_OUT_OF_MEMORY, "OpenCL: kernels");
    goto fail;
  }
  for (uint32_t k = 0; k < cl->plan.num_kernels; ++k) {
    cl->kernels[k] =
        cl_api.clCreateKernel(cl->program, cl->plan.kernel_names[k], &err);
    if (!cl->kernels[k] ||
        cl_api.clSetKernelArg(cl->kernels[k], 0, sizeof(cl_mem), &cl->arena) !=
            CL_SUCCESS ||
        cl_api.clSetKernelArg(cl->kernels[k], 1, sizeof(cl_mem),
                              &cl->weights) != CL_SUCCESS) {
      st = kiln_fail(error, KILN_ERROR_DEVICE,
                     "OpenCL: kernel '%s' is missing or takes other "
                     "arguments (error %d)",
                     cl->plan.kernel_names[k], (int)err);
      goto fail;
    }
  }
  cl->device = device;
  load_tuning(cl);
  *out = cl;
  return KILN_OK;
fail:
  kiln_opencl_destroy(cl);
  return st;
}

/* Host memory of a ref: the caller's tensor or the host block (the plan
 * parser checked its bounds). */
static void *host_of(kiln_opencl *cl, const kiln_cl_ref *ref,
                     const kiln_tensor *inputs, kiln_tensor *outputs) {
  switch (ref->kind) {
  case KILN_CL_REF_INPUT:
    return inputs[ref->index].data;
  case KILN_CL_REF_OUTPUT:
    return outputs[ref->index].data;
  default:
    return cl->host + ref->index;
  }
}

/* Enqueues a GPU step: uploads, launches, downloads (the last one's event
 * marks the step done, the queue being in order), then flushes so that the
 * device starts while the host goes on. */
static cl_int enqueue_gpu(kiln_opencl *cl, uint32_t index,
                          const kiln_tensor *inputs, kiln_tensor *outputs) {
  const kiln_cl_step *s = &cl->plan.steps[index];
  cl_int err = CL_SUCCESS;
  for (uint32_t i = 0; i < s->num_uploads && err == CL_SUCCESS; ++i)
    if (s->uploads[i].ref.size)
      err = cl_api.clEnqueueWriteBuffer(
          cl->queue, cl->arena, CL_FALSE, (size_t)s->uploads[i].device_offset,
          (size_t)s->uploads[i].ref.size,
          host_of(cl, &s->uploads[i].ref, inputs, outputs), 0, NULL, NULL);
  for (uint32_t i = 0; i < s->num_launches && err == CL_SUCCESS; ++i) {
    const kiln_cl_launch *l = &cl->plan.launches[s->first_launch + i];
    size_t global[3], local[3];
    for (int d = 0; d < 3; ++d) {
      global[d] = (size_t)l->global[d];
      local[d] = (size_t)l->local[d];
    }
    err = cl_api.clEnqueueNDRangeKernel(cl->queue, cl->kernels[l->kernel],
                                        l->work_dim, NULL, global,
                                        local[0] ? local : NULL, 0, NULL, NULL);
  }
  for (uint32_t i = 0; i < s->num_downloads && err == CL_SUCCESS; ++i)
    err = cl_api.clEnqueueReadBuffer(
        cl->queue, cl->arena, CL_FALSE, (size_t)s->downloads[i].device_offset,
        (size_t)s->downloads[i].ref.size,
        host_of(cl, &s->downloads[i].ref, inputs, outputs), 0, NULL,
        i + 1 == s->num_downloads ? &cl->events[index] : NULL);
  if (err == CL_SUCCESS)
    err = cl_api.clFlush(cl->queue);
  return err;
}

/* Runs a CPU step once the GPU steps it reads from are done. */
static cl_int run_cpu(kiln_opencl *cl, uint32_t index,
                      const kiln_tensor *inputs, kiln_tensor *outputs) {
  const kiln_cl_step *s = &cl->plan.steps[index];
  for (uint32_t w = 0; w < s->num_waits; ++w)
    if (cl->events[s->waits[w]]) {
      cl_int err = cl_api.clWaitForEvents(1, &cl->events[s->waits[w]]);
      if (err != CL_SUCCESS)
        return err;
    }
  uint32_t n = 0;
  for (; n < s->num_args; ++n)
    cl->argv[n] = host_of(cl, &s->args[n], inputs, outputs);
  cl->argv[n++] = cl->cpu_arena;
  if (s->parallel)
    cl->argv[n] = cl->parallel;
  cl->entries[s->entry](cl->argv);
  return CL_SUCCESS;
}

kiln_status kiln_opencl_run(kiln_opencl *cl, const kiln_tensor *inputs,
                            kiln_tensor *outputs, kiln_error *error) {
  if (cl->fail_runs)
    return kiln_fail(error, KILN_ERROR_DEVICE,
                     "OpenCL: run failed (KILN_OPENCL_FAULT=run)");
  const kiln_cl_plan *p = &cl->plan;
  cl_int err = CL_SUCCESS;
  for (uint32_t i = 0; i < p->num_steps && err == CL_SUCCESS; ++i)
    err = p->steps[i].kind == KILN_CL_STEP_GPU
              ? enqueue_gpu(cl, i, inputs, outputs)
              : run_cpu(cl, i, inputs, outputs);
  cl_int done = cl_api.clFinish(cl->queue);
  for (uint32_t i = 0; i < p->num_steps; ++i)
    if (cl->events[i]) {
      cl_api.clReleaseEvent(cl->events[i]);
      cl->events[i] = NULL;
    }
  if (err == CL_SUCCESS)
    err = done;
  if (err != CL_SUCCESS)
    return kiln_fail(error, KILN_ERROR_DEVICE, "OpenCL: run failed (error %d)",
                     (int)err);
  return KILN_OK;
}

void kiln_opencl_destroy(kiln_opencl *cl) {
  if (!cl)
    return;
  for (uint32_t k = 0; cl->kernels && k < cl->plan.num_kernels; ++k)
    if (cl->kernels[k])
      cl_api.clReleaseKernel(cl->kernels[k]);
  free(cl->kernels);
  if (cl->weights)
    cl_api.clReleaseMemObject(cl->weights);
  if (cl->arena)
    cl_api.clReleaseMemObject(cl->arena);
  if (cl->program)
    cl_api.clReleaseProgram(cl->program);
  if (cl->queue)
    cl_api.clReleaseCommandQueue(cl->queue);
  if (cl->context)
    cl_api.clReleaseContext(cl->context);
  kiln_cl_plan_free(&cl->plan);
  free(cl->host);
  free(cl->argv);
  free(cl->events);
  free(cl);
}

#else /* !KILN_ENABLE_OPENCL: sessions that ask for the GPU are told why. */
#include <string.h>

kiln_status kiln_opencl_create(kiln_cl_plan *plan, const kiln_model *model,
                               kiln_parallel *parallel, const char *cache_dir,
                               kiln_opencl **out, kiln_program_source *source,
                               kiln_error *error) {
  (void)model;
  (void)parallel;
  (void)cache_dir;
  (void)source;
  kiln_cl_plan_free(plan);
  *out = NULL;
  return kiln_fail(error, KILN_ERROR_DEVICE,
                   "libkilnrt was built without OpenCL "
                   "(KILN_ENABLE_OPENCL=OFF)");
}
kiln_status kiln_opencl_run(kiln_opencl *cl, const kiln_tensor *inputs,
                            kiln_tensor *outputs, kiln_error *error) {
  (void)cl;
  (void)inputs;
  (void)outputs;
  return kiln_fail(error, KILN_ERROR_DEVICE, "OpenCL is not built in");
}
void kiln_opencl_tuning(const kiln_opencl *cl, kiln_gpu_tuning *out) {
  (void)cl;
  memset(out, 0, sizeof *out);
}
kiln_status kiln_opencl_tune(kiln_opencl *cl, kiln_gpu_tuning *out,
                             kiln_error *error) {
  (void)cl;
  memset(out, 0, sizeof *out);
  return kiln_fail(error, KILN_ERROR_DEVICE, "OpenCL is not built in");
}
void kiln_opencl_destroy(kiln_opencl *cl) { (void)cl; }
#endif
