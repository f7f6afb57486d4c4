#include "geo/projection.hpp"

#include <proj.h>

#include <cmath>
#include <fmt/format.h>

#include "core/error.hpp"

namespace ut::geo {

struct Projection::Impl {
  PJ_CONTEXT* ctx = nullptr;
  PJ* pj = nullptr;
};

Projection::Projection(const std::string& source, const std::string& target) : impl_(std::make_unique<Impl>()) {
  impl_->ctx = proj_context_create();
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
