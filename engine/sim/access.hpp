#pragma once
// Which parcels a coverage result puts within reach (internal to sim): per class and per
// life-circle tier. Shared by the indicators and the population model's location utility.
#include <array>
#include <cstdint>
#include <vector>

#include "models/coverage/coverage.hpp"
#include "scenario/norms.hpp"

namespace ut::sim {

// Per class (norms order): 1 where the parcel's cost is within the class's threshold.
std::vector<std::vector<std::uint8_t>> within_threshold(const std::vector<scenario::Norm>& norms, const coverage::Result& r);

// Per tier (5, 10, 15 minutes; GB 50180-2018, the tiers do not nest): 1 where every class of the
// tier that has sites is within reach. A tier none of whose classes has sites has no data (all 0).
struct Tiers {
  std::array<std::vector<std::uint8_t>, 3> ok;
  std::array<bool, 3> has_data{};
};
inline constexpr int kTierMinutes[3] = {5, 10, 15};
Tiers tier_flags(const std::vector<scenario::Norm>& norms, const std::vector<std::vector<std::uint8_t>>& within,
                 const std::vector<std::size_t>& sites, std::size_t parcels);

}  // namespace ut::sim
