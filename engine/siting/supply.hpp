#pragma once
// Site selection against a capacity norm, in plain arrays (no city, no network): elements (home
// points that do not meet the norm today) with weights (residents) and the supply each still
// needs to meet it; candidates that each add supply to some elements. Choose k candidates so that
// the most weight meets its need: an element counts when the supply the chosen candidates add
// together reaches its need (docs/site-select.md, "--objective supply").
//
// The objective is monotone but NOT submodular (two sites can lift a resident to the norm that
// neither lifts alone), so greedy has no (1 - 1/e) guarantee here and lazy evaluation would not
// reproduce greedy: greedy evaluates every candidate in every round. Among equal gains it prefers
// the candidate that fills more of the remaining shortfall (resident-weighted, capped at each
// element's need); the swap search then improves (residents, shortfall filled) while it strictly
// grows. Several starts (greedy with one of the best single candidates forced first) escape some
// of the local optima that complementary sites make; none of this is guaranteed optimal.
//
// Determinism: integer weights and fixed-point supply; ties always go to the lower index.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "siting/covering.hpp"

namespace ut::siting {

struct SupplyAdd {
  std::uint32_t element = 0;
  std::int64_t supply = 0;  // fixed point (core::to_fixed), > 0
};

struct SupplyProblem {
  std::vector<std::uint64_t> weight;         // per element
  std::vector<std::int64_t> need;            // per element: supply missing to meet the norm, > 0
  std::vector<std::vector<SupplyAdd>> adds;  // per candidate: ascending elements, no repeats
};

// Weight of the elements whose need the set's added supply meets.
std::uint64_t met_weight(const SupplyProblem& p, const std::vector<std::uint32_t>& set);
// Plain greedy (every candidate evaluated each round; tie-break as above). k <= candidates.
Solution supply_greedy(const SupplyProblem& p, std::size_t k);
// Greedy, then best-improvement swaps while the total strictly grows, from `starts` starts: plain
// greedy, and greedy with each of the next best single candidates forced first; the best total
// (ties to the earlier start), ranked in greedy order (its gains can increase from one rank to
// the next: the objective is not submodular).
Solution supply_solve(const SupplyProblem& p, std::size_t k, std::size_t starts = 1);
// The starts site-select gives supply_solve: as many as about kSupplyStartEvaluations candidate
// evaluations in their greedy rounds allow (k x candidates each), at least 1, at most one per
// candidate. On central Chengdu (K = 10, 1,316 candidates) 19 starts; all on a small city.
inline constexpr std::size_t kSupplyStartEvaluations = 256'000;
std::size_t supply_starts(std::size_t k, std::size_t candidates);
// Every k-subset (for tests on small problems): the optimum, lexicographically first among ties.
Solution supply_exhaustive(const SupplyProblem& p, std::size_t k);

}  // namespace ut::siting
