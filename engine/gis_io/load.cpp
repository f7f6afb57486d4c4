#include "gis_io/load.hpp"

#include <fmt/format.h>
#include <gdalwarper.h>

#include <algorithm>
#include <array>
#include <cfloat>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <unordered_set>

#include "city/road_rules.hpp"
#include "core/error.hpp"
#include "core/suggest.hpp"
#include "geo/projection.hpp"
#include "gis_io/ogr_util.hpp"
#include "scenario/limits.hpp"

namespace ut::gis_io {

using core::InputError;
using core::Where;
namespace limits = scenario::limits;

namespace {

std::string xy(const geo::Point& p) { return fmt::format("({}, {})", p.x, p.y); }

// Every vertex of an OGR geometry.
void collect_points(const OGRGeometry& g, std::vector<geo::Point>& out) {
  const auto type = wkbFlatten(g.getGeometryType());
  if (type == wkbPoint) {
    if (!g.IsEmpty()) out.push_back({g.toPoint()->getX(), g.toPoint()->getY()});
  } else if (OGR_GT_IsSubClassOf(type, wkbGeometryCollection)) {
    for (const OGRGeometry* part : *g.toGeometryCollection()) collect_points(*part, out);
  } else if (OGR_GT_IsCurve(type)) {
    std::vector<geo::LineString> lines;
    detail::append_lines(g, lines);
    for (const auto& l : lines) out.insert(out.end(), l.begin(), l.end());
  } else if (OGR_GT_IsSurface(type)) {
    geo::MultiPolygon mp;
    detail::append_polygons(g, mp);
    for (const auto& poly : mp)
      for (const auto& ring : poly.rings) out.insert(out.end(), ring.begin(), ring.end());
  }
}

// Road classes: the built-in ones (city/road_rules.hpp) and the scenario's [road_classes].
bool road_class_known(const scenario::Scenario& s, const std::string& cls) {
  return city::known_road_classes().count(cls) != 0 || s.road_classes.count(cls) != 0;
}
std::string road_class_rule(const scenario::Scenario& s, const std::string& cls) {
  std::vector<std::string> names(city::known_road_classes().begin(), city::known_road_classes().end());
  for (const auto& [k, v] : s.road_classes) names.push_back(k);
  const std::string near = core::nearest(cls, names);
  return fmt::format(
      "road class must be an OSM highway class the engine knows or a [road_classes.NAME] of the scenario{}",
      near.empty() ? " (docs/scenario-format.md lists them)" : fmt::format(" (did you mean '{}'?)", near));
}

// Land uses: empty, the city profile's ([land_uses.NAME]) or the scenario's [land_uses].
bool land_use_known(const scenario::Scenario& s, const std::string& lu) {
  return lu.empty() || s.profile.land_uses.count(lu) != 0 || s.land_uses.count(lu) != 0;
}
std::string land_use_rule(const scenario::Scenario& s, const std::string& lu) {
  std::vector<std::string> names;
  for (const auto& [k, v] : s.profile.land_uses) names.push_back(k);
  for (const auto& [k, v] : s.land_uses) names.push_back(k);
  const std::string near = core::nearest(lu, names);
  return fmt::format("land use must be one of: {} (the profile's, or a [land_uses.NAME] of the scenario){}",
                     fmt::join(names, ", "), near.empty() ? "" : fmt::format("; did you mean '{}'?", near));
}

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
    ds_ = detail::open_vector(spec.source.string(), spec.key + ".source");
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
    // Its area of use (looked up by its identifier when it has one: WKT1 carries none).
    std::string id = source_crs_;
    const char* auth = srs->GetAuthorityName(nullptr);
    const char* code = srs->GetAuthorityCode(nullptr);
    if (auth != nullptr && code != nullptr) id = fmt::format("{}:{}", auth, code);
    domain_ = geo::crs_domain(id, limits::kDomainMarginDeg);
    if (!target_crs.empty()) {
      try {
        proj_ = std::make_unique<geo::Projection>(source_crs_, target_crs);
      } catch (const InputError&) {
        const auto info = geo::crs_info(source_crs_);
        const bool local = info && info->kind == geo::CrsInfo::Kind::engineering;
        throw InputError(Where{file(), "layer " + spec.layer, ""},
                         fmt::format("the layer's CRS must be transformable to the run's CRS {}{}", target_crs,
                                     local ? " (a local/engineering CRS is not)" : ""),
                         srs->GetName() != nullptr ? fmt::format("\"{}\"", srs->GetName()) : "");
      }
    }

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
  const geo::Domain& domain() const { return domain_; }
  Where where() const { return Where{file(), "layer " + spec_.layer, ""}; }

  // The feature's FID, and its id where the id field is set: "feature 3 (parcel_id 17)".
  Where where(const OGRFeature& f) const {
    std::string feature = fmt::format("feature {}", f.GetFID());
    auto it = field_.find("id");
    if (it != field_.end() && f.IsFieldSetAndNotNull(it->second))
      feature += fmt::format(" ({} {})", spec_.fields.at("id"), f.GetFieldAsString(it->second));
    return Where{file(), "layer " + spec_.layer, feature};
  }
  Where where(const OGRFeature& f, const std::string& logical) const {
    Where w = where(f);
    w.feature_or_key += ", field " + spec_.fields.at(logical);
    return w;
  }

