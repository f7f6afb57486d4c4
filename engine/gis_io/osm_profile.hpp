#pragma once
// The city knowledge `prepare-osm` uses, read from the [prepare_osm] tables of a city profile
// (gis-data/<city>/profile.toml): land-use floor-area ratios and residential shares, residents
// evidence, building levels, school and facility rules, name rules, greenway corridors. Every
// number carries a source string. docs/data-derivation.md ("The [prepare_osm] profile tables")
// lists every key; the rest of the profile file (other top-level tables) is not read here.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ut::gis_io {

// The land-use categories prepare-osm assigns to blocks; the profile gives a rule for each.
const std::vector<std::string>& osm_land_use_categories();
// The facility classes prepare-osm can derive from OSM tags and names.
const std::vector<std::string>& osm_facility_classes();

struct OsmLandUseRule {
  double far = 0;                // gross floor-area ratio over the (centre-line bounded) block
  double residential_share = 0;  // share of that floor area that is residential, 0..1
  std::string source;
};

// A name rule: a feature with this amenity (or any, when empty) whose name contains one of
// `contains` and none of `unless` gets `classes` (an empty list: "not a facility of ours").
struct OsmNameRule {
  std::string amenity;
  std::vector<std::string> contains, unless, classes;
  std::string source;
};

struct OsmProfile {
  std::filesystem::path file;  // empty: no profile given
  std::string city;            // a label, written in the about table
  // study_area: "" (default: the extract's boundary polygon, else its box with a note) or
  // "bounds" (the extract's box, deliberately: no note).
  std::string study_area;
  // edge_lines: "reach" (default: lines clipped 1 m beyond the study area, then faces outside it
  // dropped) or "clipped" (lines clipped exactly at the outline, as the 2018 Chengdu derivation
  // did: a line may then end a hair short of the outline, GEOS does not node it and the two blocks
  // beside it merge; kept only so that the bundled Chengdu layers stay as published).
  std::string edge_lines = "reach";

  // [prepare_osm.residents]: the evidence used when the command line gives none.
  std::optional<double> residents_total, residents_per_km2, m2_per_resident;
  std::string residents_source;
  std::string spread = "land_use";  // land_use | buildings: how residents are spread over blocks

  std::map<std::string, OsmLandUseRule> land_use;  // every category of osm_land_use_categories()

  // [prepare_osm.buildings]
  std::map<std::string, double> default_levels;  // building=* value (or "*") -> levels when untagged
  std::vector<std::string> residential_buildings, non_residential_buildings;
  std::string buildings_source;

  // [prepare_osm.schools]
  std::vector<std::string> unknown_level;  // classes of a school whose level no tag nor name tells
  std::string unknown_level_source;
  std::map<std::string, std::pair<double, double>> grades;  // class -> first and last grade
  // [prepare_osm.schools.tags."TAG"]: a country's school tag (e.g. school:FR): value -> classes
  std::map<std::string, std::map<std::string, std::vector<std::string>>> school_tags;

  std::vector<OsmNameRule> names;  // [[prepare_osm.names]], in file order

  // [prepare_osm.greenways]
  double river_buffer_m = 100;
  std::vector<std::string> rivers = {"*"};  // name parts of the river corridors; "*": every river/canal
  std::string river_label = "a river or canal";
  std::vector<std::string> greenway_names;  // a path whose name contains one of these is a greenway
  double park_share = 0.5;
  bool designated_routes = true;  // paths along route relations route=bicycle|foot|hiking

  // [prepare_osm.facilities]
  std::vector<std::string> classes;           // classes written to the facilities layer
  std::map<std::string, double> capacity;     // optional: capacity per class (empty: left null)
  std::string facilities_source;
};

// Reads and validates the [prepare_osm] tables of a profile (InputError, exit code 2, naming the
// file, the line, the key, the rule and the bad value; an unknown key gets the nearest known one).
OsmProfile load_osm_profile(const std::filesystem::path& file);

}  // namespace ut::gis_io
