// The variant selector (selector.h): hand-made chains with known answers,
// random chains against exhaustive enumeration, malformed inputs, and the
// time of one re-selection on model-zoo-sized problems (printed, not
// asserted; see docs/runtime-selector.md).
extern "C" {
#include "selector.h"
}

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr uint32_t CPU = 0, GPU = 1, NNA = 2;

// A problem that owns its arrays.
struct Chain {
  uint32_t segments = 0;
  std::vector<kiln_sel_variant> variants;
  std::vector<uint64_t> borders; // segments + 1
  double usPerByte[3][3] = {};
  double fixedUs[3][3] = {};
  double ujPerByte[3][3] = {};

  kiln_sel_problem problem() const {
    kiln_sel_problem p{};
    p.num_segments = segments;
    p.variants = variants.data();
    p.num_variants = static_cast<uint32_t>(variants.size());
    p.border_bytes = borders.data();
    std::copy(&usPerByte[0][0], &usPerByte[0][0] + 9,
              &p.transfer_us_per_byte[0][0]);
    std::copy(&fixedUs[0][0], &fixedUs[0][0] + 9, &p.transfer_fixed_us[0][0]);
    std::copy(&ujPerByte[0][0], &ujPerByte[0][0] + 9,
              &p.transfer_uj_per_byte[0][0]);
    return p;
  }

  // Returns the variant's index.
  uint32_t add(uint32_t segment, uint32_t device, double latency,
               uint64_t weights = 0, uint64_t arena = 0, double error = 0,
               double energy = 0) {
    variants.push_back(
        {segment, device, latency, weights, arena, error, energy});
    return static_cast<uint32_t>(variants.size() - 1);
  }

  // Every border between two different devices costs fixed us (and
  // nothing per byte).
  void fixedTransfer(double us) {
    for (int a = 0; a < 3; ++a)
      for (int b = 0; b < 3; ++b)
        fixedUs[a][b] = a == b ? 0 : us;
  }
};

Chain chain(uint32_t segments) {
  Chain c;
  c.segments = segments;
  c.borders.assign(segments + 1, 0);
  return c;
}

kiln_sel_constraints noConstraints(uint32_t objective = KILN_SEL_MIN_LATENCY) {
  kiln_sel_constraints c{};
  c.max_error = -1;
  c.objective = objective;
  return c;
}

struct Selection {
  kiln_sel_status status = KILN_SEL_INVALID;
  std::vector<uint32_t> choice;
  kiln_sel_result result{};
};

Selection select(const Chain &chain, const kiln_sel_constraints &c,
                 uint32_t cap = 0) {
  kiln_sel_problem p = chain.problem();
  size_t size = kiln_sel_workspace_size(&p, cap);
  EXPECT_GT(size, 0u);
  std::vector<unsigned char> workspace(size);
  Selection s;
  s.choice.assign(chain.segments, UINT32_MAX);
  s.result.choice = s.choice.data();
  s.status =
      kiln_select(&p, &c, workspace.data(), workspace.size(), cap, &s.result);
  s.result.choice = nullptr; // s.choice may move
  return s;
}

using Choice = std::vector<uint32_t>;

// --- The reference: every choice, evaluated the way selector.h says. ---

struct Totals {
  double latency = 0, energy = 0, error = 0;
  uint64_t memory = 0;
  uint32_t devices = 0; // mask of the devices used
};

Totals evaluate(const Chain &c, const Choice &choice) {
  Totals t;
  uint64_t weights = 0, arena = 0;
  uint32_t from = CPU;
  for (uint32_t s = 0; s < c.segments; ++s) {
    const kiln_sel_variant &v = c.variants[choice[s]];
    double bytes = static_cast<double>(c.borders[s]);
    t.latency +=
        c.fixedUs[from][v.device] + bytes * c.usPerByte[from][v.device];
    t.latency += v.latency_us;
    t.energy += bytes * c.ujPerByte[from][v.device];
    t.energy += v.energy_uj;
    t.error += v.error;
    weights += v.weights_bytes;
    arena = std::max(arena, v.arena_bytes);
    t.devices |= 1u << v.device;
    from = v.device;
  }
  double bytes = static_cast<double>(c.borders[c.segments]);
  t.latency += c.fixedUs[from][CPU] + bytes * c.usPerByte[from][CPU];
  t.energy += bytes * c.ujPerByte[from][CPU];
  t.memory = weights + arena;
  return t;
}

bool feasible(const Totals &t, const kiln_sel_constraints &c) {
  uint32_t allowed = c.allowed_devices ? c.allowed_devices : 7u;
  return (t.devices & ~allowed) == 0 &&
         (c.memory_budget == 0 || t.memory <= c.memory_budget) &&
         (c.latency_target_us == 0 || t.latency <= c.latency_target_us) &&
         (c.max_error < 0 || t.error <= c.max_error);
}

// Strictly before in the order (the objective, then latency, memory,
// energy); the vector tie-break is the enumeration order.
bool before(const Totals &x, const Totals &y, uint32_t objective) {
  double xs[3] = {x.latency, static_cast<double>(x.memory), x.energy};
  double ys[3] = {y.latency, static_cast<double>(y.memory), y.energy};
  static const int keys[3][3] = {{0, 1, 2}, {1, 0, 2}, {2, 0, 1}};
  for (int k : keys[objective]) {
    if (k == 1 && x.memory != y.memory) // exact, past 2^53 too
      return x.memory < y.memory;
    if (xs[k] != ys[k])
      return xs[k] < ys[k];
  }
  return false;
}

