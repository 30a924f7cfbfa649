/* clock_gettime, mkdir */
#define _POSIX_C_SOURCE 200809L

#include "kiln_run.h"

#include "kiln/nna_stream.h"
#include "kiln/runtime.h"
#include "kiln_tensor_io.h"
#include "scenario.h"
#include "tensor_values.h"
#include "trace.h"
#include "variant_report.h"

#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* How many leading values of each output are printed. */
#define KILN_RUN_SHOWN_VALUES 8
#define KILN_RUN_DEFAULT_TOP 5
/* Runs per variant of --calibrate-variants without =RUNS. */
#define KILN_RUN_DEFAULT_CALIBRATION_RUNS 5

typedef struct input_arg {
  char *name; /* malloc'ed: cut out of NAME=FILE */
  const char *file;
} input_arg;

typedef struct options {
  const char *model_path;
  input_arg *inputs;
  size_t num_inputs;
  uint64_t seed;
  const char *output_dir;
  uint64_t runs;
  uint64_t warmup;
  uint64_t threads;
  int64_t top; /* -1: per-output default */
  bool info;
  bool profile;
  bool help;
  uint32_t device;   /* KILN_DEVICE_* */
  uint32_t fallback; /* KILN_FALLBACK_* */
  const char *cache_dir;
  bool prebuild;
  bool tune;
  bool runs_given, warmup_given;
  /* Models with per-segment variants. */
  bool variants;
  bool has_constraints; /* a constraint flag was given */
  kiln_constraints constraints;
  uint64_t calibrate_runs; /* 0: no calibration */
  const char *variant_profile;
  const char *load_variant_profile;
  const char *scenario;
  const char *scenario_json;
} options;

/* Everything kiln_run_main acquires, released in one place. */
typedef struct state {
  options opt;
  void *library;
  kiln_session *session;
  kiln_host_tensor *host_inputs;
  kiln_tensor *inputs;
  kiln_tensor *outputs;
  double *times_ms;
  kiln_usage_log usage;
  kiln_trace trace;
} state;

