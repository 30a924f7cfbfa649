/* kiln-qemu-icount: a QEMU TCG plugin that counts the guest instructions an
 * aarch64 program executes under qemu-aarch64, in total and per symbol, and
 * how many of them are floating-point fused multiply-adds (with the MACs
 * they perform). It is Kiln's deterministic cost figure for ARM code on a
 * machine without ARM hardware (docs/benchmarks.md, "ARM cost under qemu").
 *
 *   qemu-aarch64 -L /usr/aarch64-linux-gnu \
 *     -plugin build/lib/libkiln_qemu_icount.so,out=counts.json \
 *     [,start=SYMBOL,stop=SYMBOL] ./prog args...
 *
 * Counting. Every translation block (TB) gets a record with its instruction
 * count, FMA instruction counts and MACs, split by symbol, and an execution
 * counter that the generated code bumps with an inline add each time the TB
 * runs. Totals are execution count x per-TB figures, summed at exit. The
 * inline add is not atomic: counts are exact for single-threaded guests
 * (Kiln's runtime is) and may lose increments when guest threads race.
 *
 * Windows. start/stop name functions of the guest executable (or give
 * 0xADDRESS). Entering start opens a window, entering stop closes it; the
 * output has each window's totals and per-symbol counts summed over the
 * windows. Window edges are TB-exact: the TB at start's entry is inside,
 * the TB at stop's entry is not. kiln-run calls kiln_session_run between two
 * clock_gettime calls, so start=kiln_session_run,stop=clock_gettime is one
 * window per inference. Names are looked up in the executable's ELF symbol
 * table, so markers need a static or non-PIE executable (no load bias to
 * guess); only symbols of the executable itself can be markers.
 *
 * FMA classes recognised (A64 encodings, Arm ARM C7): FMLA/FMLS vector and
 * by element, half/single/double precision (MACs = lanes: .4s = 4, .2s = 2,
 * .2d = 2, .8h = 8, .4h = 4), and the scalar forms FMADD, FMSUB, FNMADD,
 * FNMSUB and scalar FMLA/FMLS by element (1 MAC). Separate FMUL + FADD are
 * not FMAs and count 0 MACs; integer MLA/dot products are not counted. */
/* open_memstream, strdup, strnlen */
#define _POSIX_C_SOURCE 200809L

#include "qemu_plugin_api.h"

#include <elf.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

/* ---- instruction classes ------------------------------------------------ */

typedef struct fma_class {
  unsigned vector; /* 1 for a SIMD FMA, else 0 */
  unsigned scalar; /* 1 for a scalar FMA, else 0 */
  unsigned macs;   /* multiply-accumulates it performs */
} fma_class;

/* Classifies one A64 instruction word. */
static fma_class classify(uint32_t insn) {
  fma_class none = {0, 0, 0};
  unsigned q = (insn >> 30) & 1, sz = (insn >> 22) & 1;
  /* FMLA/FMLS (vector), single/double: 0 Q 0 01110 op sz 1 Rm 110011 Rn Rd */
  if ((insn & 0xBF20FC00u) == 0x0E20CC00u) {
    unsigned lanes = sz ? (q ? 2 : 0) : (q ? 4 : 2); /* sz=1, Q=0: reserved */
    return lanes ? (fma_class){1, 0, lanes} : none;
  }
  /* FMLA/FMLS (vector), half: 0 Q 0 01110 op 1 0 Rm 000011 Rn Rd */
  if ((insn & 0xBF60FC00u) == 0x0E400C00u)
    return (fma_class){1, 0, q ? 8 : 4};
  /* FMLA/FMLS (by element), single/double:
   * 0 Q 0 01111 1 sz L M Rm 0 op 0 1 H 0 Rn Rd */
  if ((insn & 0xBF80B400u) == 0x0F801000u) {
    unsigned lanes = sz ? (q ? 2 : 0) : (q ? 4 : 2);
    return lanes ? (fma_class){1, 0, lanes} : none;
  }
  /* FMLA/FMLS (by element), half: 0 Q 0 01111 00 L M Rm 0 op 0 1 H 0 Rn Rd */
  if ((insn & 0xBFC0B400u) == 0x0F001000u)
    return (fma_class){1, 0, q ? 8 : 4};
  /* FMLA/FMLS (by element), scalar: 01 0 11111 1 sz ... and half 00 ... */
  if ((insn & 0xFF80B400u) == 0x5F801000u ||
      (insn & 0xFFC0B400u) == 0x5F001000u)
    return (fma_class){0, 1, 1};
  /* FMADD/FMSUB/FNMADD/FNMSUB: 0 0 0 11111 ftype o1 Rm o0 Ra Rn Rd, ftype
   * 00 single, 01 double, 11 half (10 is unallocated). */
  if ((insn & 0xFF000000u) == 0x1F000000u && ((insn >> 22) & 3) != 2)
    return (fma_class){0, 1, 1};
  return none;
}

