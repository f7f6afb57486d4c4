#pragma once
// Coordinate transformation through PROJ; PROJ's headers stay inside this module.
#include <memory>
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

// "EPSG:326zz" / "EPSG:327zz": the UTM zone holding (lon, lat) in degrees.
std::string utm_epsg_for(double lon, double lat);

// True when PROJ knows the CRS definition.
bool crs_is_known(const std::string& definition);

// The WKT of a CRS definition (for writing outputs); empty when unknown.
std::string crs_wkt(const std::string& definition);

}  // namespace ut::geo