int kiln_run_fail(const char *fmt, ...) {
  char message[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  fprintf(stderr, "kiln-run: error: %s\n", message);
  return 1;
}

static void usage(FILE *f, const char *argv0, bool linked) {
  fprintf(f,
          "usage: %s %s[options]\n"
          "Runs a model compiled ahead of time by kilnc and prints its "
          "outputs.\n\n"
          "  --input NAME=FILE  read input NAME from FILE (.npy or ONNX "
          "TensorProto .pb);\n"
          "                     inputs not given get seeded random values: "
          "floats\n"
          "                     uniform in [-1, 1), bools 0/1, other integers "
          "in [0, 10)\n"
          "  --seed N           seed of the random inputs (default 0)\n"
          "  --output-dir DIR   write each output to DIR/<name>.npy\n"
          "  --runs N           timed runs (default 1); prints median and min "
          "latency\n"
          "  --warmup N         untimed runs before them (default 1)\n"
          "  --threads N        threads that run the model's parallel loops, "
          "the calling\n"
          "                     one included (default 0 = 1 thread, at most "
          "256)\n"
          "  --top K            print the K largest values of each output "
          "with their\n"
          "                     indices (default 5 for outputs with <= 2 dims "
          "whose last\n"
          "                     dim is > 1, otherwise off; 0 turns it off)\n"
          "  --profile          time every layer (ONNX node or fused group) "
          "over the timed\n"
          "                     runs and print them, slowest first; on the "
          "NNA, print each\n"
          "                     step's simulated cycles, ms and DRAM traffic "
          "instead\n"
          "  --info             print inputs, outputs and arena size, then "
          "exit\n"
          "  --device=cpu|gpu|nna-sim\n"
          "                     run the CPU variant (default), the GPU one "
          "(OpenCL;\n"
          "                     kilnc --devices=cpu,gpu) or the NNA one on "
          "the bundled\n"
          "                     Kiln NNA simulator (kilnc --devices=cpu,nna; "
          "nna is the\n"
          "                     same)\n"
          "  --fallback=cpu     if the GPU or NNA cannot be used, run on the "
          "CPU (and say\n"
          "                     why)\n"
          "  --cache-dir DIR    OpenCL program binary cache (default "
          "$KILN_CACHE_DIR,\n"
          "                     else $XDG_CACHE_HOME/kiln or ~/.cache/kiln; "
          "'' turns it off)\n"
          "  --prebuild         build the GPU program into the cache, then "
          "exit\n"
          "  --tune             time the GPU kernels' work-group sizes and "
          "keep the\n"
          "                     fastest (cached with the program; implies "
          "--device=gpu)\n"
          "\nModels with per-segment variants (kilnc --variants=...; "
          "docs/variants.md):\n"
          "  --variants         print the variant table (index, segment, "
          "label, device,\n"
          "                     threads, latency ms measured or estimated, "
          "weights, arena,\n"
          "                     error), the choice and its predicted totals; "
          "after the\n"
          "                     runs, which variant each segment used in "
          "each run\n"
          "  --memory-budget BYTES\n"
          "                     weights + arena of the choice at most BYTES "
          "(suffix K, M\n"
          "                     or G: KiB, MiB, GiB)\n"
          "  --latency-target MS\n"
          "                     predicted latency per run at most MS "
          "milliseconds\n"
          "  --allow-devices cpu,gpu,nna\n"
          "                     the devices the chosen variants may run on\n"
          "  --accuracy-floor X 1 - the chosen variants' summed error "
          "proxies at least X\n"
          "                     (0 < X <= 1)\n"
          "  --objective latency|memory|energy\n"
          "                     what the choice minimises (default "
          "latency)\n"
          "                     Constraints no choice meets: the runtime's "
          "message names\n"
          "                     the binding ones, and kiln-run exits with "
          "status 1\n"
          "  --calibrate[=RUNS], --calibrate-variants[=RUNS]\n"
          "                     time every variant RUNS times (default %d) "
          "on this\n"
          "                     machine with the inputs, and choose again\n"
          "  --variant-profile FILE\n"
          "                     write the calibrated latencies to FILE "
          "(with\n"
          "                     --calibrate-variants)\n"
          "  --load-variant-profile FILE\n"
          "                     use the latencies an earlier calibration "
          "wrote\n"
          "  --scenario TRACE   replay a JSON trace of steps (constraints, "
          "device events,\n"
          "                     model runs) and print a timeline and a "
          "summary\n"
          "  --scenario-json OUT\n"
          "                     also write the timeline to OUT as JSON\n"
          "\n"
          "  -h, --help         print this help\n",
          argv0, linked ? "" : "MODEL.so ", KILN_RUN_DEFAULT_CALIBRATION_RUNS);
}

/* Decimal unsigned integer, whole string, at most max. */
static bool parse_uint(const char *text, uint64_t max, uint64_t *out) {
  if (!*text)
    return false;
  uint64_t v = 0;
  for (const char *p = text; *p; ++p) {
    if (*p < '0' || *p > '9')
      return false;
    unsigned digit = (unsigned)(*p - '0');
    if (v > (max - digit) / 10)
      return false;
    v = v * 10 + digit;
  }
  *out = v;
  return true;
}

/* A finite decimal number, whole string. */
static bool parse_double(const char *text, double *out) {
  if (!*text || (*text != '-' && *text != '.' && (*text < '0' || *text > '9')))
    return false;
  char *end;
  double v = strtod(text, &end);
  if (*end || !isfinite(v))
    return false;
  *out = v;
  return true;
}

/* The options for models with variants that take a value. */
static int parse_variant_option(const char *name, const char *value,
                                options *opt) {
  kiln_constraints *c = &opt->constraints;
  if (strcmp(name, "--variant-profile") == 0 ||
      strcmp(name, "--load-variant-profile") == 0 ||
      strcmp(name, "--scenario") == 0 || strcmp(name, "--scenario-json") == 0) {
    if (!*value)
      return kiln_run_fail("%s needs a file name", name);
    if (strcmp(name, "--variant-profile") == 0)
      opt->variant_profile = value;
    else if (strcmp(name, "--load-variant-profile") == 0)
      opt->load_variant_profile = value;
    else if (strcmp(name, "--scenario") == 0)
      opt->scenario = value;
    else
      opt->scenario_json = value;
    return 0;
  }
  opt->has_constraints = true;
  if (strcmp(name, "--memory-budget") == 0) {
    if (!kiln_parse_size(value, &c->memory_budget))
      return kiln_run_fail(
          "--memory-budget expects a size > 0 in bytes, with an "
          "optional K, M or G (e.g. 512K, 8M), got '%s'",
          value);
  } else if (strcmp(name, "--latency-target") == 0) {
    if (!parse_double(value, &c->latency_target_ms) ||
        !(c->latency_target_ms > 0))
      return kiln_run_fail(
          "--latency-target expects milliseconds > 0, got '%s'", value);
  } else if (strcmp(name, "--allow-devices") == 0) {
    char why[96];
    if (!kiln_parse_device_list(value, &c->allowed_devices, why, sizeof why))
      return kiln_run_fail(
          "--allow-devices expects a list of cpu, gpu, nna such as "
          "cpu,nna: %s",
          why);
  } else if (strcmp(name, "--accuracy-floor") == 0) {
    if (!parse_double(value, &c->accuracy_floor) ||
        !(c->accuracy_floor > 0 && c->accuracy_floor <= 1))
      return kiln_run_fail(
          "--accuracy-floor expects a number in (0, 1], got '%s'", value);
  } else {
    if (!kiln_parse_objective(value, &c->objective))
      return kiln_run_fail(
          "--objective expects latency, memory or energy, got '%s'", value);
  }
  return 0;
}

static int parse_args(int argc, char **argv, bool linked, options *opt) {
  opt->runs = 1;
  opt->warmup = 1;
  opt->top = -1;
  opt->constraints =
      (kiln_constraints){.struct_size = sizeof(kiln_constraints)};
  opt->inputs = calloc((size_t)argc, sizeof *opt->inputs);
  if (!opt->inputs)
    return kiln_run_fail("out of memory");
  for (int i = 1; i < argc; ++i) {
    const char *arg = argv[i];
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
      opt->help = true;
      continue;
    }
    if (strcmp(arg, "--info") == 0) {
      opt->info = true;
      continue;
    }
    if (strcmp(arg, "--profile") == 0) {
      opt->profile = true;
      continue;
    }
    if (strcmp(arg, "--variants") == 0) {
      opt->variants = true;
      continue;
    }
    /* --calibrate is issue 9's name for it. */
    if (strcmp(arg, "--calibrate-variants") == 0 ||
        strcmp(arg, "--calibrate") == 0) {
      opt->calibrate_runs = KILN_RUN_DEFAULT_CALIBRATION_RUNS;
      continue;
    }
    const char *runs = strncmp(arg, "--calibrate-variants=", 21) == 0 ? arg + 21
                       : strncmp(arg, "--calibrate=", 12) == 0        ? arg + 12
                                                                      : NULL;
    if (runs) {
      if (!parse_uint(runs, 1000000, &opt->calibrate_runs) ||
          opt->calibrate_runs == 0)
        return kiln_run_fail(
            "%.*s expects a number of runs from 1 to 1000000, got "
            "'%s'",
            (int)(runs - arg), arg, runs);
      continue;
    }
    if (strcmp(arg, "--tune") == 0) {
      opt->tune = true;
      opt->device = KILN_DEVICE_GPU;
      continue;
    }
    if (strcmp(arg, "--prebuild") == 0) {
      opt->prebuild = true;
      opt->device = KILN_DEVICE_GPU;
      continue;
    }
    if (arg[0] != '-') {
      if (linked || opt->model_path)
        return kiln_run_fail("unexpected argument '%s'", arg);
      opt->model_path = arg;
      continue;
    }
    /* --name VALUE or --name=VALUE */
    char name[32];
    const char *eq = strchr(arg, '=');
    size_t name_len = eq ? (size_t)(eq - arg) : strlen(arg);
    if (name_len >= sizeof name)
      return kiln_run_fail("unknown option '%s' (see --help)", arg);
    memcpy(name, arg, name_len);
    name[name_len] = '\0';
    bool known =
        strcmp(name, "--input") == 0 || strcmp(name, "--seed") == 0 ||
        strcmp(name, "--output-dir") == 0 || strcmp(name, "--runs") == 0 ||
        strcmp(name, "--warmup") == 0 || strcmp(name, "--threads") == 0 ||
        strcmp(name, "--top") == 0 || strcmp(name, "--device") == 0 ||
        strcmp(name, "--fallback") == 0 || strcmp(name, "--cache-dir") == 0;
    bool variant_option = strcmp(name, "--memory-budget") == 0 ||
                          strcmp(name, "--latency-target") == 0 ||
                          strcmp(name, "--allow-devices") == 0 ||
                          strcmp(name, "--accuracy-floor") == 0 ||
                          strcmp(name, "--objective") == 0 ||
                          strcmp(name, "--variant-profile") == 0 ||
                          strcmp(name, "--load-variant-profile") == 0 ||
                          strcmp(name, "--scenario") == 0 ||
                          strcmp(name, "--scenario-json") == 0;
    if (!known && !variant_option)
      return kiln_run_fail("unknown option '%s' (see --help)", arg);
    const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
    if (!value)
      return kiln_run_fail("option %s needs a value", name);
    if (variant_option) {
      if (parse_variant_option(name, value, opt) != 0)
        return 1;
      continue;
    }
    if (strcmp(name, "--device") == 0) {
      if (strcmp(value, "cpu") == 0)
        opt->device = KILN_DEVICE_CPU;
      else if (strcmp(value, "gpu") == 0)
        opt->device = KILN_DEVICE_GPU;
      else if (strcmp(value, "nna-sim") == 0 || strcmp(value, "nna") == 0)
        opt->device = KILN_DEVICE_NNA;
      else
        return kiln_run_fail("--device expects cpu, gpu or nna-sim, got '%s'",
                             value);
      continue;
    }
    if (strcmp(name, "--fallback") == 0) {
      if (strcmp(value, "cpu") && strcmp(value, "none"))
        return kiln_run_fail("--fallback expects cpu or none, got '%s'", value);
      opt->fallback =
          strcmp(value, "cpu") == 0 ? KILN_FALLBACK_CPU : KILN_FALLBACK_NONE;
      continue;
    }
    if (strcmp(name, "--cache-dir") == 0) {
      opt->cache_dir = value;
      continue;
    }
    uint64_t number;
    if (strcmp(name, "--input") == 0) {
      const char *sep = strchr(value, '=');
      if (!sep || sep == value || !sep[1])
        return kiln_run_fail("--input expects NAME=FILE, got '%s'", value);
      size_t len = (size_t)(sep - value);
      char *input_name = malloc(len + 1);
      if (!input_name)
        return kiln_run_fail("out of memory");
      memcpy(input_name, value, len);
      input_name[len] = '\0';
      opt->inputs[opt->num_inputs++] = (input_arg){input_name, sep + 1};
    } else if (strcmp(name, "--output-dir") == 0) {
      if (!*value)
        return kiln_run_fail("--output-dir needs a directory");
      opt->output_dir = value;
    } else if (strcmp(name, "--seed") == 0) {
      if (!parse_uint(value, UINT64_MAX, &opt->seed))
        return kiln_run_fail("--seed expects an unsigned integer, got '%s'",
                             value);
    } else if (strcmp(name, "--runs") == 0) {
      if (!parse_uint(value, 1000000000, &opt->runs) || opt->runs == 0)
        return kiln_run_fail("--runs expects an integer >= 1, got '%s'", value);
      opt->runs_given = true;
    } else if (strcmp(name, "--warmup") == 0) {
      if (!parse_uint(value, 1000000000, &opt->warmup))
        return kiln_run_fail("--warmup expects an integer >= 0, got '%s'",
                             value);
      opt->warmup_given = true;
    } else if (strcmp(name, "--threads") == 0) {
      if (!parse_uint(value, UINT32_MAX, &opt->threads))
        return kiln_run_fail("--threads expects an integer >= 0, got '%s'",
                             value);
    } else {
      if (!parse_uint(value, INT64_MAX, &number))
        return kiln_run_fail("--top expects an integer >= 0, got '%s'", value);
      opt->top = (int64_t)number;
    }
  }
  if (!linked && !opt->model_path && !opt->help)
    return kiln_run_fail(
        "no model given (usage: %s MODEL.so [options]; see --help)", argv[0]);
  if (opt->variant_profile && !opt->calibrate_runs)
    return kiln_run_fail("--variant-profile writes a calibration: it needs "
                         "--calibrate-variants");
  if (opt->scenario_json && !opt->scenario)
    return kiln_run_fail("--scenario-json needs --scenario");
  if (opt->scenario && (opt->runs_given || opt->warmup_given))
    return kiln_run_fail(
        "--runs and --warmup do not apply to --scenario: the trace's "
        "model_runs_per_step sets the runs of each step");
  return 0;
}

