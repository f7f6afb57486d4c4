#pragma once
// A GeoPackage of per-parcel tables with the parcels' geometry (a study's parcels_summary.gpkg,
// `urbantwin compare --study`'s parcel_diff.gpkg): one polygon layer per table, every parcel
// with its values; Boolean fields as OGR Booleans. Written atomically (core::Staging).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/credit.hpp"
#include "geo/geometry.hpp"

namespace ut::output {

struct ParcelTable {
  enum class Type { real, integer, boolean };
  std::string name;         // the layer name
  std::string description;  // the layer's description (gpkg_contents)
  std::vector<std::pair<std::string, Type>> fields;
  std::vector<std::vector<std::optional<double>>> values;  // per parcel (ids' order), per field; nullopt: no data
};

// `inputs`: files the output must never replace (core::Staging rules; an earlier file of ours at
// `file` is replaced). `credit`: the layers' credit and licence (the data's they were made from).
void write_parcel_tables(const std::filesystem::path& file, const std::vector<std::filesystem::path>& inputs,
                         const std::string& crs, const std::vector<std::int64_t>& parcel_ids,
                         const std::vector<geo::MultiPolygon>& shapes, const std::vector<ParcelTable>& tables,
                         const core::Credit& credit, const std::vector<std::pair<std::string, std::string>>& about);

}  // namespace ut::output
