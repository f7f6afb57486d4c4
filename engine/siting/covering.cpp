#include "siting/covering.hpp"

#include <queue>
#include <tuple>

#include "siting/search.hpp"

namespace ut::siting {

namespace {

// The covering objective's state: how many chosen candidates cover each element.
struct CoverState {
  const Problem& p;
  std::vector<std::uint32_t> count;
  explicit CoverState(const Problem& problem) : p(problem), count(problem.weight.size(), 0) {}
  std::size_t size() const { return p.covers.size(); }
  // Weight of c's elements not yet covered.
  std::uint64_t gain(std::uint32_t c) const {
    std::uint64_t g = 0;
    for (std::uint32_t e : p.covers[c])
      if (count[e] == 0) g += p.weight[e];
    return g;
  }
  std::uint64_t key(std::uint32_t c) const { return gain(c); }
  void add(std::uint32_t c) {
    for (std::uint32_t e : p.covers[c]) ++count[e];
  }
  std::uint64_t remove(std::uint32_t c) {
    std::uint64_t loss = 0;
    for (std::uint32_t e : p.covers[c])
      if (--count[e] == 0) loss += p.weight[e];
    return loss;
  }
};

}  // namespace

std::uint64_t covered_weight(const Problem& p, const std::vector<std::uint32_t>& set) {
  CoverState st(p);
  return detail::set_weight(st, set);
}

Solution greedy(const Problem& p, std::size_t k) {
  detail::check_k(k, p.covers.size());
  Solution s;
  CoverState st(p);
  // (upper bound, -index, round evaluated): the top is the largest bound, ties to the lower index.
  using Entry = std::tuple<std::uint64_t, std::int64_t, std::size_t>;
  std::priority_queue<Entry> heap;
  for (std::uint32_t c = 0; c < p.covers.size(); ++c) {
    heap.emplace(st.gain(c), -static_cast<std::int64_t>(c), 0);
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
        st.add(c);
        s.chosen.push_back(c);
        s.gain.push_back(bound);
        s.total += bound;
        break;
      }
      heap.emplace(st.gain(c), neg, round);
      ++s.evaluations;
    }
  }
  s.greedy_total = s.total;
  return s;
}

Solution solve(const Problem& p, std::size_t k) { return detail::improved<CoverState>(p, greedy(p, k)); }

Solution exhaustive(const Problem& p, std::size_t k) { return detail::exhaustive_solution<CoverState>(p, k); }

}  // namespace ut::siting
