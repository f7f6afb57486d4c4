#include "scenario/norms.hpp"

namespace ut::scenario {

std::vector<Norm> default_norms() {
  const std::string gb = "GB 50180-2018 table of life-circle service radii";
  std::vector<Norm> n;
  // name, sources, network, tier, radius, drive, turnout, min area, sfca, catchment, capacity, unit, note.
  // The capacity of a site whose layer gives none is the city profile's ([facility_capacity]);
  // load_scenario sets it.
  n.push_back({"kindergarten", {"kindergarten"}, Network::walk, 5, 300, 0, 0, 0, true, 500, 0, "seats", gb});
  n.push_back({"elderly_care", {"elderly_care"}, Network::walk, 5, 300, 0, 0, 0, false, 0, 0, "", gb + " [check]"});
  n.push_back({"primary_school", {"primary_school"}, Network::walk, 10, 500, 0, 0, 0, true, 1000, 0, "seats", gb});
  n.push_back({"middle_school", {"middle_school"}, Network::walk, 15, 1000, 0, 0, 0, true, 1500, 0, "seats", gb});
  n.push_back({"health", {"health"}, Network::walk, 15, 1000, 0, 0, 0, true, 1500, 0, "residents served",
               gb + " [check]"});
  n.push_back({"metro", {"metro"}, Network::walk, 15, 800, 0, 0, 0, false, 0, 0, "", gb + " [check]"});
  n.push_back({"park", {"park"}, Network::walk, 0, 500, 0, 0, 5000, false, 0, 0, "",
               "park city rule '500 m to a park'; parks of at least 5,000 m2 cover 500 m [check]"});
  n.push_back({"green", {"park", "green_space"}, Network::walk, 0, 300, 0, 0, 2000, false, 0, 0, "",
               "park city rule '300 m to green'; green of 2,000 m2 or more covers 300 m [check]"});
  n.push_back({"greenway", {"greenway"}, Network::walk, 0, 500, 0, 0, 0, false, 0, 0, "",
               "Tianfu Greenway access within a 10-minute walk (project choice)"});
  n.push_back({"fire", {"fire_station"}, Network::drive, 0, 0, 5, 1, 0, false, 0, 0, "",
               "GB 51080-2015 5-minute rescue circle; 1 minute turnout (standards.md)"});
  return n;
}

const std::vector<std::string>& norm_keys() {
  static const std::vector<std::string> keys = {"sources",     "network",     "tier",         "radius_m",
                                                "drive_min",   "turnout_min", "min_area_m2",  "sfca",
                                                "catchment_m", "default_capacity", "capacity_unit"};
  return keys;
}

}  // namespace ut::scenario
