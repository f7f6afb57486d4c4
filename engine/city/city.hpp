#pragma once
// The city as plain data, in one metric CRS (metres). No I/O, no GDAL: gis_io fills it.
#include <climits>
#include <cstdint>
#include <string>
#include <vector>

#include "geo/geometry.hpp"

namespace ut::city {

// Features carry the years they exist: present in year y when from_year <= y < until_year.
inline constexpr int kAlways = INT_MIN;
inline constexpr int kForever = INT_MAX;

// Parcels as parallel arrays indexed by a dense parcel index 0..size()-1; `id` keeps the id the
// input layer gave.
struct Parcels {
  std::vector<std::int64_t> id;
  std::vector<std::string> land_use;
  std::vector<double> area_m2;
  std::vector<double> floor_area_m2;
  std::vector<std::uint32_t> residents;
  std::vector<geo::Point> centroid;
  std::vector<geo::MultiPolygon> shape;
  std::size_t size() const { return id.size(); }
};

// One facility site. A site may host several classes (a community complex, a nine-year school).
struct Facility {
  std::int64_t id = 0;
  std::string name;
  std::vector<std::string> classes;
  double capacity = -1;  // < 0: not given, the class default applies
  double area_m2 = 0;    // parks and green spaces: polygon area; 0 for point sites
  geo::Point location;   // point sites, or the centroid of an area site
  geo::MultiPolygon shape;  // area sites (parks); empty for points
  std::string origin;       // "layer" or "scenario"
  int from_year = kAlways, until_year = kForever;
};

struct Greenway {
  std::int64_t id = 0;
  std::string name;
  std::string level;  // regional / city / community, where known
  geo::LineString line;
  std::string origin;  // "layer" or "scenario"
  int from_year = kAlways;
};

struct Road {
  std::int64_t id = 0;
  std::string road_class;
  double speed_kmh = 0;
  int lanes = 1;
  int oneway = 0;  // 0 both directions; 1 along the geometry; -1 against it
  bool walk = true;
  bool drive = true;
  geo::LineString line;
  int from_year = kAlways, until_year = kForever;  // until_year: closed to everyone
  int car_free_from = kForever;                     // closed to cars from this year
};

// A rezoning from the scenario, resolved to parcel indices.
struct Rezoning {
  std::string key;  // "rezone[2]", for messages
  int year = 0;
  std::vector<std::uint32_t> parcels;
  std::string land_use;  // empty: unchanged
  double far = -1;       // < 0: unchanged
  double units = -1;     // < 0: derived from the residential floor area
};

// A building footprint from the scenario's buildings layer: where a parcel's residents live when
// its residential buildings are mapped (docs/access.md, "Home points").
struct Building {
  std::int64_t id = 0;
  std::string type;   // building=* value ("apartments", "house", "yes", ...); may be empty
  double levels = 0;  // storeys above ground; 0: not given (homes.default_levels applies)
  geo::MultiPolygon shape;
  double area_m2 = 0;  // footprint area
};

// Something a walk from a home or a site to the street cannot cross (docs/access.md): water
// areas (polygons), and railways, motorways or rivers drawn as lines.
struct Barrier {
  std::int64_t id = 0;
  std::string kind;         // "water", "railway", "motorway", "river", ... (from the layer)
  geo::MultiPolygon area;   // polygon barriers (water); empty for lines
  std::vector<geo::LineString> lines;  // line barriers; empty for polygons
};

// A population raster (WorldPop / GHS-POP style) warped into the run's CRS: a north-up grid of
// cell values (persons per cell; only their ratios inside a parcel are used). Row 0 is the top.
struct DensityGrid {
  std::string source;  // file, for notes
  double x0 = 0, y0 = 0;  // top-left corner
  double dx = 0, dy = 0;  // cell size (dy > 0; rows go south)
  std::size_t nx = 0, ny = 0;
  std::vector<float> value;  // nx * ny, row-major; NaN or < 0: no data
  bool empty() const { return value.empty(); }
};

struct City {
  std::string crs;      // the metric CRS everything is in ("EPSG:32648")
  std::string crs_wkt;  // its WKT, for outputs
  Parcels parcels;
  std::vector<Building> buildings;  // empty: the scenario names no buildings layer
  std::vector<Barrier> barriers;    // empty: the scenario names no barriers layer
  DensityGrid density;              // empty: the scenario names no population raster
  std::vector<Facility> facilities;
  std::vector<Greenway> greenways;
  std::vector<Road> roads;
  std::vector<Rezoning> rezonings;  // applied by the simulation in their year
  // The credits the input layers' sources declare (a GeoPackage's `about` table, key
  // `attribution`, as `prepare-osm` and `bench/citygen` write it), each once, in layer order;
  // `undeclared_sources`: layer sources that declare none (their data taken to be OpenStreetMap's).
  std::vector<std::string> attribution;
  std::size_t undeclared_sources = 0;
};

// The city as it stands in `year`: features that exist then; roads closed to cars lose `drive`.
// Parcels and rezonings are copied unchanged (the simulation applies rezonings).
City at_year(const City& plan, int year);

}  // namespace ut::city
