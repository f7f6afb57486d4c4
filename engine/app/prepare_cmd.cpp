#include "app/prepare_cmd.hpp"

#include <fmt/format.h>

#include <chrono>

#include "core/progress.hpp"
#include "core/staging.hpp"
#include "output/run_dir.hpp"

namespace ut::app {

int cmd_prepare_osm(PrepareArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  auto& o = a.options;
  // The output is checked (never an input, an earlier file only with --overwrite) before any work.
  core::check_output({o.out, core::Staging::Kind::file, "GeoPackage", a.overwrite, {o.osm, o.metro, o.profile, o.area, o.population_raster}, "--out"});
  core::ProgressBar bar("urbantwin prepare-osm", a.common.show_progress());
  if (bar.enabled()) o.progress = [&](double done, const std::string& stage) { bar.update(done, stage); };
  const auto report = gis_io::prepare_osm(o);
  bar.finish();
  if (a.common.json) {
    nlohmann::ordered_json j;
    j["out"] = o.out.string();
    j["crs"] = report.crs;
    j["counts"] = report.counts;
    j["figures"] = report.figures;
    j["notes"] = report.notes;
    auto& m = j["method"] = nlohmann::ordered_json::object();
    for (const auto& [k, v] : report.method) m[k] = v;
    j["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    j["attribution"] = output::kAttribution;
    print_json(j);
  } else if (!a.common.quiet) {
    fmt::print("wrote {} (CRS {})\n", o.out.string(), report.crs);
    for (const auto& [k, v] : report.counts) fmt::print("  {:<45} {}\n", k, v);
    for (const auto& [k, v] : report.figures) fmt::print("  {:<45} {:.6g}\n", k, v);
    for (const auto& n : report.notes) fmt::print("  note: {}\n", n);
    for (const auto& [k, v] : report.method) fmt::print("  {:<45} {}\n", k, v);
    fmt::print("{}\n", output::kAttribution);
  }
  return 0;
}

}  // namespace ut::app
