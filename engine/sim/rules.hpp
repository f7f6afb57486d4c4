#pragma once
// The land-use and road-class rules of a run: the city profile's tables (scenario/profile.hpp)
// extended by the scenario's [land_uses] and [road_classes], and the models' parameter structs
// filled from the profile. gis_io has already rejected every other land use, so an unknown one
// here is an empty land use.
#include <string>

#include "models/population/population.hpp"
#include "models/traffic/four_step.hpp"
#include "scenario/scenario.hpp"

namespace ut::sim {

inline scenario::LandUse land_use_rule(const scenario::Scenario& s, const std::string& land_use) {
  if (auto it = s.land_uses.find(land_use); it != s.land_uses.end()) return it->second;
  auto it = s.profile.land_uses.find(land_use);
  return it == s.profile.land_uses.end() ? scenario::LandUse{} : it->second;
}

inline double lane_capacity(const scenario::Scenario& s, const std::string& road_class) {
  if (auto it = s.road_classes.find(road_class); it != s.road_classes.end()) return it->second.lane_capacity;
  return scenario::lane_capacity(s.profile, road_class);
}

// The population model's parameters: the profile's demography, mortality, mobility and location
// choice.
population::Params population_params(const scenario::Profile& p);

// The mode choice's parameters: the profile's [modes].
traffic::ModeParams mode_params(const scenario::Profile& p);

}  // namespace ut::sim