// Every choice in lexicographic order of the index vector (segment 0 most
// significant, indices ascending); the first of the best wins.
bool bruteForce(const Chain &c, const kiln_sel_constraints &cons, Choice *best,
                Totals *bestTotals) {
  std::vector<std::vector<uint32_t>> bySegment(c.segments);
  for (uint32_t v = 0; v < c.variants.size(); ++v)
    bySegment[c.variants[v].segment].push_back(v);
  std::vector<size_t> digit(c.segments, 0);
  Choice choice(c.segments);
  bool found = false;
  for (;;) {
    for (uint32_t s = 0; s < c.segments; ++s)
      choice[s] = bySegment[s][digit[s]];
    Totals t = evaluate(c, choice);
    if (feasible(t, cons) &&
        (!found || before(t, *bestTotals, cons.objective))) {
      found = true;
      *best = choice;
      *bestTotals = t;
    }
    int s = static_cast<int>(c.segments) - 1;
    for (; s >= 0 && ++digit[s] == bySegment[s].size(); --s)
      digit[s] = 0;
    if (s < 0)
      return found;
  }
}

uint32_t bruteForceBinding(const Chain &c, const kiln_sel_constraints &cons) {
  Choice choice;
  Totals totals;
  uint32_t binding = 0;
  for (uint32_t bit :
       {KILN_SEL_DEVICES, KILN_SEL_MEMORY, KILN_SEL_LATENCY, KILN_SEL_ERROR}) {
    kiln_sel_constraints drop = cons;
    if (bit == KILN_SEL_DEVICES)
      drop.allowed_devices = 0;
    if (bit == KILN_SEL_MEMORY)
      drop.memory_budget = 0;
    if (bit == KILN_SEL_LATENCY)
      drop.latency_target_us = 0;
    if (bit == KILN_SEL_ERROR)
      drop.max_error = -1;
    if (bruteForce(c, drop, &choice, &totals))
      binding |= bit;
  }
  return binding ? binding : uint32_t(KILN_SEL_COMBINATION);
}

// --- Hand-made chains. ---

// Each segment is faster on the device the previous one is not on, but a
// move between devices costs more than it saves.
TEST(Selector, TransferCostKeepsOneDevice) {
  Chain c = chain(3);
  c.add(0, CPU, 10);
  c.add(0, GPU, 5);
  c.add(1, CPU, 5);
  c.add(1, GPU, 10);
  c.add(2, CPU, 10);
  c.add(2, GPU, 5);
  Selection free = select(c, noConstraints());
  ASSERT_EQ(free.status, KILN_SEL_OK);
  EXPECT_EQ(free.choice, (Choice{1, 2, 5})); // alternating: 15 us
  EXPECT_EQ(free.result.latency_us, 15);

  c.fixedTransfer(20);
  // Alternating: 4 moves (from and back to the app) + 15 = 95; all GPU:
  // 2 moves + 20 = 60; all CPU: 25.
  Selection costly = select(c, noConstraints());
  ASSERT_EQ(costly.status, KILN_SEL_OK);
  EXPECT_EQ(costly.choice, (Choice{0, 2, 4}));
  EXPECT_EQ(costly.result.latency_us, 25);
  EXPECT_EQ(costly.result.exact, 1u);
}

// Bytes cost too: per byte, and in energy.
TEST(Selector, BorderBytesAreCosted) {
  Chain c = chain(1);
  c.add(0, CPU, 100, 0, 0, 0, 100);
  c.add(0, NNA, 10, 0, 0, 0, 10);
  c.borders = {1000, 10};
  c.usPerByte[CPU][NNA] = c.usPerByte[NNA][CPU] = 0.05;
  c.ujPerByte[CPU][NNA] = c.ujPerByte[NNA][CPU] = 0.1;
  Selection s = select(c, noConstraints());
  ASSERT_EQ(s.status, KILN_SEL_OK);
  EXPECT_EQ(s.choice, (Choice{1})); // 10 + 50 + 0.5 < 100
  EXPECT_DOUBLE_EQ(s.result.latency_us, 60.5);
  EXPECT_DOUBLE_EQ(s.result.energy_uj, 10 + 100 + 1);
  // The NNA's own 10 uJ are less, but not with the bytes moved.
  s = select(c, noConstraints(KILN_SEL_MIN_ENERGY));
  ASSERT_EQ(s.status, KILN_SEL_OK);
  EXPECT_EQ(s.choice, (Choice{0}));
  EXPECT_EQ(s.result.energy_uj, 100);

  c.borders = {2000, 10}; // now 10 + 100 + 0.5 > 100
  s = select(c, noConstraints());
  ASSERT_EQ(s.status, KILN_SEL_OK);
  EXPECT_EQ(s.choice, (Choice{0}));
  EXPECT_EQ(s.result.latency_us, 100);
}

