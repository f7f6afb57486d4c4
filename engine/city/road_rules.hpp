#pragma once
// Defaults by OSM highway class, declared once: used where a layer gives no value (gis_io's
// loader) and when deriving roads from OSM (prepare-osm). docs/data-derivation.md lists them.
// They read OSM's tag semantics (what a `primary` or a `footway` is), not one city; a city's lane
// capacities are its profile's ([road_capacity], docs/profile-format.md).
#include <map>
#include <set>
#include <string>

namespace ut::city {

inline double default_speed_kmh(const std::string& cls) {
  static const std::map<std::string, double> speeds = {
      {"motorway", 80}, {"motorway_link", 50}, {"trunk", 60}, {"trunk_link", 40}, {"primary", 50},
      {"primary_link", 40}, {"secondary", 40}, {"secondary_link", 30}, {"tertiary", 30}, {"tertiary_link", 30},
      {"residential", 25}, {"unclassified", 25}, {"road", 25}, {"living_street", 10}, {"service", 15}};
  auto it = speeds.find(cls);
  return it == speeds.end() ? 10 : it->second;
}

inline int default_lanes(const std::string& cls) {
  static const std::map<std::string, int> lanes = {{"motorway", 3}, {"trunk", 3}, {"primary", 3}, {"secondary", 2}, {"tertiary", 2}};
  auto it = lanes.find(cls);
  return it == lanes.end() ? 1 : it->second;
}

// No walking on motorways and trunk roads (OSM: motor roads; in Chengdu the elevated ring roads are trunk).
inline bool walk_by_class(const std::string& cls) {
  static const std::set<std::string> no = {"motorway", "motorway_link", "trunk", "trunk_link"};
  return no.count(cls) == 0;
}

inline bool drive_by_class(const std::string& cls) {
  static const std::set<std::string> no = {"footway", "pedestrian", "path", "steps", "cycleway", "track", "bridleway", "corridor"};
  return no.count(cls) == 0;
}

// Every class the rules above know (the OSM highway values prepare-osm keeps, and the few other
// path classes): a road of any other class is an error unless the scenario declares it
// ([road_classes.NAME], docs/scenario-format.md).
inline const std::set<std::string>& known_road_classes() {
  static const std::set<std::string> known = {
      "motorway",  "motorway_link",  "trunk",    "trunk_link",    "primary",     "primary_link",
      "secondary", "secondary_link", "tertiary", "tertiary_link", "residential", "unclassified",
      "road",      "living_street",  "service",  "footway",       "pedestrian",  "path",
      "steps",     "cycleway",       "track",    "bridleway",     "corridor"};
  return known;
}

}  // namespace ut::city
