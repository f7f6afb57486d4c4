#pragma once
// A run directory as the viewer sees it: parcels, links, greenways and facilities in local
// coordinates (metres from the run's centre, for float precision), with every per-year value the
// engine wrote (parcel_years, link_years). Read with GDAL; no OpenSceneGraph here.
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "geo/geometry.hpp"

namespace ut::run_data {

inline constexpr float kNoData = std::numeric_limits<float>::quiet_NaN();

struct Facility {
  geo::Point at;  // local
  std::string cls;  // the first class
  std::string name;
  int from_year = -1, until_year = -1;  // -1: always / forever
};

// The `home_points` layer (optional; runs before home points have none): where the parcels'
// residents live, with the run's last year's values. For each key (a class name of the manifest's
// `classes`, or cov_5min / cov_10min / cov_15min) every point is within reach, not, or no data
// (a class without sites that year).
struct HomePoints {
  enum State : std::uint8_t { not_within = 0, within = 1, no_data = 2 };
  int year = 0;                        // the year the values are of (the run's last year)
  std::vector<std::int64_t> point_id;
  std::vector<geo::Point> at;          // local
  std::vector<std::uint32_t> parcel;   // index into the parcels
  std::vector<std::int32_t> residents;
  std::vector<std::string> keys;
  std::vector<std::vector<std::uint8_t>> state;  // state[key][point]
  std::size_t size() const { return at.size(); }
  // The key an indicator's points are coloured by: its class (dist_/time_/share_/served_/supply_
  // of a class), the tier for cov_<N>min, else cov_15min; npos when there is none.
  std::size_t key_for(const std::string& indicator) const;
};

// How a class is within reach (manifest.json `classes`): for the live edits' bilingual messages.
struct ClassReach {
  std::string name;
  int tier_min = 0;      // the life-circle tier (5, 10, 15 minutes) the class belongs to; 0: none
  double radius_m = 0;   // walk radius (walk classes)
  double drive_min = 0;  // drive budget (drive classes)
};

struct RunData {
  std::filesystem::path dir;
  std::string scenario, attribution;
  geo::Point origin;                    // run CRS coordinates of the local origin
  double half_extent = 1;               // half the larger side of the parcels' bounding box, metres
  std::vector<int> years;
  // Parcels (parcels layer order).
  std::vector<std::int64_t> parcel_id;
  std::vector<geo::MultiPolygon> parcel_shape;  // local
  std::vector<geo::Point> parcel_anchor;        // a point inside each parcel (local)
  std::vector<float> parcel_height;             // metres
  // Per-year parcel values: indicators[k] has values[k][year index][parcel] (NaN: no data).
  std::vector<std::string> indicators;
  std::vector<std::vector<std::vector<float>>> values;
  // Links (links layer order) and their per-year v/c (NaN: closed that year).
  std::vector<geo::LineString> link_line;  // local
  std::vector<float> link_width_m;
  std::vector<std::vector<float>> link_voc;
  std::vector<geo::LineString> greenway_line;  // local
  std::vector<int> greenway_from;              // -1: always
  std::vector<Facility> facilities;
  HomePoints homes;
  std::vector<ClassReach> classes;  // manifest order (the norms' order)

  std::size_t year_index(int year) const;         // throws InputError for a year the run lacks
  std::size_t indicator_index(const std::string& name) const;  // throws InputError with the choices
};

// Reads DIR/outputs.gpkg and DIR/manifest.json's years (and classes, for the home points). Throws core::InputError naming the file,
// layer and rule (missing directory, missing layer or field).
RunData load(const std::filesystem::path& dir);

// The credits runs record (manifest.json "attribution", docs/conventions.md "Credits") as one
// short line for the screen: OpenStreetMap's as `osm` where a run's data is OpenStreetMap's (or
// the run records none), then every other credit once, as written, joined by " · ".
std::string credit_line(const std::vector<std::string>& attributions, const std::string& osm);

// A synthetic city for benchmarks and tests: n square parcels on a grid, `years` years of values
// of one indicator ("value"), streets between the blocks.
RunData synthetic(std::size_t parcels, int years);

}  // namespace ut::run_data
