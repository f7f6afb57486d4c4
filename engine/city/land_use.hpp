#pragma once
// What a parcel's land use means to the models, declared once: the share of its floor area that
// is housing (population model, rezonings; docs/population.md) and the share used for work
// (traffic model's jobs, 25 m2 per job; docs/traffic.md). The values prepare-osm writes
// (docs/data-derivation.md) plus `office`. Any other value is an error unless the scenario
// declares it ([land_uses.NAME], docs/scenario-format.md); an empty land use means neither.
#include <map>
#include <string>

namespace ut::city {

struct LandUseRule {
  double residential_share = 0;
  double job_share = 0;
};

inline const std::map<std::string, LandUseRule>& builtin_land_uses() {
  static const std::map<std::string, LandUseRule> rules = {
      {"residential", {0.9, 0.05}}, {"mixed", {0.6, 0.3}}, {"commercial", {0, 0.9}},
      {"education", {0, 1}},        {"health", {0, 1}},    {"transport", {0, 1}},
      {"industrial", {0, 1}},       {"office", {0, 1}},    {"park", {0, 0}},
      {"construction", {0, 0}},     {"other", {0, 0}}};
  return rules;
}

}  // namespace ut::city
