#pragma once
// A scenario: which layers to load, the norms, and the what-if changes. Loaded from TOML;
// every path is relative to the scenario file. docs/scenario-format.md is the reference.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "core/error.hpp"
#include "scenario/norms.hpp"
#include "scenario/profile.hpp"

namespace ut::scenario {

struct LayerSpec {
  std::string role;                    // parcels, roads, greenways, facilities
  std::filesystem::path source;        // any OGR data source
  std::string layer;                   // layer name inside the source
  std::map<std::string, std::string> fields;  // logical field -> field name in the layer
  std::string key;                     // "layers.parcels", for messages
};

struct AddFacility {
  std::string key;  // "add_facility[2]", for messages
  int year = 0;
  std::string name;
  std::vector<std::string> classes;
  double capacity = -1;
  double x = 0, y = 0;
  std::string crs;  // of x, y
  // The facility's id when the file names one (what-ifs saved by an edit session do, so that the
  // ids other entries refer to stay what they were); otherwise the next free one.
  std::optional<std::int64_t> id;
};

struct RemoveFacility {
  std::string key;
  int year = 0;
  std::int64_t id = 0;  // facility_id in the facilities layer
};

// Rezoning: parcels chosen by id or by a polygon (their centroid inside), given a new land use,
// floor-area ratio and/or dwelling units.
struct Rezone {
  std::string key;
  int year = 0;
  std::vector<std::int64_t> parcels;
  std::string polygon_wkt;  // POLYGON or MULTIPOLYGON; empty when `parcels` is given
  std::string crs;
  std::string land_use;     // empty: unchanged
  double far = -1;          // < 0: unchanged
  double units = -1;        // < 0: derived from the floor area; else a whole number of units
};

struct AddRoad {
  std::string key;
  int year = 0;
  std::string name;
  std::string road_class;  // a built-in OSM highway class or one of the scenario's road_classes
  double speed_kmh = 0;  // 0: the class default
  int lanes = 0;         // 0: the class default
  int oneway = 0;
  bool walk = true, drive = true;
  std::string wkt, crs;
};

struct CloseRoad {
  std::string key;
  int year = 0;
  std::vector<std::int64_t> roads;
  bool to_all = false;  // false: closed to cars only; true: removed for walking too
};

struct MetroStation {
  std::string name;
  double x = 0, y = 0;
};

struct AddMetroLine {
  std::string key;
  int year = 0;
  std::string name;
  std::vector<MetroStation> stations;
  std::string crs;
};

struct ControlTotal {
  std::string key;
  int year = 0;
  double population = 0;  // a whole number of persons, at most limits::kMaxPersons
};

// A road class the scenario adds to the built-in OSM highway classes ([road_classes.NAME]); roads
// of the layer and [[add_road]] may then use it. Every other class name is an error.
struct RoadClass {
  double speed_kmh = 0;  // default speed of its roads
  int lanes = 1;         // default lanes
  bool walk = true, drive = true;
  double lane_capacity = 0;   // veh/h per lane (traffic model); default: the profile's [road_capacity] other
};

// The population model's switch (docs/population.md). Its numbers are the profile's
// (Profile::demography ... location_choice); the scenario's [population] keys set some of them
// for one run.
struct PopulationSpec {
  bool enabled = true;
};

struct AddGreenway {
  std::string key;
  int year = 0;
  std::string name;
  std::string level;
  std::string wkt;  // LINESTRING or MULTILINESTRING; or a layer:
  std::filesystem::path source;  // any OGR source in the greenways layer format
  std::string layer;
  std::string crs;  // of the WKT
};

// The traffic model's settings (docs/traffic.md); every value has a documented default. The
// city's trip rates and mode constants are the profile's (Profile::trips, Profile::modes); the
// scenario's [traffic] keys daily_trips_per_resident, peak_hour_share, car_occupancy set them
// for one run.
struct TrafficSpec {
  bool enabled = true;
  double zone_size_m = 1000;              // zones: square cells of this size over the parcels
  double assignment_gap = 1e-6;           // relative gap of the car assignment
  double feedback_gap = 0;                // relative gap of the feedback loops' assignments before the last (0: assignment_gap)
  int feedback_iterations = 3;            // skims <-> demand loops (method of successive averages)
  bool warm_start = true;                 // start each assignment from the last one's bushes
  // Each year's first feedback loop skims at last year's congested link times (same drive
  // network) instead of free-flow times (docs/traffic.md, "Feedback").
  bool feedback_from_last_year = false;
  std::vector<std::int64_t> close_roads;  // road ids closed to cars in this scenario
  // Road classes of the car assignment network (docs/traffic.md); empty: every drivable road.
  std::vector<std::string> assignment_roads;
};

// Where residents live inside their parcel and how they reach the street (docs/access.md).
struct HomesSpec {
  double spacing_m = 50;             // lattice spacing of home points where no buildings are mapped
  double min_building_cover = 0.1;   // residential footprints must cover this share of a parcel's area
  double default_levels = 1;         // storeys of a building whose levels are not given
  std::vector<std::string> residential_types = {"apartments", "residential", "house", "detached", "semidetached_house",
                                                "terrace", "dormitory", "bungalow"};
  std::vector<std::string> generic_types = {"yes"};  // count only in parcels whose land use houses residents
  double attach_max_m = 500;         // a home point farther than this from a usable street is unattached
  double min_fragment_m = 300;       // network parts shorter than this in total are data gaps, not islands
  std::filesystem::path raster;      // optional population raster (any GDAL raster); empty: none
  int raster_band = 1;
};

// A command-line override of one scalar key (`--set KEY=VALUE`, `--seed N`): the dotted path of
// the key (`population.growth_pct_per_year`, `homes.spacing_m`, `seed`) and its value as TOML
// (`0.8`, `true`, `"text"`; a bare word is a string).
struct Override {
  std::string key;
  std::string value;
  std::string origin;  // "--set homes.spacing_m=25", for messages
};

struct Scenario {
  std::filesystem::path file;
  std::string name;
  std::string description;
  std::uint64_t seed = 0;
  int base_year = 2024;
  int end_year = 2024;  // last simulated year (inclusive)
  std::string crs;  // metric CRS for the run; empty: the UTM zone of the data
  Profile profile;  // the city's numbers (the `profile` file), with the scenario's settings applied
  std::map<std::string, std::string> profile_set;  // profile key -> the scenario key that set it for this run
  LayerSpec parcels, roads, greenways, facilities;
  LayerSpec buildings, barriers;  // optional (source empty when not named)
  std::vector<Norm> norms;
  std::map<std::string, RoadClass> road_classes;  // added to the built-in classes (city/road_rules.hpp)
  std::map<std::string, LandUse> land_uses;       // added to the profile's land uses (Profile::land_uses)
  std::vector<AddFacility> add_facilities;
  std::vector<AddGreenway> add_greenways;
  std::vector<RemoveFacility> remove_facilities;
  std::vector<Rezone> rezones;
  std::vector<AddRoad> add_roads;
  std::vector<CloseRoad> close_roads;
  std::vector<AddMetroLine> add_metro_lines;
  std::vector<ControlTotal> control_totals;
  TrafficSpec traffic;
  PopulationSpec population;
  HomesSpec homes;
  std::vector<Override> overrides;  // applied by load_scenario, in order
  std::string effective_toml;       // the scenario as run (file + overrides), TOML text
};

// Parses and validates the file: the path (a readable regular file), the bytes (non-ASCII only
// inside strings and comments), unknown keys (with the nearest valid key suggested), wrong
// types, integers where integers are meant, out-of-range values (scenario/limits.hpp). Throws
// core::InputError naming the file and key.
Scenario load_scenario(const std::filesystem::path& file);

// load_scenario with the overrides applied to the file's table before any validation, so an
// override is checked exactly like the file (unknown key: the nearest one suggested). The
// scenario's `effective_toml` is the table after the overrides.
Scenario load_scenario(const std::filesystem::path& file, const std::vector<Override>& overrides);

// The scenario as run (effective_toml) with every path it holds (profile, layers.*.source,
// homes.raster, add_greenway.source) made absolute, so the text can be saved anywhere (a what-if
// written by site-select) and still name the same files; `name` replaces the scenario's name
// when given.
std::string toml_with_absolute_paths(const Scenario& s, const std::string& name = "");

// The profile's norms (its standards file with its [norms.<class>] overrides) with its facility
// capacities: a scenario's norms before its own [norms.<class>] tables.
std::vector<Norm> default_norms(const Profile& p);

// Where a number of the run's profile was given, for messages: the scenario's key when the
// scenario set it ([population], [traffic]), else the profile file's key.
core::Where where_of(const Scenario& s, const std::string& profile_key);

// The logical fields each layer role knows, and the default field names.
const std::map<std::string, std::string>& default_fields(const std::string& role);
// Logical fields a layer of this role must have.
const std::vector<std::string>& required_fields(const std::string& role);

// A TOML file read with the scenario file's checks (a readable regular file of bounded size,
// non-ASCII only inside strings and comments, valid TOML): study files of `urbantwin batch`, the
// [prepare_osm] tables of city profiles. Every TOML reader of the project goes through it.
// `what` names the file in messages ("study"). Throws core::InputError naming the file.
toml::table parse_toml_file(const std::filesystem::path& file, const std::string& what);

}  // namespace ut::scenario
