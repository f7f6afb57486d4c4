#pragma once
// The run directory of the contract (docs/architecture.md): manifest.json, indicators.csv,
// outputs.gpkg; built in a temporary sibling and renamed into place at the end.
#include <filesystem>
#include <string>
#include <vector>

#include "city/city.hpp"
#include "graph/entry.hpp"
#include "homes/homes.hpp"
#include "core/staging.hpp"
#include "scenario/scenario.hpp"
#include "sim/simulation.hpp"

namespace ut::output {

struct RunInfo {
  unsigned threads = 0;
  std::vector<std::pair<std::string, double>> phase_seconds;
  std::vector<std::string> notes;
  sim::NetworkStats network;
  const homes::HomePoints* homes = nullptr;                 // the home_points layer; null: not written
  const std::vector<graph::EntryPoint>* home_walk = nullptr;  // their walk entries (same order)
};

// Every file and folder a run of `s` reads (the scenario file and its layer sources).
std::vector<std::filesystem::path> scenario_inputs(const scenario::Scenario& s);
// The output rules of a run directory (core::Staging): create the Staging from it before the
// simulation, so a refused or unwritable output stops the command before any work.
core::Staging::Spec run_output_spec(const std::filesystem::path& dir, const scenario::Scenario& s, bool overwrite);

// Writes the run directory into the staging's temporary folder and commits it.
// `plan`: the city with every feature tagged with its years (gis_io::load_city).
void write_run_dir(core::Staging& staging, const scenario::Scenario& s, const city::City& plan,
                   const std::vector<sim::YearResult>& years, const RunInfo& info);

// indicators.csv text: a header, then one row per year; empty cell = no data.
std::string indicators_csv(const std::vector<sim::YearResult>& years);

inline constexpr const char* kAttribution =
    "© OpenStreetMap contributors. Data available under the Open Database License (ODbL), "
    "openstreetmap.org/copyright.";

}  // namespace ut::output