// fp32 is faster but its weights do not fit; the int8 variant does.
TEST(Selector, MemoryBudgetForcesSmallWeights) {
  Chain c = chain(2);
  uint32_t fp32a = c.add(0, CPU, 10, 4000, 500, 0);
  uint32_t int8a = c.add(0, CPU, 12, 1000, 250, 0.01);
  uint32_t fp32b = c.add(1, CPU, 10, 4000, 500, 0);
  uint32_t int8b = c.add(1, CPU, 12, 1000, 250, 0.01);
  Selection s = select(c, noConstraints());
  ASSERT_EQ(s.status, KILN_SEL_OK);
  EXPECT_EQ(s.choice, (Choice{fp32a, fp32b}));
  EXPECT_EQ(s.result.memory_bytes, 8500u);

  kiln_sel_constraints budget = noConstraints();
  budget.memory_budget = 5500; // one fp32 segment fits: 4000 + 1000 + 500
  s = select(c, budget);
  ASSERT_EQ(s.status, KILN_SEL_OK);
  EXPECT_EQ(s.choice, (Choice{fp32a, int8b}));
  EXPECT_EQ(s.result.memory_bytes, 5500u);
  EXPECT_EQ(s.result.latency_us, 22);
  EXPECT_DOUBLE_EQ(s.result.error, 0.01);

  budget.memory_budget = 2250;
  s = select(c, budget);
  ASSERT_EQ(s.status, KILN_SEL_OK);
  EXPECT_EQ(s.choice, (Choice{int8a, int8b}));

  // The same at the least memory, whatever the budget.
  s = select(c, noConstraints(KILN_SEL_MIN_MEMORY));
  ASSERT_EQ(s.status, KILN_SEL_OK);
  EXPECT_EQ(s.choice, (Choice{int8a, int8b}));
  EXPECT_EQ(s.result.memory_bytes, 2250u);

  // Accuracy first: no int8 at all; the budget cannot be met then.
  budget.max_error = 0.005;
  s = select(c, budget);
  EXPECT_EQ(s.status, KILN_SEL_INFEASIBLE);
  EXPECT_EQ(s.result.binding, unsigned(KILN_SEL_MEMORY | KILN_SEL_ERROR));
}

TEST(Selector, UnreachableLatencyTargetIsBinding) {
  Chain c = chain(2);
  c.add(0, CPU, 10);
  c.add(0, GPU, 4);
  c.add(1, CPU, 10);
  c.add(1, GPU, 4);
  c.fixedTransfer(1);
  kiln_sel_constraints target = noConstraints();
  target.latency_target_us = 10; // the best is 4 + 4 + 2 moves = 10
  Selection s = select(c, target);
  ASSERT_EQ(s.status, KILN_SEL_OK);
  EXPECT_EQ(s.choice, (Choice{1, 3}));

  target.latency_target_us = 9.5;
  s = select(c, target);
  EXPECT_EQ(s.status, KILN_SEL_INFEASIBLE);
  EXPECT_EQ(s.result.binding, unsigned(KILN_SEL_LATENCY));
  EXPECT_EQ(s.result.exact, 1u);
  EXPECT_EQ(s.choice, (Choice{UINT32_MAX, UINT32_MAX})); // untouched

  // With the GPU off as well, either constraint alone is to blame.
  target.latency_target_us = 12;
  target.allowed_devices = 1u << CPU;
  s = select(c, target);
  EXPECT_EQ(s.status, KILN_SEL_INFEASIBLE);
  EXPECT_EQ(s.result.binding, unsigned(KILN_SEL_LATENCY | KILN_SEL_DEVICES));

  // Neither alone: each of two constraints rules out everything.
  target.allowed_devices = 0;
  target.latency_target_us = 5;
  target.memory_budget = 1;
  c.variants[0].weights_bytes = c.variants[1].weights_bytes = 2;
  s = select(c, target);
  EXPECT_EQ(s.status, KILN_SEL_INFEASIBLE);
  EXPECT_EQ(s.result.binding, unsigned(KILN_SEL_COMBINATION));
}

TEST(Selector, DisallowedGpuPicksOthers) {
  Chain c = chain(2);
  c.add(0, GPU, 1);
  c.add(0, CPU, 9);
  c.add(0, NNA, 5, 0, 0, 0.02);
  c.add(1, GPU, 1);
  c.add(1, NNA, 5, 0, 0, 0.02);
  c.add(1, CPU, 9);
  Selection s = select(c, noConstraints());
  ASSERT_EQ(s.status, KILN_SEL_OK);
  EXPECT_EQ(s.choice, (Choice{0, 3}));

  kiln_sel_constraints noGpu = noConstraints();
  noGpu.allowed_devices = (1u << CPU) | (1u << NNA);
  s = select(c, noGpu);
  ASSERT_EQ(s.status, KILN_SEL_OK);
  EXPECT_EQ(s.choice, (Choice{2, 4}));

  noGpu.max_error = 0.03; // one NNA segment at most
  s = select(c, noGpu);
  ASSERT_EQ(s.status, KILN_SEL_OK);
  EXPECT_EQ(s.choice, (Choice{1, 4})); // 9 + 5 either way; lexicographic
  EXPECT_EQ(s.result.latency_us, 14);
}

