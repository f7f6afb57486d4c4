#pragma once
// The planning norms the coverage model encodes (GB 50180-2018 life-circle tiers, park city
// rules, the fire 5-minute circle): one row per coverage class. They are data, not code: a
// standards file (gis-data/norms/*.toml, every figure with its source) that the city profile
// names, the profile's [norms.<class>] overrides, then the scenario's (docs/profile-format.md,
// "Planning norms").
#include <filesystem>
#include <map>
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
  std::string source_note;           // where the class's figures come from (the standards file's `source`)
  // Where each field set comes from, by key ("radius_m"): the standards file's `source_of.KEY` or
  // `source`, replaced by the profile's when it overrides the field, by "scenario FILE (norms.CLASS)"
  // when the scenario does.
  std::map<std::string, std::string> field_sources;
};

// A standards file ([[norm]] tables, docs/profile-format.md): every class with every field and
// the source of each. Throws core::InputError naming the file, the key (norm[3].radius_m), the
// rule and the bad value.
std::vector<Norm> load_norms(const std::filesystem::path& file);

// Field names a scenario's [norms.<class>] table may set.
const std::vector<std::string>& norm_keys();

}  // namespace ut::scenario
