#include "run_data/run_data.hpp"

#include <fmt/format.h>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "core/credit.hpp"
#include "core/error.hpp"

namespace ut::run_data {

namespace fs = std::filesystem;
using core::InputError;
using core::Where;

std::size_t RunData::year_index(int year) const {
  const auto it = std::find(years.begin(), years.end(), year);
  if (it == years.end())
    throw InputError(Where{dir.string(), "", "--year"}, fmt::format("must be a simulated year of the run ({}-{})", years.front(), years.back()),
                     std::to_string(year));
  return static_cast<std::size_t>(it - years.begin());
}

std::size_t RunData::indicator_index(const std::string& name) const {
  const auto it = std::find(indicators.begin(), indicators.end(), name);
  if (it == indicators.end())
    throw InputError(Where{(dir / "outputs.gpkg").string(), "layer parcel_years", "--indicator"},
                     fmt::format("must be one of: {}", fmt::join(indicators, ", ")), "\"" + name + "\"");
  return static_cast<std::size_t>(it - indicators.begin());
}

std::size_t HomePoints::key_for(const std::string& f) const {
  auto find = [&](const std::string& k) {
    const auto it = std::find(keys.begin(), keys.end(), k);
    return it == keys.end() ? std::string::npos : static_cast<std::size_t>(it - keys.begin());
  };
  if (f.rfind("cov_", 0) == 0) return find(f);
  for (const auto& [pre, post] : std::vector<std::pair<std::string, std::string>>{
           {"dist_", "_m"}, {"time_", "_s"}, {"share_", ""}, {"served_", ""}, {"supply_", "_per_1000"}}) {
    if (f.rfind(pre, 0) != 0 || f.size() <= pre.size() + post.size() || f.compare(f.size() - post.size(), post.size(), post) != 0) continue;
    if (const auto k = find(f.substr(pre.size(), f.size() - pre.size() - post.size())); k != std::string::npos) return k;
  }
  return find("cov_15min");
}

namespace {

// A class of the manifest's `classes`: what makes a home point's distance or time within reach.
struct ClassRule {
  std::string name, field;     // field: dist_<class>_m (walk) or time_<class>_s (drive)
  std::int64_t threshold = 0;  // decimetres (walk) or tenths of a second (drive), as the engine compares
  bool no_data = false;        // no sites in the last year
};

OGRLayer* need_layer(GDALDataset& ds, const std::string& file, const char* name) {
  OGRLayer* l = ds.GetLayerByName(name);
  if (l == nullptr) throw InputError(Where{file, std::string("layer ") + name, ""}, "a run's outputs.gpkg must have this layer (written by urbantwin run)", "missing");
  return l;
}

int need_field(OGRLayer* l, const std::string& file, const char* name) {
  const int i = l->GetLayerDefn()->GetFieldIndex(name);
  if (i < 0) throw InputError(Where{file, std::string("layer ") + l->GetName(), std::string("field ") + name}, "must exist", "missing");
  return i;
}

geo::LineString line_of(const OGRGeometry* g) {
  geo::LineString out;
  if (g == nullptr) return out;
  if (wkbFlatten(g->getGeometryType()) == wkbLineString) {
    const auto* ls = g->toLineString();
    for (int i = 0; i < ls->getNumPoints(); ++i) out.push_back({ls->getX(i), ls->getY(i)});
  } else if (wkbFlatten(g->getGeometryType()) == wkbMultiLineString) {
    for (const auto* part : *g->toMultiLineString())
      for (int i = 0; i < part->getNumPoints(); ++i) out.push_back({part->getX(i), part->getY(i)});
  }
  return out;
}

void add_polygon(const OGRPolygon& poly, geo::MultiPolygon& out) {
  geo::Polygon p;
  for (const auto* ring : poly) {
    geo::LineString r;
    for (int i = 0; i < ring->getNumPoints(); ++i) r.push_back({ring->getX(i), ring->getY(i)});
    p.rings.push_back(std::move(r));
  }
  out.push_back(std::move(p));
}

}  // namespace

RunData load(const fs::path& dir) {
  static const bool init = [] {
    GDALAllRegister();
    CPLSetErrorHandler(CPLQuietErrorHandler);
    return true;
  }();
  (void)init;
  RunData r;
  r.dir = dir;
  std::vector<ClassRule> rules;
  if (!fs::is_directory(dir)) throw InputError(Where{dir.string(), "", ""}, "run directory must exist", "not a directory");
  const fs::path gpkg = dir / "outputs.gpkg", manifest = dir / "manifest.json";
  for (const auto& f : {gpkg, manifest})
    if (!fs::exists(f)) throw InputError(Where{f.string(), "", ""}, "a run directory must hold this file (written by urbantwin run)", "missing");
  try {
    const auto m = nlohmann::json::parse(std::ifstream(manifest));
    if (!m.is_object() || m.value("engine", nlohmann::json()) != "urbantwin" || m.value("kind", nlohmann::json("run")) != "run")
      throw InputError(Where{manifest.string(), "", "engine, kind"}, "must be the manifest of an urbantwin run",
                       m.is_object() ? m.value("engine", nlohmann::json()).dump() + " " + m.value("kind", nlohmann::json()).dump() : "not an object");
    const auto& ys = m.at("years");
    // A run simulates at most 101 years (scenario end_year <= base_year + 100): the bound keeps a
    // damaged manifest from sizing the value tables.
    if (!ys.is_array() || ys.size() > 101)
      throw InputError(Where{manifest.string(), "", "years"}, "must be an array of at most 101 integer years", ys.dump().substr(0, 40));
    for (const auto& y : ys) {
      if (!y.is_number_integer()) throw InputError(Where{manifest.string(), "", "years"}, "years must be integers", y.dump());
      r.years.push_back(y.get<int>());
    }
    if (const auto cls = m.find("classes"); cls != m.end() && cls->is_array())
      for (const auto& c : *cls) {
        if (!c.is_object() || !c.contains("name") || !c["name"].is_string()) continue;
        ClassRule rule;
        rule.name = c["name"].get<std::string>();
        const bool drive = c.value("network", "walk") == "drive";
        rule.field = drive ? "time_" + rule.name + "_s" : "dist_" + rule.name + "_m";
        // The engine's thresholds: radius in decimetres, the drive budget in tenths of a second.
        rule.threshold = drive ? std::llround(c.value("drive_budget_min", 0.0) * 600) : std::llround(c.value("radius_m", 0.0) * 10);
        rule.no_data = c.value("no_data", false);
        r.classes.push_back({rule.name, c.value("tier_min", 0), c.value("radius_m", 0.0), c.value("drive_budget_min", 0.0)});
        rules.push_back(std::move(rule));
      }
    r.scenario = m.value("scenario", "");
    r.attribution = m.value("attribution", "");
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    throw InputError(Where{manifest.string(), "", "years"}, "must be the JSON manifest urbantwin run writes", e.what());
  }
  for (std::size_t i = 1; i < r.years.size(); ++i)
    if (r.years[i] <= r.years[i - 1])
      throw InputError(Where{manifest.string(), "", "years"}, "years must increase", std::to_string(r.years[i]));
  if (r.years.empty()) throw InputError(Where{manifest.string(), "", "years"}, "must list at least one year", "[]");
  const std::string file = gpkg.string();
  GDALDatasetUniquePtr ds(GDALDataset::Open(file.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY));
  if (!ds) throw InputError(Where{file, "", ""}, "must be a GeoPackage GDAL can open", CPLGetLastErrorMsg());

  // Parcels: geometry, a point inside, height from the floor-area ratio.
  OGRLayer* lp = need_layer(*ds, file, "parcels");
  const int f_id = need_field(lp, file, "parcel_id");
  const int f_area = need_field(lp, file, "area_m2");
  const int f_floor = need_field(lp, file, "floor_area_m2");
  OGREnvelope env;
  if (lp->GetExtent(&env, TRUE) != OGRERR_NONE || lp->GetFeatureCount() == 0)
    throw InputError(Where{file, "layer parcels", ""}, "must hold at least one parcel", "empty");
  r.origin = {(env.MinX + env.MaxX) / 2, (env.MinY + env.MaxY) / 2};
  r.half_extent = std::max(env.MaxX - env.MinX, env.MaxY - env.MinY) / 2;
  auto local = [&](double x, double y) { return geo::Point{x - r.origin.x, y - r.origin.y}; };
  std::map<std::int64_t, std::size_t> index;
  std::vector<double> area_m2;
  for (auto& f : *lp) {
    const OGRGeometry* g = f->GetGeometryRef();
    if (g == nullptr) continue;
    geo::MultiPolygon mp;
    if (wkbFlatten(g->getGeometryType()) == wkbPolygon) add_polygon(*g->toPolygon(), mp);
    else if (wkbFlatten(g->getGeometryType()) == wkbMultiPolygon)
      for (const auto* poly : *g->toMultiPolygon()) add_polygon(*poly, mp);
    for (auto& poly : mp)
      for (auto& ring : poly.rings)
        for (auto& pt : ring) pt = local(pt.x, pt.y);
    // A point inside the parcel (GEOS point-on-surface through OGR's C API; the centroid if that fails).
    geo::Point anchor = mp.empty() ? geo::Point{0, 0} : geo::centroid(mp);
    if (OGRGeometryH in = OGR_G_PointOnSurface(OGRGeometry::ToHandle(const_cast<OGRGeometry*>(g)))) {
      const OGRGeometry* pt = OGRGeometry::FromHandle(in);
      if (wkbFlatten(pt->getGeometryType()) == wkbPoint) anchor = local(pt->toPoint()->getX(), pt->toPoint()->getY());
      OGR_G_DestroyGeometry(in);
    }
    const double area = f->GetFieldAsDouble(f_area);
    const double far = area > 0 ? f->GetFieldAsDouble(f_floor) / area : 0;
    if (!index.emplace(f->GetFieldAsInteger64(f_id), r.parcel_id.size()).second)
      throw InputError(Where{file, "layer parcels", fmt::format("parcel_id {}", f->GetFieldAsInteger64(f_id))},
                       "parcel ids must be unique", "a duplicate");
    area_m2.push_back(area);
    r.parcel_id.push_back(f->GetFieldAsInteger64(f_id));
    r.parcel_shape.push_back(std::move(mp));
    r.parcel_anchor.push_back(anchor);
    r.parcel_height.push_back(static_cast<float>(std::clamp(far * 10.0, 3.0, 150.0)));  // FAR / 30 % cover x 3 m storeys
  }

  // Per-year values: every numeric field of parcel_years.
  OGRLayer* ly = need_layer(*ds, file, "parcel_years");
  const int f_pid = need_field(ly, file, "parcel_id"), f_year = need_field(ly, file, "year");
  std::vector<int> fields;
  OGRFeatureDefn* def = ly->GetLayerDefn();
  for (int i = 0; i < def->GetFieldCount(); ++i) {
    const auto t = def->GetFieldDefn(i)->GetType();
    // Yes/no fields (<class>_beyond_bound, OGR Booleans) are not values to colour the parcels by.
    if (i == f_pid || i == f_year || (t != OFTInteger && t != OFTInteger64 && t != OFTReal) ||
        def->GetFieldDefn(i)->GetSubType() == OFSTBoolean)
      continue;
    fields.push_back(i);
    r.indicators.push_back(def->GetFieldDefn(i)->GetNameRef());
  }
  r.values.assign(fields.size(), std::vector<std::vector<float>>(r.years.size(), std::vector<float>(r.parcel_id.size(), kNoData)));
  // Exactly one row per (parcel of `parcels`, manifest year): a run directory that is not is
  // damaged, and showing it would show holes as "no data".
  std::vector<char> seen(r.years.size() * r.parcel_id.size(), 0);
  for (auto& f : *ly) {
    const auto pid = f->GetFieldAsInteger64(f_pid);
    const int year = f->GetFieldAsInteger(f_year);
    const auto it = index.find(pid);
    const auto yi = std::find(r.years.begin(), r.years.end(), year);
    const Where w{file, "layer parcel_years", fmt::format("row {} (parcel_id {}, year {})", f->GetFID(), pid, year)};
    if (it == index.end()) throw InputError(w, "parcel_id must be a parcel of the parcels layer", std::to_string(pid));
    if (yi == r.years.end()) throw InputError(w, "year must be one of the manifest's years", std::to_string(year));
    const std::size_t y = static_cast<std::size_t>(yi - r.years.begin());
    if (seen[y * r.parcel_id.size() + it->second]++) throw InputError(w, "each parcel and year must have one row", "a duplicate");
    for (std::size_t k = 0; k < fields.size(); ++k)
      if (f->IsFieldSetAndNotNull(fields[k])) r.values[k][y][it->second] = static_cast<float>(f->GetFieldAsDouble(fields[k]));
  }

  for (std::size_t i = 0; i < seen.size(); ++i)
    if (!seen[i])
      throw InputError(Where{file, "layer parcel_years", fmt::format("parcel_id {}, year {}", r.parcel_id[i % r.parcel_id.size()],
                                                                     r.years[i / r.parcel_id.size()])},
                       "each parcel of the parcels layer must have a row for each manifest year", "missing");

  // Derived: residents per hectare of parcel area (residents vary with parcel size; density does not).
  if (const auto it = std::find(r.indicators.begin(), r.indicators.end(), "residents"); it != r.indicators.end()) {
    const auto& res = r.values[static_cast<std::size_t>(it - r.indicators.begin())];
    std::vector<std::vector<float>> dens(r.years.size(), std::vector<float>(r.parcel_id.size(), kNoData));
    for (std::size_t y = 0; y < r.years.size(); ++y)
      for (std::size_t p = 0; p < r.parcel_id.size(); ++p)
        if (area_m2[p] > 0 && !std::isnan(res[y][p])) dens[y][p] = static_cast<float>(res[y][p] / area_m2[p] * 1e4);
    r.indicators.insert(r.indicators.begin(), "residents_per_ha");
    r.values.insert(r.values.begin(), std::move(dens));
  }

  // Home points (optional): the last year's residents and, per class and tier, within reach or not.
  if (OGRLayer* lh = ds->GetLayerByName("home_points")) {
    auto& h = r.homes;
    h.year = r.years.back();
    const int h_id = need_field(lh, file, "point_id"), h_pid = need_field(lh, file, "parcel_id"), h_res = need_field(lh, file, "residents");
    std::vector<int> key_field;
    std::vector<std::int64_t> key_threshold;  // -1: a 0/1 field (cov_<N>min)
    std::vector<bool> key_no_data;
    for (const auto& rule : rules) {
      const int i = lh->GetLayerDefn()->GetFieldIndex(rule.field.c_str());
      if (i < 0) continue;
      h.keys.push_back(rule.name);
      key_field.push_back(i);
      key_threshold.push_back(rule.threshold);
      key_no_data.push_back(rule.no_data);
    }
    for (const char* tier : {"cov_5min", "cov_10min", "cov_15min"}) {
      const int i = lh->GetLayerDefn()->GetFieldIndex(tier);
      if (i < 0) continue;
      h.keys.push_back(tier);
      key_field.push_back(i);
      key_threshold.push_back(-1);
      key_no_data.push_back(false);
    }
    h.state.assign(h.keys.size(), {});
    for (auto& f : *lh) {
      const OGRGeometry* g = f->GetGeometryRef();
      if (g == nullptr || wkbFlatten(g->getGeometryType()) != wkbPoint) continue;
      const auto pid = f->GetFieldAsInteger64(h_pid);
      const auto it = index.find(pid);
      if (it == index.end())
        throw InputError(Where{file, "layer home_points", fmt::format("point_id {}", f->GetFieldAsInteger64(h_id))},
                         "parcel_id must be a parcel of the parcels layer", std::to_string(pid));
      h.point_id.push_back(f->GetFieldAsInteger64(h_id));
      h.at.push_back(local(g->toPoint()->getX(), g->toPoint()->getY()));
      h.parcel.push_back(static_cast<std::uint32_t>(it->second));
      h.residents.push_back(f->GetFieldAsInteger(h_res));
      for (std::size_t k = 0; k < h.keys.size(); ++k) {
        const bool set = f->IsFieldSetAndNotNull(key_field[k]);
        std::uint8_t st = HomePoints::not_within;
        if (key_no_data[k]) st = HomePoints::no_data;
        else if (key_threshold[k] < 0) st = set && f->GetFieldAsInteger(key_field[k]) != 0 ? HomePoints::within : HomePoints::not_within;
        else if (set && std::llround(f->GetFieldAsDouble(key_field[k]) * 10) <= key_threshold[k]) st = HomePoints::within;
        h.state[k].push_back(st);
      }
    }
  }

  // Links and their per-year v/c (optional: runs without traffic have none).
  if (OGRLayer* ll = ds->GetLayerByName("links")) {
    const int f_lid = need_field(ll, file, "link_id"), f_cap = need_field(ll, file, "capacity_veh_h");
    std::map<std::int64_t, std::size_t> link_index;
    for (auto& f : *ll) {
      auto line = line_of(f->GetGeometryRef());
      for (auto& pt : line) pt = local(pt.x, pt.y);
      link_index[f->GetFieldAsInteger64(f_lid)] = r.link_line.size();
      r.link_line.push_back(std::move(line));
      // Carriageway width: 3.5 m per lane at 1,000 veh/h per lane (capacity / 1000, at least one).
      r.link_width_m.push_back(static_cast<float>(3.5 * std::max(1.0, std::round(f->GetFieldAsDouble(f_cap) / 1000.0))));
    }
    r.link_voc.assign(r.years.size(), std::vector<float>(r.link_line.size(), kNoData));
    if (OGRLayer* lly = ds->GetLayerByName("link_years")) {
      const int l_id = need_field(lly, file, "link_id"), l_year = need_field(lly, file, "year"), l_voc = need_field(lly, file, "voc");
      for (auto& f : *lly) {
        const auto it = link_index.find(f->GetFieldAsInteger64(l_id));
        const auto yi = std::find(r.years.begin(), r.years.end(), f->GetFieldAsInteger(l_year));
        if (it == link_index.end() || yi == r.years.end()) continue;
        r.link_voc[static_cast<std::size_t>(yi - r.years.begin())][it->second] = static_cast<float>(f->GetFieldAsDouble(l_voc));
      }
    }
  }
  if (OGRLayer* lg = ds->GetLayerByName("greenways")) {
    const int f_from = lg->GetLayerDefn()->GetFieldIndex("from_year");
    for (auto& f : *lg) {
      auto line = line_of(f->GetGeometryRef());
      for (auto& pt : line) pt = local(pt.x, pt.y);
      r.greenway_line.push_back(std::move(line));
      r.greenway_from.push_back(f_from >= 0 && f->IsFieldSetAndNotNull(f_from) ? f->GetFieldAsInteger(f_from) : -1);
    }
  }
  if (OGRLayer* lf = ds->GetLayerByName("facilities")) {
    const int f_cls = need_field(lf, file, "classes");
    const int f_name = lf->GetLayerDefn()->GetFieldIndex("name");
    const int f_from = lf->GetLayerDefn()->GetFieldIndex("from_year"), f_until = lf->GetLayerDefn()->GetFieldIndex("until_year");
    for (auto& f : *lf) {
      const OGRGeometry* g = f->GetGeometryRef();
      if (g == nullptr || wkbFlatten(g->getGeometryType()) != wkbPoint) continue;
      Facility fac;
      fac.at = local(g->toPoint()->getX(), g->toPoint()->getY());
      std::string cls = f->GetFieldAsString(f_cls);
      fac.cls = cls.substr(0, cls.find(';'));
      if (f_name >= 0) fac.name = f->GetFieldAsString(f_name);
      if (f_from >= 0 && f->IsFieldSetAndNotNull(f_from)) fac.from_year = f->GetFieldAsInteger(f_from);
      if (f_until >= 0 && f->IsFieldSetAndNotNull(f_until)) fac.until_year = f->GetFieldAsInteger(f_until);
      r.facilities.push_back(std::move(fac));
    }
  }
  return r;
}

std::string credit_line(const std::vector<std::string>& attributions, const std::string& osm) {
  std::vector<core::Credit> parts;
  for (const auto& a : attributions) parts.push_back(core::recorded_credit(a));
  const core::Credit c = core::credit_union(parts);
  std::string o = c.osm ? osm : "";
  for (const auto& a : c.others) o += (o.empty() ? "" : " · ") + a;
  return o;
}

RunData synthetic(std::size_t parcels, int years) {
  RunData r;
  r.scenario = "synthetic";
  r.attribution = "synthetic data";
  const std::size_t side = static_cast<std::size_t>(std::ceil(std::sqrt(static_cast<double>(parcels))));
  const double block = 80, street = 20, pitch = block + street;
  r.half_extent = static_cast<double>(side) * pitch / 2;
  for (int y = 0; y < years; ++y) r.years.push_back(2024 + y);
  r.indicators = {"value"};
  r.values.assign(1, std::vector<std::vector<float>>(static_cast<std::size_t>(years), std::vector<float>(parcels)));
  for (std::size_t i = 0; i < parcels; ++i) {
    const double x0 = static_cast<double>(i % side) * pitch - r.half_extent, y0 = static_cast<double>(i / side) * pitch - r.half_extent;
    geo::Polygon p;
    p.rings.push_back({{x0, y0}, {x0 + block, y0}, {x0 + block, y0 + block}, {x0, y0 + block}, {x0, y0}});
    r.parcel_id.push_back(static_cast<std::int64_t>(i));
    r.parcel_shape.push_back({p});
    r.parcel_anchor.push_back({x0 + block / 2, y0 + block / 2});
    r.parcel_height.push_back(static_cast<float>(6 + (i * 7919) % 40));
    for (int y = 0; y < years; ++y)
      r.values[0][static_cast<std::size_t>(y)][i] = static_cast<float>((i * 31 + static_cast<std::size_t>(y) * 17) % 1000);
  }
  for (std::size_t row = 0; row <= side; ++row) {
    const double c = static_cast<double>(row) * pitch - r.half_extent - street / 2;
    r.link_line.push_back({{-r.half_extent, c}, {r.half_extent, c}});
    r.link_line.push_back({{c, -r.half_extent}, {c, r.half_extent}});
    r.link_width_m.push_back(7);
    r.link_width_m.push_back(7);
  }
  r.link_voc.assign(static_cast<std::size_t>(years), std::vector<float>(r.link_line.size(), 0.5f));
  return r;
}

}  // namespace ut::run_data