/* ---- tables ------------------------------------------------------------- */

/* One translated TB. `execs` is the target of the inline add, so records
 * live in fixed chunks and never move once handed to QEMU. */
typedef struct tb_rec {
  uint64_t execs;
  uint32_t insns, vfma, sfma, macs; /* per execution, over all segments */
} tb_rec;

/* The part of a TB that belongs to one symbol (a TB rarely spans two). */
typedef struct segment {
  uint32_t tb, sym;
  uint32_t insns, vfma, sfma, macs;
} segment;

typedef struct counts {
  uint64_t insns, vfma, sfma, macs;
} counts;

#define CHUNK_BITS 12
#define CHUNK_SIZE (1u << CHUNK_BITS)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static tb_rec **chunks;
static size_t num_chunks, num_tbs;
static segment *segs;
static size_t num_segs, cap_segs;

/* Interned symbol names, with an open-addressing hash (names from QEMU are
 * copied: the plugin must not depend on how long QEMU keeps them). */
static char **sym_names;
static size_t num_syms, cap_syms;
static uint32_t *sym_hash; /* index + 1; 0 = empty */
static size_t hash_cap;

/* Markers and windows. */
static uint64_t start_addr, stop_addr;
static const char *start_name, *stop_name;
static int window_open;
static uint64_t *snapshot; /* execs of every TB when the window opened */
static size_t snapshot_len;
static uint64_t *window_execs; /* per TB, summed over closed windows */
static size_t window_len;
static counts *windows;
static size_t num_windows, cap_windows;

static const char *out_path;

static void out_of_memory(void) {
  fputs("kiln-qemu-icount: out of memory\n", stderr);
  abort();
}

static void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q)
    out_of_memory();
  return q;
}

static void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size);
  if (!p)
    out_of_memory();
  return p;
}

static tb_rec *tb_at(size_t i) {
  return &chunks[i >> CHUNK_BITS][i & (CHUNK_SIZE - 1)];
}

static size_t new_tb(void) {
  if (num_tbs == num_chunks * CHUNK_SIZE) {
    chunks = xrealloc(chunks, (num_chunks + 1) * sizeof *chunks);
    chunks[num_chunks] = xcalloc(CHUNK_SIZE, sizeof(tb_rec));
    ++num_chunks;
  }
  return num_tbs++;
}

static uint64_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (; *s; ++s)
    h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