// A session's device fails: select again without it, on the same
// workspace.
TEST(Selector, FailedDeviceMaskedOutReselects) {
  Chain c = chain(3);
  for (uint32_t s = 0; s < 3; ++s) {
    c.add(s, CPU, 30, 100, 10, 0, 30);
    c.add(s, GPU, 12, 100, 10, 0.001, 40);
    c.add(s, NNA, 5, 25, 10, 0.004, 3);
  }
  c.fixedTransfer(4);
  kiln_sel_problem p = c.problem();
  std::vector<unsigned char> workspace(kiln_sel_workspace_size(&p, 0));
  Choice choice(3);
  kiln_sel_result r{};
  r.choice = choice.data();
  kiln_sel_constraints cons = noConstraints();
  ASSERT_EQ(kiln_select(&p, &cons, workspace.data(), workspace.size(), 0, &r),
            KILN_SEL_OK);
  EXPECT_EQ(choice, (Choice{2, 5, 8}));
  EXPECT_EQ(r.latency_us, 15 + 8);

  cons.allowed_devices = 7u & ~(1u << NNA);
  ASSERT_EQ(kiln_select(&p, &cons, workspace.data(), workspace.size(), 0, &r),
            KILN_SEL_OK);
  EXPECT_EQ(choice, (Choice{1, 4, 7}));
  EXPECT_EQ(r.latency_us, 36 + 8);

  cons.allowed_devices = 1u << CPU; // and then the GPU too
  ASSERT_EQ(kiln_select(&p, &cons, workspace.data(), workspace.size(), 0, &r),
            KILN_SEL_OK);
  EXPECT_EQ(choice, (Choice{0, 3, 6}));
  EXPECT_EQ(r.latency_us, 90);

  // A mask naming no existing device allows nothing.
  cons.allowed_devices = 1u << 5;
  EXPECT_EQ(kiln_select(&p, &cons, workspace.data(), workspace.size(), 0, &r),
            KILN_SEL_INFEASIBLE);
  EXPECT_EQ(r.binding, unsigned(KILN_SEL_DEVICES));
}

// Segments share one arena: memory is the weights plus the largest arena.
TEST(Selector, ArenaIsTheMaximumNotTheSum) {
  Chain c = chain(3);
  c.add(0, CPU, 1, 10, 100);
  c.add(1, CPU, 1, 10, 300);
  c.add(2, CPU, 1, 10, 200);
  kiln_sel_constraints budget = noConstraints();
  budget.memory_budget = 330;
  Selection s = select(c, budget);
  ASSERT_EQ(s.status, KILN_SEL_OK);
  EXPECT_EQ(s.result.memory_bytes, 330u);
  budget.memory_budget = 329;
  s = select(c, budget);
  EXPECT_EQ(s.status, KILN_SEL_INFEASIBLE);
  EXPECT_EQ(s.result.binding, unsigned(KILN_SEL_MEMORY));
}

// Equal objectives fall to latency, then memory, then energy, then the
// smallest index vector; the variants' order in the array does not matter.
TEST(Selector, TiesAreBrokenDeterministically) {
  Chain c = chain(2);
  c.add(1, CPU, 5); // 0
  c.add(0, CPU, 5); // 1
  c.add(1, CPU, 5); // 2: a copy of 0
  c.add(0, CPU, 5); // 3: a copy of 1
  Selection s = select(c, noConstraints());
  ASSERT_EQ(s.status, KILN_SEL_OK);
  EXPECT_EQ(s.choice, (Choice{1, 0}));

  // Least energy: both 7, then latency decides, then memory, then energy
  // cannot (equal objective), then the indices.
  Chain e = chain(1);
  e.add(0, CPU, 9, 0, 0, 0, 7);  // 0
  e.add(0, GPU, 8, 5, 0, 0, 7);  // 1
  e.add(0, NNA, 8, 3, 0, 0, 7);  // 2
  e.add(0, CPU, 8, 3, 0, 0, 7);  // 3
  e.add(0, CPU, 30, 0, 0, 0, 8); // 4
  s = select(e, noConstraints(KILN_SEL_MIN_ENERGY));
  ASSERT_EQ(s.status, KILN_SEL_OK);
  EXPECT_EQ(s.choice, (Choice{2}));
  // Least memory: 0 and 4 (0 bytes); latency picks 0.
  s = select(e, noConstraints(KILN_SEL_MIN_MEMORY));
  EXPECT_EQ(s.choice, (Choice{0}));
  // Least latency: 1, 2, 3 (8 us); memory picks 2 and 3; 2 first.
  s = select(e, noConstraints());
  EXPECT_EQ(s.choice, (Choice{2}));
  // Same answer every time.
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(select(e, noConstraints()).choice, (Choice{2}));
}

// At a cap of one label per segment the search is greedy and says so.
TEST(Selector, LabelCapClearsExact) {
  Chain c = chain(2);
  c.add(0, CPU, 1, 10); // 0: fast, big
  c.add(0, CPU, 5, 1);  // 1: slow, small
  c.add(1, CPU, 1, 10); // 2
  c.add(1, CPU, 5, 1);  // 3
  kiln_sel_constraints budget = noConstraints();
  budget.memory_budget = 12;
  Selection exact = select(c, budget);
  ASSERT_EQ(exact.status, KILN_SEL_OK);
  EXPECT_EQ(exact.choice, (Choice{0, 3})); // ties {1, 2} on every total
  EXPECT_EQ(exact.result.exact, 1u);
  Selection capped = select(c, budget, 1);
  ASSERT_EQ(capped.status, KILN_SEL_OK);
  EXPECT_EQ(capped.choice, (Choice{0, 3}));
  EXPECT_EQ(capped.result.exact, 0u);
  EXPECT_LE(capped.result.memory_bytes, 12u);
}

TEST(Selector, WorkspaceOfAnyAlignment) {
  Chain c = chain(2);
  c.add(0, CPU, 1);
  c.add(1, GPU, 1);
  kiln_sel_problem p = c.problem();
  size_t size = kiln_sel_workspace_size(&p, 0);
  std::vector<unsigned char> workspace(size + 16);
  Choice choice(2);
  kiln_sel_result r{};
  r.choice = choice.data();
  for (size_t offset = 0; offset < 16; ++offset) {
    ASSERT_EQ(kiln_select(&p, nullptr, workspace.data() + offset, size, 0, &r),
              KILN_SEL_OK)
        << offset;
    EXPECT_EQ(choice, (Choice{0, 1}));
  }
}

