#pragma once
// The credit an output carries, following the data it was made from (docs/conventions.md,
// "Credits"): OpenStreetMap's (ODbL) where a source declares an OpenStreetMap credit or declares
// none, then every other credit the sources declare, each once, as written. Plain strings: runs
// build theirs from the city (output::run_credit); outputs made from runs (compare, batch,
// report) join the credits the runs recorded in their manifest.json.
#include <optional>
#include <string>
#include <vector>

namespace ut::core {

inline constexpr const char* kOsmCredit =
    "© OpenStreetMap contributors. Data available under the Open Database License (ODbL), "
    "openstreetmap.org/copyright.";
inline constexpr const char* kOsmLicense = "Open Database License (ODbL) 1.0: a database derived from OpenStreetMap data";

struct Credit {
  std::string text;                 // printed, and written to manifests, ATTRIBUTION.txt, GeoPackages
  std::string license;              // of GeoPackage layers
  bool osm = true;                  // derived from OpenStreetMap data
  std::vector<std::string> others;  // the credits that are not OpenStreetMap's, in order
};

// OpenStreetMap's if `osm`, then each of `others` once (the first time it comes), space-separated.
Credit make_credit(bool osm, const std::vector<std::string>& others);

// The credit an output recorded as its "attribution" (manifest.json): OpenStreetMap's when it
// starts with it (then the rest, if any, is one other credit), else the whole text is one other
// credit. nullopt or empty (a run written before runs recorded their credit): OpenStreetMap's.
Credit recorded_credit(const std::optional<std::string>& attribution);

// The credit of an output made from several: OpenStreetMap's if any of them is, then every other
// credit once, in the order of `parts` (an other credit already contained in an earlier one is
// not repeated). No parts: OpenStreetMap's.
Credit credit_union(const std::vector<Credit>& parts);

}  // namespace ut::core