static uint32_t intern(const char *name) {
  if (2 * (num_syms + 1) > hash_cap) {
    size_t cap = hash_cap ? 2 * hash_cap : 1024;
    uint32_t *table = xcalloc(cap, sizeof *table);
    for (size_t i = 0; i < num_syms; ++i) {
      size_t h = hash_str(sym_names[i]) & (cap - 1);
      while (table[h])
        h = (h + 1) & (cap - 1);
      table[h] = (uint32_t)i + 1;
    }
    free(sym_hash);
    sym_hash = table;
    hash_cap = cap;
  }
  size_t h = hash_str(name) & (hash_cap - 1);
  for (; sym_hash[h]; h = (h + 1) & (hash_cap - 1))
    if (strcmp(sym_names[sym_hash[h] - 1], name) == 0)
      return sym_hash[h] - 1;
  if (num_syms == cap_syms) {
    cap_syms = cap_syms ? 2 * cap_syms : 256;
    sym_names = xrealloc(sym_names, cap_syms * sizeof *sym_names);
  }
  sym_names[num_syms] = strdup(name);
  if (!sym_names[num_syms])
    out_of_memory();
  sym_hash[h] = (uint32_t)num_syms + 1;
  return (uint32_t)num_syms++;
}

/* ---- windows ------------------------------------------------------------ */

static void open_window(void) {
  if (window_open)
    return;
  snapshot = xrealloc(snapshot, num_tbs * sizeof *snapshot);
  snapshot_len = num_tbs;
  for (size_t i = 0; i < num_tbs; ++i)
    snapshot[i] = tb_at(i)->execs;
  window_open = 1;
}

static void close_window(void) {
  if (!window_open)
    return;
  if (window_len < num_tbs) {
    window_execs = xrealloc(window_execs, num_tbs * sizeof *window_execs);
    memset(window_execs + window_len, 0,
           (num_tbs - window_len) * sizeof *window_execs);
    window_len = num_tbs;
  }
  counts c = {0, 0, 0, 0};
  for (size_t i = 0; i < num_tbs; ++i) {
    tb_rec *tb = tb_at(i);
    /* TBs translated after the window opened start from zero. */
    uint64_t d = tb->execs - (i < snapshot_len ? snapshot[i] : 0);
    window_execs[i] += d;
    c.insns += d * tb->insns;
    c.vfma += d * tb->vfma;
    c.sfma += d * tb->sfma;
    c.macs += d * tb->macs;
  }
  if (num_windows == cap_windows) {
    cap_windows = cap_windows ? 2 * cap_windows : 16;
    windows = xrealloc(windows, cap_windows * sizeof *windows);
  }
  windows[num_windows++] = c;
  window_open = 0;
}

/* A marker TB is counted here instead of inline, so that the order of
 * "count this TB" and "open/close the window" is ours, not QEMU's. */
typedef struct marker_tb {
  size_t tb;
  int opens, closes;
} marker_tb;

static void marker_exec(unsigned int vcpu_index, void *userdata) {
  (void)vcpu_index;
  const marker_tb *m = userdata;
  pthread_mutex_lock(&lock);
  if (m->closes)
    close_window();
  if (m->opens)
    open_window();
  tb_at(m->tb)->execs += 1;
  pthread_mutex_unlock(&lock);
}

/* ---- translation -------------------------------------------------------- */