static int load_model(state *st, const kiln_model **model) {
  const char *path = st->opt.model_path;
  /* dlopen searches the library path for names without a slash; a model
   * named on the command line is a file. */
  char local[4096];
  if (!strchr(path, '/')) {
    if ((size_t)snprintf(local, sizeof local, "./%s", path) >= sizeof local)
      return kiln_run_fail("model path too long");
    path = local;
  }
  struct stat info;
  if (stat(path, &info) != 0)
    return kiln_run_fail("cannot open model '%s': %s", st->opt.model_path,
                         strerror(errno));
  st->library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!st->library)
    return kiln_run_fail("cannot load model '%s': %s", st->opt.model_path,
                         dlerror());
  void *symbol = dlsym(st->library, "kiln_model_get");
  if (!symbol)
    return kiln_run_fail("'%s' has no kiln_model_get symbol: not a Kiln model "
                         "(kilnc --emit=shared builds one)",
                         st->opt.model_path);
  /* ISO C has no object-to-function pointer cast; POSIX guarantees it
   * works, and memcpy says so without a warning. */
  const kiln_model *(*get)(void);
  memcpy(&get, &symbol, sizeof get);
  *model = get();
  if (!*model)
    return kiln_run_fail("kiln_model_get of '%s' returned NULL",
                         st->opt.model_path);
  return 0;
}

