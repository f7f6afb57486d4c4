#include "siting/covering.hpp"

#include <algorithm>
#include <queue>
#include <stdexcept>
#include <tuple>

namespace ut::siting {

namespace {

// Weight of c's elements not yet covered (count == 0).
std::uint64_t marginal(const Problem& p, std::uint32_t c, const std::vector<std::uint32_t>& count) {
  std::uint64_t g = 0;
  for (std::uint32_t e : p.covers[c])
    if (count[e] == 0) g += p.weight[e];
  return g;
}

void check(const Problem& p, std::size_t k) {
  if (k < 1 || k > p.covers.size()) throw std::invalid_argument("siting: k must be 1..candidates");
}

// Orders a set greedily (largest marginal first, ties to the lower index) and fills gain/total.
void rank(const Problem& p, const std::vector<std::uint32_t>& set, Solution& s) {
  std::vector<std::uint32_t> left = set, count(p.weight.size(), 0);
  std::sort(left.begin(), left.end());
  s.chosen.clear();
  s.gain.clear();
  s.total = 0;
  while (!left.empty()) {
    std::size_t best = 0;
    std::uint64_t best_g = marginal(p, left[0], count);
    for (std::size_t i = 1; i < left.size(); ++i)
      if (const auto g = marginal(p, left[i], count); g > best_g) best = i, best_g = g;
    const std::uint32_t c = left[best];
    for (std::uint32_t e : p.covers[c]) ++count[e];
    s.chosen.push_back(c);
    s.gain.push_back(best_g);
    s.total += best_g;
    left.erase(left.begin() + static_cast<std::ptrdiff_t>(best));
  }
}

}  // namespace

std::uint64_t covered_weight(const Problem& p, const std::vector<std::uint32_t>& set) {
  std::vector<std::uint8_t> in(p.weight.size(), 0);
  std::uint64_t w = 0;
  for (std::uint32_t c : set)
    for (std::uint32_t e : p.covers[c])
      if (!in[e]) in[e] = 1, w += p.weight[e];
  return w;
}

Solution greedy(const Problem& p, std::size_t k) {
  check(p, k);
  Solution s;
  std::vector<std::uint32_t> count(p.weight.size(), 0);
  // (upper bound, -index, round evaluated): the top is the largest bound, ties to the lower index.
  using Entry = std::tuple<std::uint64_t, std::int64_t, std::size_t>;
  std::priority_queue<Entry> heap;
  for (std::uint32_t c = 0; c < p.covers.size(); ++c) {
    heap.emplace(marginal(p, c, count), -static_cast<std::int64_t>(c), 0);
    ++s.evaluations;
  }
  for (std::size_t round = 0; round < k; ++round) {
    for (;;) {
      auto [bound, neg, at] = heap.top();
      heap.pop();
      const auto c = static_cast<std::uint32_t>(-neg);
      if (at == round) {
        // Fresh: every other bound is lower, or equal with a higher index; true gains never
        // exceed their bounds (submodularity), so c is plain greedy's choice.
        for (std::uint32_t e : p.covers[c]) ++count[e];
        s.chosen.push_back(c);
        s.gain.push_back(bound);
        s.total += bound;
        break;
      }
      heap.emplace(marginal(p, c, count), neg, round);
      ++s.evaluations;
    }
  }
  s.greedy_total = s.total;
  return s;
}

Solution solve(const Problem& p, std::size_t k) {
  Solution g = greedy(p, k);
  std::vector<std::uint32_t> set = g.chosen;
  std::vector<std::uint32_t> count(p.weight.size(), 0);
  std::vector<std::uint8_t> chosen(p.covers.size(), 0);
  for (std::uint32_t c : set) {
    chosen[c] = 1;
    for (std::uint32_t e : p.covers[c]) ++count[e];
  }
  std::uint64_t total = g.total;
  std::size_t swaps = 0;
  for (;;) {
    // Best improvement over all (chosen position, unchosen candidate) pairs; ties to the lower
    // position, then the lower candidate index.
    std::uint64_t best_total = total;
    std::size_t best_i = 0;
    std::uint32_t best_c = 0;
    for (std::size_t i = 0; i < set.size(); ++i) {
      const std::uint32_t out = set[i];
      std::uint64_t loss = 0;
      for (std::uint32_t e : p.covers[out]) {
        if (count[e] == 1) loss += p.weight[e];
        --count[e];
      }
      for (std::uint32_t c = 0; c < p.covers.size(); ++c) {
        if (chosen[c]) continue;
        const std::uint64_t t = total - loss + marginal(p, c, count);
        if (t > best_total) best_total = t, best_i = i, best_c = c;
      }
      for (std::uint32_t e : p.covers[out]) ++count[e];
    }
    if (best_total == total) break;
    const std::uint32_t out = set[best_i];
    for (std::uint32_t e : p.covers[out]) --count[e];
    for (std::uint32_t e : p.covers[best_c]) ++count[e];
    chosen[out] = 0;
    chosen[best_c] = 1;
    set[best_i] = best_c;
    total = best_total;
    ++swaps;
  }
  Solution s;
  rank(p, set, s);
  if (s.total != total) throw std::logic_error("siting: swap search lost track of the total");
  s.greedy_total = g.greedy_total;
  s.swaps = swaps;
  s.evaluations = g.evaluations;
  return s;
}

Solution exhaustive(const Problem& p, std::size_t k) {
  check(p, k);
  const std::size_t n = p.covers.size();
  std::vector<std::uint32_t> idx(k);
  for (std::size_t i = 0; i < k; ++i) idx[i] = static_cast<std::uint32_t>(i);
  std::vector<std::uint32_t> best = idx;
  std::uint64_t best_w = covered_weight(p, idx);
  for (;;) {
    // Next k-subset in lexicographic order.
    std::size_t i = k;
    while (i > 0 && idx[i - 1] == n - k + i - 1) --i;
    if (i == 0) break;
    ++idx[i - 1];
    for (std::size_t j = i; j < k; ++j) idx[j] = idx[j - 1] + 1;
    if (const auto w = covered_weight(p, idx); w > best_w) best_w = w, best = idx;
  }
  Solution s;
  rank(p, best, s);
  s.greedy_total = s.total;
  return s;
}

}  // namespace ut::siting