static int resolve_markers(void);
static int markers_resolved, failed;

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  (void)id;
  size_t n = qemu_plugin_tb_n_insns(tb);
  pthread_mutex_lock(&lock);
  /* QEMU 7.2 installs plugins before it loads the guest, so the guest's
   * path is known only from the first translation on. A marker that does
   * not resolve ends the run: counts without it would be mislabelled.
   * QEMU calls at_exit from exit(), so it must find the lock free and
   * write no report. */
  if (!markers_resolved) {
    markers_resolved = 1;
    if (start_name && resolve_markers() != 0) {
      failed = 1;
      pthread_mutex_unlock(&lock);
      exit(1);
    }
  }
  size_t index = new_tb();
  tb_rec *rec = tb_at(index);
  int opens = 0, closes = 0;
  const char *last_qemu_name = NULL;
  uint32_t sym = 0;
  segment *seg = NULL;
  for (size_t i = 0; i < n; ++i) {
    struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
    uint64_t pc = qemu_plugin_insn_vaddr(insn);
    opens |= start_addr && pc == start_addr;
    closes |= stop_addr && pc == stop_addr;

    uint32_t word = 0;
    if (qemu_plugin_insn_size(insn) == 4)
      memcpy(&word, qemu_plugin_insn_data(insn), 4); /* A64 is little-endian */
    fma_class k = classify(word);

    /* QEMU returns the same pointer for consecutive instructions of one
     * symbol; intern only when it changes. */
    const char *qname = qemu_plugin_insn_symbol(insn);
    if (!qname)
      qname = "[unknown]";
    if (!seg || qname != last_qemu_name) {
      uint32_t s = intern(qname);
      last_qemu_name = qname;
      if (!seg || s != sym) {
        sym = s;
        if (num_segs == cap_segs) {
          cap_segs = cap_segs ? 2 * cap_segs : 4096;
          segs = xrealloc(segs, cap_segs * sizeof *segs);
        }
        seg = &segs[num_segs++];
        *seg = (segment){(uint32_t)index, sym, 0, 0, 0, 0};
      }
    }
    seg->insns += 1;
    seg->vfma += k.vector;
    seg->sfma += k.scalar;
    seg->macs += k.macs;
    rec->insns += 1;
    rec->vfma += k.vector;
    rec->sfma += k.scalar;
    rec->macs += k.macs;
  }
  pthread_mutex_unlock(&lock);

  if (opens || closes) {
    marker_tb *m = xcalloc(1, sizeof *m); /* lives as long as the TB may run */
    *m = (marker_tb){index, opens, closes};
    qemu_plugin_register_vcpu_tb_exec_cb(tb, marker_exec,
                                         QEMU_PLUGIN_CB_NO_REGS, m);
  } else {
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
                                             &rec->execs, 1);
  }
}

/* ---- output ------------------------------------------------------------- */

typedef struct sym_total {
  uint32_t sym;
  counts all, window;
} sym_total;

static int by_insns(const void *a, const void *b) {
  const sym_total *x = a, *y = b;
  if (x->all.insns != y->all.insns)
    return x->all.insns < y->all.insns ? 1 : -1;
  return strcmp(sym_names[x->sym], sym_names[y->sym]);
}

static void put_json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; ++s) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      fprintf(f, "\\%c", c);
    else if (c < 0x20)
      fprintf(f, "\\u%04x", c);
    else
      fputc(c, f);
  }
  fputc('"', f);
}

static void put_counts(FILE *f, const char *key, counts c) {
  fprintf(f,
          "\"%s\": {\"insns\": %" PRIu64 ", \"vector_fma\": %" PRIu64
          ", \"scalar_fma\": %" PRIu64 ", \"macs\": %" PRIu64 "}",
          key, c.insns, c.vfma, c.sfma, c.macs);
}

static void add(counts *c, uint64_t execs, const segment *s) {
  c->insns += execs * s->insns;
  c->vfma += execs * s->vfma;
  c->sfma += execs * s->sfma;
  c->macs += execs * s->macs;
}

