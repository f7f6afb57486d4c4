#include "sim/access.hpp"

#include "graph/graph.hpp"
#include "sim/simulation.hpp"

namespace ut::sim {

std::vector<std::vector<std::uint8_t>> within_threshold(const std::vector<scenario::Norm>& norms, const coverage::Result& r) {
  std::vector<std::vector<std::uint8_t>> out(norms.size());
  for (std::size_t k = 0; k < norms.size() && k < r.classes.size(); ++k) {
    const std::uint32_t t = Simulation::threshold(norms[k]);
    const auto& cost = r.classes[k].cost;
    out[k].resize(cost.size());
    for (std::size_t p = 0; p < cost.size(); ++p) out[k][p] = cost[p] != graph::kUnreached && cost[p] <= t;
  }
  return out;
}

Tiers tier_flags(const std::vector<scenario::Norm>& norms, const std::vector<std::vector<std::uint8_t>>& within,
                 const std::vector<std::size_t>& sites, std::size_t parcels) {
  Tiers t;
  for (int i = 0; i < 3; ++i) {
    auto& ok = t.ok[static_cast<std::size_t>(i)];
    ok.assign(parcels, 1);
    for (std::size_t k = 0; k < norms.size(); ++k) {
      if (norms[k].tier != kTierMinutes[i] || k >= sites.size() || sites[k] == 0) continue;
      t.has_data[static_cast<std::size_t>(i)] = true;
      for (std::size_t p = 0; p < parcels; ++p) ok[p] &= within[k][p];
    }
    if (!t.has_data[static_cast<std::size_t>(i)]) ok.assign(parcels, 0);
  }
  return t;
}

}  // namespace ut::sim
