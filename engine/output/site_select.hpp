#pragma once
// The site-select output directory (docs/site-select.md): sites.gpkg, gain.csv, whatif.toml,
// manifest.json ({"kind": "site-select"}), ATTRIBUTION.txt; written through core::Staging.
#include <filesystem>
#include <string>
#include <vector>

#include "city/city.hpp"
#include "core/staging.hpp"
#include "scenario/scenario.hpp"
#include "siting/siting.hpp"

namespace ut::output {

// Checked before any work: the scenario's inputs and `extra_inputs` (a candidates layer) are
// never replaced; an existing DIR only if it is an earlier site-select output and `overwrite`.
core::Staging::Spec site_select_output_spec(const std::filesystem::path& dir, const scenario::Scenario& s,
                                            bool overwrite, const std::vector<std::filesystem::path>& extra_inputs);

// The what-if scenario: the scenario as run (paths absolute), renamed, with one [[add_facility]]
// per chosen site opening in the result's year, at its point in the run's CRS.
std::string whatif_toml(const scenario::Scenario& s, const city::City& plan, const siting::Result& r);

// gain.csv: rank, candidate_id, parcel_id, residents_new, residents_cumulative, share_pct (the
// cumulative newly served as a percentage of all residents of the year).
std::string gain_csv(const siting::Result& r);

void write_site_select(core::Staging& staging, const scenario::Scenario& s, const city::City& plan,
                       const siting::Result& r, const std::string& candidates_what);

}  // namespace ut::output
