#include "output/run_dir.hpp"

#include <fmt/format.h>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/sha256.hpp"
#include "core/staging.hpp"
#include "graph/graph.hpp"
#include "gis_io/ogr_util.hpp"

namespace ut::output {

namespace fs = std::filesystem;

namespace {

void check(OGRErr err, const std::string& what) {
  if (err != OGRERR_NONE) throw std::runtime_error(fmt::format("writing outputs.gpkg: {} failed: {}", what, CPLGetLastErrorMsg()));
}

std::string format_value(double v) { return fmt::format("{:.6f}", v); }

void write_gpkg(const fs::path& file, const scenario::Scenario& s, const city::City& c, const sim::YearResult& y) {
  gis_io::detail::init_gdal();
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GPKG");
  std::unique_ptr<GDALDataset> ds(drv->Create(file.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
  if (!ds) throw std::runtime_error(fmt::format("cannot create {}: {}", file.string(), CPLGetLastErrorMsg()));
  OGRSpatialReference srs;
  srs.SetFromUserInput(c.crs.c_str());
  srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  check(ds->StartTransaction(), "transaction");
  auto field = [](OGRLayer* l, const std::string& name, OGRFieldType t) {
    OGRFieldDefn fd(name.c_str(), t);
    check(l->CreateField(&fd), "field " + name);
  };

  OGRLayer* lp = ds->CreateLayer("parcels", &srs, wkbMultiPolygon, nullptr);
  field(lp, "parcel_id", OFTInteger64);
  field(lp, "land_use", OFTString);
  field(lp, "area_m2", OFTReal);
  field(lp, "floor_area_m2", OFTReal);
  field(lp, "residents", OFTInteger);
  const auto& norms = s.norms;
  for (const auto& n : norms) {
    field(lp, (n.network == scenario::Network::drive ? "time_" : "dist_") + n.name + (n.network == scenario::Network::drive ? "_s" : "_m"), OFTReal);
    field(lp, "ok_" + n.name, OFTInteger);
    if (n.sfca) field(lp, "supply_" + n.name + "_per_1000", OFTReal);
  }
  for (int t : {5, 10, 15}) field(lp, fmt::format("cov_{}min", t), OFTInteger);
  for (std::size_t p = 0; p < c.parcels.size(); ++p) {
    OGRFeature f(lp->GetLayerDefn());
    int i = 0;
    f.SetField(i++, static_cast<GIntBig>(c.parcels.id[p]));
    f.SetField(i++, c.parcels.land_use[p].c_str());
    f.SetField(i++, c.parcels.area_m2[p]);
    f.SetField(i++, c.parcels.floor_area_m2[p]);
    f.SetField(i++, static_cast<int>(c.parcels.residents[p]));
    for (std::size_t k = 0; k < norms.size(); ++k) {
      const auto& cr = y.coverage.classes[k];
      const std::uint32_t cost = cr.cost[p];
      if (cost == graph::kUnreached || y.sites[k] == 0) f.SetFieldNull(i++);
      else f.SetField(i++, sim::Simulation::cost_to_unit(norms[k], cost));
      if (y.sites[k] == 0) f.SetFieldNull(i++);
      else f.SetField(i++, cost != graph::kUnreached && cost <= sim::Simulation::threshold(norms[k]) ? 1 : 0);
      if (norms[k].sfca) {
        if (y.sites[k] == 0) f.SetFieldNull(i++);
        else f.SetField(i++, cr.supply[p]);
      }
    }
    for (int t = 0; t < 3; ++t) f.SetField(i++, static_cast<int>(y.tier_ok[t][p]));
    OGRMultiPolygon mp = gis_io::detail::from_multipolygon(c.parcels.shape[p]);
    f.SetGeometry(&mp);
    check(lp->CreateFeature(&f), "parcel feature");
  }

  OGRLayer* lf = ds->CreateLayer("facilities", &srs, wkbPoint, nullptr);
  field(lf, "facility_id", OFTInteger64);
  field(lf, "classes", OFTString);
  field(lf, "name", OFTString);
  field(lf, "capacity", OFTReal);
  field(lf, "area_m2", OFTReal);
  field(lf, "origin", OFTString);
  for (const auto& fac : c.facilities) {
    OGRFeature f(lf->GetLayerDefn());
    f.SetField(0, static_cast<GIntBig>(fac.id));
    f.SetField(1, fmt::format("{}", fmt::join(fac.classes, ";")).c_str());
    f.SetField(2, fac.name.c_str());
    if (fac.capacity >= 0) f.SetField(3, fac.capacity);
    else f.SetFieldNull(3);
    f.SetField(4, fac.area_m2);
    f.SetField(5, fac.origin.c_str());
    OGRPoint pt(fac.location.x, fac.location.y);
    f.SetGeometry(&pt);
    check(lf->CreateFeature(&f), "facility feature");
  }

  OGRLayer* lg = ds->CreateLayer("greenways", &srs, wkbLineString, nullptr);
  field(lg, "greenway_id", OFTInteger64);
  field(lg, "name", OFTString);
  field(lg, "level", OFTString);
  field(lg, "length_m", OFTReal);
  field(lg, "origin", OFTString);
  for (const auto& g : c.greenways) {
    OGRFeature f(lg->GetLayerDefn());
    f.SetField(0, static_cast<GIntBig>(g.id));
    f.SetField(1, g.name.c_str());
    f.SetField(2, g.level.c_str());
    f.SetField(3, geo::length(g.line));
    f.SetField(4, g.origin.c_str());
    OGRLineString ls = gis_io::detail::from_line(g.line);
    f.SetGeometry(&ls);
    check(lg->CreateFeature(&f), "greenway feature");
  }

  if (const auto& t = y.traffic; t.ran) {
    OGRLayer* ll = ds->CreateLayer("links", &srs, wkbLineString, nullptr);
    for (const char* n : {"link_id", "road_id", "edge", "direction"}) field(ll, n, OFTInteger64);
    for (const char* n : {"capacity_veh_h", "volume_veh_h", "voc", "time_ff_min", "time_min", "length_m"}) field(ll, n, OFTReal);
    for (std::size_t a = 0; a < t.volume.size(); ++a) {
      OGRFeature f(ll->GetLayerDefn());
      f.SetField(0, static_cast<GIntBig>(a));
      f.SetField(1, static_cast<GIntBig>(t.road_id[a]));
      f.SetField(2, static_cast<GIntBig>(t.edge[a]));
      f.SetField(3, static_cast<GIntBig>(t.reverse[a] ? -1 : 1));
      f.SetField(4, t.capacity[a]);
      f.SetField(5, t.volume[a]);
      f.SetField(6, t.volume[a] / t.capacity[a]);
      f.SetField(7, t.time_ff_min[a]);
      f.SetField(8, t.time_min[a]);
      f.SetField(9, t.length_m[a]);
      OGRLineString ls = gis_io::detail::from_line(t.line[a]);
      f.SetGeometry(&ls);
      check(ll->CreateFeature(&f), "link feature");
    }
  }

  OGRLayer* la = ds->CreateLayer("about", nullptr, wkbNone, nullptr);
  field(la, "key", OFTString);
  field(la, "value", OFTString);
  for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"attribution", kAttribution}, {"scenario", s.name}, {"engine", "urbantwin " UT_VERSION}}) {
    OGRFeature f(la->GetLayerDefn());
    f.SetField(0, k.c_str());
    f.SetField(1, v.c_str());
    check(la->CreateFeature(&f), "about row");
  }
  check(ds->CommitTransaction(), "commit");
}

}  // namespace

