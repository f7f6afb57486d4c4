#include "gis_io/load.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <unordered_set>

#include "city/road_rules.hpp"
#include "core/error.hpp"
#include "core/suggest.hpp"
#include "geo/projection.hpp"
#include "gis_io/ogr_util.hpp"

namespace ut::gis_io {

using core::InputError;
using core::Where;

namespace {

std::set<std::string> known_classes(const scenario::Scenario& s) {
  std::set<std::string> classes;
  for (const auto& n : s.norms)
    for (const auto& c : n.sources)
      if (c != "greenway") classes.insert(c);
  return classes;
}

// One open layer of the scenario, its field mapping and its transformation to the run's CRS.
class LayerReader {
 public:
  LayerReader(const scenario::LayerSpec& spec, const std::string& target_crs) : spec_(spec) {
    ds_ = detail::open_vector(spec.source.string());
    layer_ = ds_->GetLayerByName(spec.layer.c_str());
    if (layer_ == nullptr) {
      std::vector<std::string> names;
      for (auto* l : ds_->GetLayers()) names.push_back(l->GetName());
      const std::string near = core::nearest(spec.layer, names);
      throw InputError(Where{file(), "layer " + spec.layer, ""},
                       fmt::format("layer named by {}.layer must exist{}", spec.key,
                                   near.empty() ? fmt::format(" (layers: {})", fmt::join(names, ", "))
                                                : fmt::format("; did you mean '{}'?", near)),
                       "");
    }
    const OGRSpatialReference* srs = layer_->GetSpatialRef();
    if (srs == nullptr)
      throw InputError(Where{file(), "layer " + spec.layer, ""}, "layer must declare its coordinate reference system",
                       "none");
    char* wkt = nullptr;
    srs->exportToWkt(&wkt);
    source_crs_ = wkt != nullptr ? wkt : "";
    CPLFree(wkt);
    if (!target_crs.empty()) proj_ = std::make_unique<geo::Projection>(source_crs_, target_crs);

    OGRFeatureDefn* defn = layer_->GetLayerDefn();
    const auto& required = scenario::required_fields(spec.role);
    for (const auto& [logical, name] : spec.fields) {
      const int idx = defn->GetFieldIndex(name.c_str());
      const bool req = std::find(required.begin(), required.end(), logical) != required.end();
      const bool explicit_mapping = scenario::default_fields(spec.role).at(logical) != name;
      if (idx < 0) {
        if (req || explicit_mapping) {
          std::vector<std::string> names;
          for (int i = 0; i < defn->GetFieldCount(); ++i) names.push_back(defn->GetFieldDefn(i)->GetNameRef());
          const std::string near = core::nearest(name, names);
          throw InputError(Where{file(), "layer " + spec.layer, "field " + name},
                           fmt::format("field for '{}' ({}.fields.{}) must exist{}", logical, spec.key, logical,
                                       near.empty() ? "" : fmt::format("; did you mean '{}'?", near)),
                           "");
        }
        continue;
      }
      field_[logical] = idx;
    }
  }

  std::string file() const { return spec_.source.string(); }
  OGRLayer& layer() { return *layer_; }
  const std::string& source_crs() const { return source_crs_; }

  Where where(const OGRFeature& f) const {
    return Where{file(), "layer " + spec_.layer, fmt::format("feature {}", f.GetFID())};
  }

  bool has(const std::string& logical) const { return field_.count(logical) != 0; }

  // Checks that a mapped field has one of the allowed OGR types.
  void expect_type(const std::string& logical, std::initializer_list<OGRFieldType> types, const char* what) {
    auto it = field_.find(logical);
    if (it == field_.end()) return;
    const OGRFieldDefn* fd = layer_->GetLayerDefn()->GetFieldDefn(it->second);
    if (std::find(types.begin(), types.end(), fd->GetType()) == types.end())
      throw InputError(Where{file(), "layer " + spec_.layer, std::string("field ") + fd->GetNameRef()},
                       fmt::format("field for '{}' must be {}", logical, what),
                       OGRFieldDefn::GetFieldTypeName(fd->GetType()));
  }