// --- Malformed input. ---

TEST(Selector, InvalidInputs) {
  Chain good = chain(2);
  good.add(0, CPU, 1);
  good.add(1, CPU, 1);
  ASSERT_EQ(select(good, noConstraints()).status, KILN_SEL_OK);

  auto expectInvalid = [](const Chain &c, const kiln_sel_constraints &cons,
                          const char *what) {
    kiln_sel_problem p = c.problem();
    // Enough workspace whatever the problem (it may not be sizeable).
    std::vector<unsigned char> workspace(1 << 20);
    Choice choice(c.segments + 1, 7);
    kiln_sel_result r{};
    r.choice = choice.data();
    r.binding = 99;
    EXPECT_EQ(kiln_select(&p, &cons, workspace.data(), workspace.size(), 0, &r),
              KILN_SEL_INVALID)
        << what;
    EXPECT_EQ(r.binding, 99u) << what << ": *out touched";
  };
  double nan = std::numeric_limits<double>::quiet_NaN();
  double inf = std::numeric_limits<double>::infinity();

  Chain c = good;
  c.variants[1].segment = 0;
  expectInvalid(c, noConstraints(), "a segment without variants");
  c = good;
  c.variants[1].segment = 2;
  expectInvalid(c, noConstraints(), "segment out of range");
  c = good;
  c.variants[0].device = 3;
  expectInvalid(c, noConstraints(), "device 3");
  c = good;
  c.variants[0].latency_us = nan;
  expectInvalid(c, noConstraints(), "NaN latency");
  c = good;
  c.variants[0].latency_us = inf;
  expectInvalid(c, noConstraints(), "infinite latency");
  c = good;
  c.variants[0].error = -0.1;
  expectInvalid(c, noConstraints(), "negative error");
  c = good;
  c.variants[1].energy_uj = -1;
  expectInvalid(c, noConstraints(), "negative energy");
  c = good;
  c.usPerByte[0][1] = -1;
  expectInvalid(c, noConstraints(), "negative transfer cost");
  c = good;
  c.fixedUs[2][0] = nan;
  expectInvalid(c, noConstraints(), "NaN transfer cost");
  c = good;
  c.ujPerByte[1][1] = inf;
  expectInvalid(c, noConstraints(), "infinite transfer energy");
  c = good;
  c.variants[0].weights_bytes = UINT64_MAX / 2;
  c.variants[1].weights_bytes = UINT64_MAX / 2;
  c.variants[1].arena_bytes = 2;
  expectInvalid(c, noConstraints(), "memory overflows");
  c = chain(0);
  expectInvalid(c, noConstraints(), "no segments");

  kiln_sel_constraints cons = noConstraints();
  cons.latency_target_us = -1;
  expectInvalid(good, cons, "negative latency target");
  cons = noConstraints();
  cons.latency_target_us = nan;
  expectInvalid(good, cons, "NaN latency target");
  cons = noConstraints();
  cons.max_error = nan;
  expectInvalid(good, cons, "NaN max error");
  cons = noConstraints();
  cons.objective = 3;
  expectInvalid(good, cons, "objective 3");

  kiln_sel_problem p = good.problem();
  for (uint32_t cap : {0u, 1u, 100u}) {
    size_t size = kiln_sel_workspace_size(&p, cap);
    ASSERT_GT(size, 0u);
    std::vector<unsigned char> workspace(size);
    Choice choice(2);
    kiln_sel_result r{};
    r.choice = choice.data();
    EXPECT_EQ(kiln_select(&p, nullptr, workspace.data(), size - 1, cap, &r),
              KILN_SEL_INVALID)
        << "workspace one byte short, cap " << cap;
    EXPECT_EQ(kiln_select(&p, nullptr, workspace.data(), size, cap, &r),
              KILN_SEL_OK);
    EXPECT_EQ(kiln_select(&p, nullptr, nullptr, size, cap, &r),
              KILN_SEL_INVALID);
    EXPECT_EQ(kiln_select(nullptr, nullptr, workspace.data(), size, cap, &r),
              KILN_SEL_INVALID);
    EXPECT_EQ(kiln_select(&p, nullptr, workspace.data(), size, cap, nullptr),
              KILN_SEL_INVALID);
    r.choice = nullptr;
    EXPECT_EQ(kiln_select(&p, nullptr, workspace.data(), size, cap, &r),
              KILN_SEL_INVALID);
  }
  EXPECT_EQ(kiln_sel_workspace_size(nullptr, 0), 0u);
  kiln_sel_problem empty = chain(0).problem();
  EXPECT_EQ(kiln_sel_workspace_size(&empty, 0), 0u);
  // A cap that makes the candidate indices overflow 32 bits.
  Chain wide = chain(1);
  for (int i = 0; i < 4; ++i)
    wide.add(0, CPU, 1);
  kiln_sel_problem w = wide.problem();
  EXPECT_EQ(kiln_sel_workspace_size(&w, UINT32_MAX), 0u);
}

// --- Random chains against exhaustive enumeration. ---

