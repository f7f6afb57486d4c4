#pragma once
// Which home points a coverage result puts within reach (internal to sim): per class and per
// life-circle tier, and how that adds up per parcel. Shared by the indicators, the outputs and
// the population model's location utility (docs/access.md).
#include <array>
#include <cstdint>
#include <vector>

#include "homes/homes.hpp"
#include "models/coverage/coverage.hpp"
#include "scenario/norms.hpp"

namespace ut::sim {

// Per class (norms order): 1 where the point's cost is within the class's threshold.
std::vector<std::vector<std::uint8_t>> within_threshold(const std::vector<scenario::Norm>& norms, const coverage::Result& r);

// Per tier (5, 10, 15 minutes; GB 50180-2018, the tiers do not nest): 1 where every class of the
// tier that has sites is within reach. A tier none of whose classes has sites has no data (all 0).
struct Tiers {
  std::array<std::vector<std::uint8_t>, 3> ok;
  std::array<bool, 3> has_data{};
};
inline constexpr int kTierMinutes[3] = {5, 10, 15};
Tiers tier_flags(const std::vector<scenario::Norm>& norms, const std::vector<std::vector<std::uint8_t>>& within,
                 const std::vector<std::size_t>& sites, std::size_t points);

// Per parcel: the share of its residents whose point has ok = 1 (a parcel without residents: the
// share of its point weights), and the served residents when `served` is given.
std::vector<double> parcel_share(const homes::HomePoints& h, const std::vector<std::uint32_t>& residents,
                                 const std::vector<std::uint8_t>& ok, std::vector<std::uint32_t>* served);
// Per parcel: the weighted median of its points' costs (weights: residents, or the point weights
// when the parcel has none): the smallest cost whose points hold at least half the weight.
std::vector<std::uint32_t> parcel_median(const homes::HomePoints& h, const std::vector<std::uint32_t>& residents,
                                         const std::vector<std::uint32_t>& cost);
// Per parcel: the weighted mean of its points' values (same weights).
std::vector<double> parcel_mean(const homes::HomePoints& h, const std::vector<std::uint32_t>& residents,
                                const std::vector<double>& value);

}  // namespace ut::sim