static void write_report(FILE *f) {
  sym_total *per = xcalloc(num_syms, sizeof *per);
  counts total = {0, 0, 0, 0}, in_windows = {0, 0, 0, 0};
  for (size_t i = 0; i < num_syms; ++i)
    per[i].sym = (uint32_t)i;
  for (size_t i = 0; i < num_segs; ++i) {
    const segment *s = &segs[i];
    uint64_t execs = tb_at(s->tb)->execs;
    add(&per[s->sym].all, execs, s);
    add(&total, execs, s);
    uint64_t w = s->tb < window_len ? window_execs[s->tb] : 0;
    add(&per[s->sym].window, w, s);
    add(&in_windows, w, s);
  }
  qsort(per, num_syms, sizeof *per, by_insns);

  fprintf(f, "{\n  \"tool\": \"kiln-qemu-icount\",\n  \"format\": 1,\n  ");
  put_counts(f, "total", total);
  fprintf(f, ",\n  \"markers\": {\"start\": ");
  put_json_string(f, start_name ? start_name : "");
  fprintf(f, ", \"start_addr\": \"0x%" PRIx64 "\", \"stop\": ", start_addr);
  put_json_string(f, stop_name ? stop_name : "");
  fprintf(f, ", \"stop_addr\": \"0x%" PRIx64 "\", \"open_at_exit\": %s},\n",
          stop_addr, window_open ? "true" : "false");
  fprintf(f, "  \"windows\": [");
  for (size_t i = 0; i < num_windows; ++i) {
    fprintf(f, "%s\n    {", i ? "," : "");
    put_counts(f, "counts", windows[i]);
    fprintf(f, "}");
  }
  fprintf(f, "%s],\n  ", num_windows ? "\n  " : "");
  put_counts(f, "in_windows", in_windows);
  fprintf(f, ",\n  \"symbols\": [");
  size_t shown = 0;
  for (size_t i = 0; i < num_syms; ++i) {
    if (!per[i].all.insns)
      continue;
    fprintf(f, "%s\n    {\"name\": ", shown++ ? "," : "");
    put_json_string(f, sym_names[per[i].sym]);
    fprintf(f, ", ");
    put_counts(f, "all", per[i].all);
    fprintf(f, ", ");
    put_counts(f, "window", per[i].window);
    fprintf(f, "}");
  }
  fprintf(f, "%s]\n}\n", shown ? "\n  " : "");
  free(per);
}

static void at_exit(qemu_plugin_id_t id, void *userdata) {
  (void)id;
  (void)userdata;
  pthread_mutex_lock(&lock);
  if (failed) {
    /* no report: the run was stopped because a marker did not resolve */
  } else if (out_path) {
    FILE *f = fopen(out_path, "w");
    if (!f) {
      fprintf(stderr, "kiln-qemu-icount: cannot write %s\n", out_path);
    } else {
      write_report(f);
      if (fclose(f) != 0)
        fprintf(stderr, "kiln-qemu-icount: error writing %s\n", out_path);
    }
  } else {
    /* Without out=, the report goes to QEMU's log (-d plugin). */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f) {
      write_report(f);
      fclose(f);
      qemu_plugin_outs(text);
      free(text);
    }
  }
  pthread_mutex_unlock(&lock);
}

/* ---- markers: ELF symbol lookup ----------------------------------------- */

/* Finds `name` among the defined symbols of the ELF64 file at `path`:
 * returns 0 and its value, or -1 with a message in `why`. */
static int elf_symbol(const char *path, const char *name, uint64_t *value,
                      uint16_t *type, char *why, size_t why_len) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(why, why_len, "cannot open %s", path);
    return -1;
  }
  int rc = -1;
  char *data = NULL;
  long size;
  if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
      fseek(f, 0, SEEK_SET) != 0) {
    snprintf(why, why_len, "cannot read %s", path);
    goto done;
  }
  data = malloc((size_t)size + 1);
  if (!data || fread(data, 1, (size_t)size, f) != (size_t)size) {
    snprintf(why, why_len, "cannot read %s", path);
    goto done;
  }
  const Elf64_Ehdr *eh = (const Elf64_Ehdr *)data;
  if ((size_t)size < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
      eh->e_ident[EI_CLASS] != ELFCLASS64 ||
      eh->e_shentsize != sizeof(Elf64_Shdr) ||
      eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) >
          (uint64_t)size) {
    snprintf(why, why_len, "%s is not a 64-bit ELF file", path);
    goto done;
  }
  *type = eh->e_type;
  const Elf64_Shdr *sh = (const Elf64_Shdr *)(data + eh->e_shoff);
  for (unsigned i = 0; i < eh->e_shnum && rc != 0; ++i) {
    if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum)
      continue;
    const Elf64_Shdr *strtab = &sh[sh[i].sh_link];
    if (sh[i].sh_offset + sh[i].sh_size > (uint64_t)size ||
        strtab->sh_offset + strtab->sh_size > (uint64_t)size)
      continue;
    const Elf64_Sym *sym = (const Elf64_Sym *)(data + sh[i].sh_offset);
    const char *names = data + strtab->sh_offset;
    for (size_t k = 0; k < sh[i].sh_size / sizeof *sym; ++k) {
      if (sym[k].st_shndx == SHN_UNDEF || sym[k].st_name >= strtab->sh_size ||
          ELF64_ST_TYPE(sym[k].st_info) != STT_FUNC)
        continue;
      const char *s = names + sym[k].st_name;
      if (strnlen(s, strtab->sh_size - sym[k].st_name) <
              strtab->sh_size - sym[k].st_name &&
          strcmp(s, name) == 0) {
        *value = sym[k].st_value;
        rc = 0;
        break;
      }
    }
  }
  if (rc != 0)
    snprintf(why, why_len, "no function '%s' in the symbol table of %s", name,
             path);
