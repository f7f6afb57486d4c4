#pragma once
// Compares a session's values with a recomputation, bit for bit (tests of engine/api).
#include <catch2/catch.hpp>

#include <cstring>
#include <string>

#include "sim/simulation.hpp"

namespace ut::test {

// Doubles compared by their bits: 0.1 + 0.2 != 0.3 counts, -0.0 != 0.0 counts.
inline bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

// "" when every value a session shows equals the reference; otherwise what differs first.
inline std::string first_difference(const sim::YearResult& a, const sim::YearResult& b) {
  if (a.sites != b.sites) return "sites per class";
  if (a.coverage.classes.size() != b.coverage.classes.size()) return "classes";
  for (std::size_t k = 0; k < a.coverage.classes.size(); ++k) {
    const auto &x = a.coverage.classes[k], &y = b.coverage.classes[k];
    if (x.cost != y.cost) return "cost of class " + std::to_string(k);
    if (!same_bits(x.supply, y.supply)) return "supply of class " + std::to_string(k);
    const auto &p = a.parcel_coverage[k], &q = b.parcel_coverage[k];
    if (p.served != q.served) return "parcel served, class " + std::to_string(k);
    if (!same_bits(p.share, q.share)) return "parcel share, class " + std::to_string(k);
    if (p.cost != q.cost) return "parcel cost, class " + std::to_string(k);
    if (!same_bits(p.supply, q.supply)) return "parcel supply, class " + std::to_string(k);
  }
  for (int t = 0; t < 3; ++t) {
    if (a.point_tier_ok[t] != b.point_tier_ok[t]) return "point tiers " + std::to_string(t);
    if (!same_bits(a.tier_share[t], b.tier_share[t])) return "tier share " + std::to_string(t);
    if (a.tier_served[t] != b.tier_served[t]) return "tier served " + std::to_string(t);
  }
  if (a.land_use != b.land_use) return "land use";
  if (!same_bits(a.floor_area_m2, b.floor_area_m2)) return "floor area";
  if (a.indicators.size() != b.indicators.size()) return "indicator count";
  for (std::size_t i = 0; i < a.indicators.size(); ++i) {
    const auto &x = a.indicators[i], &y = b.indicators[i];
    if (x.name != y.name || x.value.has_value() != y.value.has_value() ||
        (x.value && std::memcmp(&*x.value, &*y.value, sizeof(double)) != 0))
      return "indicator " + x.name;
  }
  return "";
}

}  // namespace ut::test