  bool is_set(const OGRFeature& f, const std::string& logical) const {
    auto it = field_.find(logical);
    return it != field_.end() && f.IsFieldSetAndNotNull(it->second);
  }
  std::int64_t integer(const OGRFeature& f, const std::string& logical) const {
    return f.GetFieldAsInteger64(field_.at(logical));
  }
  double real(const OGRFeature& f, const std::string& logical) const { return f.GetFieldAsDouble(field_.at(logical)); }
  std::string text(const OGRFeature& f, const std::string& logical) const {
    auto it = field_.find(logical);
    return it == field_.end() ? std::string() : std::string(f.GetFieldAsString(it->second));
  }

  // Geometry checks shared by every layer, then reprojection.
  const OGRGeometry& geometry(const OGRFeature& f) const {
    const OGRGeometry* g = f.GetGeometryRef();
    if (g == nullptr || g->IsEmpty()) throw InputError(where(f), "geometry must not be empty", "empty");
    return *g;
  }
  void project(const OGRFeature& f, geo::Point* pts, std::size_t n) const {
    for (std::size_t i = 0; i < n; ++i)
      if (!std::isfinite(pts[i].x) || !std::isfinite(pts[i].y))
        throw InputError(where(f), "coordinates must be finite numbers", fmt::format("({}, {})", pts[i].x, pts[i].y));
    if (proj_ && !proj_->apply(pts, n))
      throw InputError(where(f), "coordinates must be transformable to the run's CRS", "out of the CRS's domain");
  }

  void check_unique(const OGRFeature& f, std::int64_t id) {
    if (!ids_.insert(id).second)
      throw InputError(where(f), fmt::format("{} ids must be unique", spec_.role), std::to_string(id));
  }