std::string indicators_csv(const std::vector<sim::YearResult>& years) {
  std::string out;
  if (years.empty()) return out;
  for (std::size_t i = 0; i < years[0].indicators.size(); ++i) out += (i ? "," : "") + years[0].indicators[i].name;
  out += "\n";
  for (const auto& y : years) {
    for (std::size_t i = 0; i < y.indicators.size(); ++i) {
      if (i) out += ",";
      const auto& v = y.indicators[i].value;
      if (!v) continue;
      out += (y.indicators[i].name == "year" || y.indicators[i].name == "population") ? fmt::format("{:.0f}", *v)
                                                                                      : format_value(*v);
    }
    out += "\n";
  }
  return out;
}

void write_run_dir(const fs::path& dir, const scenario::Scenario& s, const city::City& c,
                   const std::vector<sim::YearResult>& years, const RunInfo& info) {
  core::Staging staging(dir, core::Staging::Kind::directory);
  const fs::path tmp = staging.temp();
  {
    std::ofstream o(tmp / "indicators.csv");
    o << indicators_csv(years);
  }
  {
    std::ofstream o(tmp / "ATTRIBUTION.txt");
    o << "Outputs derived from OpenStreetMap data.\n" << kAttribution << "\n";
  }
  write_gpkg(tmp / "outputs.gpkg", s, c, years.back());

  nlohmann::ordered_json m;
  m["engine"] = "urbantwin";
  m["version"] = UT_VERSION;
  m["scenario"] = s.name;
  m["description"] = s.description;
  m["seed"] = s.seed;
  m["threads"] = info.threads;
  m["crs"] = c.crs;
  auto& yrs = m["years"] = nlohmann::json::array();
  for (const auto& y : years) yrs.push_back(y.year);
  auto& inputs = m["inputs"] = nlohmann::json::array();
  inputs.push_back({{"role", "scenario"}, {"path", fs::absolute(s.file).string()}, {"sha256", core::sha256_file(s.file)}});
  for (const auto* l : {&s.parcels, &s.roads, &s.greenways, &s.facilities}) {
    if (l->source.empty()) continue;
    inputs.push_back({{"role", l->role}, {"path", fs::absolute(l->source).string()}, {"layer", l->layer},
                      {"sha256", core::sha256_file(l->source)}});
  }
  auto& ph = m["phase_seconds"] = nlohmann::ordered_json::object();
  for (const auto& [k, v] : info.phase_seconds) ph[k] = std::round(v * 1e4) / 1e4;
  m["network"] = {{"walk_nodes", info.network.walk_nodes},
                  {"walk_edges", info.network.walk_edges},
                  {"drive_nodes", info.network.drive_nodes},
                  {"drive_edges", info.network.drive_edges},
                  {"parcels_unattached_walk", info.network.parcels_unattached_walk},
                  {"parcels_unattached_drive", info.network.parcels_unattached_drive}};
  auto& cls = m["classes"] = nlohmann::json::array();
  for (std::size_t k = 0; k < s.norms.size(); ++k) {
    const auto& n = s.norms[k];
    cls.push_back({{"name", n.name},
                   {"sources", n.sources},
                   {"network", n.network == scenario::Network::walk ? "walk" : "drive"},
                   {"tier_min", n.tier},
                   {"radius_m", n.radius_m},
                   {"drive_budget_min", n.drive_min - n.turnout_min},
                   {"sites", years.back().sites[k]},
                   {"no_data", years.back().sites[k] == 0}});
  }
  m["notes"] = info.notes;
  m["attribution"] = kAttribution;
  m["outputs"] = {"manifest.json", "indicators.csv", "outputs.gpkg", "ATTRIBUTION.txt"};
  {
    std::ofstream o(tmp / "manifest.json");
    o << m.dump(2) << "\n";
  }
  staging.commit();
}

}  // namespace ut::output