static void format_shape(char *buf, size_t size, int32_t rank,
                         const int64_t *dims) {
  size_t used = 0;
  buf[0] = '\0';
  if (rank == 0)
    snprintf(buf, size, "scalar");
  for (int32_t i = 0; i < rank && used < size; ++i)
    used += (size_t)snprintf(buf + used, size - used, "%s%lld", i ? "x" : "",
                             (long long)dims[i]);
}

static void print_tensor_info(const char *label, const kiln_tensor_info *t) {
  char shape[160];
  format_shape(shape, sizeof shape, t->rank, t->dims);
  printf("%s %s: %s %s (%zu bytes)\n", label, t->name,
         kiln_dtype_name(t->dtype), shape, t->size_bytes);
}

static void print_info(const state *st) {
  const kiln_session *s = st->session;
  printf("model: %s\n", st->opt.model_path ? st->opt.model_path : "(linked)");
  for (size_t i = 0; i < kiln_session_num_inputs(s); ++i)
    print_tensor_info("input", kiln_session_input(s, i));
  for (size_t i = 0; i < kiln_session_num_outputs(s); ++i)
    print_tensor_info("output", kiln_session_output(s, i));
  printf("arena: %zu bytes\n", kiln_session_arena_size(s));
  printf("session memory: %zu bytes\n", kiln_session_memory_bytes(s));
}

static int unknown_input(const state *st, const char *name) {
  char names[512] = "";
  size_t used = 0;
  for (size_t i = 0; i < kiln_session_num_inputs(st->session); ++i) {
    int n = snprintf(names + used, sizeof names - used, "%s'%s'", i ? ", " : "",
                     kiln_session_input(st->session, i)->name);
    if (n < 0 || (size_t)n >= sizeof names - used)
      break;
    used += (size_t)n;
  }
  return kiln_run_fail("unknown input '%s' (the model's inputs: %s)", name,
                       names);
}

/* kiln_session_run checks this too; checking here first reports a bad file
 * before anything runs or random inputs are announced. */
static int check_input(const kiln_tensor_info *info, kiln_host_tensor *host) {
  /* .npy has no bfloat16 (and ONNX's older test data stores bf16 as
   * UINT16): u16 data holds a bf16 input's bits. */
  if (info->dtype == KILN_DTYPE_BF16 && host->dtype == KILN_DTYPE_U16)
    host->dtype = KILN_DTYPE_BF16;
  if (host->dtype != info->dtype)
    return kiln_run_fail("input '%s': expected dtype %s, got %s", info->name,
                         kiln_dtype_name(info->dtype),
                         kiln_dtype_name(host->dtype));
  bool same = host->rank == info->rank;
  for (int32_t i = 0; same && i < host->rank; ++i)
    same = host->dims[i] == info->dims[i];
  if (!same) {
    char want[160], got[160];
    format_shape(want, sizeof want, info->rank, info->dims);
    format_shape(got, sizeof got, host->rank, host->dims);
    return kiln_run_fail("input '%s': expected shape %s, got %s", info->name,
                         want, got);
  }
  return 0;
}

