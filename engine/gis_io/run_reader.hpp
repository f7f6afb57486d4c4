#pragma once
// Reads a run directory that `urbantwin run` wrote (manifest.json, indicators.csv, outputs.gpkg):
// what `urbantwin compare` and other readers need. Strict: the tables are checked against the
// manifest while they are read (indicators.csv: the header's cells on every row, one row per
// manifest year in order, each cell empty or a finite number; parcel_years: exactly one row per
// parcel of `parcels` and manifest year; the columns every run has). Throws core::InputError
// naming the file, the table or layer, the row and the rule when the directory is not a complete
// run directory of urbantwin.
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
  std::string scenario;  // from manifest.json
  std::optional<std::uint64_t> seed;  // manifest.json's seed (runs before it was written: none)
  // manifest.json "attribution": the credit of the run's input data (core::recorded_credit reads
  // it); nullopt for a run written before runs recorded it (OpenStreetMap's).
  std::optional<std::string> attribution;
  std::string crs_wkt;
  std::vector<int> years;                                  // manifest.json years (increasing)
  std::vector<std::string> indicators;                     // indicators.csv columns after `year`
  std::map<int, std::vector<std::optional<double>>> rows;  // year -> values (nullopt: no data); every year of `years`
  std::vector<std::int64_t> parcel_id;                     // parcels layer order (unique)
  std::vector<geo::MultiPolygon> parcel_shape;
  std::vector<std::string> parcel_fields;  // numeric fields of parcel_years after parcel_id, year
  // year -> parcel index -> values of parcel_fields (nullopt: no data); every year of `years`,
  // every parcel.
  std::map<int, std::vector<std::vector<std::optional<double>>>> parcel_years;
};

RunData read_run(const std::filesystem::path& dir);

// The tables of a run directory without its GeoPackage (runs of a study keep only these):
// manifest.json and indicators.csv as read_run checks them, and parcel_years.csv when the run
// kept it (`--keep parcels` or `full`; else parcel_fields and parcel_years stay empty, and
// parcel_shape is always empty).
RunData read_run_tables(const std::filesystem::path& dir);

// manifest.json "attribution" of a run directory (checked as read_run checks the manifest; the
// tables are not read); nullopt when the manifest has none.
std::optional<std::string> read_run_attribution(const std::filesystem::path& dir);

}  // namespace ut::gis_io
