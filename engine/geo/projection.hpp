#pragma once
// Coordinate transformation through PROJ; PROJ's headers stay inside this module.
#include <memory>
#include <optional>
#include <string>

#include "geo/geometry.hpp"

namespace ut::geo {

class Projection {
 public:
  // source and target: anything PROJ understands (EPSG:xxxx, WKT, PROJ strings). Coordinates are
  // in "visualisation order" (x = longitude/easting, y = latitude/northing) on both sides.
  // Throws core::InputError naming the CRS when it is unknown.
  Projection(const std::string& source, const std::string& target);
  ~Projection();
  Projection(const Projection&) = delete;
  Projection& operator=(const Projection&) = delete;

  // Transforms in place; returns false when any coordinate could not be transformed.
  bool apply(Point* pts, std::size_t n) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// What PROJ says about a CRS definition (the horizontal part of a compound or bound CRS).
struct CrsInfo {
  enum class Kind { geographic, projected, engineering, other };
  Kind kind = Kind::other;
  std::string name;                                 // "WGS 84 / UTM zone 48N"
  std::string id;                                   // "EPSG:32648"; empty when it has none
  std::string unit;                                 // unit of the first axis: "metre", "degree", "US survey foot"
  double unit_factor = 0;                           // to metres (linear units) or radians (angular units)
  bool has_area = false;                            // area of use known (PROJ's database)
  double west = 0, south = 0, east = 0, north = 0;  // area of use, lon/lat degrees
};
// nullopt when PROJ does not know the definition. Logs nothing.
std::optional<CrsInfo> crs_info(const std::string& definition);

// Where coordinates of a CRS may lie: its area of use widened by `margin_deg` degrees, as a box
// in the CRS's own coordinates (x = easting or longitude). A geographic CRS is always held to
// longitude -180..180 and latitude -90..90. known == false: no area of use (a custom CRS), no box.
struct Domain {
  bool known = false;
  BBox box;
  std::string text;  // "EPSG:32648, lon 97..113, lat -5..89", for messages
  bool contains(const Point& p) const {
    return !known || (p.x >= box.min_x && p.x <= box.max_x && p.y >= box.min_y && p.y <= box.max_y);
  }
};
Domain crs_domain(const std::string& definition, double margin_deg);

// "EPSG:326zz" / "EPSG:327zz": the UTM zone holding (lon, lat) in degrees.
std::string utm_epsg_for(double lon, double lat);

// True when PROJ knows the CRS definition.
bool crs_is_known(const std::string& definition);

// The WKT of a CRS definition (for writing outputs); empty when unknown.
std::string crs_wkt(const std::string& definition);

}  // namespace ut::geo
