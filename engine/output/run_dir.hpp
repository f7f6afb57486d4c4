#pragma once
// The run directory of the contract (docs/architecture.md): manifest.json, indicators.csv,
// outputs.gpkg; built in a temporary sibling and renamed into place at the end.
#include <filesystem>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "city/city.hpp"
#include "graph/entry.hpp"
#include "homes/homes.hpp"
#include "core/credit.hpp"
#include "core/staging.hpp"
#include "scenario/scenario.hpp"
#include "sim/simulation.hpp"

namespace ut::output {

// What a run directory keeps (`urbantwin run --keep`, a study's `keep`): indicators (manifest.json,
// indicators.csv, compliance.csv, scenario.toml, ATTRIBUTION.txt, timings.json: about 55 KB), parcels (and
// parcel_years.csv: every parcel's values every year), full (and outputs.gpkg: the maps).
enum class Keep { indicators, parcels, full };
inline const char* keep_name(Keep k) { return k == Keep::indicators ? "indicators" : k == Keep::parcels ? "parcels" : "full"; }

struct RunInfo {
  unsigned threads = 0;
  std::vector<std::pair<std::string, double>> phase_seconds;
  std::vector<std::pair<std::string, std::uint64_t>> phase_peak_added_kib;  // KiB the peak RSS rose per phase (timings.json)
  std::vector<std::string> notes;
  sim::NetworkStats network;
  const homes::HomePoints* homes = nullptr;                 // the home_points layer; null: not written
  const std::vector<graph::EntryPoint>* home_walk = nullptr;  // their walk entries (same order)
};

// The inputs manifest.json records: role, absolute path, layer (empty: none), SHA-256 (by `sha256`,
// so a study can hash each file once).
struct InputRecord {
  std::string role, path, layer, sha256;
};
std::vector<InputRecord> input_records(const scenario::Scenario& s,
                                       const std::function<std::string(const std::filesystem::path&)>& sha256);

// Every file and folder a run of `s` reads (the scenario file and its layer sources).
std::vector<std::filesystem::path> scenario_inputs(const scenario::Scenario& s);
// The output rules of a run directory (core::Staging): create the Staging from it before the
// simulation, so a refused or unwritable output stops the command before any work.
core::Staging::Spec run_output_spec(const std::filesystem::path& dir, const scenario::Scenario& s, bool overwrite);

// Progress of a run directory's writing (a command's bar): what is being written ("parcels:
// 16384/94722 rows") and the fraction done, of the year's rows inside add_year, of the rest of
// the writing inside finish.
using WriteProgress = std::function<void(const std::string& what, double fraction)>;

// Writes a run directory while the run goes (docs/performance.md, "Writing the year tables"):
// each simulated year's rows of parcel_years (parcel_years.csv and the GeoPackage's table) and
// link_years are written into the staging's temporary folder when the year is handed over, and
// its per-parcel and per-point arrays are dropped when the next year arrives, so a run holds one
// year's arrays, not every year's. finish() writes the final year's layers, the manifest and
// commits. Any OutputError names the final path, not the hidden temporary.
class RunWriter {
 public:
  // `plan`: the city with every feature tagged with its years (gis_io::load_city); `s` and
  // `plan` must outlive the writer.
  RunWriter(core::Staging& staging, const scenario::Scenario& s, const city::City& plan, Keep keep, WriteProgress progress = {});
  ~RunWriter();
  RunWriter(const RunWriter&) = delete;
  RunWriter& operator=(const RunWriter&) = delete;

  // The year just simulated; years in order, the base year first.
  void add_year(sim::YearResult y);
  // Every year handed over: indicators, sites, the population's and traffic's totals, phase
  // times; the per-parcel and per-point arrays only in the last one.
  const std::vector<sim::YearResult>& years() const;
  // The final year's layers (parcels, home points, links), facilities, greenways, the view
  // parcels_by_year, manifest.json and timings.json; then the commit.
  void finish(const RunInfo& info);
  // Wall seconds of the writing so far, per part (timings.json: write_parcel_years_csv, ...).
  const std::vector<std::pair<std::string, double>>& seconds() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The byte copy of the scenario file in a run directory (scenario.toml is the scenario as run,
// with the command line's overrides).
inline constexpr const char* kScenarioCopy = "scenario.original.toml";

// manifest.json's "commit": "abc1234", "abc1234-dirty" (tracked files changed since that commit)
// or nullopt, written null (built from a tree that is not a git work tree).
std::optional<std::string> build_commit_label();

// indicators.csv text: a header, then one row per year; empty cell = no data.
// A cell: counts (population, births, ...) as integers, every other indicator to 6 decimals.
std::string indicators_csv(const std::vector<sim::YearResult>& years);
std::string format_indicator(const std::string& name, double value);
bool indicator_is_count(const std::string& name);
// The solver's convergence (assignment_relative_gap): a diagnostic of a run, not an effect.
bool indicator_is_diagnostic(const std::string& name);
// A statistic of an indicator over runs (a study's means, intervals, differences): 6 decimals,
// a diagnostic to 6 significant digits.
std::string format_statistic(const std::string& name, double value);
// An indicator for a person at a terminal (run's and compare's summaries): counts whole, small
// values to 3 significant digits, others to 2 decimals.
std::string show_indicator(const std::string& name, double value);

// compliance.csv text: `year,indicator,norm,clause,op,target,value,status`, one row per year and
// [[compliance]] norm of the profile (docs/compliance.md); value empty when no data; text cells
// quoted as RFC 4180 asks when they hold a comma, a quote or a line break.
std::string compliance_csv(const scenario::Scenario& s, const std::vector<sim::YearResult>& years);

inline constexpr const char* kAttribution = core::kOsmCredit;
inline constexpr const char* kOsmLicense = core::kOsmLicense;
using Credit = core::Credit;

// The credit a run's outputs carry, following its input data (docs/conventions.md, "Credits"):
// OpenStreetMap's (kAttribution, ODbL) where an input source declares an OpenStreetMap credit or
// declares none; every other credit the sources declare, as written (a synthetic city's says it
// is no third party's data).
Credit run_credit(const city::City& c);

// The credit as the comment line a written what-if scenario starts with (site-select, the edit
// session): OpenStreetMap's as it always was, any other credit as written.
std::string credit_comment(const Credit& c);

}  // namespace ut::output