static int prepare_inputs(state *st) {
  size_t n = kiln_session_num_inputs(st->session);
  st->host_inputs = calloc(n ? n : 1, sizeof *st->host_inputs);
  st->inputs = calloc(n ? n : 1, sizeof *st->inputs);
  if (!st->host_inputs || !st->inputs)
    return kiln_run_fail("out of memory");
  for (size_t a = 0; a < st->opt.num_inputs; ++a) {
    const input_arg *arg = &st->opt.inputs[a];
    int64_t index = kiln_session_find_input(st->session, arg->name);
    if (index < 0)
      return unknown_input(st, arg->name);
    kiln_host_tensor *host = &st->host_inputs[index];
    if (host->data)
      return kiln_run_fail("input '%s' given twice", arg->name);
    kiln_error err;
    if (kiln_tensor_read(arg->file, host, &err) != KILN_OK)
      return kiln_run_fail("input '%s': %s", arg->name, err.message);
    if (check_input(kiln_session_input(st->session, (size_t)index), host) != 0)
      return 1;
    st->inputs[index] = (kiln_tensor){host->dtype, host->rank, host->dims,
                                      host->data, host->size_bytes};
  }
  uint64_t rng = st->opt.seed;
  for (size_t i = 0; i < n; ++i) {
    if (st->host_inputs[i].data)
      continue;
    const kiln_tensor_info *info = kiln_session_input(st->session, i);
    kiln_host_tensor *host = &st->host_inputs[i];
    /* One byte for an empty tensor: non-NULL data marks an input as set. */
    host->data = malloc(info->size_bytes ? info->size_bytes : 1);
    if (!host->data)
      return kiln_run_fail("out of memory for input '%s' (%zu bytes)",
                           info->name, info->size_bytes);
    kiln_fill_random(info->dtype, host->data,
                     info->size_bytes / kiln_dtype_size(info->dtype), &rng);
    fprintf(stderr,
            "kiln-run: note: input '%s' not given: using random values "
            "(seed %llu)\n",
            info->name, (unsigned long long)st->opt.seed);
    st->inputs[i] = (kiln_tensor){info->dtype, info->rank, info->dims,
                                  host->data, info->size_bytes};
  }
  return 0;
}

static int prepare_outputs(state *st) {
  size_t n = kiln_session_num_outputs(st->session);
  st->outputs = calloc(n ? n : 1, sizeof *st->outputs);
  if (!st->outputs)
    return kiln_run_fail("out of memory");
  for (size_t i = 0; i < n; ++i) {
    const kiln_tensor_info *info = kiln_session_output(st->session, i);
    void *data = malloc(info->size_bytes ? info->size_bytes : 1);
    if (!data)
      return kiln_run_fail("out of memory for output '%s' (%zu bytes)",
                           info->name, info->size_bytes);
    st->outputs[i] = (kiln_tensor){info->dtype, info->rank, info->dims, data,
                                   info->size_bytes};
  }
  return 0;
}

double kiln_run_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int kiln_run_compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int run_model(state *st) {
  kiln_session *s = st->session;
  size_t n_in = kiln_session_num_inputs(s), n_out = kiln_session_num_outputs(s);
  kiln_error err;
  /* Which variants ran: only asked for with --variants. */
  kiln_usage_log *usage = st->opt.variants ? &st->usage : NULL;
  for (uint64_t i = 0; i < st->opt.warmup; ++i) {
    if (usage)
      kiln_usage_before(usage, s);
    if (kiln_session_run(s, st->inputs, n_in, st->outputs, n_out, &err) !=
        KILN_OK)
      return kiln_run_fail("%s", err.message);
    if (usage && kiln_usage_after(usage, s, true, i + 1) != 0)
      return 1;
  }
  kiln_session_reset_profile(s);
  st->times_ms = malloc(st->opt.runs * sizeof *st->times_ms);
  if (!st->times_ms)
    return kiln_run_fail("out of memory");
  for (uint64_t i = 0; i < st->opt.runs; ++i) {
    if (usage)
      kiln_usage_before(usage, s);
    double start = kiln_run_now_ms();
    kiln_status status =
        kiln_session_run(s, st->inputs, n_in, st->outputs, n_out, &err);
    st->times_ms[i] = kiln_run_now_ms() - start;
    if (status != KILN_OK)
      return kiln_run_fail("%s", err.message);
    if (usage && kiln_usage_after(usage, s, false, i + 1) != 0)
      return 1;
  }
  size_t n = (size_t)st->opt.runs;
  qsort(st->times_ms, n, sizeof *st->times_ms, kiln_run_compare_doubles);
  double median = n % 2 ? st->times_ms[n / 2]
                        : (st->times_ms[n / 2 - 1] + st->times_ms[n / 2]) / 2;
  printf("median latency: %.3f ms over %zu runs (min %.3f ms)\n", median, n,
         st->times_ms[0]);
  if (usage) {
    printf("variants used:\n");
    kiln_usage_print(usage, s, 2, stdout);
  }
  return 0;
}

/* The first option given that needs a model with variants, or NULL. */
static const char *variant_option(const options *o) {
  return o->variants               ? "--variants"
         : o->has_constraints      ? "a constraint option"
         : o->calibrate_runs       ? "--calibrate-variants"
         : o->load_variant_profile ? "--load-variant-profile"
         : o->scenario             ? "--scenario"
                                   : NULL;
}

/* Measured latencies, constraints and the table, before any run. */
static int set_up_variants(state *st) {
  const options *o = &st->opt;
  kiln_session *s = st->session;
  if (!variant_option(o))
    return 0;
  if (kiln_usage_init(&st->usage, s) != 0)
    return 1;
  kiln_error err;
  if (o->load_variant_profile) {
    if (kiln_session_load_profile(s, o->load_variant_profile, &err) != KILN_OK)
      return kiln_run_fail("%s", err.message);
    fprintf(stderr, "kiln-run: variant latencies from '%s'\n",
            o->load_variant_profile);
  }
  if (o->calibrate_runs) {
    if (kiln_session_calibrate(s, st->inputs, kiln_session_num_inputs(s),
                               (uint32_t)o->calibrate_runs, o->variant_profile,
                               &err) != KILN_OK)
      return kiln_run_fail("%s", err.message);
    fprintf(stderr, "kiln-run: calibrated %zu variants (%llu runs each)%s%s\n",
            kiln_session_num_variants(s), (unsigned long long)o->calibrate_runs,
            o->variant_profile ? "; profile written to " : "",
            o->variant_profile ? o->variant_profile : "");
  }
  /* Infeasible constraints end here, with the runtime's message. */
  if (o->has_constraints &&
      kiln_session_set_constraints(s, &o->constraints, &err) != KILN_OK)
    return kiln_run_fail("%s", err.message);
  if (o->variants && kiln_print_variants(s, stdout) != 0)
    return 1;
  return 0;
}

