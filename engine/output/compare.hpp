#pragma once
// `urbantwin compare RUN_A RUN_B`: per-year indicator differences (B - A) and per-parcel
// differences, written as DIR/indicator_diff.csv and DIR/parcel_diff.gpkg (atomically).
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/credit.hpp"
#include "core/staging.hpp"
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
  core::Credit credit;                      // both runs' (docs/conventions.md, "Credits")
};

// Checks that the runs can be compared (same parcels, at least one common year); throws
// core::InputError naming the run directory otherwise. `a` and `b` come from gis_io::read_run,
// which has checked each run's tables against its manifest (complete years and parcels).
Comparison compare_runs(const gis_io::RunData& a, const gis_io::RunData& b);

// The output rules of a comparison directory (core::Staging): never one of the runs, never inside
// or around them; an earlier comparison is replaced only with `overwrite`.
core::Staging::Spec compare_output_spec(const std::filesystem::path& dir, const std::filesystem::path& run_a,
                                        const std::filesystem::path& run_b, bool overwrite);

// Writes indicator_diff.csv, parcel_diff.gpkg, ATTRIBUTION.txt and manifest.json into the
// staging's temporary folder and commits it.
void write_comparison(core::Staging& staging, const gis_io::RunData& a, const gis_io::RunData& b, const Comparison& c);

}  // namespace ut::output
