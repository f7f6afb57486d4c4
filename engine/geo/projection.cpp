#include "geo/projection.hpp"

#include <proj.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.hpp"

namespace ut::geo {

struct Projection::Impl {
  PJ_CONTEXT* ctx = nullptr;
  PJ* pj = nullptr;
};

Projection::Projection(const std::string& source, const std::string& target) : impl_(std::make_unique<Impl>()) {
  impl_->ctx = proj_context_create();
  proj_log_level(impl_->ctx, PJ_LOG_NONE);  // failures are reported by the caller, not as "utm: Invalid latitude"
  PJ* raw = proj_create_crs_to_crs(impl_->ctx, source.c_str(), target.c_str(), nullptr);
  if (raw == nullptr) {
    proj_context_destroy(impl_->ctx);
    impl_->ctx = nullptr;
    throw core::InputError(fmt::format("coordinate systems: no transformation from '{}' to '{}' (unknown CRS?)",
                                       source.substr(0, 120), target.substr(0, 120)));
  }
  impl_->pj = proj_normalize_for_visualization(impl_->ctx, raw);
  proj_destroy(raw);
}

Projection::~Projection() {
  if (impl_->pj != nullptr) proj_destroy(impl_->pj);
  if (impl_->ctx != nullptr) proj_context_destroy(impl_->ctx);
}

bool Projection::apply(Point* pts, std::size_t n) const {
  if (n == 0) return true;
  proj_trans_generic(impl_->pj, PJ_FWD, &pts[0].x, sizeof(Point), n, &pts[0].y, sizeof(Point), n, nullptr, 0, 0,
                     nullptr, 0, 0);
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isfinite(pts[i].x) || !std::isfinite(pts[i].y)) return false;
  return true;
}

namespace {

// A PROJ context that logs nothing, destroyed with its objects.
struct Ctx {
  PJ_CONTEXT* ctx = proj_context_create();
  std::vector<PJ*> objects;
  Ctx() { proj_log_level(ctx, PJ_LOG_NONE); }
  ~Ctx() {
    for (PJ* o : objects) proj_destroy(o);
    proj_context_destroy(ctx);
  }
  Ctx(const Ctx&) = delete;
  Ctx& operator=(const Ctx&) = delete;
  PJ* keep(PJ* o) {
    if (o != nullptr) objects.push_back(o);
    return o;
  }
};

// The horizontal CRS of a definition: the source of a bound CRS, the first part of a compound one.
PJ* horizontal(Ctx& c, PJ* crs) {
  for (int depth = 0; crs != nullptr && depth < 4; ++depth) {
    const PJ_TYPE t = proj_get_type(crs);
    if (t == PJ_TYPE_BOUND_CRS)
      crs = c.keep(proj_get_source_crs(c.ctx, crs));
    else if (t == PJ_TYPE_COMPOUND_CRS)
      crs = c.keep(proj_crs_get_sub_crs(c.ctx, crs, 0));
    else
      break;
  }
  return crs;
}

std::string degrees(double v) { return fmt::format("{:.6g}", v); }

}  // namespace

std::optional<CrsInfo> crs_info(const std::string& definition) {
  Ctx c;
  PJ* crs = horizontal(c, c.keep(proj_create(c.ctx, definition.c_str())));
  if (crs == nullptr || !proj_is_crs(crs)) return std::nullopt;
  CrsInfo info;
  switch (proj_get_type(crs)) {
    case PJ_TYPE_GEOGRAPHIC_2D_CRS:
    case PJ_TYPE_GEOGRAPHIC_3D_CRS:
    case PJ_TYPE_GEOGRAPHIC_CRS:
      info.kind = CrsInfo::Kind::geographic;
      break;
    case PJ_TYPE_PROJECTED_CRS:
      info.kind = CrsInfo::Kind::projected;
      break;
    case PJ_TYPE_ENGINEERING_CRS:
      info.kind = CrsInfo::Kind::engineering;
      break;
    default:
      info.kind = CrsInfo::Kind::other;
  }
  if (const char* name = proj_get_name(crs)) info.name = name;
  if (const char* auth = proj_get_id_auth_name(crs, 0))
    if (const char* code = proj_get_id_code(crs, 0)) info.id = fmt::format("{}:{}", auth, code);
  if (PJ* cs = c.keep(proj_crs_get_coordinate_system(c.ctx, crs))) {
    const char* unit = nullptr;
    double factor = 0;
    if (proj_cs_get_axis_info(c.ctx, cs, 0, nullptr, nullptr, nullptr, &factor, &unit, nullptr, nullptr) &&
        unit != nullptr) {
      info.unit = unit;
      info.unit_factor = factor;
    }
  }
  // The area of use: of the object itself, or (a CRS read from WKT1) of its identifier's entry.
  const char* area = nullptr;
  double w = 0, s = 0, e = 0, n = 0;
  bool found = proj_get_area_of_use(c.ctx, crs, &w, &s, &e, &n, &area) != 0 && w > -1000;
  if (!found && !info.id.empty()) {
    if (PJ* byid = c.keep(proj_create(c.ctx, info.id.c_str())))
      found = proj_get_area_of_use(c.ctx, byid, &w, &s, &e, &n, &area) != 0 && w > -1000;
  }
  if (found) {
    info.has_area = true;
    info.west = w;
    info.south = s;
    info.east = e;
    info.north = n;
  }
  return info;
}