static int run_scenario(state *st) {
  kiln_scenario_config config = {
      .session = st->session,
      .trace = &st->trace,
      .trace_path = st->opt.scenario,
      .initial = st->opt.constraints,
      .inputs = st->inputs,
      .num_inputs = kiln_session_num_inputs(st->session),
      .outputs = st->outputs,
      .num_outputs = kiln_session_num_outputs(st->session),
      .json_path = st->opt.scenario_json,
      .out = stdout,
  };
  return kiln_scenario_run(&config);
}

/* Slower first; equal times in the session's layer order (the entries are
 * one array, so their addresses give it). */
static int slower_layer_first(const void *a, const void *b) {
  const kiln_layer_profile *x = *(const kiln_layer_profile *const *)a;
  const kiln_layer_profile *y = *(const kiln_layer_profile *const *)b;
  if (x->total_ns != y->total_ns)
    return x->total_ns < y->total_ns ? 1 : -1;
  return (x > y) - (x < y);
}

/* An NNA session's steps, per timed run: simulated cycles and ms at the
 * configuration's clock and DRAM traffic for NNA steps, host time for all
 * (for NNA steps, the time the simulator took). */
static int print_nna_profile(const state *st) {
  const kiln_session *s = st->session;
  kiln_nna_info nna;
  kiln_error err;
  if (kiln_session_nna_info(s, &nna, &err) != KILN_OK)
    return kiln_run_fail("%s", err.message);
  uint64_t runs = kiln_session_profiled_runs(s);
  double per_run = runs ? 1.0 / (double)runs : 0;
  size_t n = kiln_session_nna_segments(s);
  printf("profile: NNA config %s (%u MHz), %zu steps, per run (mean over "
         "%llu runs)\n",
         nna.config_name, nna.clock_mhz, n, (unsigned long long)runs);
  printf("  %4s  %-4s %-10s %8s %12s %10s %11s %11s %10s\n", "step", "on",
         "what", "commands", "cycles", "sim ms", "MB read", "MB written",
         "host ms");
  uint64_t cycles = 0, read = 0, written = 0, cpu_ns = 0, sim_ns = 0;
  size_t nna_steps = 0;
  for (size_t i = 0; i < n; ++i) {
    const kiln_nna_segment_profile *seg = kiln_session_nna_segment(s, i);
    char what[32];
    double host_ms = (double)seg->host_ns * per_run / 1e6;
    if (seg->device != KILN_DEVICE_NNA) {
      cpu_ns += seg->host_ns;
      snprintf(what, sizeof what, "entry %u", seg->index);
      printf("  %4zu  %-4s %-10s %8s %12s %10s %11s %11s %10.4f\n", i, "cpu",
             what, "", "", "", "", "", host_ms);
      continue;
    }
    ++nna_steps;
    cycles += seg->cycles;
    read += seg->dram_read;
    written += seg->dram_written;
    sim_ns += seg->host_ns;
    snprintf(what, sizeof what, "stream %u", seg->index);
    double c = (double)seg->cycles * per_run;
    printf("  %4zu  %-4s %-10s %8u %12.0f %10.4f %11.6f %11.6f %10.4f\n", i,
           "nna", what, seg->num_commands, c, c / seg->clock_mhz / 1e3,
           (double)seg->dram_read * per_run / 1e6,
           (double)seg->dram_written * per_run / 1e6, host_ms);
    /* Each unit runs one command at a time, so the busiest one bounds the
     * step's cycles from below whatever the overlap. */
    uint64_t busy[4] = {0, 0, 0, 0}; /* DMA, CONV, ADD, POOL */
    for (uint32_t k = 0; seg->commands && k < seg->num_commands; ++k) {
      uint32_t op = seg->commands[k].opcode;
      int unit = op == KILN_NNA_DMA_LOAD || op == KILN_NNA_DMA_STORE ? 0
                 : op == KILN_NNA_CONV                               ? 1
                 : op == KILN_NNA_ADD                                ? 2
                 : op == KILN_NNA_POOL                               ? 3
                                                                     : -1;
      if (unit >= 0)
        busy[unit] += seg->commands[k].cycles;
    }
    printf("        busy cycles: DMA %.0f, CONV %.0f, ADD %.0f, POOL %.0f\n",
           (double)busy[0] * per_run, (double)busy[1] * per_run,
           (double)busy[2] * per_run, (double)busy[3] * per_run);
  }
  double c = (double)cycles * per_run;
  printf("  NNA: %zu steps, %.0f cycles = %.4f ms simulated, %.6f MB read, "
         "%.6f MB written (simulating took %.4f ms); CPU steps: %.4f ms\n",
         nna_steps, c, c / nna.clock_mhz / 1e3, (double)read * per_run / 1e6,
         (double)written * per_run / 1e6, (double)sim_ns * per_run / 1e6,
         (double)cpu_ns * per_run / 1e6);
  return 0;
}