  // Every projected point must lie in this box (the parcels' extent widened), named in messages.
  void limit_to(const geo::BBox* box) { allowed_ = box; }

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
  // A whole number in [lo, hi] where an integer is meant: integer fields as they are, real fields
  // only when they hold a whole number (2.5 lanes is an error, not 2); never wrapped or truncated.
  std::int64_t whole(const OGRFeature& f, const std::string& logical, std::int64_t lo, std::int64_t hi) const {
    const int idx = field_.at(logical);
    std::int64_t v = 0;
    if (layer_->GetLayerDefn()->GetFieldDefn(idx)->GetType() == OFTReal) {
      const double d = f.GetFieldAsDouble(idx);
      if (!std::isfinite(d) || d != std::floor(d) || d < static_cast<double>(lo) || d > static_cast<double>(hi))
        throw InputError(where(f, logical),
                         fmt::format("{} must be a number in [{}, {}] with no fractional part", logical, lo, hi),
                         fmt::format("{}", d));
      v = static_cast<std::int64_t>(d);
    } else {
      v = f.GetFieldAsInteger64(idx);
    }
    if (v < lo || v > hi)
      throw InputError(where(f, logical),
                       fmt::format("{} must be a number in [{}, {}] with no fractional part", logical, lo, hi),
                       std::to_string(v));
    return v;
  }
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
  // Source coordinates: finite, inside the source CRS's area of use; then in the run's CRS: inside
  // ±limits::kMaxCoordinateM and the allowed box.
  void project(const OGRFeature& f, geo::Point* pts, std::size_t n) const {
    for (std::size_t i = 0; i < n; ++i) {
      if (!std::isfinite(pts[i].x) || !std::isfinite(pts[i].y))
        throw InputError(where(f), "coordinates must be finite numbers", xy(pts[i]));
      if (!domain_.contains(pts[i]))
        throw InputError(
            where(f), fmt::format("coordinates must lie within the area of use of the layer's CRS ({})", domain_.text),
            xy(pts[i]));
    }
    if (proj_ && !proj_->apply(pts, n))
      throw InputError(where(f), "coordinates must be transformable to the run's CRS", "out of the CRS's domain");
    for (std::size_t i = 0; i < n; ++i) {
      if (!(std::abs(pts[i].x) <= limits::kMaxCoordinateM && std::abs(pts[i].y) <= limits::kMaxCoordinateM))
        throw InputError(where(f),
                         fmt::format("coordinates in the run's CRS must lie within ±{:g} m", limits::kMaxCoordinateM),
                         xy(pts[i]));
      if (allowed_ != nullptr && !(pts[i].x >= allowed_->min_x && pts[i].x <= allowed_->max_x &&
                                   pts[i].y >= allowed_->min_y && pts[i].y <= allowed_->max_y))
        throw InputError(
            where(f),
            fmt::format("features must lie within {:g} km of the parcels' extent", limits::kMaxMarginM / 1000),
            xy(pts[i]) + " in the run's CRS");
    }
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
  geo::Domain domain_;
  const geo::BBox* allowed_ = nullptr;
  std::map<std::string, int> field_;
  std::unordered_set<std::int64_t> ids_;
};

constexpr std::initializer_list<OGRFieldType> kNumeric = {OFTInteger, OFTInteger64, OFTReal};
constexpr std::initializer_list<OGRFieldType> kInteger = {OFTInteger, OFTInteger64};

// The run's CRS: the scenario's (projected, in metres: every distance and area is measured in
// it), or the UTM zone of the parcels' centre.
std::string choose_crs(const scenario::Scenario& s) {
  if (!s.crs.empty()) {
    const Where w{s.file.string(), "", "key crs"};
    const auto info = geo::crs_info(s.crs);
    if (!info) throw InputError(w, "must be a coordinate reference system PROJ knows", "\"" + s.crs + "\"");
    const std::string shown = fmt::format("\"{}\" ({})", s.crs.substr(0, 120), info->name);
    if (info->kind == geo::CrsInfo::Kind::engineering)
      throw InputError(
          w, "must be a projected CRS in metres, not a local/engineering CRS (it cannot be related to the layers' CRS)",
          shown);
    if (info->kind != geo::CrsInfo::Kind::projected)
      throw InputError(w,
                       "must be a projected CRS in metres (distances and areas are measured in it; a geographic CRS "
                       "measures degrees)",
                       shown);
    if (info->unit_factor != 1.0)
      throw InputError(w, "must be a projected CRS in metres", fmt::format("{}, unit {}", shown, info->unit));
    return s.crs;
  }
  LayerReader parcels(s.parcels, "");
  OGREnvelope env;
  if (parcels.layer().GetExtent(&env, TRUE) != OGRERR_NONE)
    throw InputError(Where{parcels.file(), "layer " + s.parcels.layer, ""}, "layer must have features", "no extent");
  for (const geo::Point corner : {geo::Point{env.MinX, env.MinY}, geo::Point{env.MaxX, env.MaxY}}) {
    if (std::isfinite(corner.x) && std::isfinite(corner.y) && parcels.domain().contains(corner)) continue;
    // Name the first feature with a vertex outside (the UTM zone of a point that is nowhere means nothing).
    for (auto& fp : parcels.layer()) {
      const OGRGeometry* g = fp->GetGeometryRef();
      if (g == nullptr) continue;
      std::vector<geo::Point> pts;
      collect_points(*g, pts);
      for (auto& p : pts) parcels.project(*fp, &p, 1);
    }
    throw InputError(
        parcels.where(),
        fmt::format("the layer's extent must lie within the area of use of its CRS ({})", parcels.domain().text),
        fmt::format("({}, {}) - ({}, {})", env.MinX, env.MinY, env.MaxX, env.MaxY));
  }
  geo::Point c{(env.MinX + env.MaxX) / 2, (env.MinY + env.MaxY) / 2};
  std::unique_ptr<geo::Projection> to_ll;
  try {
    to_ll = std::make_unique<geo::Projection>(parcels.source_crs(), "EPSG:4326");
  } catch (const InputError&) {
    const auto info = geo::crs_info(parcels.source_crs());
    const bool local = info && info->kind == geo::CrsInfo::Kind::engineering;
    throw InputError(
        parcels.where(),
        fmt::format(
            "the layer's CRS must be transformable to lon/lat (to choose the run's UTM zone){}",
            local ? "; a local/engineering CRS is not: give a projected crs in the scenario and the layers" : ""),
        info ? "\"" + info->name + "\"" : "");
  }
  if (!to_ll->apply(&c, 1))
    throw InputError(Where{parcels.file(), "layer " + s.parcels.layer, ""}, "extent must be transformable to lon/lat", "");
  return geo::utm_epsg_for(c.x, c.y);
}

void check_valid(const LayerReader& r, const OGRFeature& f, const OGRGeometry& g) {
  if (!g.IsValid()) throw InputError(r.where(f), "geometry must be valid (OGC simple features)", "invalid");
}

// Loads the parcels and returns the box every other feature must lie in: their extent (at most
// limits::kMaxExtentM across) widened by limits::kMaxMarginM.
geo::BBox load_parcels(const scenario::Scenario& s, const std::string& crs, city::Parcels& out) {
  LayerReader r(s.parcels, crs);
  r.expect_type("id", kInteger, "an integer");
  r.expect_type("residents", kNumeric, "numeric");
  r.expect_type("floor_area", kNumeric, "numeric");
  geo::BBox box;
  std::int64_t fid[4] = {0, 0, 0, 0};  // the features at min x, max x, min y, max y
  std::uint64_t total = 0;
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
      for (auto& ring : poly.rings) {
        r.project(f, ring.data(), ring.size());
        for (const auto& p : ring) {
          if (p.x < box.min_x) fid[0] = f.GetFID();
          if (p.x > box.max_x) fid[1] = f.GetFID();
          if (p.y < box.min_y) fid[2] = f.GetFID();
          if (p.y > box.max_y) fid[3] = f.GetFID();
          box.add(p);
        }
      }
    check_valid(r, f, g);
    // NULL residents count as 0 (a layer where every parcel has none is rejected below).
    const auto residents = r.is_set(f, "residents")
                               ? r.whole(f, "residents", 0, static_cast<std::int64_t>(limits::kMaxResidentsPerParcel))
                               : std::int64_t{0};
    const double floor_area = r.is_set(f, "floor_area") ? r.real(f, "floor_area") : 0;
    if (!(floor_area >= 0 && floor_area <= limits::kMaxFloorAreaM2))
      throw InputError(r.where(f, "floor_area"),
                       fmt::format("floor area must be a number in [0, {:g}] m2", limits::kMaxFloorAreaM2),
                       fmt::format("{}", floor_area));
    std::string land_use = r.text(f, "land_use");
    if (!land_use_known(s, land_use))
      throw InputError(r.where(f, "land_use"), land_use_rule(s, land_use), "\"" + land_use + "\"");
    total += static_cast<std::uint64_t>(residents);
    out.id.push_back(id);
    out.land_use.push_back(std::move(land_use));
    out.area_m2.push_back(geo::area(mp));
    out.floor_area_m2.push_back(floor_area);
    out.residents.push_back(static_cast<std::uint32_t>(residents));
    out.centroid.push_back(geo::centroid(mp));
    out.shape.push_back(std::move(mp));
  }
  if (out.size() == 0) throw InputError(r.where(), "layer must hold parcels", "0 features");
  const std::string field = "field " + s.parcels.fields.at("residents");
  if (total == 0)
    throw InputError(
        Where{r.file(), "layer " + s.parcels.layer, field},
        "no residents in the parcels layer: the residents field must hold a positive number in at least one parcel",
        fmt::format("NULL or 0 in all {} parcels", out.size()));
  if (total > limits::kMaxPersons)
    throw InputError(
        Where{r.file(), "layer " + s.parcels.layer, field},
        fmt::format("the parcels' residents must add up to at most {} persons (the population model's limit)",
                    limits::kMaxPersons),
        std::to_string(total));
  const double w = box.max_x - box.min_x, h = box.max_y - box.min_y;
  if (w > limits::kMaxExtentM || h > limits::kMaxExtentM) {
    const bool wide = w > limits::kMaxExtentM;
    throw InputError(
        r.where(),
        fmt::format("parcels must span at most {:g} km east-west and north-south", limits::kMaxExtentM / 1000),
        fmt::format("{:.0f} km {} between features {} and {}", (wide ? w : h) / 1000,
                    wide ? "east-west" : "north-south", fid[wide ? 0 : 2], fid[wide ? 1 : 3]));
  }
  return geo::BBox{box.min_x - limits::kMaxMarginM, box.min_y - limits::kMaxMarginM, box.max_x + limits::kMaxMarginM,
                   box.max_y + limits::kMaxMarginM};
}

int parse_oneway(const LayerReader& r, const OGRFeature& f) {
  if (!r.is_set(f, "oneway")) return 0;
  const std::string v = r.text(f, "oneway");
  if (v == "0" || v == "no" || v == "false") return 0;
  if (v == "1" || v == "yes" || v == "true") return 1;
  if (v == "-1") return -1;
  throw InputError(r.where(f), "oneway must be 0, 1 or -1 (or no/yes)", "\"" + v + "\"");
}

void load_roads(const scenario::Scenario& s, const std::string& crs, const geo::BBox& allowed,
                std::vector<city::Road>& out) {
  LayerReader r(s.roads, crs);
  r.limit_to(&allowed);
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
    if (!road_class_known(s, road.road_class))
      throw InputError(r.where(f, "class"), road_class_rule(s, road.road_class), "\"" + road.road_class + "\"");
    const auto custom = s.road_classes.find(road.road_class);
    const bool is_custom = custom != s.road_classes.end();
    road.speed_kmh = r.is_set(f, "speed") ? r.real(f, "speed")
                     : is_custom          ? custom->second.speed_kmh
                                          : city::default_speed_kmh(road.road_class);
    if (!(road.speed_kmh > 0 && road.speed_kmh <= 200))
      throw InputError(r.where(f), "speed must be in (0, 200] km/h", fmt::format("{}", road.speed_kmh));
    road.lanes = r.is_set(f, "lanes") ? static_cast<int>(r.whole(f, "lanes", 1, limits::kMaxLanes))
                 : is_custom          ? custom->second.lanes
                                      : 1;
    road.oneway = parse_oneway(r, f);
    auto flag = [&](const char* logical, bool fallback) {
      if (!r.is_set(f, logical)) return fallback;
      return r.whole(f, logical, 0, 1) != 0;
    };
    road.walk = flag("walk", is_custom ? custom->second.walk : city::walk_by_class(road.road_class));
    road.drive = flag("drive", is_custom ? custom->second.drive : city::drive_by_class(road.road_class));
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
void read_greenways(const scenario::LayerSpec& spec, const std::string& crs, const geo::BBox& allowed,
                    const std::string& origin, std::vector<city::Greenway>& out) {
  LayerReader r(spec, crs);
  r.limit_to(&allowed);
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

void load_greenways(const scenario::Scenario& s, const std::string& crs, const geo::BBox& allowed,
                    std::vector<city::Greenway>& out) {
  if (!s.greenways.source.empty()) read_greenways(s.greenways, crs, allowed, "layer", out);
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

void load_facilities(const scenario::Scenario& s, const std::string& crs, const geo::BBox& allowed,
                     std::vector<city::Facility>& out) {
  LayerReader r(s.facilities, crs);
  r.limit_to(&allowed);
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
      if (!(fac.capacity <= limits::kMaxCapacity))
        throw InputError(r.where(f, "capacity"), fmt::format("capacity must be at most {:g}", limits::kMaxCapacity),
                         fmt::format("{}", fac.capacity));
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

// Building footprints (the scenario's buildings layer): where residents live inside parcels.
void load_buildings(const scenario::Scenario& s, const std::string& crs, const geo::BBox& allowed,
                    std::vector<city::Building>& out) {
  if (s.buildings.source.empty()) return;
  LayerReader r(s.buildings, crs);
  r.limit_to(&allowed);
  r.expect_type("id", kInteger, "an integer");
  r.expect_type("levels", kNumeric, "numeric");
  for (auto& fp : r.layer()) {
    const OGRFeature& f = *fp;
    if (!r.is_set(f, "id")) throw InputError(r.where(f), "building id must be set", "null");
    city::Building b;
    b.id = r.integer(f, "id");
    r.check_unique(f, b.id);
    b.type = r.text(f, "type");
    // NULL or absent levels: 0, "not given" (homes.default_levels applies).
    if (r.is_set(f, "levels")) {
      b.levels = r.real(f, "levels");
      if (!(std::isfinite(b.levels) && b.levels >= 0 && b.levels <= limits::kMaxBuildingLevels))
        throw InputError(
            r.where(f, "levels"),
            fmt::format("levels must be a number in [0, {:g}] (storeys above ground)", limits::kMaxBuildingLevels),
            fmt::format("{}", b.levels));
    }
    const OGRGeometry& g = r.geometry(f);
    const auto type = wkbFlatten(g.getGeometryType());
    if (type != wkbPolygon && type != wkbMultiPolygon)
      throw InputError(r.where(f), "building geometry must be a polygon or multipolygon", OGRGeometryTypeToName(type));
    detail::append_polygons(g, b.shape);
    for (auto& poly : b.shape)
      for (auto& ring : poly.rings) r.project(f, ring.data(), ring.size());
    check_valid(r, f, g);
    b.area_m2 = geo::area(b.shape);
    out.push_back(std::move(b));
  }
}

// Barriers (the scenario's barriers layer): areas (water) and lines (railways, motorways, rivers).
void load_barriers(const scenario::Scenario& s, const std::string& crs, const geo::BBox& allowed,
                   std::vector<city::Barrier>& out) {
  if (s.barriers.source.empty()) return;
  LayerReader r(s.barriers, crs);
  r.limit_to(&allowed);
  r.expect_type("id", kInteger, "an integer");
  for (auto& fp : r.layer()) {
    const OGRFeature& f = *fp;
    if (!r.is_set(f, "id")) throw InputError(r.where(f), "barrier id must be set", "null");
    city::Barrier b;
    b.id = r.integer(f, "id");
    r.check_unique(f, b.id);
    b.kind = r.text(f, "kind");
    if (b.kind.empty()) throw InputError(r.where(f, "kind"), "barrier kind must be set (water, railway, ...)", "empty");
    const OGRGeometry& g = r.geometry(f);
    const auto type = wkbFlatten(g.getGeometryType());
    if (OGR_GT_IsSurface(type) || OGR_GT_IsSubClassOf(type, wkbMultiSurface)) {
      detail::append_polygons(g, b.area);
      for (auto& poly : b.area)
        for (auto& ring : poly.rings) r.project(f, ring.data(), ring.size());
      check_valid(r, f, g);
    } else if (OGR_GT_IsCurve(type) || OGR_GT_IsSubClassOf(type, wkbMultiCurve)) {
      detail::append_lines(g, b.lines);
      for (auto& line : b.lines) {
        if (line.size() < 2)
          throw InputError(r.where(f), "barrier lines need at least 2 vertices", std::to_string(line.size()));
        r.project(f, line.data(), line.size());
      }
    } else {
      throw InputError(r.where(f), "a barrier must be a line or an area", OGRGeometryTypeToName(type));
    }
    out.push_back(std::move(b));
  }
}

// The population raster (homes.raster), warped into the run's CRS by nearest neighbour at the
// resolution GDAL suggests, over the parcels' extent plus one cell on every side. Cells outside
// the raster, and its no-data cells, are NaN.
void load_density(const scenario::Scenario& s, const city::City& c, city::DensityGrid& out) {
  const auto& h = s.homes;
  if (h.raster.empty()) return;
  const std::string path = h.raster.string();
  const Where where{path, fmt::format("band {}", h.raster_band), ""};
  CPLErrorReset();
  GDALDatasetUniquePtr src(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
  if (!src) {
    std::string why = CPLGetLastErrorMsg();
    if (why.empty()) why = "not a raster format GDAL reads";
    throw InputError(Where{path, "", ""}, "raster named by homes.raster must be readable by GDAL", why);
  }
  if (h.raster_band > src->GetRasterCount())
    throw InputError(Where{s.file.string(), "", "key homes.raster_band"},
                     fmt::format("must be a band of the raster {} (it has {})", path, src->GetRasterCount()),
                     std::to_string(h.raster_band));
  if (src->GetSpatialRef() == nullptr)
    throw InputError(Where{path, "", ""}, "raster must declare its coordinate reference system", "none");
  std::array<double, 6> sgt{};
  if (src->GetGeoTransform(sgt.data()) != CE_None)
    throw InputError(Where{path, "", ""}, "raster must be georeferenced (a geotransform)", "none");
  // Exact transformation (max error 0) and nearest neighbour: the same cells on every run.
  CPLErrorReset();
  GDALDatasetUniquePtr warped(GDALDataset::FromHandle(GDALAutoCreateWarpedVRT(
      GDALDataset::ToHandle(src.get()), nullptr, c.crs_wkt.c_str(), GRA_NearestNeighbour, 0.0, nullptr)));
  if (!warped)
    throw InputError(Where{path, "", ""}, fmt::format("raster must be transformable to the run's CRS {}", c.crs),
                     CPLGetLastErrorMsg());
  std::array<double, 6> gt{};
  warped->GetGeoTransform(gt.data());
  const double dx = gt[1], dy = -gt[5];
  if (!(dx > 0 && dy > 0 && gt[2] == 0 && gt[4] == 0))
    throw InputError(where, "raster warped into the run's CRS must be a north-up grid",
                     fmt::format("geotransform ({}, {}, {}, {}, {}, {})", gt[0], gt[1], gt[2], gt[3], gt[4], gt[5]));
  geo::BBox box;
  for (const auto& mp : c.parcels.shape)
    for (const auto& poly : mp)
      for (const auto& ring : poly.rings)
        for (const auto& p : ring) box.add(p);
  // The window in the warped raster's cells (may reach beyond it): every cell a parcel touches,
  // and one more on each side.
  const double col_lo = std::floor((box.min_x - gt[0]) / dx) - 1, col_hi = std::floor((box.max_x - gt[0]) / dx) + 2;
  const double row_lo = std::floor((gt[3] - box.max_y) / dy) - 1, row_hi = std::floor((gt[3] - box.min_y) / dy) + 2;
  const double cells = (col_hi - col_lo) * (row_hi - row_lo);
  if (!(cells <= limits::kMaxDensityCells))
    throw InputError(
        where,
        fmt::format("the raster over the parcels' extent must have at most {:.0f} cells in the run's CRS (coarsen it)",
                    limits::kMaxDensityCells),
        fmt::format("{:.0f} x {:.0f} = {:.0f} cells of {:g} m x {:g} m", col_hi - col_lo, row_hi - row_lo, cells, dx,
                    dy));
  const double width = warped->GetRasterXSize(), height = warped->GetRasterYSize();
  const double ix0 = std::max(col_lo, 0.0), ix1 = std::min(col_hi, width);
  const double iy0 = std::max(row_lo, 0.0), iy1 = std::min(row_hi, height);
  if (!(ix0 < ix1 && iy0 < iy1))
    throw InputError(where, "raster must overlap the parcels' extent",
                     fmt::format("raster ({:.0f}, {:.0f}) - ({:.0f}, {:.0f}), parcels {} - {} in the run's CRS", gt[0],
                                 gt[3] - height * dy, gt[0] + width * dx, gt[3], xy({box.min_x, box.min_y}),
                                 xy({box.max_x, box.max_y})));
  out.source = path;
  out.dx = dx;
  out.dy = dy;
  out.x0 = gt[0] + col_lo * dx;
  out.y0 = gt[3] - row_lo * dy;
  out.nx = static_cast<std::size_t>(col_hi - col_lo);
  out.ny = static_cast<std::size_t>(row_hi - row_lo);
  out.value.assign(out.nx * out.ny, std::numeric_limits<float>::quiet_NaN());
  GDALRasterBand* band = warped->GetRasterBand(h.raster_band);
  int has_nodata = 0;
  const double nodata = band->GetNoDataValue(&has_nodata);
  const int iw = static_cast<int>(ix1 - ix0), ih = static_cast<int>(iy1 - iy0);
  std::vector<double> buf(static_cast<std::size_t>(iw) * static_cast<std::size_t>(ih));
  CPLErrorReset();
  if (band->RasterIO(GF_Read, static_cast<int>(ix0), static_cast<int>(iy0), iw, ih, buf.data(), iw, ih, GDT_Float64, 0,
                     0, nullptr) != CE_None)
    throw InputError(where, "raster must be readable", CPLGetLastErrorMsg());
  const auto off_x = static_cast<std::size_t>(ix0 - col_lo), off_y = static_cast<std::size_t>(iy0 - row_lo);
  for (std::size_t r = 0; r < static_cast<std::size_t>(ih); ++r)
    for (std::size_t k = 0; k < static_cast<std::size_t>(iw); ++k) {
      const double v = buf[r * static_cast<std::size_t>(iw) + k];
      // No data, and values a float cannot hold, stay NaN.
      if ((has_nodata && (v == nodata || (std::isnan(nodata) && std::isnan(v)))) || !(std::abs(v) <= FLT_MAX)) continue;
      out.value[(off_y + r) * out.nx + off_x + k] = static_cast<float>(v);
    }
}

// Coordinates a scenario key gives in `crs`: finite and within its area of use.
void check_source_points(const std::vector<geo::Point>& pts, const std::string& crs, const Where& w) {
  const geo::Domain domain = geo::crs_domain(crs, limits::kDomainMarginDeg);
  for (const auto& p : pts) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) throw InputError(w, "coordinates must be finite numbers", xy(p));
    if (!domain.contains(p))
      throw InputError(w, fmt::format("coordinates must lie within the area of use of its crs ({})", domain.text),
                       xy(p));
  }
}

// The same coordinates in the run's CRS: within the box around the parcels.
void check_run_points(const std::vector<geo::Point>& pts, const geo::BBox& allowed, const Where& w) {
  for (const auto& p : pts)
    if (!(p.x >= allowed.min_x && p.x <= allowed.max_x && p.y >= allowed.min_y && p.y <= allowed.max_y))
      throw InputError(w, fmt::format("must lie within {:g} km of the parcels' extent", limits::kMaxMarginM / 1000),
                       xy(p) + " in the run's CRS");
}

// Geometry given in a scenario key, as OGR geometry in the run's CRS; inside `allowed` when given
// (lines join the networks; a rezoning polygon only selects parcels and may be larger).
std::unique_ptr<OGRGeometry> scenario_geometry(const std::string& wkt, const std::string& crs,
                                               const std::string& target, const geo::BBox* allowed, const Where& w) {
  OGRGeometry* raw = nullptr;
  if (OGRGeometryFactory::createFromWkt(wkt.c_str(), nullptr, &raw) != OGRERR_NONE || raw == nullptr)
    throw InputError(w, "must be valid WKT", "\"" + wkt.substr(0, 80) + "\"");
  std::unique_ptr<OGRGeometry> geom(raw);
  if (geom->IsEmpty()) throw InputError(w, "must not be empty", "\"" + wkt.substr(0, 80) + "\"");
  if (!geo::crs_is_known(crs)) throw InputError(w, "crs must be a CRS PROJ knows", "\"" + crs + "\"");
  std::vector<geo::Point> pts;
  collect_points(*geom, pts);
  check_source_points(pts, crs, w);
  OGRSpatialReference from, to;
  from.SetFromUserInput(crs.c_str());
  to.SetFromUserInput(target.c_str());
  from.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  to.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  std::unique_ptr<OGRCoordinateTransformation> ct(OGRCreateCoordinateTransformation(&from, &to));
  if (!ct || geom->transform(ct.get()) != OGRERR_NONE) throw InputError(w, "coordinates must be transformable to the run's CRS", "");
  pts.clear();
  collect_points(*geom, pts);
  for (const auto& p : pts)
    if (!std::isfinite(p.x) || !std::isfinite(p.y))
      throw InputError(w, "coordinates must be transformable to the run's CRS", xy(p));
  if (allowed != nullptr) check_run_points(pts, *allowed, w);
  return geom;
}

std::vector<geo::LineString> scenario_lines(const std::string& wkt, const std::string& crs, const std::string& target,
                                            const geo::BBox& allowed, const Where& w) {
  const auto geom = scenario_geometry(wkt, crs, target, &allowed, w);
  std::vector<geo::LineString> parts;
  detail::append_lines(*geom, parts);
  if (parts.empty()) throw InputError(w, "must be a LINESTRING or MULTILINESTRING", wkt.substr(0, 40));
  for (const auto& part : parts)
    if (part.size() < 2) throw InputError(w, "lines need at least 2 vertices", std::to_string(part.size()));
  return parts;
}

geo::Point scenario_point(double x, double y, const std::string& crs, const std::string& target,
                          const geo::BBox& allowed, const Where& w) {
  geo::Point pt{x, y};
  if (!geo::crs_is_known(crs)) throw InputError(w, "crs must be a CRS PROJ knows", "\"" + crs + "\"");
  check_source_points({pt}, crs, w);
  std::unique_ptr<geo::Projection> p;
  try {
    p = std::make_unique<geo::Projection>(crs, target);
  } catch (const InputError&) {
    throw InputError(w, fmt::format("crs must be transformable to the run's CRS {}", target), "\"" + crs + "\"");
  }
  if (!p->apply(&pt, 1)) throw InputError(w, "x, y must be transformable to the run's CRS", "");
  check_run_points({pt}, allowed, w);
  return pt;
}

// The scenario's interventions, resolved against the layers: ids checked, geometry in the run's
// CRS, each feature tagged with the years it exists.
void resolve_interventions(const scenario::Scenario& s, const geo::BBox& allowed, city::City& c) {
  const std::string file = s.file.string();
  std::int64_t next_facility = 900000000;
  for (const auto& f : c.facilities) next_facility = std::max(next_facility, f.id + 1);
  for (const auto& add : s.add_facilities) {
    const Where w{file, "", "key " + add.key};
    check_classes(s, add.classes, w);
    city::Facility f;
    f.id = add.id ? *add.id : next_facility++;
    f.name = add.name;
    f.classes = add.classes;
    f.capacity = add.capacity;
    f.origin = "scenario";
    f.from_year = add.year;
    f.location = scenario_point(add.x, add.y, add.crs, c.crs, allowed, w);
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
      f.location = scenario_point(st.x, st.y, line.crs, c.crs, allowed, w);
      c.facilities.push_back(std::move(f));
    }
  }
  // An explicit [[add_facility]] id must be new: not a layer's, another entry's or a station's.
  for (const auto& add : s.add_facilities) {
    if (!add.id) continue;
    if (std::count_if(c.facilities.begin(), c.facilities.end(), [&](const city::Facility& f) { return f.id == *add.id; }) > 1)
      throw InputError(Where{file, "", "key " + add.key + ".id"},
                       "must differ from every other facility id (the facilities layer's, other entries', metro stations')",
                       std::to_string(*add.id));
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
      read_greenways(spec, c.crs, allowed, "scenario", lines);
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
    for (auto& part : scenario_lines(add.wkt, add.crs, c.crs, allowed, w)) {
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
    if (!road_class_known(s, add.road_class))
      throw InputError(Where{file, "", "key " + add.key + ".class"}, road_class_rule(s, add.road_class),
                       "\"" + add.road_class + "\"");
    const auto custom = s.road_classes.find(add.road_class);
    const bool is_custom = custom != s.road_classes.end();
    city::Road road;
    road.id = next_road++;
    road.road_class = add.road_class;
    road.speed_kmh = add.speed_kmh > 0 ? add.speed_kmh
                     : is_custom       ? custom->second.speed_kmh
                                       : city::default_speed_kmh(add.road_class);
    road.lanes = add.lanes > 0 ? add.lanes : is_custom ? custom->second.lanes : city::default_lanes(add.road_class);
    road.oneway = add.oneway;
    road.walk = add.walk;
    road.drive = add.drive;
    road.from_year = add.year;
    for (auto& part : scenario_lines(add.wkt, add.crs, c.crs, allowed, w)) {
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
    if (!land_use_known(s, z.land_use))
      throw InputError(Where{file, "", "key " + z.key + ".land_use"}, land_use_rule(s, z.land_use),
                       "\"" + z.land_use + "\"");
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
      const auto geom = scenario_geometry(z.polygon_wkt, z.crs, c.crs, nullptr, w);
      const auto type = wkbFlatten(geom->getGeometryType());
      if (type != wkbPolygon && type != wkbMultiPolygon) throw InputError(w, "must be a POLYGON or MULTIPOLYGON", z.polygon_wkt.substr(0, 40));
      if (!geom->IsValid())
        throw InputError(w, "must be a valid polygon (OGC simple features: closed rings that do not cross themselves)",
                         "\"" + z.polygon_wkt.substr(0, 60) + "\"");
      for (std::size_t p = 0; p < c.parcels.size(); ++p) {
        const OGRPoint pt(c.parcels.centroid[p].x, c.parcels.centroid[p].y);
        if (geom->Contains(&pt)) out.parcels.push_back(static_cast<std::uint32_t>(p));
      }
      if (out.parcels.empty()) throw InputError(w, "must contain the centroid of at least one parcel", z.polygon_wkt.substr(0, 60));
    }
    // The floor area a FAR gives stays within limits (and so do the dwelling units derived from it).
    if (z.far >= 0)
      for (const std::uint32_t p : out.parcels)
        if (z.far * c.parcels.area_m2[p] > limits::kMaxFloorAreaM2)
          throw InputError(Where{file, "", "key " + z.key + ".far"},
                           fmt::format("far x parcel area must be at most {:g} m2 (parcel {} has {:.0f} m2)",
                                       limits::kMaxFloorAreaM2, c.parcels.id[p], c.parcels.area_m2[p]),
                           fmt::format("{}", z.far));
    c.rezonings.push_back(std::move(out));
  }
}

// The scenario's own tables extend the built-in and the profile's ones; they may not redefine
// them. The profile's [road_capacity] names road classes the run knows.
void check_scenario_tables(const scenario::Scenario& s) {
  for (const auto& [name, cap] : s.profile.lane_capacity)
    if (!road_class_known(s, name)) {
      std::vector<std::string> names(city::known_road_classes().begin(), city::known_road_classes().end());
      for (const auto& [k, v] : s.road_classes) names.push_back(k);
      const std::string near = core::nearest(name, names);
      throw InputError(Where{s.profile.file.string(), "", "key road_capacity." + name},
                       near.empty() ? "must name a road class the engine knows (or other)"
                                    : fmt::format("must name a road class the engine knows (or other); did you mean '{}'?", near),
                       "\"" + name + "\"");
    }
  for (const auto& [name, rc] : s.road_classes)
    if (city::known_road_classes().count(name))
      throw InputError(
          Where{s.file.string(), "", "key road_classes." + name},
          "must name a new road class; the built-in classes keep their rules (set speed_kmh, lanes per road instead)",
          "\"" + name + "\"");
  for (const auto& [name, lu] : s.land_uses)
    if (name.empty() || s.profile.land_uses.count(name))
      throw InputError(Where{s.file.string(), "", "key land_uses." + name},
                       "must name a new, non-empty land use (the profile's land uses keep their rules)",
                       "\"" + name + "\"");
}

// The population the scenario asks for stays within limits::kMaxPersons in every year.
void check_population(const scenario::Scenario& s, const city::Parcels& parcels) {
  const double growth = s.profile.mobility.growth_pct_per_year;
  if (!s.population.enabled || !s.control_totals.empty() || growth <= 0) return;
  double base = 0;
  for (const auto r : parcels.residents) base += r;
  const double last = base * std::pow(1 + growth / 100, s.end_year - s.base_year);
  if (last > static_cast<double>(limits::kMaxPersons))
    throw InputError(
        scenario::where_of(s, "mobility.growth_pct_per_year"),
        fmt::format("must keep the population at most {} persons (the base year's {:.0f} grow to {:.0f} by {})",
                    limits::kMaxPersons, base, last, s.end_year),
        fmt::format("{}", growth));
}

}  // namespace

namespace {

// The `attribution` rows of each layer source's `about` table (docs/conventions.md, "Credits").
void read_attribution(const scenario::Scenario& s, city::City& c) {
  std::set<std::string> seen_sources;
  for (const auto* l : {&s.parcels, &s.roads, &s.greenways, &s.facilities, &s.buildings, &s.barriers}) {
    if (l->source.empty() || !seen_sources.insert(l->source.string()).second) continue;
    std::vector<std::string> found;
    {
      CPLPushErrorHandler(CPLQuietErrorHandler);  // the layers were read already; a source without `about` is usual
      GDALDatasetUniquePtr ds(GDALDataset::Open(l->source.string().c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY));
      CPLPopErrorHandler();
      OGRLayer* about = ds ? ds->GetLayerByName("about") : nullptr;
      if (about && about->GetLayerDefn()->GetFieldIndex("key") >= 0 && about->GetLayerDefn()->GetFieldIndex("value") >= 0) {
        about->ResetReading();
        for (auto& f : *about)
          if (std::string(f->GetFieldAsString("key")) == "attribution" && *f->GetFieldAsString("value"))
            found.emplace_back(f->GetFieldAsString("value"));
      }
    }
    if (found.empty()) ++c.undeclared_sources;
    for (auto& a : found)
      if (std::find(c.attribution.begin(), c.attribution.end(), a) == c.attribution.end()) c.attribution.push_back(a);
  }
}

}  // namespace

city::City load_city(const scenario::Scenario& s) {
  detail::init_gdal();
  check_scenario_tables(s);
  city::City c;
  c.crs = choose_crs(s);
  c.crs_wkt = geo::crs_wkt(c.crs);
  const geo::BBox allowed = load_parcels(s, c.crs, c.parcels);
  check_population(s, c.parcels);
  if (!s.crs.empty()) {
    // The run's CRS must be meant for where the parcels are.
    const geo::Domain run = geo::crs_domain(s.crs, limits::kDomainMarginDeg);
    const geo::Point centre{(allowed.min_x + allowed.max_x) / 2, (allowed.min_y + allowed.max_y) / 2};
    if (!run.contains(centre))
      throw InputError(Where{s.file.string(), "", "key crs"},
                       fmt::format("must be a CRS whose area of use ({}) holds the parcels", run.text),
                       fmt::format("\"{}\"; parcels' centre {}", s.crs, xy(centre)));
  }
  load_roads(s, c.crs, allowed, c.roads);
  load_greenways(s, c.crs, allowed, c.greenways);
  load_facilities(s, c.crs, allowed, c.facilities);
  load_buildings(s, c.crs, allowed, c.buildings);
  load_barriers(s, c.crs, allowed, c.barriers);
  load_density(s, c, c.density);
  resolve_interventions(s, allowed, c);
  read_attribution(s, c);
  return c;
}

}  // namespace ut::gis_io