 private:
  const scenario::LayerSpec& spec_;
  GDALDatasetUniquePtr ds_;
  OGRLayer* layer_ = nullptr;
  std::string source_crs_;
  std::unique_ptr<geo::Projection> proj_;
  std::map<std::string, int> field_;
  std::unordered_set<std::int64_t> ids_;
};

constexpr std::initializer_list<OGRFieldType> kNumeric = {OFTInteger, OFTInteger64, OFTReal};
constexpr std::initializer_list<OGRFieldType> kInteger = {OFTInteger, OFTInteger64};

std::string choose_crs(const scenario::Scenario& s) {
  if (!s.crs.empty()) {
    if (!geo::crs_is_known(s.crs))
      throw InputError(Where{s.file.string(), "", "key crs"}, "must be a coordinate reference system PROJ knows",
                       "\"" + s.crs + "\"");
    return s.crs;
  }
  LayerReader parcels(s.parcels, "");
  OGREnvelope env;
  if (parcels.layer().GetExtent(&env, TRUE) != OGRERR_NONE)
    throw InputError(Where{parcels.file(), "layer " + s.parcels.layer, ""}, "layer must have features", "no extent");
  geo::Point c{(env.MinX + env.MaxX) / 2, (env.MinY + env.MaxY) / 2};
  geo::Projection to_ll(parcels.source_crs(), "EPSG:4326");
  if (!to_ll.apply(&c, 1))
    throw InputError(Where{parcels.file(), "layer " + s.parcels.layer, ""}, "extent must be transformable to lon/lat", "");
  return geo::utm_epsg_for(c.x, c.y);
}

void check_valid(const LayerReader& r, const OGRFeature& f, const OGRGeometry& g) {
  if (!g.IsValid()) throw InputError(r.where(f), "geometry must be valid (OGC simple features)", "invalid");
}

void load_parcels(const scenario::Scenario& s, const std::string& crs, city::Parcels& out) {
  LayerReader r(s.parcels, crs);
  r.expect_type("id", kInteger, "an integer");
  r.expect_type("residents", kNumeric, "numeric");
  r.expect_type("floor_area", kNumeric, "numeric");
  for (auto& fp : r.layer()) {
    const OGRFeature& f = *fp;
    if (!r.is_set(f, "id")) throw InputError(r.where(f), "parcel id must be set", "null");
    const std::int64_t id = r.integer(f, "id");
    r.check_unique(f, id);
    const OGRGeometry& g = r.geometry(f);
    const auto type = wkbFlatten(g.getGeometryType());
    if (type != wkbPolygon && type != wkbMultiPolygon)
      throw InputError(r.where(f), "parcel geometry must be a polygon or multipolygon", OGRGeometryTypeToName(type));
    geo::MultiPolygon mp;
    detail::append_polygons(g, mp);
    for (auto& poly : mp)
      for (auto& ring : poly.rings) r.project(f, ring.data(), ring.size());
    check_valid(r, f, g);
    const double residents = r.is_set(f, "residents") ? r.real(f, "residents") : 0;
    if (!(residents >= 0) || residents > 1e8)
      throw InputError(r.where(f), "residents must be a number in [0, 1e8]", fmt::format("{}", residents));
    const double floor_area = r.is_set(f, "floor_area") ? r.real(f, "floor_area") : 0;
    if (!(floor_area >= 0)) throw InputError(r.where(f), "floor area must be >= 0", fmt::format("{}", floor_area));
    out.id.push_back(id);
    out.land_use.push_back(r.text(f, "land_use"));
    out.area_m2.push_back(geo::area(mp));
    out.floor_area_m2.push_back(floor_area);
    out.residents.push_back(static_cast<std::uint32_t>(std::llround(residents)));
    out.centroid.push_back(geo::centroid(mp));
    out.shape.push_back(std::move(mp));
  }
  if (out.size() == 0) throw InputError(Where{r.file(), "layer " + s.parcels.layer, ""}, "layer must hold parcels", "0 features");
}

int parse_oneway(const LayerReader& r, const OGRFeature& f) {
  if (!r.is_set(f, "oneway")) return 0;
  const std::string v = r.text(f, "oneway");
  if (v == "0" || v == "no" || v == "false") return 0;
  if (v == "1" || v == "yes" || v == "true") return 1;
  if (v == "-1") return -1;
  throw InputError(r.where(f), "oneway must be 0, 1 or -1 (or no/yes)", "\"" + v + "\"");
}

void load_roads(const scenario::Scenario& s, const std::string& crs, std::vector<city::Road>& out) {
  LayerReader r(s.roads, crs);
  r.expect_type("id", kInteger, "an integer");
  r.expect_type("speed", kNumeric, "numeric");
  r.expect_type("lanes", kNumeric, "numeric");
  r.expect_type("walk", kInteger, "an integer (0 or 1)");
  r.expect_type("drive", kInteger, "an integer (0 or 1)");
  for (auto& fp : r.layer()) {
    const OGRFeature& f = *fp;
    if (!r.is_set(f, "id")) throw InputError(r.where(f), "road id must be set", "null");
    city::Road road;
    road.id = r.integer(f, "id");
    r.check_unique(f, road.id);
    road.road_class = r.text(f, "class");
    if (road.road_class.empty()) throw InputError(r.where(f), "road class must be set", "empty");
    road.speed_kmh = r.is_set(f, "speed") ? r.real(f, "speed") : city::default_speed_kmh(road.road_class);
    if (!(road.speed_kmh > 0 && road.speed_kmh <= 200))
      throw InputError(r.where(f), "speed must be in (0, 200] km/h", fmt::format("{}", road.speed_kmh));
    road.lanes = r.is_set(f, "lanes") ? static_cast<int>(r.integer(f, "lanes")) : 1;
    if (road.lanes < 1 || road.lanes > 20) throw InputError(r.where(f), "lanes must be in 1..20", std::to_string(road.lanes));
    road.oneway = parse_oneway(r, f);
    road.walk = r.is_set(f, "walk") ? r.integer(f, "walk") != 0 : city::walk_by_class(road.road_class);
    road.drive = r.is_set(f, "drive") ? r.integer(f, "drive") != 0 : city::drive_by_class(road.road_class);
    const OGRGeometry& g = r.geometry(f);
    std::vector<geo::LineString> parts;
    detail::append_lines(g, parts);
    if (parts.empty())
      throw InputError(r.where(f), "road geometry must be a line", OGRGeometryTypeToName(g.getGeometryType()));
    for (auto& part : parts) {
      if (part.size() < 2) throw InputError(r.where(f), "road lines need at least 2 vertices", std::to_string(part.size()));
      r.project(f, part.data(), part.size());
      city::Road piece = road;
      piece.line = std::move(part);
      out.push_back(std::move(piece));
    }
  }
}

// Greenways of a layer in the greenways format (the scenario's layer, or an add_greenway layer).
void read_greenways(const scenario::LayerSpec& spec, const std::string& crs, const std::string& origin, std::vector<city::Greenway>& out) {
  LayerReader r(spec, crs);
  r.expect_type("id", kInteger, "an integer");
  for (auto& fp : r.layer()) {
    const OGRFeature& f = *fp;
    if (!r.is_set(f, "id")) throw InputError(r.where(f), "greenway id must be set", "null");
    city::Greenway gw;
    gw.id = r.integer(f, "id");
    r.check_unique(f, gw.id);
    gw.name = r.text(f, "name");
    gw.level = r.text(f, "level");
    gw.origin = origin;
    const OGRGeometry& g = r.geometry(f);
    std::vector<geo::LineString> parts;
    detail::append_lines(g, parts);
    if (parts.empty())
      throw InputError(r.where(f), "greenway geometry must be a line", OGRGeometryTypeToName(g.getGeometryType()));
    for (auto& part : parts) {
      if (part.size() < 2) throw InputError(r.where(f), "greenway lines need at least 2 vertices", std::to_string(part.size()));
      r.project(f, part.data(), part.size());
      city::Greenway piece = gw;
      piece.line = std::move(part);
      out.push_back(std::move(piece));
    }
  }
}

void load_greenways(const scenario::Scenario& s, const std::string& crs, std::vector<city::Greenway>& out) {
  if (!s.greenways.source.empty()) read_greenways(s.greenways, crs, "layer", out);
}

std::vector<std::string> split_classes(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (char ch : text + ";") {
    if (ch == ';' || ch == ',') {
      while (!cur.empty() && cur.back() == ' ') cur.pop_back();
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else if (!(ch == ' ' && cur.empty())) {
      cur += ch;
    }
  }
  return out;
}

void check_classes(const scenario::Scenario& s, const std::vector<std::string>& classes, const Where& where) {
  const auto known = known_classes(s);
  if (classes.empty()) throw InputError(where, "facility must name at least one class", "empty");
  for (const auto& c : classes) {
    if (known.count(c)) continue;
    const std::string near = core::nearest(c, {known.begin(), known.end()});
    throw InputError(where,
                     fmt::format("facility class must be one of: {}{}", fmt::join(known, ", "),
                                 near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near)),
                     "\"" + c + "\"");
  }
}

void load_facilities(const scenario::Scenario& s, const std::string& crs, std::vector<city::Facility>& out) {
  LayerReader r(s.facilities, crs);
  r.expect_type("id", kInteger, "an integer");
  r.expect_type("capacity", kNumeric, "numeric");
  for (auto& fp : r.layer()) {
    const OGRFeature& f = *fp;
    if (!r.is_set(f, "id")) throw InputError(r.where(f), "facility id must be set", "null");
    city::Facility fac;
    fac.id = r.integer(f, "id");
    r.check_unique(f, fac.id);
    fac.name = r.text(f, "name");
    fac.classes = split_classes(r.text(f, "classes"));
    check_classes(s, fac.classes, r.where(f));
    fac.origin = "layer";
    if (r.is_set(f, "capacity")) {
      fac.capacity = r.real(f, "capacity");
      if (!(fac.capacity >= 0)) throw InputError(r.where(f), "capacity must be >= 0", fmt::format("{}", fac.capacity));
    }
    const OGRGeometry& g = r.geometry(f);
    const auto type = wkbFlatten(g.getGeometryType());
    if (type == wkbPoint) {
      fac.location = {g.toPoint()->getX(), g.toPoint()->getY()};
      r.project(f, &fac.location, 1);
    } else if (type == wkbPolygon || type == wkbMultiPolygon) {
      detail::append_polygons(g, fac.shape);
      for (auto& poly : fac.shape)
        for (auto& ring : poly.rings) r.project(f, ring.data(), ring.size());
      check_valid(r, f, g);
      fac.area_m2 = geo::area(fac.shape);
      fac.location = geo::centroid(fac.shape);
    } else {
      throw InputError(r.where(f), "facility geometry must be a point or polygon", OGRGeometryTypeToName(type));
    }
    out.push_back(std::move(fac));
  }
}

// Geometry given in a scenario key, as OGR geometry in the run's CRS.
std::unique_ptr<OGRGeometry> scenario_geometry(const std::string& wkt, const std::string& crs, const std::string& target,
                                               const Where& w) {
  OGRGeometry* raw = nullptr;
  if (OGRGeometryFactory::createFromWkt(wkt.c_str(), nullptr, &raw) != OGRERR_NONE || raw == nullptr)
    throw InputError(w, "must be valid WKT", "\"" + wkt.substr(0, 80) + "\"");
  std::unique_ptr<OGRGeometry> geom(raw);
  if (geom->IsEmpty()) throw InputError(w, "must not be empty", "\"" + wkt.substr(0, 80) + "\"");
  if (!geo::crs_is_known(crs)) throw InputError(w, "crs must be a CRS PROJ knows", "\"" + crs + "\"");
  OGRSpatialReference from, to;
  from.SetFromUserInput(crs.c_str());
  to.SetFromUserInput(target.c_str());
  from.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  to.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  std::unique_ptr<OGRCoordinateTransformation> ct(OGRCreateCoordinateTransformation(&from, &to));
  if (!ct || geom->transform(ct.get()) != OGRERR_NONE) throw InputError(w, "coordinates must be transformable to the run's CRS", "");
  return geom;
}

std::vector<geo::LineString> scenario_lines(const std::string& wkt, const std::string& crs, const std::string& target,
                                            const Where& w) {
  const auto geom = scenario_geometry(wkt, crs, target, w);
  std::vector<geo::LineString> parts;
  detail::append_lines(*geom, parts);
  if (parts.empty()) throw InputError(w, "must be a LINESTRING or MULTILINESTRING", wkt.substr(0, 40));
  for (const auto& part : parts)
    if (part.size() < 2) throw InputError(w, "lines need at least 2 vertices", std::to_string(part.size()));
  return parts;
}

geo::Point scenario_point(double x, double y, const std::string& crs, const std::string& target, const Where& w) {
  geo::Point pt{x, y};
  if (!geo::crs_is_known(crs)) throw InputError(w, "crs must be a CRS PROJ knows", "\"" + crs + "\"");
  geo::Projection p(crs, target);
  if (!p.apply(&pt, 1)) throw InputError(w, "x, y must be transformable to the run's CRS", "");
  return pt;
}

// The scenario's interventions, resolved against the layers: ids checked, geometry in the run's
// CRS, each feature tagged with the years it exists.
void resolve_interventions(const scenario::Scenario& s, city::City& c) {
  const std::string file = s.file.string();
  std::int64_t next_facility = 900000000;
  for (const auto& f : c.facilities) next_facility = std::max(next_facility, f.id + 1);
  for (const auto& add : s.add_facilities) {
    const Where w{file, "", "key " + add.key};
    check_classes(s, add.classes, w);
    city::Facility f;
    f.id = next_facility++;
    f.name = add.name;
    f.classes = add.classes;
    f.capacity = add.capacity;
    f.origin = "scenario";
    f.from_year = add.year;
    f.location = scenario_point(add.x, add.y, add.crs, c.crs, w);
    c.facilities.push_back(std::move(f));
  }
  for (const auto& line : s.add_metro_lines) {
    for (std::size_t i = 0; i < line.stations.size(); ++i) {
      const auto& st = line.stations[i];
      const Where w{file, "", fmt::format("key {}.stations[{}]", line.key, i + 1)};
      city::Facility f;
      f.id = next_facility++;
      f.name = line.name + ": " + st.name;
      f.classes = {"metro"};
      f.origin = "scenario";
      f.from_year = line.year;
      f.location = scenario_point(st.x, st.y, line.crs, c.crs, w);
      c.facilities.push_back(std::move(f));
    }
  }
  for (const auto& rm : s.remove_facilities) {
    bool found = false;
    for (auto& f : c.facilities)
      if (f.id == rm.id) {
        f.until_year = std::min(f.until_year, rm.year);
        found = true;
      }
    if (!found)
      throw InputError(Where{file, "", "key " + rm.key + ".id"}, "must be the facility_id of a facility in the facilities layer",
                       std::to_string(rm.id));
  }
  std::int64_t next_greenway = 900000000;
  for (const auto& g : c.greenways) next_greenway = std::max(next_greenway, g.id + 1);
  for (const auto& add : s.add_greenways) {
    if (!add.source.empty()) {
      // Every feature of the layer is a greenway of this addition (ids renumbered after the layer's).
      scenario::LayerSpec spec;
      spec.role = "greenways";
      spec.source = add.source;
      spec.layer = add.layer;
      spec.fields = scenario::default_fields("greenways");
      spec.key = add.key;
      std::vector<city::Greenway> lines;
      read_greenways(spec, c.crs, "scenario", lines);
      std::map<std::int64_t, std::int64_t> ids;
      for (auto& g : lines) {
        auto [it, fresh] = ids.emplace(g.id, next_greenway);
        if (fresh) ++next_greenway;
        g.id = it->second;
        if (g.name.empty()) g.name = add.name;
        if (g.level.empty()) g.level = add.level;
        g.from_year = add.year;
        c.greenways.push_back(std::move(g));
      }
      continue;
    }
    const Where w{file, "", "key " + add.key + ".wkt"};
    for (auto& part : scenario_lines(add.wkt, add.crs, c.crs, w)) {
      city::Greenway g{next_greenway, add.name, add.level, std::move(part), "scenario"};
      g.from_year = add.year;
      c.greenways.push_back(std::move(g));
    }
    ++next_greenway;
  }
  std::int64_t next_road = 900000000;
  for (const auto& r : c.roads) next_road = std::max(next_road, r.id + 1);
  for (const auto& add : s.add_roads) {
    const Where w{file, "", "key " + add.key + ".wkt"};
    city::Road road;
    road.id = next_road++;
    road.road_class = add.road_class;
    road.speed_kmh = add.speed_kmh > 0 ? add.speed_kmh : city::default_speed_kmh(add.road_class);
    road.lanes = add.lanes > 0 ? add.lanes : city::default_lanes(add.road_class);
    road.oneway = add.oneway;
    road.walk = add.walk;
    road.drive = add.drive;
    road.from_year = add.year;
    for (auto& part : scenario_lines(add.wkt, add.crs, c.crs, w)) {
      city::Road piece = road;
      piece.line = std::move(part);
      c.roads.push_back(std::move(piece));
    }
  }
  for (const auto& cl : s.close_roads) {
    for (std::size_t i = 0; i < cl.roads.size(); ++i) {
      bool found = false;
      for (auto& r : c.roads)
        if (r.id == cl.roads[i]) {
          found = true;
          if (cl.to_all) r.until_year = std::min(r.until_year, cl.year);
          else r.car_free_from = std::min(r.car_free_from, cl.year);
        }
      if (!found)
        throw InputError(Where{file, "", fmt::format("key {}.roads[{}]", cl.key, i + 1)}, "must be the id of a road in the roads layer",
                         std::to_string(cl.roads[i]));
    }
  }
  std::map<std::int64_t, std::uint32_t> parcel_index;
  for (std::size_t p = 0; p < c.parcels.size(); ++p) parcel_index.emplace(c.parcels.id[p], static_cast<std::uint32_t>(p));
  for (const auto& z : s.rezones) {
    city::Rezoning out;
    out.key = z.key;
    out.year = z.year;
    out.land_use = z.land_use;
    out.far = z.far;
    out.units = z.units;
    for (std::size_t i = 0; i < z.parcels.size(); ++i) {
      auto it = parcel_index.find(z.parcels[i]);
      if (it == parcel_index.end())
        throw InputError(Where{file, "", fmt::format("key {}.parcels[{}]", z.key, i + 1)}, "must be the parcel_id of a parcel in the parcels layer",
                         std::to_string(z.parcels[i]));
      out.parcels.push_back(it->second);
    }
    if (!z.polygon_wkt.empty()) {
      const Where w{file, "", "key " + z.key + ".polygon"};
      const auto geom = scenario_geometry(z.polygon_wkt, z.crs, c.crs, w);
      const auto type = wkbFlatten(geom->getGeometryType());
      if (type != wkbPolygon && type != wkbMultiPolygon) throw InputError(w, "must be a POLYGON or MULTIPOLYGON", z.polygon_wkt.substr(0, 40));
      for (std::size_t p = 0; p < c.parcels.size(); ++p) {
        const OGRPoint pt(c.parcels.centroid[p].x, c.parcels.centroid[p].y);
        if (geom->Contains(&pt)) out.parcels.push_back(static_cast<std::uint32_t>(p));
      }
      if (out.parcels.empty()) throw InputError(w, "must contain the centroid of at least one parcel", z.polygon_wkt.substr(0, 60));
    }
    c.rezonings.push_back(std::move(out));
  }
}

}  // namespace

city::City load_city(const scenario::Scenario& s) {
  detail::init_gdal();
  city::City c;
  c.crs = choose_crs(s);
  c.crs_wkt = geo::crs_wkt(c.crs);
  load_parcels(s, c.crs, c.parcels);
  load_roads(s, c.crs, c.roads);
  load_greenways(s, c.crs, c.greenways);
  load_facilities(s, c.crs, c.facilities);
  resolve_interventions(s, c);
  return c;
}

}  // namespace ut::gis_io