/* The layers' mean time per timed run, slowest first. */
static int print_profile(const state *st) {
  const kiln_session *s = st->session;
  if (kiln_session_device(s) == KILN_DEVICE_NNA)
    return print_nna_profile(st);
  size_t n = kiln_session_num_layers(s);
  uint64_t runs = kiln_session_profiled_runs(s);
  if (n == 0) {
    printf("profile: the model names no layers (compiled before layer "
           "marks)\n");
    return 0;
  }
  const kiln_layer_profile **order = malloc(n * sizeof *order);
  if (!order)
    return kiln_run_fail("out of memory");
  uint64_t total_ns = 0;
  for (size_t i = 0; i < n; ++i) {
    order[i] = kiln_session_layer(s, i);
    total_ns += order[i]->total_ns;
  }
  qsort(order, n, sizeof *order, slower_layer_first);
  double per_run = runs ? 1e-6 / (double)runs : 0;
  printf("profile: %zu layers, %.3f ms per run in them (mean over %llu "
         "runs)\n",
         n, (double)total_ns * per_run, (unsigned long long)runs);
  printf("  %10s %7s %7s %6s  %s\n", "ms/run", "share", "cumul.", "spans",
         "layer");
  double cumulative = 0;
  for (size_t i = 0; i < n; ++i) {
    const kiln_layer_profile *layer = order[i];
    double share =
        total_ns ? 100.0 * (double)layer->total_ns / (double)total_ns : 0;
    cumulative += share;
    printf("  %10.4f %6.1f%% %6.1f%% %6llu  %s\n",
           (double)layer->total_ns * per_run, share, cumulative,
           (unsigned long long)(runs ? layer->spans / runs : 0), layer->name);
  }
  free(order);
  return 0;
}

static int print_output(const kiln_tensor_info *info, const kiln_tensor *t,
                        int64_t top_option) {
  char shape[160], value[64];
  format_shape(shape, sizeof shape, info->rank, info->dims);
  printf("output %s: %s %s\n", info->name, kiln_dtype_name(info->dtype), shape);
  size_t count = info->size_bytes / kiln_dtype_size(info->dtype);
  size_t shown = count < KILN_RUN_SHOWN_VALUES ? count : KILN_RUN_SHOWN_VALUES;
  printf("  values:");
  for (size_t i = 0; i < shown; ++i) {
    kiln_format_value(value, sizeof value, info->dtype, t->data, i);
    printf(" %s", value);
  }
  if (shown < count)
    printf(" ... (%zu values)", count);
  printf("\n");

  uint64_t k = (uint64_t)top_option;
  if (top_option < 0)
    k = info->rank >= 1 && info->rank <= 2 && info->dims[info->rank - 1] > 1
            ? KILN_RUN_DEFAULT_TOP
            : 0;
  if (k > count)
    k = count;
  if (k == 0)
    return 0;
  size_t *top = malloc((size_t)k * sizeof *top);
  if (!top)
    return kiln_run_fail("out of memory");
  kiln_top_k(info->dtype, t->data, count, (size_t)k, top);
  printf("  top %llu (index value):\n", (unsigned long long)k);
  for (size_t i = 0; i < k; ++i) {
    kiln_format_value(value, sizeof value, info->dtype, t->data, top[i]);
    printf("    %zu %s\n", top[i], value);
  }
  free(top);
  return 0;
}

/* mkdir -p */
static int make_dirs(const char *dir) {
  size_t len = strlen(dir);
  char *path = malloc(len + 1);
  if (!path)
    return kiln_run_fail("out of memory");
  memcpy(path, dir, len + 1);
  for (size_t i = 1; i <= len; ++i) {
    if (path[i] != '/' && path[i] != '\0')
      continue;
    char saved = path[i];
    path[i] = '\0';
    if (mkdir(path, 0777) != 0 && errno != EEXIST) {
      int code = errno;
      free(path);
      return kiln_run_fail("cannot create directory '%s': %s", dir,
                           strerror(code));
    }
    path[i] = saved;
  }
  free(path);
  struct stat info;
  if (stat(dir, &info) != 0 || !S_ISDIR(info.st_mode))
    return kiln_run_fail("'%s' is not a directory", dir);
  return 0;
}

/* Output files are named after outputs, with characters outside
 * [A-Za-z0-9_.-] replaced so that a name stays one portable file name. */
static char file_char(char c) {
  bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
  return keep ? c : '_';
}

/* Two outputs mapping to one file would silently overwrite each other. */
static int check_output_files(const kiln_session *s) {
  size_t n = kiln_session_num_outputs(s);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < i; ++j) {
      const char *a = kiln_session_output(s, i)->name;
      const char *b = kiln_session_output(s, j)->name;
      while (*a && *b && file_char(*a) == file_char(*b))
        ++a, ++b;
      if (!*a && !*b)
        return kiln_run_fail(
            "outputs '%s' and '%s' would be written to the same "
            "file",
            kiln_session_output(s, j)->name, kiln_session_output(s, i)->name);
    }
  return 0;
}

static int write_outputs(const state *st) {
  for (size_t i = 0; i < kiln_session_num_outputs(st->session); ++i) {
    const kiln_tensor_info *info = kiln_session_output(st->session, i);
    size_t dir_len = strlen(st->opt.output_dir), name_len = strlen(info->name);
    char *path = malloc(dir_len + name_len + 6);
    if (!path)
      return kiln_run_fail("out of memory");
    memcpy(path, st->opt.output_dir, dir_len);
    path[dir_len] = '/';
    for (size_t c = 0; c < name_len; ++c)
      path[dir_len + 1 + c] = file_char(info->name[c]);
    memcpy(path + dir_len + 1 + name_len, ".npy", 5);
    kiln_error err;
    kiln_status status = kiln_npy_write(path, info->dtype, info->rank,
                                        info->dims, st->outputs[i].data, &err);
    free(path);
    if (status != KILN_OK)
      return kiln_run_fail("%s", err.message);
  }
  return 0;
}

