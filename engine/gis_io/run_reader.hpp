#pragma once
// Reads a run directory that `urbantwin run` wrote (indicators.csv, outputs.gpkg): what
// `urbantwin compare` and other readers need. Throws core::InputError naming the file, layer
// and rule when the directory is not a complete run directory.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "geo/geometry.hpp"

namespace ut::gis_io {

struct RunData {
  std::filesystem::path dir;
  std::string scenario;  // from the about table
  std::string crs_wkt;
  std::vector<std::string> indicators;                // indicators.csv columns after `year`
  std::map<int, std::vector<std::optional<double>>> rows;  // year -> values (nullopt: no data)
  std::vector<std::int64_t> parcel_id;                // parcels layer order
  std::vector<geo::MultiPolygon> parcel_shape;
  std::vector<std::string> parcel_fields;             // numeric fields of parcel_years after parcel_id, year
  // (year, parcel index) -> values of parcel_fields (nullopt: no data)
  std::map<int, std::vector<std::vector<std::optional<double>>>> parcel_years;
};

RunData read_run(const std::filesystem::path& dir);

}  // namespace ut::gis_io
