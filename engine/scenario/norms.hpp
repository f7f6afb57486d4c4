#pragma once
// The planning norms the coverage model encodes (GB 50180-2018 life-circle tiers, park city
// rules, the fire 5-minute circle): one row per coverage class, each figure declared once with
// its unit and source. A scenario may override any field ([norms.<class>] in the TOML file).
#include <string>
#include <vector>

namespace ut::scenario {

enum class Network { walk, drive };

struct Norm {
  std::string name;                  // coverage class, e.g. "kindergarten"
  std::vector<std::string> sources;  // facility classes that serve it; "greenway" = the greenways layer
  Network network = Network::walk;
  int tier = 0;                      // life-circle tier in minutes (5, 10, 15) or 0 for none
  double radius_m = 0;               // walking service radius (walk network)
  double drive_min = 0;              // drive-time budget incl. turnout (drive network)
  double turnout_min = 0;            // part of drive_min spent before the engine moves
  double min_area_m2 = 0;            // area sites smaller than this do not serve (parks)
  bool sfca = false;                 // compute capacity-aware supply (2SFCA)
  double catchment_m = 0;            // 2SFCA catchment (Gaussian decay to 0 at this distance)
  double default_capacity = 0;       // capacity of a site whose layer gives none
  std::string capacity_unit;         // "seats", "residents served"
  std::string source_note;           // where the figures come from
};

// The built-in table (docs/indicators.md lists it with sources).
std::vector<Norm> default_norms();

// Field names a [norms.<class>] table may set.
const std::vector<std::string>& norm_keys();

}  // namespace ut::scenario
