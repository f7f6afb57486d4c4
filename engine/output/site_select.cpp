#include "output/site_select.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cctype>

#include <nlohmann/json.hpp>

#include "output/gpkg.hpp"
#include "output/run_dir.hpp"

namespace ut::output {

namespace fs = std::filesystem;

core::Staging::Spec site_select_output_spec(const fs::path& dir, const scenario::Scenario& s, bool overwrite,
                                            const std::vector<fs::path>& extra_inputs) {
  auto inputs = scenario_inputs(s);
  inputs.insert(inputs.end(), extra_inputs.begin(), extra_inputs.end());
  return core::Staging::Spec{dir, core::Staging::Kind::directory, "site-select", overwrite, inputs, "--out"};
}

namespace {
// A TOML float that reads back as the same double (shortest round trip; never an integer).
std::string toml_float(double v) {
  std::string t = fmt::format("{}", v);
  if (t.find_first_of(".eEn") == std::string::npos) t += ".0";
  return t;
}

std::string share_pct(std::uint64_t n, std::uint64_t of) {
  return of == 0 ? std::string() : fmt::format("{:.4f}", 100.0 * static_cast<double>(n) / static_cast<double>(of));
}

// What the sites maximise, for comments and descriptions.
std::string aim(const siting::Result& r) {
  if (r.objective == siting::Objective::supply)
    return fmt::format("residents whose 2SFCA supply newly meets {} {} {} (each site {} {})", r.norm.indicator,
                       r.norm.op, r.norm.target, r.norm.site_capacity, r.norm.capacity_unit);
  return fmt::format("residents newly within {} {}", r.threshold, r.unit);
}
}  // namespace

std::string whatif_toml(const scenario::Scenario& s, const city::City& plan, const siting::Result& r) {
  std::string name = s.name.substr(0, 80) + "-sites-" + r.cls.substr(0, 12);
  for (char& c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) c = '_';
  std::string o = fmt::format(
      "# What-if written by `urbantwin site-select`: {} with {} new {} site(s) opening in {}, chosen for the most\n"
      "# {} (docs/site-select.md). Paths are absolute. Run it with `urbantwin run`.\n",
      fs::absolute(s.file).lexically_normal().string(), r.sites.size(), r.cls, r.year, aim(r));
  o += credit_comment(run_credit(plan));
  o += scenario::toml_with_absolute_paths(s, name);
  o += "\n";
  for (const auto& site : r.sites) {
    std::vector<std::string> quoted;
    for (const auto& c : r.facility_classes) quoted.push_back(fmt::format("\"{}\"", c));
    const std::string classes = fmt::format("{}", fmt::join(quoted, ", "));
    o += fmt::format(
        "\n[[add_facility]]  # site-select rank {}: {} residents newly served (objective {})\n"
        "year = {}\nname = \"site-select {} {}\"\nclasses = [{}]\nx = {}\ny = {}\ncrs = \"{}\"\n",
        site.rank, site.gain, siting::objective_name(r.objective), r.year, r.cls, site.rank, classes,
        toml_float(site.candidate.xy.x), toml_float(site.candidate.xy.y), plan.crs);
  }
  return o;
}

std::string gain_csv(const siting::Result& r) {
  std::string o = "rank,candidate_id,parcel_id,residents_new,residents_cumulative,share_pct\n";
  for (const auto& s : r.sites)
    o += fmt::format("{},{},{},{},{},{}\n", s.rank, s.candidate.id,
                     s.candidate.parcel_id >= 0 ? std::to_string(s.candidate.parcel_id) : std::string(), s.gain,
                     s.cumulative, share_pct(s.cumulative, r.residents));
  return o;
}

void write_site_select(core::Staging& staging, const scenario::Scenario& s, const city::City& plan,
                       const siting::Result& r, const std::string& candidates_what) {
  const Credit credit = run_credit(plan);  // the city's (docs/conventions.md, "Credits")
  staging.write_and_commit([&](const fs::path& tmp) {
    core::write_file(tmp / "gain.csv", gain_csv(r));
    core::write_file(tmp / "whatif.toml", whatif_toml(s, plan, r));
    detail::write_attribution(tmp, credit.text, credit.osm);
    {
      detail::Gpkg g(tmp / "sites.gpkg");
      OGRSpatialReference srs;
      srs.importFromWkt(plan.crs_wkt.c_str());
      srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
      OGRLayer* l = g.layer("sites", &srs, wkbPoint);
      g.field(l, "rank", OFTInteger);
      g.field(l, "candidate_id", OFTInteger64);
      g.field(l, "parcel_id", OFTInteger64);
      g.field(l, "class", OFTString);
      g.field(l, "year", OFTInteger);
      g.field(l, "residents_new", OFTInteger64);
      g.field(l, "residents_cumulative", OFTInteger64);
      g.field(l, "share_pct", OFTReal);
      g.describe(l,
                 {"sites",
                  "Sites chosen by site-select",
                  fmt::format("{} new {} site(s) maximising {} in {} (greedy and swap search; docs/site-select.md)",
                              r.sites.size(), r.cls, aim(r), r.year),
                  credit.text,
                  credit.osm && credit.others.empty() ? std::string("ODbL-1.0") : credit.license,
                  {"urbantwin", "site-select", r.cls}},
                 {{"rank", "", "order of choice (greedy order over the final set)"},
                  {"candidate_id", "", "the candidate: its parcel's id, or its feature id in the candidates layer"},
                  {"parcel_id", "", "the parcel the candidate stands for (NULL for a layer's points)"},
                  {"residents_new", "residents",
                   r.objective == siting::Objective::supply
                       ? "residents newly meeting the supply norm given the sites of the ranks before"
                       : "residents newly served given the sites of the ranks before"},
                  {"residents_cumulative", "residents", "residents newly served by ranks 1..rank"},
                  {"share_pct", "%", "residents_cumulative as a share of all residents of the year"}});
      for (const auto& site : r.sites) {
        OGRFeature f(l->GetLayerDefn());
        f.SetField("rank", static_cast<int>(site.rank));
        f.SetField("candidate_id", static_cast<GIntBig>(site.candidate.id));
        if (site.candidate.parcel_id >= 0)
          f.SetField("parcel_id", static_cast<GIntBig>(site.candidate.parcel_id));
        else
          f.SetFieldNull(f.GetFieldIndex("parcel_id"));
        f.SetField("class", r.cls.c_str());
        f.SetField("year", r.year);
        f.SetField("residents_new", static_cast<GIntBig>(site.gain));
        f.SetField("residents_cumulative", static_cast<GIntBig>(site.cumulative));
        if (r.residents > 0)
          f.SetField("share_pct", 100.0 * static_cast<double>(site.cumulative) / static_cast<double>(r.residents));
        OGRPoint pt(site.candidate.xy.x, site.candidate.xy.y);
        f.SetGeometry(&pt);
        g.add(l, f, "site");
      }
      g.about({{"attribution", credit.text},
               {"scenario", fs::absolute(s.file).lexically_normal().string()},
               {"class", r.cls},
               {"objective", siting::objective_name(r.objective)},
               {"year", std::to_string(r.year)},
               {"engine", "urbantwin " UT_VERSION}});
      g.commit();
    }
    nlohmann::ordered_json m;
    m["engine"] = "urbantwin";
    m["kind"] = "site-select";
    m["version"] = UT_VERSION;
    m["scenario"] = fs::absolute(s.file).lexically_normal().string();
    m["scenario_name"] = s.name;
    m["seed"] = s.seed;
    m["class"] = r.cls;
    m["objective"] = siting::objective_name(r.objective);
    m["facility_classes"] = r.facility_classes;
    m["year"] = r.year;
    m["threshold"] = r.threshold;
    m["threshold_unit"] = r.unit;
    if (r.objective == siting::Objective::supply)
      m["supply_norm"] = {{"indicator", r.norm.indicator},
                          {"op", r.norm.op},
                          {"target", r.norm.target},
                          {"source", r.norm.source},
                          {"site_capacity", r.norm.site_capacity},
                          {"capacity_unit", r.norm.capacity_unit},
                          {"catchment", r.norm.catchment},
                          {"catchment_unit", r.unit}};
    m["count"] = r.sites.size();
    m["candidates"] = candidates_what;
    m["candidates_total"] = r.candidates;
    m["candidates_attached"] = r.candidates_attached;
    m["candidates_useful"] = r.candidates_useful;
    m["residents"] = r.residents;
    m["residents_served_before"] = r.served_before;
    m["residents_new"] = r.sites.empty() ? 0 : r.sites.back().cumulative;
    m["greedy_residents_new"] = r.greedy_total;
    m["swaps"] = r.swaps;
    m["starts"] = r.starts;
    m["best_start"] = r.best_start;
    m["attribution"] = credit.text;
    m["outputs"] = {"manifest.json", "sites.gpkg", "gain.csv", "whatif.toml", "ATTRIBUTION.txt"};
    core::write_file(tmp / "manifest.json", m.dump(2) + "\n");
  });
}

}  // namespace ut::output