// Integral numbers make many exact ties (and sums without rounding), so
// that the tie-break is exercised; real ones are the common case.
Chain randomChain(std::mt19937_64 &rng, bool integral, uint64_t maxSegments,
                  uint64_t maxVariants, uint64_t minSegments = 1) {
  auto uniform = [&](double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(rng);
  };
  auto integer = [&](uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
  };
  Chain c = chain(static_cast<uint32_t>(integer(minSegments, maxSegments)));
  for (uint32_t s = 0; s < c.segments; ++s) {
    uint64_t n = integer(1, maxVariants);
    for (uint64_t k = 0; k < n; ++k) {
      uint32_t device = static_cast<uint32_t>(integer(0, 2));
      if (integral)
        c.add(s, device, double(integer(0, 6)), integer(0, 4), integer(0, 4),
              double(integer(0, 3)), double(integer(0, 6)));
      else
        c.add(s, device, uniform(1, 100), integer(1000, 1000000),
              integer(1000, 1000000), uniform(0, 0.05), uniform(1, 500));
    }
  }
  std::shuffle(c.variants.begin(), c.variants.end(), rng);
  for (uint64_t &b : c.borders)
    b = integral ? integer(0, 3) : integer(0, 2000000);
  static const double halves[] = {0, 0.5, 1, 2};
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) {
      bool free = a == b && integer(0, 4) != 0;
      if (free)
        continue;
      if (integral) {
        c.usPerByte[a][b] = halves[integer(0, 3)];
        c.fixedUs[a][b] = double(integer(0, 3));
        c.ujPerByte[a][b] = halves[integer(0, 3)];
      } else {
        c.usPerByte[a][b] = uniform(0, 1e-4);
        c.fixedUs[a][b] = uniform(0, 50);
        c.ujPerByte[a][b] = uniform(0, 1e-4);
      }
    }
  return c;
}

// Each constraint unset half the time, else near a random choice's totals
// (a little under or over), so that about half the chains are infeasible.
kiln_sel_constraints randomConstraints(std::mt19937_64 &rng, const Chain &c,
                                       bool integral) {
  auto coin = [&] { return std::uniform_int_distribution<int>(0, 1)(rng); };
  auto factor = [&] {
    return std::uniform_real_distribution<double>(0.7, 1.3)(rng);
  };
  Choice any(c.segments);
  for (uint32_t s = 0; s < c.segments; ++s) {
    std::vector<uint32_t> mine;
    for (uint32_t v = 0; v < c.variants.size(); ++v)
      if (c.variants[v].segment == s)
        mine.push_back(v);
    any[s] =
        mine[std::uniform_int_distribution<size_t>(0, mine.size() - 1)(rng)];
  }
  Totals t = evaluate(c, any);
  auto near = [&](double x) {
    return integral ? std::round(x * factor()) : x * factor();
  };
  kiln_sel_constraints cons = noConstraints(
      static_cast<uint32_t>(std::uniform_int_distribution<int>(0, 2)(rng)));
  if (coin())
    cons.memory_budget = static_cast<uint64_t>(near(double(t.memory)));
  if (coin())
    cons.latency_target_us = near(t.latency);
  if (coin())
    cons.max_error = near(t.error);
  if (coin())
    cons.allowed_devices =
        static_cast<uint32_t>(std::uniform_int_distribution<int>(1, 7)(rng));
  return cons;
}

// Checks one selection against the reference. At a small cap (the search
// then goes through its quick searches, multipliers and bounded exact
// search even on small chains) an inexact answer must still be feasible and
// its totals right. Returns whether the answer claimed to be exact.
struct Tally {
  int feasible = 0, infeasible = 0, multiBinding = 0, inexact = 0;
};

void checkAgainstBruteForce(const Chain &c, const kiln_sel_constraints &cons,
                            uint32_t cap, Tally *tally) {
  Choice expected;
  Totals totals;
  bool feasibleRef = bruteForce(c, cons, &expected, &totals);
  Selection s = select(c, cons, cap);
  ASSERT_NE(s.status, KILN_SEL_INVALID);
  if (cap == 0) {
    EXPECT_EQ(s.result.exact, 1u);
  }
  if (s.status == KILN_SEL_OK) {
    // Whatever the cap: a feasible choice with its own totals.
    Totals own = evaluate(c, s.choice);
    EXPECT_TRUE(feasible(own, cons));
    EXPECT_DOUBLE_EQ(s.result.latency_us, own.latency);
    EXPECT_DOUBLE_EQ(s.result.energy_uj, own.energy);
    EXPECT_DOUBLE_EQ(s.result.error, own.error);
    EXPECT_EQ(s.result.memory_bytes, own.memory);
    EXPECT_EQ(s.result.binding, 0u);
  }
  if (!s.result.exact) {
    ++tally->inexact;
    return;
  }
  if (feasibleRef) {
    ++tally->feasible;
    ASSERT_EQ(s.status, KILN_SEL_OK);
    ASSERT_EQ(s.choice, expected);
  } else {
    ++tally->infeasible;
    ASSERT_EQ(s.status, KILN_SEL_INFEASIBLE);
    uint32_t binding = bruteForceBinding(c, cons);
    EXPECT_EQ(s.result.binding, binding);
    tally->multiBinding +=
        (binding & (binding - 1)) != 0 || binding == KILN_SEL_COMBINATION;
  }
}

