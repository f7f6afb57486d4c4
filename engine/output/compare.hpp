#pragma once
// `urbantwin compare RUN_A RUN_B`: per-year indicator differences (B - A) and per-parcel
// differences, written as DIR/indicator_diff.csv and DIR/parcel_diff.gpkg (atomically).
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "gis_io/run_reader.hpp"

namespace ut::output {

struct IndicatorDiff {
  int year = 0;
  std::string name;
  std::optional<double> a, b;  // nullopt: no data in that run
};

struct Comparison {
  std::vector<int> years;  // years both runs simulated
  std::vector<IndicatorDiff> indicators;  // year-major, in A's column order
  std::vector<std::string> parcel_fields;  // fields of parcel_years both runs have
};

// Checks that the runs can be compared (same parcels, at least one common year); throws
// core::InputError naming the run directory otherwise.
Comparison compare_runs(const gis_io::RunData& a, const gis_io::RunData& b);

void write_comparison(const std::filesystem::path& dir, const gis_io::RunData& a, const gis_io::RunData& b, const Comparison& c);

}  // namespace ut::output
