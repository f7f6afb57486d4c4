#pragma once
// What every site-selection objective shares (internal to siting): greedy order, swap search and
// exhaustive search over an objective's incremental state. A State holds one set of chosen
// candidates and answers, for candidate c:
//   std::size_t size() const;             the number of candidates
//   std::uint64_t gain(std::uint32_t c);  weight the set would gain with c (c not in the set)
//   Key key(std::uint32_t c);             what greedy and the swaps maximise: gain(c), or gain
//                                         then a tie-break (Key: +, -, <, and weight(Key))
//   void add(std::uint32_t c);
//   Key remove(std::uint32_t c);          removes c (in the set), returns the key lost
// Weights are integers and ties always go to the lower position or candidate index, so every
// answer is the same on every run.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <utility>
#include <vector>

#include "siting/covering.hpp"

namespace ut::siting::detail {

// The weight part of a plain key.
inline std::uint64_t weight(std::uint64_t key) { return key; }

// 0, 1, ..., n - 1.
inline std::vector<std::uint32_t> indices(std::size_t n) {
  std::vector<std::uint32_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint32_t>(i);
  return v;
}

inline void check_k(std::size_t k, std::size_t candidates) {
  if (k < 1 || k > candidates) throw std::invalid_argument("siting: k must be 1..candidates");
}

// Greedy over `pool` (ascending candidate indices; the state holds none of them): k rounds, each
// adding the pool candidate of the largest key, ties to the lower index; the rounds are appended
// to s.chosen, s.gain and s.total. Plain greedy for pool = all candidates; the ranking of a final
// set for pool = that set and k = its size.
template <class State>
void greedy_order(State& st, std::vector<std::uint32_t> pool, std::size_t k, Solution& s) {
  for (std::size_t round = 0; round < k; ++round) {
    std::size_t best = 0;
    auto best_key = st.key(pool[0]);
    for (std::size_t i = 1; i < pool.size(); ++i)
      if (const auto key = st.key(pool[i]); key > best_key) best = i, best_key = key;
    s.evaluations += pool.size();
    const std::uint32_t c = pool[best];
    const std::uint64_t g = st.gain(c);
    st.add(c);
    s.chosen.push_back(c);
    s.gain.push_back(g);
    s.total += g;
    pool.erase(pool.begin() + static_cast<std::ptrdiff_t>(best));
  }
}

// Best-improvement swaps (replace one chosen candidate by an unchosen one) while the key total
// strictly grows; ties to the lower position, then the lower candidate index. The state holds
// `set` (whose key total is `total`) before and after. Returns the number of swaps made.
template <class State, class Key>
std::size_t swap_search(State& st, std::vector<std::uint32_t>& set, Key& total) {
  std::vector<std::uint8_t> chosen(st.size(), 0);
  for (std::uint32_t c : set) chosen[c] = 1;
  std::size_t swaps = 0;
  for (;;) {
    Key best_total = total;
    std::size_t best_i = 0;
    std::uint32_t best_c = 0;
    for (std::size_t i = 0; i < set.size(); ++i) {
      const Key loss = st.remove(set[i]);
      for (std::uint32_t c = 0; c < st.size(); ++c) {
        if (chosen[c]) continue;
        const Key t = total - loss + st.key(c);
        if (best_total < t) best_total = t, best_i = i, best_c = c;
      }
      st.add(set[i]);
    }
    if (!(total < best_total)) return swaps;
    st.remove(set[best_i]);
    st.add(best_c);
    chosen[set[best_i]] = 0;
    chosen[best_c] = 1;
    set[best_i] = best_c;
    total = best_total;
    ++swaps;
  }
}

// Weight of a set (the state holds none of it before and after).
template <class State>
std::uint64_t set_weight(State& st, const std::vector<std::uint32_t>& set) {
  std::uint64_t w = 0;
  for (std::uint32_t c : set) {
    w += st.gain(c);
    st.add(c);
  }
  for (std::uint32_t c : set) st.remove(c);
  return w;
}

// Every k-subset in lexicographic order: the heaviest, the lexicographically first among ties.
template <class State>
std::vector<std::uint32_t> best_subset(State& st, std::size_t k) {
  check_k(k, st.size());
  const std::size_t n = st.size();
  std::vector<std::uint32_t> idx = indices(k);
  std::vector<std::uint32_t> best = idx;
  std::uint64_t best_w = set_weight(st, idx);
  for (;;) {
    std::size_t i = k;
    while (i > 0 && idx[i - 1] == n - k + i - 1) --i;
    if (i == 0) return best;
    ++idx[i - 1];
    for (std::size_t j = i; j < k; ++j) idx[j] = idx[j - 1] + 1;
    if (const auto w = set_weight(st, idx); w > best_w) best_w = w, best = idx;
  }
}

// A set ranked in greedy order (largest gain first, ties to the lower index), with its gains and
// total. State is built from the problem, empty.
template <class State, class P>
Solution ranked(const P& p, std::vector<std::uint32_t> set) {
  State st(p);
  std::sort(set.begin(), set.end());
  Solution s;
  const std::size_t k = set.size();
  greedy_order(st, std::move(set), k, s);
  return s;
}

// Greedy's answer `g` improved by the swap search, then ranked.
template <class State, class P>
Solution improved(const P& p, const Solution& g) {
  std::vector<std::uint32_t> set = g.chosen;
  State st(p);
  decltype(st.key(0)) total{};
  for (std::uint32_t c : set) {
    total = total + st.key(c);
    st.add(c);
  }
  const std::size_t swaps = swap_search(st, set, total);
  Solution s = ranked<State>(p, std::move(set));
  if (s.total != weight(total)) throw std::logic_error("siting: swap search lost track of the total");
  s.greedy_total = g.greedy_total;
  s.swaps = swaps;
  s.evaluations = g.evaluations;
  return s;
}

// The exhaustive optimum, ranked.
template <class State, class P>
Solution exhaustive_solution(const P& p, std::size_t k) {
  State st(p);
  Solution s = ranked<State>(p, best_subset(st, k));
  s.greedy_total = s.total;
  s.evaluations = 0;
  return s;
}

}  // namespace ut::siting::detail
