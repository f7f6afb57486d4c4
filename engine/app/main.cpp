// The `urbantwin` command: parses arguments, composes the modules, maps errors to exit codes
// (0 success, 2 bad input or usage, 1 internal error). Every subcommand has the conventions of
// app/common.hpp: --quiet/-q, --progress, --version and (where it has a summary) --json.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <tbb/global_control.h>

#include <cstring>
#include <memory>

#include "app/assign_cmd.hpp"
#include "app/batch_cmd.hpp"
#include "app/common.hpp"
#include "app/compare_cmd.hpp"
#include "app/prepare_cmd.hpp"
#include "app/report_cmd.hpp"
#include "app/run_cmd.hpp"
#include "app/site_select_cmd.hpp"
#include "core/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"UrbanTwin: digital-twin simulation of urban planning scenarios"};
  app.set_version_flag("--version", ut::app::version_text(), "Print the version and the git commit it was built from, and exit");
  app.require_subcommand(1);
  app.footer(
      "Every subcommand: -q/--quiet (nothing but errors), --progress (the progress bar on stderr even when it is not a "
      "terminal), --version (with the git commit), --json on run, validate, prepare-osm, assign, compare and batch (one "
      "JSON object on stdout). An existing output is kept unless --overwrite is given. Exit codes: 0 success, 2 bad "
      "input or usage, 1 internal error. docs/conventions.md, \"Command line\".");

  ut::app::RunArgs run;
  auto* cmd_runp = app.add_subcommand("run", "Run a scenario and write its run directory");
  cmd_runp->add_option("scenario", run.scenario, "Scenario file (TOML)")->required();
  cmd_runp->add_option("--out", run.out, "Run directory to write (default runs/<scenario name>)");
  cmd_runp->add_option("--threads", run.threads, "Worker threads (default: all cores); results do not depend on it")
      ->check(CLI::Range(1u, 1024u));
  cmd_runp->add_option("--until", run.until, "Stop after this year (default: the scenario's end_year)");
  cmd_runp->add_flag("--overwrite", run.overwrite, "Replace an earlier run directory of the same path (never anything else)");
  cmd_runp->add_option("--seed", run.seed, "Seed of the random streams (0..2^63-1), in place of the scenario's seed");
  cmd_runp->add_option("--set", run.set, "Override one scalar key of the scenario: KEY=VALUE (e.g. homes.spacing_m=25); repeatable")
      ->take_all();
  cmd_runp->add_option("--keep", run.keep,
                       "What the run directory keeps: indicators (about 55 KB), parcels (and parcel_years.csv) or full "
                       "(and outputs.gpkg; the default)")
      ->check(CLI::IsMember({"indicators", "parcels", "full"}));
  ut::app::add_common_options(*cmd_runp, run.common, true);

  ut::app::RunArgs val;
  auto* cmd_val = app.add_subcommand("validate", "Check a scenario and its layers without running it");
  cmd_val->add_option("scenario", val.scenario, "Scenario file (TOML)")->required();
  ut::app::add_common_options(*cmd_val, val.common, true);

  ut::app::PrepareArgs prep_args;
  auto& prep = prep_args.options;
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
  cmd_prep->add_flag("--overwrite", prep_args.overwrite, "Replace an earlier GeoPackage of the same path (never an input)");
  ut::app::add_common_options(*cmd_prep, prep_args.common, true);

  ut::app::AssignArgs asg;
  auto* cmd_asg = app.add_subcommand("assign", "User-equilibrium traffic assignment of a TNTP network and trip table");
  cmd_asg->add_option("--net", asg.net, "Network file (TNTP _net.tntp)")->required();
  cmd_asg->add_option("--trips", asg.trips, "Trip table (TNTP _trips.tntp)")->required();
  cmd_asg->add_option("--gap", asg.gap, "Stop at this relative gap (TSTT - SPTT) / SPTT");
  cmd_asg->add_option("--max-iter", asg.max_iter, "Most outer iterations")->check(CLI::Range(1, 1000000));
  cmd_asg->add_option("--flow-batch", asg.flow_batch,
                      "Algorithm B: origins per batch of the parallel flow update, 0 for the serial one (default: by the problem's size)")
      ->check(CLI::Range(0, 256));
  cmd_asg->add_option("--threads", asg.threads, "Worker threads (default: all cores); results do not depend on it")
      ->check(CLI::Range(1u, 1024u));
  cmd_asg->add_option("--toll-factor", asg.toll_factor, "Generalised cost per unit of toll");
  cmd_asg->add_option("--distance-factor", asg.distance_factor, "Generalised cost per unit of length");
  cmd_asg->add_option("--flows-out", asg.flows_out, "Write link flows here: one row per link in net-file order, 'from to volume cost'");
  cmd_asg->add_option("--algorithm", asg.algorithm, "b (Algorithm B, default) or fw (Frank-Wolfe, a cross-check)")
      ->check(CLI::IsMember({"b", "fw"}));
  cmd_asg->add_flag("--strict", asg.strict, "Treat every warning of the TNTP reader as an error (exit 2)");
  cmd_asg->add_flag("--overwrite", asg.overwrite, "Replace an earlier --flows-out file (never an input)");
  ut::app::add_common_options(*cmd_asg, asg.common, true);

  ut::app::CompareArgs cmp;
  auto* cmd_cmp = app.add_subcommand("compare", "Differences between two run directories (B - A), per year and per parcel");
  cmd_cmp->add_option("run_a", cmp.a, "Run directory A (the reference, e.g. the baseline); with --study: a variant of the study")->required();
  cmd_cmp->add_option("run_b", cmp.b, "Run directory B (e.g. a what-if); with --study: a variant of the study")->required();
  cmd_cmp->add_option("--study", cmp.study, "Study directory (urbantwin batch): compare two of its variants, paired by seed, with 95 % intervals");
  cmd_cmp->add_option("--out", cmp.out, "Directory to write (default runs/compare-<A>-vs-<B>)");
  cmd_cmp->add_flag("--overwrite", cmp.overwrite, "Replace an earlier comparison directory of the same path (never anything else)");
  ut::app::add_common_options(*cmd_cmp, cmp.common, true);

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
  ut::app::add_common_options(*cmd_bat, bat.common, true);

  ut::app::SiteSelectArgs sel;
  auto* cmd_sel = app.add_subcommand("site-select", "Where to build: K new sites of a class serving the most residents not yet served (or not yet at the supply norm)");
  cmd_sel->add_option("scenario", sel.scenario, "Scenario file (TOML)")->required();
  cmd_sel->add_option("--class", sel.cls, "Coverage class, e.g. kindergarten (the scenario's norms)")->required();
  cmd_sel->add_option("--count", sel.count, "Number of sites to choose (K >= 1)")->required();
  cmd_sel->add_option("--candidates", sel.candidates, "Candidate sites: parcels (one per parcel with residents; the default) or the points of an OGR layer, FILE[:LAYER]");
  cmd_sel->add_option("--objective", sel.objective, "coverage: residents newly within the class's threshold (the default); supply: residents whose 2SFCA supply newly meets the profile's per-1,000 norm");
  cmd_sel->add_option("--year", sel.year, "Population and sites of this year (default: the base year)");
  cmd_sel->add_option("--out", sel.out, "Directory to write: sites.gpkg, gain.csv, whatif.toml")->required();
  cmd_sel->add_option("--threads", sel.threads, "Worker threads (default: all cores); results do not depend on it")
      ->check(CLI::Range(1u, 1024u));
  cmd_sel->add_flag("--overwrite", sel.overwrite, "Replace an earlier site-select directory of the same path (never anything else)");
  cmd_sel->add_option("--seed", sel.seed, "Seed of the random streams, in place of the scenario's seed");
  cmd_sel->add_option("--set", sel.set, "Override one scalar key of the scenario: KEY=VALUE; repeatable")->take_all();
  ut::app::add_common_options(*cmd_sel, sel.common, false);

  ut::app::ReportArgs rep;
  auto* cmd_rep = app.add_subcommand("report", "One self-contained HTML report (charts, norms compliance, completeness) of runs and studies");
  cmd_rep->add_option("inputs", rep.inputs, "Run or study directories (several: compared on the same charts)")->required();
  cmd_rep->add_option("--out", rep.out, "HTML file to write (default report.html)");
  cmd_rep->add_flag("--pdf", rep.pdf, "Also print it to PDF (same name, .pdf) with headless Chromium, one page per section");
  cmd_rep->add_flag("--overwrite", rep.overwrite, "Replace an earlier report of the same path (never an input)");
  ut::app::add_common_options(*cmd_rep, rep.common, false);

  // With --json, stdout holds one JSON object whatever happens: the summary, or on failure
  // {"error": {"exit_code": N, "message": "..."}} (the message is on stderr too).
  bool json = false;
  for (int i = 1; i < argc && std::strcmp(argv[i], "--") != 0; ++i) json |= std::strcmp(argv[i], "--json") == 0;
  const auto fail = [&](int rc, const std::string& message) {
    if (json) {
      auto j = ut::app::json_error(rc, message);
      if (*cmd_val) j["valid"] = false;
      ut::app::print_json(j);
    }
    return rc;
  };
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : fail(2, e.what());
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
    if (*cmd_rep) return ut::app::cmd_report(rep);
    if (*cmd_runp) return ut::app::cmd_run(run, true);
    if (*cmd_val) return ut::app::cmd_run(val, false);
    if (*cmd_prep) return ut::app::cmd_prepare_osm(prep_args);
  } catch (const ut::core::InputError& e) {
    fmt::print(stderr, "urbantwin: error: {}\n", e.what());
    return fail(2, e.what());
  } catch (const std::exception& e) {
    fmt::print(stderr, "urbantwin: internal error: {}\n", e.what());
    return fail(1, std::string("internal error: ") + e.what());
  }
  return 0;
}