static int run_cli(int argc, char **argv, const kiln_model *linked_model,
                   state *st) {
  const char *argv0 = argc > 0 ? argv[0] : "kiln-run";
  if (parse_args(argc, argv, linked_model != NULL, &st->opt) != 0)
    return 1;
  if (st->opt.help) {
    usage(stdout, argv0, linked_model != NULL);
    return 0;
  }
  /* A bad trace fails before the model is loaded. */
  char why[512];
  if (st->opt.scenario &&
      kiln_trace_load(st->opt.scenario, &st->trace, why, sizeof why) != 0)
    return kiln_run_fail("%s", why);
  const kiln_model *model = linked_model;
  if (!model && load_model(st, &model) != 0)
    return 1;
  kiln_session_options options = {
      .struct_size = sizeof options,
      .threads = (uint32_t)st->opt.threads,
      .profile = st->opt.profile,
      .device = st->opt.device,
      .fallback = st->opt.fallback,
      .cache_dir = st->opt.cache_dir,
  };
  kiln_error err;
  if (kiln_session_create(model, &options, &st->session, &err) != KILN_OK)
    return kiln_run_fail("%s: %s", kiln_status_string(err.status), err.message);
  if (st->opt.device == KILN_DEVICE_GPU) {
    static const char *how[] = {"none", "built from source",
                                "loaded from the binary cache"};
    kiln_gpu_tuning tuning;
    if (kiln_session_device(st->session) == KILN_DEVICE_GPU &&
        kiln_session_gpu_tuning(st->session, &tuning, &err) == KILN_OK)
      fprintf(stderr, "kiln-run: device gpu (OpenCL program %s%s)\n",
              how[kiln_session_program_source(st->session)],
              tuning.tuned ? "; work-group sizes tuned earlier" : "");
    else
      fprintf(stderr, "kiln-run: device cpu (fallback: %s)\n",
              kiln_session_fallback_reason(st->session));
  }
  if (st->opt.device == KILN_DEVICE_NNA) {
    kiln_nna_info nna;
    if (kiln_session_nna_info(st->session, &nna, &err) == KILN_OK)
      fprintf(stderr, "kiln-run: device nna-sim (config %s, %u stream%s)\n",
              nna.config_name, nna.num_streams,
              nna.num_streams == 1 ? "" : "s");
    else
      fprintf(stderr, "kiln-run: device cpu (fallback: %s)\n",
              kiln_session_fallback_reason(st->session));
  }
  if (st->opt.tune && kiln_session_device(st->session) == KILN_DEVICE_GPU) {
    kiln_gpu_tuning tuning;
    if (kiln_session_tune_gpu(st->session, &tuning, &err) != KILN_OK)
      return kiln_run_fail("%s: %s", kiln_status_string(err.status),
                           err.message);
    fprintf(stderr,
            "kiln-run: tuned %u launches: %u changed work-group size; "
            "kernel time %.3f ms at the plan's sizes, %.3f ms tuned\n",
            tuning.launches, tuning.changed, tuning.planned_ms,
            tuning.tuned_ms);
  }
  if (st->opt.prebuild)
    return 0;
  const char *option = variant_option(&st->opt);
  if (option && kiln_session_num_segments(st->session) == 0)
    return kiln_run_fail(
        "%s needs a model compiled with kilnc --variants=...: this "
        "one has no per-segment variants",
        option);
  kiln_device at_start = kiln_session_device(st->session);
  if (st->opt.info) {
    print_info(st);
    return 0;
  }
  /* The output directory is made before running, so that a bad path fails
   * fast rather than after the timed runs. */
  if ((st->opt.output_dir && (make_dirs(st->opt.output_dir) != 0 ||
                              check_output_files(st->session) != 0)) ||
      prepare_inputs(st) != 0 || prepare_outputs(st) != 0 ||
      set_up_variants(st) != 0)
    return 1;
  /* A scenario prints its timeline, not the outputs; --output-dir gets the
   * last run's. */
  if (st->opt.scenario)
    return run_scenario(st) != 0 ||
                   (st->opt.output_dir && write_outputs(st) != 0)
               ? 1
               : 0;
  if (run_model(st) != 0 || (st->opt.profile && print_profile(st) != 0))
    return 1;
  /* A GPU or NNA run that failed was redone on the CPU (--fallback=cpu). */
  if (at_start != KILN_DEVICE_CPU &&
      kiln_session_device(st->session) == KILN_DEVICE_CPU)
    fprintf(stderr,
            "kiln-run: device cpu from a failed %s run on (fallback: %s)\n",
            at_start == KILN_DEVICE_GPU ? "GPU" : "NNA",
            kiln_session_fallback_reason(st->session));
  for (size_t i = 0; i < kiln_session_num_outputs(st->session); ++i)
    if (print_output(kiln_session_output(st->session, i), &st->outputs[i],
                     st->opt.top) != 0)
      return 1;
  if (st->opt.output_dir && write_outputs(st) != 0)
    return 1;
  return 0;
}

int kiln_run_main(int argc, char **argv, const kiln_model *linked_model) {
  state st = {0};
  int code = run_cli(argc, argv, linked_model, &st);
  fflush(stdout);
  if (st.session) {
    for (size_t i = 0; i < kiln_session_num_inputs(st.session); ++i)
      if (st.host_inputs)
        kiln_host_tensor_free(&st.host_inputs[i]);
    for (size_t i = 0; i < kiln_session_num_outputs(st.session); ++i)
      if (st.outputs)
        free(st.outputs[i].data);
  }
  free(st.host_inputs);
  free(st.inputs);
  free(st.outputs);
  free(st.times_ms);
  kiln_usage_free(&st.usage);
  kiln_trace_free(&st.trace);
  for (size_t i = 0; i < st.opt.num_inputs; ++i)
    free(st.opt.inputs[i].name);
  free(st.opt.inputs);
  kiln_session_destroy(st.session);
  if (st.library)
    dlclose(st.library);
  return code;
}
