#pragma once
// The land-use and road-class rules of a run: the built-in tables (city/land_use.hpp,
// city/road_rules.hpp) extended by the scenario's [land_uses] and [road_classes]. gis_io has
// already rejected every other value, so an unknown one here is an empty land use.
#include <string>

#include "city/land_use.hpp"
#include "city/road_rules.hpp"
#include "scenario/scenario.hpp"

namespace ut::sim {

inline city::LandUseRule land_use_rule(const scenario::Scenario& s, const std::string& land_use) {
  if (auto it = s.land_uses.find(land_use); it != s.land_uses.end())
    return {it->second.residential_share, it->second.job_share};
  const auto& builtin = city::builtin_land_uses();
  auto it = builtin.find(land_use);
  return it == builtin.end() ? city::LandUseRule{} : it->second;
}

inline double lane_capacity(const scenario::Scenario& s, const std::string& road_class) {
  if (auto it = s.road_classes.find(road_class); it != s.road_classes.end()) return it->second.lane_capacity;
  return city::default_lane_capacity(road_class);
}

}  // namespace ut::sim