done:
  free(data);
  fclose(f);
  return rc;
}

/* Resolves a marker argument: 0xADDRESS, or a function of the guest. */
static int resolve_marker(const char *arg, uint64_t *addr) {
  char why[512];
  if (strncmp(arg, "0x", 2) == 0) {
    char *end;
    *addr = strtoull(arg + 2, &end, 16);
    if (*end || !*addr) {
      fprintf(stderr, "kiln-qemu-icount: bad address '%s'\n", arg);
      return -1;
    }
    return 0;
  }
  const char *path = qemu_plugin_path_to_binary();
  if (!path) {
    fputs("kiln-qemu-icount: markers by name need user-mode emulation\n",
          stderr);
    return -1;
  }
  uint16_t type = 0;
  int rc = elf_symbol(path, arg, addr, &type, why, sizeof why);
  if (rc == 0 && type != ET_EXEC) {
    /* A PIE's symbols are relative to a load bias that the plugin API of
     * QEMU 7.2 does not report reliably (entry_code is the interpreter's
     * entry for dynamically linked programs). */
    snprintf(why, sizeof why,
             "%s is position-independent: link it with -static or -no-pie "
             "to use markers by name",
             path);
    rc = -1;
  }
  if (rc != 0)
    fprintf(stderr, "kiln-qemu-icount: %s\n", why);
  free((void *)(uintptr_t)path); /* QEMU g_strdup()s it; const in the API */
  return rc;
}

static int resolve_markers(void) {
  if (resolve_marker(start_name, &start_addr) != 0 ||
      resolve_marker(stop_name, &stop_addr) != 0)
    return -1;
  if (start_addr == stop_addr) {
    fputs("kiln-qemu-icount: start and stop are the same address\n", stderr);
    return -1;
  }
  return 0;
}

/* ---- install ------------------------------------------------------------ */

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
                                           const qemu_info_t *info, int argc,
                                           char **argv) {
  if (info->system_emulation || strcmp(info->target_name, "aarch64") != 0) {
    fprintf(
        stderr, "kiln-qemu-icount: needs qemu-aarch64 (user mode), not %s%s\n",
        info->target_name, info->system_emulation ? " system emulation" : "");
    return -1;
  }
  for (int i = 0; i < argc; ++i) {
    const char *a = argv[i];
    if (strncmp(a, "out=", 4) == 0 && a[4]) {
      out_path = a + 4;
    } else if (strncmp(a, "start=", 6) == 0 && a[6]) {
      start_name = a + 6;
    } else if (strncmp(a, "stop=", 5) == 0 && a[5]) {
      stop_name = a + 5;
    } else {
      fprintf(stderr,
              "kiln-qemu-icount: unknown argument '%s' (expected out=PATH, "
              "start=SYMBOL|0xADDR, stop=SYMBOL|0xADDR)\n",
              a);
      return -1;
    }
  }
  if (!start_name != !stop_name) {
    fputs("kiln-qemu-icount: start= and stop= go together\n", stderr);
    return -1;
  }
  qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
  qemu_plugin_register_atexit_cb(id, at_exit, NULL);
  return 0;
}
