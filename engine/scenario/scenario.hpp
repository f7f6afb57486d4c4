#pragma once
// A scenario: which layers to load, the norms, and the what-if changes. Loaded from TOML;
// every path is relative to the scenario file. docs/scenario-format.md is the reference.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "scenario/norms.hpp"

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
};

struct AddGreenway {
  std::string key;
  int year = 0;
  std::string name;
  std::string level;
  std::string wkt;  // LINESTRING or MULTILINESTRING
  std::string crs;  // of the WKT
};

// The traffic model's settings (docs/traffic.md); every value has a documented default.
struct TrafficSpec {
  bool enabled = true;
  double zone_size_m = 1000;              // zones: square cells of this size over the parcels
  double daily_trips_per_resident = 2.2;  // person trips per resident per day
  double peak_hour_share = 0.12;          // share of daily trips in the morning peak hour
  double car_occupancy = 1.3;             // persons per car
  double assignment_gap = 1e-6;           // relative gap of the car assignment
  int feedback_iterations = 3;            // skims <-> demand loops (method of successive averages)
  std::vector<std::int64_t> close_roads;  // road ids closed to cars in this scenario
};

struct Scenario {
  std::filesystem::path file;
  std::string name;
  std::string description;
  std::uint64_t seed = 0;
  int base_year = 2024;
  std::string crs;  // metric CRS for the run; empty: the UTM zone of the data
  LayerSpec parcels, roads, greenways, facilities;
  std::vector<Norm> norms;
  std::vector<AddFacility> add_facilities;
  std::vector<AddGreenway> add_greenways;
  TrafficSpec traffic;
};

// Parses and validates the file: unknown keys (with the nearest valid key suggested), wrong
// types, out-of-range values. Throws core::InputError naming the file and key.
Scenario load_scenario(const std::filesystem::path& file);

// The logical fields each layer role knows, and the default field names.
const std::map<std::string, std::string>& default_fields(const std::string& role);
// Logical fields a layer of this role must have.
const std::vector<std::string>& required_fields(const std::string& role);

}  // namespace ut::scenario
