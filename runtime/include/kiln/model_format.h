/* Kiln artifact format: what a compiled model object exposes to libkilnrt.
 *
 * This header is the single definition of the contract between the compiler
 * (which writes it) and the runtime (which reads it). Plain C, no
 * dependencies, so both sides and apps can include it.
 *
 * A compiled model object defines one function per model,
 *     const kiln_model *kiln_model_<name>(void);
 * (declared in the generated model.h) returning a static kiln_model.
 *
 * The model descriptor is a self-contained little-endian byte blob:
 *
 *   header (16 bytes):
 *     u32 magic            KILN_DESCRIPTOR_MAGIC ("KLND")
 *     u32 version          KILN_DESCRIPTOR_VERSION
 *     u32 payload_size     bytes following the header
 *     u32 checksum         FNV-1a 32 of the payload bytes
 *   payload:
 *     u32 num_inputs, u32 num_outputs
 *     tensor[num_inputs], tensor[num_outputs], each:
 *       u16 name_len, name bytes (not NUL terminated, 1..KILN_MAX_NAME_LEN),
 *       u8 dtype (kiln_dtype), u8 rank (0..KILN_MAX_RANK),
 *       i64 dims[rank] (>= 0; a 0 dim makes an empty tensor)
 *     u64 arena_size       bytes of scratch the model needs (may be 0)
 *     u32 arena_alignment  power of two
 *     u32 num_segments     (>= 1; version 4: 0 in a model with variants)
 *     segment[num_segments], each:
 *       u8 device (kiln_device), u32 entry_index (< kiln_model.num_entries),
 *       u32 num_args, arg[num_args], each: u8 kind (kiln_arg_kind), u32 index
 *   Segments run in order. An entry receives an array of pointers, one per
 *   arg in the order listed: a model input's data, a model output's data,
 *   the arena base (index 0), or the session's kiln_parallel (index 0, see
 *   below).
 *     u32 num_layers       (version 3 on)
 *     layer[num_layers], each: u16 name_len, name bytes (as tensor names):
 *       the ONNX node (or fused group, named after its first node) whose
 *       code runs after compiled code calls kiln_parallel::mark with its
 *       index.
 *   Nothing may follow the last segment (versions 1, 2) or layer (3).
 *
 * Version 2 added KILN_ARG_PARALLEL; a version 1 descriptor never holds it.
 * Version 3 added the layer table. Version 4 allows num_segments = 0, only
 * in a model that runs through per-segment variants (kiln/variants.h).
 */
#ifndef KILN_MODEL_FORMAT_H
#define KILN_MODEL_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KILN_MODEL_MAGIC 0x4e4c494bu      /* "KILN" */
#define KILN_MODEL_ABI_VERSION 5u
#define KILN_DESCRIPTOR_MAGIC 0x444e4c4bu /* "KLND" */
#define KILN_DESCRIPTOR_VERSION 4u
#define KILN_DESCRIPTOR_HEADER_SIZE 16u
#define KILN_MAX_RANK 8
#define KILN_MAX_NAME_LEN 1024

typedef enum kiln_dtype {
  KILN_DTYPE_F32 = 1,
  KILN_DTYPE_U8 = 2,
  KILN_DTYPE_I8 = 3,
  KILN_DTYPE_U16 = 4,
  KILN_DTYPE_I16 = 5,
  KILN_DTYPE_I32 = 6,
  KILN_DTYPE_I64 = 7,
  KILN_DTYPE_BOOL = 9,
  KILN_DTYPE_F16 = 10,
  KILN_DTYPE_F64 = 11,
  KILN_DTYPE_U32 = 12,
  KILN_DTYPE_U64 = 13,
  KILN_DTYPE_BF16 = 16
} kiln_dtype; /* values follow onnx::TensorProto::DataType */

typedef enum kiln_device {
  KILN_DEVICE_CPU = 0,
  KILN_DEVICE_GPU = 1, /* OpenCL: kiln_model.opencl_plan, never a segment */
  KILN_DEVICE_NNA = 2  /* the NNA; here the bundled simulator:
                          kiln_model.nna_plan, never a segment */
} kiln_device;

typedef enum kiln_arg_kind {
  KILN_ARG_INPUT = 0,
  KILN_ARG_OUTPUT = 1,
  KILN_ARG_ARENA = 2,
  KILN_ARG_PARALLEL = 3
} kiln_arg_kind;

/* One compiled function; args as described above. */
typedef void (*kiln_entry_fn)(void **args);