TEST(Selector, MatchesBruteForceOnRandomChains) {
  std::mt19937_64 rng(20240909);
  Tally byCap[3];
  const uint32_t caps[3] = {0, 6, 3};
  for (int seed = 0; seed < 2000; ++seed) {
    bool integral = seed % 2 == 0;
    Chain c = randomChain(rng, integral, 6, 5);
    kiln_sel_constraints cons = randomConstraints(rng, c, integral);
    for (int k = 0; k < 3; ++k) {
      SCOPED_TRACE("case " + std::to_string(seed) + " cap " +
                   std::to_string(caps[k]));
      checkAgainstBruteForce(c, cons, caps[k], &byCap[k]);
      if (HasFatalFailure())
        return;
    }
  }
  // The generator makes both kinds (and bindings of more than one bit).
  const Tally &all = byCap[0];
  EXPECT_EQ(all.inexact, 0);
  EXPECT_GT(all.feasible, 500);
  EXPECT_GT(all.infeasible, 300);
  EXPECT_GT(all.multiBinding, 20);
  for (int k = 0; k < 3; ++k)
    std::printf("[          ] cap %u: %d feasible, %d infeasible (%d with "
                "a binding of several or a combination), %d inexact\n",
                caps[k], byCap[k].feasible, byCap[k].infeasible,
                byCap[k].multiBinding, byCap[k].inexact);
}

// Longer chains, where the default cap's quick search no longer keeps
// every label and the bounded exact search decides.
TEST(Selector, MatchesBruteForceOnLongerChains) {
  std::mt19937_64 rng(99);
  Tally tally;
  for (int seed = 0; seed < 60; ++seed) {
    bool integral = seed % 3 == 0;
    Chain c = randomChain(rng, integral, 8, 4, 8);
    kiln_sel_constraints cons = randomConstraints(rng, c, integral);
    SCOPED_TRACE("case " + std::to_string(seed));
    checkAgainstBruteForce(c, cons, 0, &tally);
    if (HasFatalFailure())
      return;
  }
  EXPECT_EQ(tally.inexact, 0);
  EXPECT_GT(tally.feasible, 15);
  EXPECT_GT(tally.infeasible, 10);
}

// Totals that add up to infinity (huge borders, energies at DBL_MAX, as a
// session may pass for a variant it cannot estimate) still order choices
// as the reference does, through every step of the search.
TEST(Selector, InfiniteTotalsStayOrdered) {
  std::mt19937_64 rng(7);
  Tally tally;
  for (int seed = 0; seed < 200; ++seed) {
    Chain c = randomChain(rng, false, 6, 5);
    for (kiln_sel_variant &v : c.variants)
      if (rng() % 4 == 0)
        v.energy_uj = std::numeric_limits<double>::max();
    for (uint64_t &b : c.borders)
      if (rng() % 4 == 0)
        b = UINT64_MAX;
    c.usPerByte[0][1] = c.usPerByte[1][0] = 1e300;
    kiln_sel_constraints cons = randomConstraints(rng, c, false);
    for (uint32_t cap : {0u, 3u}) {
      SCOPED_TRACE("case " + std::to_string(seed) + " cap " +
                   std::to_string(cap));
      checkAgainstBruteForce(c, cons, cap, &tally);
      if (HasFatalFailure())
        return;
    }
  }
  EXPECT_GT(tally.feasible, 50);
}

// --- Re-selection time (printed, not asserted). ---

// Six variants a segment as kilnc would offer them: fp32 on 1 and 4 CPU
// threads, int8 and pruned on the CPU, the GPU, the NNA. base_us is the
// fp32 one-thread latency, weights and arena its bytes.
struct SegmentSize {
  double base_us;
  uint64_t weights;
  uint64_t arena;
};

Chain modelChain(const std::vector<SegmentSize> &segments,
                 const std::vector<uint64_t> &borders) {
  Chain c = chain(static_cast<uint32_t>(segments.size()));
  c.borders = borders;
  for (uint32_t s = 0; s < c.segments; ++s) {
    const SegmentSize &z = segments[s];
    double l = z.base_us;
    // Energy: about 1 W for one core, 3.5 W for four, 2.5 W for the GPU,
    // 0.3 W for the NNA (uJ = W * us).
    c.add(s, CPU, l, z.weights, z.arena, 0, l);
    c.add(s, CPU, l / 3.2, z.weights, z.arena, 0, l / 3.2 * 3.5);
    c.add(s, CPU, l / 2.4, z.weights / 4, z.arena / 4, 0.004, l / 2.4);
    c.add(s, CPU, l / 1.5, z.weights / 2, z.arena, 0.002, l / 1.5);
    c.add(s, GPU, l / 6 + 150, z.weights, z.arena, 0.0005, (l / 6 + 150) * 2.5);
    c.add(s, NNA, l / 20 + 40, z.weights / 4, z.arena / 4, 0.008,
          (l / 20 + 40) * 0.3);
  }
  // Host memory borders: CPU<->GPU 8 GB/s + 30 us, CPU<->NNA 4 GB/s + 15
  // us, GPU<->NNA through the host.
  c.fixedUs[CPU][GPU] = c.fixedUs[GPU][CPU] = 30;
  c.fixedUs[CPU][NNA] = c.fixedUs[NNA][CPU] = 15;
  c.fixedUs[GPU][NNA] = c.fixedUs[NNA][GPU] = 45;
  c.usPerByte[CPU][GPU] = c.usPerByte[GPU][CPU] = 1.0 / 8000;
  c.usPerByte[CPU][NNA] = c.usPerByte[NNA][CPU] = 1.0 / 4000;
  c.usPerByte[GPU][NNA] = c.usPerByte[NNA][GPU] = 1.0 / 8000 + 1.0 / 4000;
  c.ujPerByte[CPU][GPU] = c.ujPerByte[GPU][CPU] = 2e-5;
  c.ujPerByte[CPU][NNA] = c.ujPerByte[NNA][CPU] = 1e-5;
  c.ujPerByte[GPU][NNA] = c.ujPerByte[NNA][GPU] = 3e-5;
  return c;
}

