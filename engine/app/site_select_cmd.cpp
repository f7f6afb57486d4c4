#include "app/site_select_cmd.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>

#include "api/api.hpp"
#include "app/common.hpp"
#include "core/error.hpp"
#include "core/progress.hpp"
#include "core/staging.hpp"
#include "gis_io/points.hpp"
#include "output/run_dir.hpp"
#include "output/site_select.hpp"
#include "scenario/scenario.hpp"
#include "siting/siting.hpp"

namespace ut::app {

int cmd_site_select(const SiteSelectArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  // Three stages; the simulation to the year is nearly all of the time (docs/performance.md).
  core::ProgressBar bar("urbantwin site-select", a.common.show_progress());
  double done = 0;
  auto progress = [&](const std::string& msg, double next) {
    bar.update(done, msg);
    done = next;
  };
  api::OpenOptions opts;
  opts.overrides = scenario_overrides(a.scenario, a.set, a.seed);
  const auto s = api::Model::load(a.scenario, opts);
  siting::Options o;
  o.cls = a.cls;
  o.objective = siting::parse_objective(a.objective, a.scenario.string());
  // An unknown class, or a class without a supply norm, is refused before any work.
  const std::size_t k = siting::class_index(s, o.cls);
  if (o.objective == siting::Objective::supply) siting::supply_norm(s, k);
  if (a.count < 1)
    throw core::InputError(core::Where{a.scenario.string(), "", "option --count"}, "must be at least 1",
                           std::to_string(a.count));
  o.count = static_cast<std::size_t>(a.count);
  o.year = a.year;
  if (o.year != 0 && (o.year < s.base_year || o.year > s.end_year))
    throw core::InputError(
        core::Where{a.scenario.string(), "", "option --year"},
        fmt::format("must be a year the scenario simulates (base_year..end_year = {}..{})", s.base_year, s.end_year),
        std::to_string(o.year));
  std::vector<std::filesystem::path> extra;
  gis_io::PointSource src;
  if (a.candidates != "parcels") {
    src = gis_io::parse_point_source(a.candidates);
    extra.push_back(src.file);
    o.from_layer = true;
    o.candidates_what = a.candidates;
  }
  core::Staging staging(output::site_select_output_spec(a.out, s, a.overwrite, extra));
  progress("loading layers", 0.05);
  auto model = api::Model::open(s);
  const city::City& city = model.plan();
  if (o.from_layer)
    for (const auto& p : gis_io::read_points(src, city.crs, "--candidates"))
      o.layer_candidates.push_back({p.id, -1, p.xy});
  progress("simulating to the year and searching from every candidate", 0.95);
  const auto ts = std::chrono::steady_clock::now();
  const int year = o.year == 0 ? s.base_year : o.year;
  while (model.year() < year) model.step();
  const double simulate_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - ts).count();
  auto r = siting::select_at(model.scenario(), city, model.simulation(), model.last(), o);
  r.seconds_simulate = simulate_s;
  progress("writing " + a.out.string(), 1.0);
  output::write_site_select(staging, s, city, r, a.candidates);
  bar.finish();
  if (!a.common.quiet) {
    const std::string what = r.objective == siting::Objective::supply
                                 ? fmt::format("residents newly at {} {} {} (2SFCA, {} {} per site)", r.norm.indicator,
                                               r.norm.op, r.norm.target, r.norm.site_capacity, r.norm.capacity_unit)
                                 : fmt::format("residents newly within {} {}", r.threshold, r.unit);
    fmt::print(
        "{}: {} new {} site(s) in {}: {} {} ({} already of {}); greedy {}, {} swap(s); {} candidates ({} useful); "
        "{:.2f} s (simulate {:.2f}, searches {:.2f}, choice {:.2f})\n",
        a.out.string(), r.sites.size(), r.cls, r.year, r.sites.empty() ? 0 : r.sites.back().cumulative, what,
        r.served_before, r.residents, r.greedy_total, r.swaps, r.candidates, r.candidates_useful,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), r.seconds_simulate,
        r.seconds_search, r.seconds_choose);
    for (const auto& site : r.sites)
      fmt::print("  {:>3}  candidate {:<10} +{:<8} cumulative {}\n", site.rank, site.candidate.id, site.gain,
                 site.cumulative);
    fmt::print("{}\n", output::run_credit(city).text);
  }
  return 0;
}

}  // namespace ut::app
