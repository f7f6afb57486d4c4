#pragma once
// A layer of points given on the command line (site-select's --candidates FILE[:LAYER]), read in
// the run's CRS.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "geo/geometry.hpp"

namespace ut::gis_io {

struct PointFeature {
  std::int64_t id = 0;  // the feature's id (FID)
  geo::Point xy;        // in the target CRS
};

struct PointSource {
  std::filesystem::path file;
  std::string layer;  // empty: the source's only layer
};

// "FILE" or "FILE:LAYER" (FILE is taken whole when it exists as given).
PointSource parse_point_source(const std::string& text);

// Every feature of the layer as a point in target_crs. A missing file or layer, a layer without a
// CRS, an empty layer, a feature without a point geometry or with coordinates that cannot be
// transformed: core::InputError naming the file, the layer, the feature and `option`.
std::vector<PointFeature> read_points(const PointSource& src, const std::string& target_crs, const std::string& option);

}  // namespace ut::gis_io
