#include "gis_io/points.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <ogrsf_frmts.h>

#include <cmath>

#include "core/error.hpp"
#include "core/suggest.hpp"
#include "geo/projection.hpp"
#include "gis_io/ogr_util.hpp"

namespace ut::gis_io {

using core::InputError;
using core::Where;

PointSource parse_point_source(const std::string& text) {
  std::error_code ec;
  if (std::filesystem::exists(text, ec)) return {text, ""};
  const auto colon = text.rfind(':');
  if (colon != std::string::npos && colon > 0) return {text.substr(0, colon), text.substr(colon + 1)};
  return {text, ""};
}

std::vector<PointFeature> read_points(const PointSource& src, const std::string& target_crs,
                                      const std::string& option) {
  const std::string file = src.file.string();
  auto ds = detail::open_vector(file, "option " + option);
  std::vector<std::string> names;
  for (auto* l : ds->GetLayers()) names.push_back(l->GetName());
  OGRLayer* layer = nullptr;
  if (src.layer.empty()) {
    if (names.size() != 1)
      throw InputError(Where{file, "", "option " + option},
                       fmt::format("must name one layer as FILE:LAYER when the source has several (layers: {})",
                                   fmt::join(names, ", ")),
                       file);
    layer = ds->GetLayer(0);
  } else {
    layer = ds->GetLayerByName(src.layer.c_str());
    if (layer == nullptr) {
      const std::string near = core::nearest(src.layer, names);
      throw InputError(Where{file, "layer " + src.layer, "option " + option},
                       near.empty() ? fmt::format("layer must exist (layers: {})", fmt::join(names, ", "))
                                    : fmt::format("layer must exist; did you mean '{}'?", near),
                       src.layer);
    }
  }
  const std::string lname = layer->GetName();
  const Where at{file, "layer " + lname, "option " + option};
  const OGRSpatialReference* srs = layer->GetSpatialRef();
  if (srs == nullptr) throw InputError(at, "layer must declare its coordinate reference system", "none");
  char* wkt = nullptr;
  srs->exportToWkt(&wkt);
  const std::string source_crs = wkt != nullptr ? wkt : "";
  CPLFree(wkt);
  geo::Projection proj(source_crs, target_crs);
  std::vector<PointFeature> out;
  layer->ResetReading();
  for (auto& f : *layer) {
    const Where fw{file, "layer " + lname, fmt::format("feature {} (option {})", f->GetFID(), option)};
    const OGRGeometry* g = f->GetGeometryRef();
    if (g == nullptr || g->IsEmpty()) throw InputError(fw, "every candidate must have a point geometry", "none");
    if (wkbFlatten(g->getGeometryType()) != wkbPoint)
      throw InputError(fw, "every candidate must be a point", OGRGeometryTypeToName(g->getGeometryType()));
    const auto* p = g->toPoint();
    geo::Point xy{p->getX(), p->getY()};
    if (!std::isfinite(xy.x) || !std::isfinite(xy.y) || !proj.apply(&xy, 1) || !std::isfinite(xy.x) ||
        !std::isfinite(xy.y))
      throw InputError(fw, "coordinates must be transformable to the run's CRS",
                       fmt::format("({} {})", p->getX(), p->getY()));
    out.push_back({f->GetFID(), xy});
  }
  if (out.empty()) throw InputError(at, "layer must hold at least one point", "0 features");
  return out;
}

}  // namespace ut::gis_io
