#pragma once
// Service-coverage model: for each coverage class, the network cost from every home point (where
// residents live, homes::HomePoints) to the nearest serving site (ONE bounded multi-source
// Dijkstra per class, never one search per point), and capacity-aware supply per resident
// (two-step floating catchment area, 2SFCA, computed from the facility side, with the points'
// residents as demand). Pure computation over plain arrays: no I/O.
//
// Determinism: costs are integers; 2SFCA sums are accumulated in int64 fixed point, so every
// result is bit-identical for any thread count or partitioning.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/fixed_point.hpp"
#include "graph/entry.hpp"
#include "graph/graph.hpp"

namespace ut::coverage {

enum class Network : std::uint8_t { walk, drive };

struct ClassSpec {
  std::string name;
  Network network = Network::walk;
  std::uint32_t bound = 0;        // search bound, in the network's cost unit
  bool sfca = false;
  std::uint32_t catchment = 0;    // 2SFCA catchment, in cost units (Gaussian weight 0 at the edge)
};

// One site as seen by one class: its entry points on the class's network and its capacity.
struct Site {
  std::vector<graph::EntryPoint> entries;
  double capacity = 0;
};

struct ClassInput {
  ClassSpec spec;
  std::vector<Site> sites;
};

struct Input {
  const graph::Graph* walk = nullptr;
  const graph::Graph* drive = nullptr;
  std::vector<graph::EntryPoint> point_walk;   // per home point; edge == kUnreached: not attached
  std::vector<graph::EntryPoint> point_drive;  // per home point; may be empty when no class drives
  std::vector<std::uint32_t> residents;         // per home point
  std::vector<ClassInput> classes;
};

struct ClassResult {
  std::vector<std::uint32_t> cost;  // per home point: cost to the nearest site, kUnreached beyond the bound
  std::vector<double> supply;       // 2SFCA per home point, capacity per 1,000 residents; empty if !sfca
};

struct Result {
  std::vector<ClassResult> classes;  // same order as Input::classes
};

Result compute(const Input& in);

// compute() for an input whose networks, entry points and sites are those `previous` was
// computed from, with other residents: the nearest-site costs are taken from `previous` (they do
// not depend on residents) and only the 2SFCA supply is computed again. Bit-identical to
// compute(in). `previous` must hold one class per input class with one cost per home point.
Result compute_residents_changed(const Input& in, const Result& previous);

// The home points one candidate site would reach within `bound`, with the same costs compute()
// gives (node cost, the point's part of its edge and its access leg; a site and a point on one
// edge meet straight along it). For location problems (siting): one bounded search per
// candidate, never one per home point. Safe to call from several threads at once.
class SiteReach {
 public:
  SiteReach(const graph::Graph& g, const std::vector<graph::EntryPoint>& entries);
  ~SiteReach();
  SiteReach(const SiteReach&) = delete;
  SiteReach& operator=(const SiteReach&) = delete;
  // (point, cost) pairs, in ascending point order.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> points_within(const Site& site, std::uint32_t bound) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Gaussian 2SFCA weight for cost d within catchment D, scaled to 0..kWeightScale:
// f(d) = (exp(-d^2 / 2D^2) - exp(-1/2)) / (1 - exp(-1/2)), f(0) = 1, f(D) = 0.
inline constexpr std::int64_t kWeightScale = 1 << 20;
std::int64_t gaussian_weight(std::uint32_t d, std::uint32_t catchment);

// One site's 2SFCA alone, as compute() computes it (two_step), from the home points within its
// catchment D (`ball`: SiteReach::points_within(site, D)), for callers that add or try one site
// (the API's session, siting): its weighted demand as an exact integer, ...
inline std::int64_t site_demand(const std::vector<std::pair<std::uint32_t, std::uint32_t>>& ball,
                                const std::vector<std::uint32_t>& residents, std::uint32_t D) {
  std::int64_t sum = 0;
  for (const auto& [p, c] : ball) sum += static_cast<std::int64_t>(residents[p]) * gaussian_weight(c, D);
  return sum;
}

// ... then f(point, supply it adds to the point in fixed point) for each point of the ball with a
// positive weight. A point's supply in compute() is the saturating sum of these over all sites.
template <class F>
void site_contributions(const Site& site, std::int64_t demand,
                        const std::vector<std::pair<std::uint32_t, std::uint32_t>>& ball, std::uint32_t D, F&& f) {
  if (demand <= 0 || site.capacity <= 0) return;
  const double ratio = site.capacity * 1000.0 / (static_cast<double>(demand) / kWeightScale);
  for (const auto& [p, c] : ball) {
    const std::int64_t w = gaussian_weight(c, D);
    if (w == 0) continue;
    f(p, core::to_fixed(ratio * static_cast<double>(w) / kWeightScale));
  }
}

}  // namespace ut::coverage