/* A piece of a compiled loop: runs its iterations [begin, end). `args` is
 * what the compiled code handed to run() (its own pointers, not the entry's
 * array), unchanged. */
typedef void (*kiln_task_fn)(void *const *args, int64_t begin, int64_t end);

/* What a KILN_ARG_PARALLEL arg points to, owned by the session. run() calls
 * task(args, begin, end) on disjoint ranges that together cover
 * [0, count) exactly once, possibly on several threads at once, and returns
 * when all have returned. count <= 0 calls nothing. Compiled code calls run()
 * and mark() only from the thread that called the entry, never from inside
 * a task.
 *
 * mark() (model ABI version 2 on) says that the code of descriptor layer
 * `layer` starts now; KILN_LAYER_END that the entry's last layer ended. The
 * session times layers with it when profiling is on; any other index is
 * ignored. */
#define KILN_LAYER_END 0xffffffffu
typedef struct kiln_parallel kiln_parallel;
struct kiln_parallel {
  void (*run)(kiln_parallel *self, kiln_task_fn task, void *const *args,
              int64_t count);
  void (*mark)(kiln_parallel *self, uint32_t layer);
};

typedef struct kiln_model kiln_model;
/* A function returning a compiled model (kiln_model_<name>). */
typedef const kiln_model *(*kiln_model_fn)(void);

struct kiln_model {
  uint32_t magic;       /* KILN_MODEL_MAGIC */
  uint32_t abi_version; /* KILN_MODEL_ABI_VERSION */
  const uint8_t *descriptor;
  uint64_t descriptor_size;
  const kiln_entry_fn *entries;
  uint32_t num_entries;
  /* ABI version 3 on: the GPU variant (kiln/opencl_plan.h), or NULL, 0.
   * The runtime reads these only from version 3 models. */
  const uint8_t *opencl_plan;
  uint64_t opencl_plan_size;
  /* ABI version 4 on: the NNA variant (kiln/nna_plan.h), or NULL, 0. The
   * runtime reads these only from version 4 models: an older model's
   * struct ends before them. */
  const uint8_t *nna_plan;
  uint64_t nna_plan_size;
  /* ABI version 5 on: per-segment variants (kiln/variants.h): the table,
   * or NULL, 0, and the sub-models it indexes, or NULL, 0. */
  const uint8_t *variant_table;
  uint64_t variant_table_size;
  const kiln_model_fn *variant_models;
  uint32_t num_variant_models;
};

/* FNV-1a, 32 bit: the descriptor checksum. */
static inline uint32_t kiln_fnv1a32(const uint8_t *data, size_t size) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < size; ++i) {
    h ^= data[i];
    h *= 16777619u;
  }
  return h;
}

/* Size in bytes of one element of `dtype`, 0 if unknown. */
static inline size_t kiln_dtype_size(uint32_t dtype) {
  switch (dtype) {
  case KILN_DTYPE_U8:
  case KILN_DTYPE_I8:
  case KILN_DTYPE_BOOL:
    return 1;
  case KILN_DTYPE_F16:
  case KILN_DTYPE_BF16:
  case KILN_DTYPE_I16:
  case KILN_DTYPE_U16:
    return 2;
  case KILN_DTYPE_F32:
  case KILN_DTYPE_I32:
  case KILN_DTYPE_U32:
    return 4;
  case KILN_DTYPE_I64:
  case KILN_DTYPE_U64:
  case KILN_DTYPE_F64:
    return 8;
  default:
    return 0;
  }
}

/* Short name of `dtype` ("f32", "u16", "bf16", ...), NULL if unknown: the
 * one spelling the runtime's messages and the generated header share. */
static inline const char *kiln_dtype_short_name(uint32_t dtype) {
  switch (dtype) {
  case KILN_DTYPE_F32:
    return "f32";
  case KILN_DTYPE_F64:
    return "f64";
  case KILN_DTYPE_F16:
    return "f16";
  case KILN_DTYPE_BF16:
    return "bf16";
  case KILN_DTYPE_I64:
    return "i64";
  case KILN_DTYPE_I32:
    return "i32";
  case KILN_DTYPE_I16:
    return "i16";
  case KILN_DTYPE_I8:
    return "i8";
  case KILN_DTYPE_U64:
    return "u64";
  case KILN_DTYPE_U32:
    return "u32";
  case KILN_DTYPE_U16:
    return "u16";
  case KILN_DTYPE_U8:
    return "u8";
  case KILN_DTYPE_BOOL:
    return "bool";
  default:
    return NULL;
  }
}

#ifdef __cplusplus
}
#endif
#endif /* KILN_MODEL_FORMAT_H */
