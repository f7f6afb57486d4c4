#include "siting/supply.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include <tbb/parallel_for.h>

#include "siting/search.hpp"

namespace ut::siting {

namespace {

// Sums of up to `candidates` supplies, each up to core::kFixedMaxRaw, and weight x supply
// products: beyond int64.
__extension__ typedef __int128 Wide;

// What greedy and the swaps maximise: the residents meeting the norm, then the shortfall filled
// (the resident-weighted supply added below each element's need).
struct Score {
  std::uint64_t met = 0;
  Wide filled = 0;
  friend Score operator+(Score a, Score b) { return {a.met + b.met, a.filled + b.filled}; }
  friend Score operator-(Score a, Score b) { return {a.met - b.met, a.filled - b.filled}; }
  friend bool operator<(Score a, Score b) { return a.met != b.met ? a.met < b.met : a.filled < b.filled; }
  friend bool operator>(Score a, Score b) { return b < a; }
};
std::uint64_t weight(Score s) { return s.met; }

// The supply objective's state: the supply the chosen candidates add to each element.
struct SupplyState {
  const SupplyProblem& p;
  std::vector<Wide> sum;
  explicit SupplyState(const SupplyProblem& problem) : p(problem), sum(problem.weight.size(), 0) {}
  std::size_t size() const { return p.adds.size(); }
  bool met(std::uint32_t e, Wide s) const { return s >= p.need[e]; }
  std::uint64_t gain(std::uint32_t c) const {
    std::uint64_t g = 0;
    for (const auto& a : p.adds[c])
      if (!met(a.element, sum[a.element]) && met(a.element, sum[a.element] + a.supply)) g += p.weight[a.element];
    return g;
  }
  Score key(std::uint32_t c) const {
    Score s;
    for (const auto& a : p.adds[c]) {
      const Wide need = p.need[a.element], before = sum[a.element];
      if (before >= need) continue;
      const Wide after = std::min(before + a.supply, need);
      if (after == need) s.met += p.weight[a.element];
      s.filled += static_cast<Wide>(p.weight[a.element]) * (after - before);
    }
    return s;
  }
  void add(std::uint32_t c) {
    for (const auto& a : p.adds[c]) sum[a.element] += a.supply;
  }
  Score remove(std::uint32_t c) {
    Score loss;
    for (const auto& a : p.adds[c]) {
      const Wide need = p.need[a.element], before = sum[a.element];
      sum[a.element] -= a.supply;
      if (met(a.element, before) && !met(a.element, sum[a.element])) loss.met += p.weight[a.element];
      loss.filled += static_cast<Wide>(p.weight[a.element]) * (std::min(before, need) - std::min(sum[a.element], need));
    }
    return loss;
  }
};

}  // namespace

std::uint64_t met_weight(const SupplyProblem& p, const std::vector<std::uint32_t>& set) {
  SupplyState st(p);
  return detail::set_weight(st, set);
}

Solution supply_greedy(const SupplyProblem& p, std::size_t k) {
  detail::check_k(k, p.adds.size());
  SupplyState st(p);
  Solution s;
  detail::greedy_order(st, detail::indices(p.adds.size()), k, s);
  s.greedy_total = s.total;
  return s;
}

Solution supply_solve(const SupplyProblem& p, std::size_t k, std::size_t starts) {
  const Solution g = supply_greedy(p, k);
  Solution best = detail::improved<SupplyState>(p, g);
  // The other starts: greedy with one of the best single candidates forced first (greedy's own
  // first choice is the best), each improved by the swap search; in parallel, each into its own
  // slot, the best taken in start order (ties to the earlier start): the same for any threads.
  std::vector<std::uint32_t> order = detail::indices(p.adds.size());
  {
    SupplyState st(p);
    std::vector<Score> solo(order.size());
    for (std::uint32_t c : order) solo[c] = st.key(c);
    std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return solo[b] < solo[a]; });
  }
  const std::size_t n = std::min(starts, order.size());
  std::vector<Solution> tries(n);
  tbb::parallel_for(std::size_t{1}, n, [&](std::size_t i) {
    SupplyState st(p);
    Solution s;
    const std::uint32_t first = order[i];
    s.chosen.push_back(first);
    s.gain.push_back(st.gain(first));
    s.total = s.gain[0];
    st.add(first);
    std::vector<std::uint32_t> pool = detail::indices(p.adds.size());
    pool.erase(pool.begin() + first);
    detail::greedy_order(st, std::move(pool), k - 1, s);
    s.greedy_total = s.total;
    tries[i] = detail::improved<SupplyState>(p, s);
  });
  for (std::size_t i = 1; i < n; ++i)
    if (tries[i].total > best.total) {
      best = std::move(tries[i]);
      best.best_start = i;
    }
  best.greedy_total = g.greedy_total;
  best.evaluations = g.evaluations;
  best.starts = std::max<std::size_t>(n, 1);
  return best;
}

std::size_t supply_starts(std::size_t k, std::size_t candidates) {
  if (k == 0 || candidates == 0) return 1;
  return std::clamp<std::size_t>(kSupplyStartEvaluations / (k * candidates), 1, candidates);
}

Solution supply_exhaustive(const SupplyProblem& p, std::size_t k) {
  return detail::exhaustive_solution<SupplyState>(p, k);
}

}  // namespace ut::siting
