// The `urbantwin` command: parses arguments, composes the modules, maps errors to exit codes
// (0 success, 2 bad input or usage, 1 internal error).
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <tbb/global_control.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <memory>
#include <optional>

#include "app/assign_cmd.hpp"
#include "app/batch_cmd.hpp"
#include "app/compare_cmd.hpp"
#include "app/site_select_cmd.hpp"
#include "core/error.hpp"
#include "core/staging.hpp"
#include "gis_io/load.hpp"
#include "gis_io/prepare_osm.hpp"
#include "output/run_dir.hpp"
#include "scenario/scenario.hpp"
#include "sim/simulation.hpp"

namespace {

struct RunArgs {
  std::filesystem::path scenario;
  std::filesystem::path out;
  unsigned threads = 0;
  int until = 0;  // 0: the scenario's end_year
  bool quiet = false;
  bool overwrite = false;
  std::optional<std::string> seed;  // --seed N
  std::vector<std::string> set;     // --set KEY=VALUE, in order
  std::string keep = "full";        // --keep indicators|parcels|full
};

void progress(const RunArgs& a, const std::string& msg) {
  if (!a.quiet && ::isatty(2)) fmt::print(stderr, "urbantwin: {}\n", msg);
}

int cmd_run(const RunArgs& a, bool write) {
  const auto t0 = std::chrono::steady_clock::now();
  progress(a, "reading scenario " + a.scenario.string());
  std::vector<ut::scenario::Override> overrides;
  for (const auto& kv : a.set) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos)
      throw ut::core::InputError(ut::core::Where{a.scenario.string(), "", "option --set " + kv},
                                 "must be KEY=VALUE, such as homes.spacing_m=25", kv);
    overrides.push_back({kv.substr(0, eq), kv.substr(eq + 1), "option --set " + kv});
  }
  if (a.seed) overrides.push_back({"seed", *a.seed, "option --seed " + *a.seed});
  auto s = ut::scenario::load_scenario(a.scenario, overrides);
  if (a.until != 0) {
    if (a.until < s.base_year || a.until > s.end_year)
      throw ut::core::InputError(ut::core::Where{a.scenario.string(), "", "option --until"},
                                 fmt::format("must be a year the scenario simulates (base_year..end_year = {}..{})", s.base_year,
                                             s.end_year),
                                 std::to_string(a.until));
    s.end_year = a.until;
  }
  // The output is checked (not an input, not someone else's folder, writable) and locked before
  // any work, so a refused output costs nothing and no simulation is lost to it.
  std::optional<ut::core::Staging> staging;
  const auto out = a.out.empty() ? std::filesystem::path("runs") / s.name : a.out;
  if (write) staging.emplace(ut::output::run_output_spec(out, s, a.overwrite));
  progress(a, "loading layers");
  const auto tl = std::chrono::steady_clock::now();
  const auto city = ut::gis_io::load_city(s);
  const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - tl).count();
  ut::sim::Simulation sim(s, city);
  progress(a, "building networks");
  sim.build_networks();
  if (!write) {
    const auto& st = sim.network_stats();
    fmt::print("{}: valid. {} parcels, {} roads, {} greenways, {} facilities; walk graph {} nodes / {} edges, "
               "drive graph {} nodes / {} edges; CRS {}\n",
               a.scenario.string(), city.parcels.size(), city.roads.size(), city.greenways.size(),
               city.facilities.size(), st.walk_nodes, st.walk_edges, st.drive_nodes, st.drive_edges, city.crs);
    return 0;
  }
  const auto years = sim.run([&](int year) { progress(a, "simulating " + std::to_string(year)); });
  ut::output::RunInfo info;
  info.keep = a.keep == "indicators" ? ut::output::Keep::indicators
              : a.keep == "parcels"  ? ut::output::Keep::parcels
                                     : ut::output::Keep::full;
  info.threads = a.threads;
  info.phase_seconds.emplace_back("load", load_s);
  for (const auto& p : sim.phase_seconds()) info.phase_seconds.push_back(p);
  info.notes = sim.notes();
  info.network = sim.network_stats();
  info.homes = &sim.home_points();
  info.home_walk = &sim.home_walk_entries();
  progress(a, "writing " + out.string());
  ut::output::write_run_dir(*staging, s, city, years, info);
  if (!a.quiet) {
    fmt::print("{}: {} parcels, {}-{}, {} residents in {}, {:.2f} s\n", out.string(), city.parcels.size(),
               years.front().year, years.back().year, years.back().indicators[1].value.value_or(0), years.back().year,
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    for (const auto& ind : years.back().indicators)
      if (ind.name != "year") fmt::print("  {:<36} {}\n", ind.name, ind.value ? (std::abs(*ind.value) < 0.01 && *ind.value != 0 ? fmt::format("{:.3g}", *ind.value) : fmt::format("{:.2f}", *ind.value)) : "no data");
    fmt::print("{}\n", ut::output::kAttribution);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"UrbanTwin: digital-twin simulation of urban planning scenarios"};
  app.set_version_flag("--version", std::string("urbantwin ") + UT_VERSION);
  app.require_subcommand(1);

  RunArgs run;
  auto* cmd_runp = app.add_subcommand("run", "Run a scenario and write its run directory");
  cmd_runp->add_option("scenario", run.scenario, "Scenario file (TOML)")->required();
  cmd_runp->add_option("--out", run.out, "Run directory to write (default runs/<scenario name>)");
  cmd_runp->add_option("--threads", run.threads, "Worker threads (default: all cores); results do not depend on it")
      ->check(CLI::Range(1u, 1024u));
  cmd_runp->add_option("--until", run.until, "Stop after this year (default: the scenario's end_year)");
  cmd_runp->add_flag("--quiet", run.quiet, "Print nothing but errors");
  cmd_runp->add_flag("--overwrite", run.overwrite, "Replace an earlier run directory of the same path (never anything else)");
  cmd_runp->add_option("--seed", run.seed, "Seed of the random streams (0..2^63-1), in place of the scenario's seed");
  cmd_runp->add_option("--set", run.set, "Override one scalar key of the scenario: KEY=VALUE (e.g. homes.spacing_m=25); repeatable")
      ->take_all();
  cmd_runp->add_option("--keep", run.keep,
                       "What the run directory keeps: indicators (about 20 KB), parcels (and parcel_years.csv) or full "
                       "(and outputs.gpkg; the default)")
      ->check(CLI::IsMember({"indicators", "parcels", "full"}));

  RunArgs val;
  auto* cmd_val = app.add_subcommand("validate", "Check a scenario and its layers without running it");
  cmd_val->add_option("scenario", val.scenario, "Scenario file (TOML)")->required();

  ut::gis_io::PrepareOptions prep;
  auto* cmd_prep = app.add_subcommand("prepare-osm", "Derive parcels, roads, greenways and facilities from an OSM extract");
  cmd_prep->add_option("osm", prep.osm, "OpenStreetMap extract (.osm or .osm.pbf)")->required();
  cmd_prep->add_option("--metro", prep.metro, "Metro stations (any OGR source with type=subway_station points)");
  cmd_prep->add_option("--out", prep.out, "GeoPackage to write")->required();
  cmd_prep->add_option("--profile", prep.profile, "City profile (TOML) with the [prepare_osm] tables, e.g. gis-data/generic/profile.toml");
  cmd_prep->add_option("--area", prep.area, "Study area: an Osmosis .poly file or any OGR polygon layer (default: FILE.poly beside the extract, else its box)");
  cmd_prep->add_option("--bbox", prep.bbox, "Study area as a box W,S,E,N in degrees");
  cmd_prep->add_option("--residents", prep.residents, "Total residents of the study area (e.g. a census figure), spread by residential floor area");
  cmd_prep->add_option("--residents-per-km2", prep.residents_per_km2, "Residents per km2 of land in the study area (checked by prepare-osm: (0, 200000])");
  cmd_prep->add_option("--population-raster", prep.population_raster, "Residents per cell: any GDAL raster with a CRS");
  bool prep_overwrite = false;
  cmd_prep->add_flag("--overwrite", prep_overwrite, "Replace an earlier GeoPackage of the same path (never an input)");

  ut::app::AssignArgs asg;
  auto* cmd_asg = app.add_subcommand("assign", "User-equilibrium traffic assignment of a TNTP network and trip table");
  cmd_asg->add_option("--net", asg.net, "Network file (TNTP _net.tntp)")->required();
  cmd_asg->add_option("--trips", asg.trips, "Trip table (TNTP _trips.tntp)")->required();
  cmd_asg->add_option("--gap", asg.gap, "Stop at this relative gap (TSTT - SPTT) / SPTT");
  cmd_asg->add_option("--max-iter", asg.max_iter, "Most outer iterations")->check(CLI::Range(1, 1000000));
  cmd_asg->add_option("--threads", asg.threads, "Worker threads (default: all cores); results do not depend on it")
      ->check(CLI::Range(1u, 1024u));
  cmd_asg->add_option("--toll-factor", asg.toll_factor, "Generalised cost per unit of toll");
  cmd_asg->add_option("--distance-factor", asg.distance_factor, "Generalised cost per unit of length");
  cmd_asg->add_option("--flows-out", asg.flows_out, "Write link flows here: one row per link in net-file order, 'from to volume cost'");
  cmd_asg->add_option("--algorithm", asg.algorithm, "b (Algorithm B, default) or fw (Frank-Wolfe, a cross-check)")
      ->check(CLI::IsMember({"b", "fw"}));
  cmd_asg->add_flag("--json", asg.json, "Print one JSON object with the results");
  cmd_asg->add_flag("--quiet", asg.quiet, "Print nothing but errors");
  cmd_asg->add_flag("--strict", asg.strict, "Treat every warning of the TNTP reader as an error (exit 2)");
  cmd_asg->add_flag("--overwrite", asg.overwrite, "Replace an earlier --flows-out file (never an input)");

  ut::app::CompareArgs cmp;
  auto* cmd_cmp = app.add_subcommand("compare", "Differences between two run directories (B - A), per year and per parcel");
  cmd_cmp->add_option("run_a", cmp.a, "Run directory A (the reference, e.g. the baseline); with --study: a variant of the study")->required();
  cmd_cmp->add_option("run_b", cmp.b, "Run directory B (e.g. a what-if); with --study: a variant of the study")->required();
  cmd_cmp->add_option("--study", cmp.study, "Study directory (urbantwin batch): compare two of its variants, paired by seed, with 95 % intervals");
  cmd_cmp->add_option("--out", cmp.out, "Directory to write (default runs/compare-<A>-vs-<B>)");
  cmd_cmp->add_flag("--quiet", cmp.quiet, "Print nothing but errors");
  cmd_cmp->add_flag("--overwrite", cmp.overwrite, "Replace an earlier comparison directory of the same path (never anything else)");

  ut::app::BatchArgs bat;
  auto* cmd_bat = app.add_subcommand("batch", "Run a study: scenarios x sweep points x seeds, resumable; ensemble statistics");
  cmd_bat->add_option("study", bat.study, "Study file (TOML; docs/batch.md)")->required();
  cmd_bat->add_option("--out", bat.out, "Study directory (default runs/<study name>); an earlier one is resumed");
  cmd_bat->add_option("--jobs", bat.jobs, "Runs at once on this machine (default: cores / threads-per-job)")->check(CLI::Range(1u, 1024u));
  cmd_bat->add_option("--threads-per-job", bat.threads_per_job, "Threads of each run (default 1)")->check(CLI::Range(1u, 1024u));
  cmd_bat->add_flag("--retry-failed", bat.retry_failed, "Run again the runs that failed before (else they stay failed)");
  cmd_bat->add_option("--shard", bat.shard, "Run only shard I of N (I/N, 0 <= I < N): Slurm job arrays; the last shard writes the tables");
  cmd_bat->add_option("--seeds", bat.seeds, "Seeds 1..N in place of the study file's (a quick look)");
  cmd_bat->add_option("--until", bat.until, "Stop every run after this year (in place of the study file's until)");
  cmd_bat->add_flag("--summarize", bat.summarize, "Run nothing: write study.json and the tables from the runs present");
  cmd_bat->add_flag("--quiet", bat.quiet, "Print nothing but errors");

  ut::app::SiteSelectArgs sel;
  auto* cmd_sel = app.add_subcommand("site-select", "Where to build: K new sites of a class serving the most residents not yet served");
  cmd_sel->add_option("scenario", sel.scenario, "Scenario file (TOML)")->required();
  cmd_sel->add_option("--class", sel.cls, "Coverage class, e.g. kindergarten (the scenario's norms)")->required();
  cmd_sel->add_option("--count", sel.count, "Number of sites to choose (K >= 1)")->required();
  cmd_sel->add_option("--candidates", sel.candidates, "Candidate sites: parcels (one per parcel with residents; the default) or the points of an OGR layer, FILE[:LAYER]");
  cmd_sel->add_option("--year", sel.year, "Population and sites of this year (default: the base year)");
  cmd_sel->add_option("--out", sel.out, "Directory to write: sites.gpkg, gain.csv, whatif.toml")->required();
  cmd_sel->add_option("--threads", sel.threads, "Worker threads (default: all cores); results do not depend on it")
      ->check(CLI::Range(1u, 1024u));
  cmd_sel->add_flag("--quiet", sel.quiet, "Print nothing but errors");
  cmd_sel->add_flag("--overwrite", sel.overwrite, "Replace an earlier site-select directory of the same path (never anything else)");
  cmd_sel->add_option("--seed", sel.seed, "Seed of the random streams, in place of the scenario's seed");
  cmd_sel->add_option("--set", sel.set, "Override one scalar key of the scenario: KEY=VALUE; repeatable")->take_all();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  try {
    std::unique_ptr<tbb::global_control> limit;
    const unsigned threads = *cmd_asg ? asg.threads : *cmd_sel ? sel.threads : run.threads;
    if (threads > 0)
      limit = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism, threads);
    if (*cmd_asg) return ut::app::cmd_assign(asg);
    if (*cmd_cmp) return ut::app::cmd_compare(cmp);
    if (*cmd_sel) return ut::app::cmd_site_select(sel);
    if (*cmd_bat) return ut::app::cmd_batch(bat);
    if (*cmd_runp) return cmd_run(run, true);
    if (*cmd_val) return cmd_run(val, false);
    if (*cmd_prep) {
      ut::core::check_output({prep.out, ut::core::Staging::Kind::file, "GeoPackage", prep_overwrite, {prep.osm, prep.metro, prep.profile, prep.area, prep.population_raster}, "--out"});
      const auto report = ut::gis_io::prepare_osm(prep);
      fmt::print("wrote {} (CRS {})\n", prep.out.string(), report.crs);
      for (const auto& [k, v] : report.counts) fmt::print("  {:<45} {}\n", k, v);
      for (const auto& [k, v] : report.figures) fmt::print("  {:<45} {:.6g}\n", k, v);
      for (const auto& n : report.notes) fmt::print("  note: {}\n", n);
      for (const auto& [k, v] : report.method) fmt::print("  {:<45} {}\n", k, v);
      fmt::print("{}\n", ut::output::kAttribution);
    }
  } catch (const ut::core::InputError& e) {
    fmt::print(stderr, "urbantwin: error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "urbantwin: internal error: {}\n", e.what());
    return 1;
  }
  return 0;
}
