#pragma once
// The maximal covering location problem in plain arrays (no city, no network): elements (home
// points) with weights (residents), candidates that each cover a set of elements; choose k
// candidates covering the most weight. The objective is monotone submodular, so greedy is within
// (1 - 1/e) of the optimum (Nemhauser, Wolsey and Fisher 1978); the swap search only improves it.
//
// Determinism: integer weights; ties always go to the lower candidate index.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ut::siting {

struct Problem {
  std::vector<std::uint64_t> weight;               // per element
  std::vector<std::vector<std::uint32_t>> covers;  // per candidate: its elements, ascending, no repeats
};

struct Solution {
  std::vector<std::uint32_t> chosen;  // candidate indices, in greedy order over the final set
  std::vector<std::uint64_t> gain;    // per rank: weight newly covered given the ranks before it
  std::uint64_t total = 0;            // weight covered by all chosen
  std::uint64_t greedy_total = 0;     // before the swap search
  std::size_t swaps = 0;              // improving swaps made
  std::size_t evaluations = 0;        // marginal gains computed by the (lazy) greedy
  std::size_t starts = 1;             // greedy + swap runs the answer is the best of
  std::size_t best_start = 0;         // the run kept (0: plain greedy)
};

// Weight covered by a set of candidates.
std::uint64_t covered_weight(const Problem& p, const std::vector<std::uint32_t>& set);
// Lazy greedy (CELF: a max-heap of upper bounds, re-evaluated only when on top). Equal to plain
// greedy with ties to the lower index. k must be at most the number of candidates.
Solution greedy(const Problem& p, std::size_t k);
// Greedy, then best-improvement swaps (replace a chosen candidate by an unchosen one) while the
// total strictly grows; the final set is ranked by greedy order (so `gain` never increases).
Solution solve(const Problem& p, std::size_t k);
// Every k-subset (for tests on small problems): the optimum, lexicographically first among ties.
Solution exhaustive(const Problem& p, std::size_t k);

}  // namespace ut::siting
