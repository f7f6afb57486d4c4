#pragma once
// The study's tables (docs/batch.md): study.json (the study and the state of every run),
// indicators_long.csv, summary.csv, differences.csv and parcels_summary.gpkg, all computed from
// study.json and the run directories alone, so a study directory can be summarised again, by
// any rank or shard, with byte-identical results.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "batch/execute.hpp"
#include "batch/stats.hpp"
#include "batch/study.hpp"
#include "core/credit.hpp"

namespace ut::batch {

struct IndexRun {
  std::string name;
  std::size_t variant = 0;
  std::uint64_t seed = 0;
  std::string status;  // done | failed | missing
};

struct IndexVariant {
  std::string label, scenario, file, overrides;
  std::optional<std::size_t> reference;  // the variant it is compared with
};

struct StudyIndex {
  std::filesystem::path dir;
  std::string name, description, reference, keep;
  std::vector<std::uint64_t> seeds;
  std::vector<IndexVariant> variants;
  std::vector<IndexRun> runs;
  std::vector<std::filesystem::path> inputs;  // files the tables must never replace
};

// study.json: what the study file, the seeds and the run directories determine (no times, no
// host names), so an interrupted and resumed study writes the same bytes as an uninterrupted one.
void write_study_json(const Study& s, const std::vector<RunState>& states, const std::filesystem::path& dir);
// Reads DIR/study.json (core::InputError naming the file and key when it is not a study of ours).
StudyIndex read_study_index(const std::filesystem::path& dir);

// Writes the tables from the runs marked done. parcels_summary.gpkg only when the runs kept
// parcel_years.csv (keep = +parcels or full).
void write_study_tables(const StudyIndex& index);

// Per year and indicator, B - A paired by seed, for two variants of a study.
struct IndicatorDifference {
  int year = 0;
  std::string indicator;
  Summary a, b;
  Difference diff;
};
std::vector<IndicatorDifference> indicator_differences(const StudyIndex& index, std::size_t a, std::size_t b);

// Writes `urbantwin compare --study DIR A B` into out_dir (atomic): indicator_diff.csv and, when
// the runs kept parcels, parcel_diff.gpkg; prints the final year's differences with their
// intervals, marking those within noise (unless quiet). Returns the differences, every year.
std::vector<IndicatorDifference> compare_variants(const StudyIndex& index, std::size_t a, std::size_t b, const std::filesystem::path& out_dir,
                      bool overwrite, bool quiet);
// The credit of what the study's done runs were made from (of `variants`, every variant when
// empty): the union of the credits their manifest.json records (docs/conventions.md, "Credits").
core::Credit study_credit(const StudyIndex& index, const std::vector<std::size_t>& variants = {});
// The summary compare_variants prints on stdout: the final year's differences B - A.
void print_variant_differences(const StudyIndex& index, std::size_t a, std::size_t b, const std::filesystem::path& out_dir,
                               const std::vector<IndicatorDifference>& diffs);

// The variant a name means: its label, or its scenario name when that is unique (InputError
// otherwise, with the nearest label suggested).
std::size_t find_variant(const StudyIndex& index, const std::string& name);

}  // namespace ut::batch