Domain crs_domain(const std::string& definition, double margin_deg) {
  Domain d;
  const auto info = crs_info(definition);
  if (!info) return d;
  const std::string label = info->id.empty() ? info->name : info->id;
  const bool geographic = info->kind == CrsInfo::Kind::geographic && info->unit == "degree";
  double w = -180, s = -90, e = 180, n = 90;
  if (info->has_area && info->west <= info->east) {  // an area across the antimeridian: the whole globe
    w = std::max(-180.0, info->west - margin_deg);
    e = std::min(180.0, info->east + margin_deg);
    s = std::max(-90.0, info->south - margin_deg);
    n = std::min(90.0, info->north + margin_deg);
  } else if (!geographic) {
    return d;  // a projected CRS without a usable area of use: no box
  }
  if (geographic) {
    d.known = true;
    d.box = BBox{w, s, e, n};
    d.text = fmt::format("{}: lon {}..{}, lat {}..{}", label, degrees(w), degrees(e), degrees(s), degrees(n));
    return d;
  }
  // The widened area of use in the CRS's own coordinates (edges densified).
  Ctx c;
  PJ* raw = c.keep(proj_create_crs_to_crs(c.ctx, "EPSG:4326", definition.c_str(), nullptr));
  if (raw == nullptr) return d;
  PJ* pj = c.keep(proj_normalize_for_visualization(c.ctx, raw));
  if (pj == nullptr) return d;
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  // Poles are singular for many projections: stop a degree short of them.
  if (!proj_trans_bounds(c.ctx, pj, PJ_FWD, w, std::max(s, -89.0), e, std::min(n, 89.0), &x0, &y0, &x1, &y1, 21))
    return d;
  if (!std::isfinite(x0) || !std::isfinite(y0) || !std::isfinite(x1) || !std::isfinite(y1) || x0 > x1 || y0 > y1)
    return d;
  d.known = true;
  d.box = BBox{x0, y0, x1, y1};
  d.text = fmt::format("{}: lon {}..{}, lat {}..{}", label, degrees(w), degrees(e), degrees(s), degrees(n));
  return d;
}

std::string utm_epsg_for(double lon, double lat) {
  int zone = static_cast<int>(std::floor((lon + 180.0) / 6.0)) + 1;
  if (zone < 1) zone = 1;
  if (zone > 60) zone = 60;
  return fmt::format("EPSG:{}", (lat >= 0 ? 32600 : 32700) + zone);
}

bool crs_is_known(const std::string& definition) { return !crs_wkt(definition).empty(); }

std::string crs_wkt(const std::string& definition) {
  PJ_CONTEXT* ctx = proj_context_create();
  proj_log_level(ctx, PJ_LOG_NONE);
  PJ* crs = proj_create(ctx, definition.c_str());
  std::string out;
  if (crs != nullptr) {
    const char* wkt = proj_as_wkt(ctx, crs, PJ_WKT1_GDAL, nullptr);
    if (wkt != nullptr) out = wkt;
    proj_destroy(crs);
  }
  proj_context_destroy(ctx);
  return out;
}

}  // namespace ut::geo