// MobileNetV2 at 224x224 in 10 segments (stem, the 7 bottleneck stages
// with the 16/24 and 160/320 stages paired differently, head, classifier):
// about 25 ms and 14 MB of fp32 weights in all.
Chain mobileNetV2() {
  return modelChain({{2500, 4000, 2408448},
                     {2000, 20000, 2408448},
                     {3500, 200000, 1204224},
                     {3000, 600000, 401408},
                     {2500, 1100000, 200704},
                     {2500, 2200000, 150528},
                     {3000, 3200000, 94080},
                     {2000, 1600000, 125440},
                     {1500, 1700000, 313600},
                     {1000, 5100000, 254880}},
                    {602112, 1605632, 802816, 301056, 100352, 50176, 75264,
                     31360, 62720, 250880, 4000});
}

// ResNet18 at 224x224 in 12 segments (stem, 8 basic blocks, pool, fc
// split in two): about 60 ms and 47 MB of fp32 weights in all.
Chain resNet18() {
  return modelChain({{9000, 37632, 4816896},
                     {1000, 0, 3211264},
                     {6000, 295936, 1605632},
                     {6000, 295936, 1605632},
                     {5500, 1181696, 1204224},
                     {5500, 1181696, 802816},
                     {5500, 4722688, 602112},
                     {5500, 4722688, 401408},
                     {5500, 18882560, 301056},
                     {5000, 18882560, 200704},
                     {200, 0, 100352},
                     {900, 2052000, 104352}},
                    {602112, 3211264, 802816, 802816, 802816, 401408, 401408,
                     200704, 200704, 100352, 100352, 2048, 4000});
}

double fp32Memory(const Chain &c) {
  Choice fp32;
  for (uint32_t v = 0; v < c.variants.size(); v += 6)
    fp32.push_back(v);
  return double(evaluate(c, fp32).memory);
}

// 10000 selections per scenario, or as many as fit in 2 s (sanitizer
// builds). The mean goes to docs/runtime-selector.md.
TEST(SelectorBench, ModelZooSized) {
  struct Model {
    const char *name;
    Chain chain;
  } models[] = {{"mobilenetv2", mobileNetV2()}, {"resnet18", resNet18()}};
  constexpr int maxCalls = 10000;
  constexpr double maxSeconds = 2;
  for (Model &m : models) {
    kiln_sel_problem p = m.chain.problem();
    size_t size = kiln_sel_workspace_size(&p, 0);
    std::vector<unsigned char> workspace(size);
    Choice choice(m.chain.segments);
    kiln_sel_result r{};
    r.choice = choice.data();

    kiln_sel_constraints fastest = noConstraints();
    kiln_sel_constraints frugal = noConstraints(KILN_SEL_MIN_ENERGY);
    frugal.memory_budget = static_cast<uint64_t>(0.6 * fp32Memory(m.chain));
    frugal.max_error = 0.03;
    frugal.latency_target_us = 20000;
    kiln_sel_constraints nnaFailed = noConstraints();
    nnaFailed.allowed_devices = (1u << CPU) | (1u << GPU);
    nnaFailed.memory_budget = frugal.memory_budget;
    nnaFailed.max_error = 0.02;
    // No choice is this fast on the CPU: four searches, one per dropped
    // constraint, to name the binding ones.
    kiln_sel_constraints tooFast = nnaFailed;
    tooFast.allowed_devices = 1u << CPU;
    tooFast.latency_target_us = 1000;
    struct Scenario {
      const char *name;
      kiln_sel_constraints cons;
      kiln_sel_status expected;
    } scenarios[] = {
        {"min latency, no constraints", fastest, KILN_SEL_OK},
        {"min energy, memory+error+latency", frugal, KILN_SEL_OK},
        {"NNA failed, memory+error", nnaFailed, KILN_SEL_OK},
        {"infeasible, binding report", tooFast, KILN_SEL_INFEASIBLE}};
    for (const Scenario &sc : scenarios) {
      auto start = std::chrono::steady_clock::now();
      double seconds = 0;
      int calls = 0;
      while (calls < maxCalls && seconds < maxSeconds) {
        for (int i = 0; i < 100; ++i)
          kiln_select(&p, &sc.cons, workspace.data(), size, 0, &r);
        calls += 100;
        seconds = std::chrono::duration<double>(
                      std::chrono::steady_clock::now() - start)
                      .count();
      }
      kiln_sel_status status =
          kiln_select(&p, &sc.cons, workspace.data(), size, 0, &r);
      EXPECT_EQ(status, sc.expected) << m.name << ": " << sc.name;
      EXPECT_EQ(r.exact, 1u) << m.name << ": " << sc.name;
      std::printf("[  bench   ] %s (%u segments x 6 variants, %zu KiB "
                  "workspace), %s: %.1f us per selection over %d (",
                  m.name, m.chain.segments, size / 1024, sc.name,
                  seconds * 1e6 / calls, calls);
      if (status == KILN_SEL_OK)
        std::printf("%.0f us, %.1f MB, error %.3f, %.0f uJ)\n", r.latency_us,
                    r.memory_bytes / 1e6, r.error, r.energy_uj);
      else
        std::printf("binding 0x%x)\n", r.binding);
    }
  }
}

} // namespace
