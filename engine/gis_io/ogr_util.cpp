#include "gis_io/ogr_util.hpp"

#include <cpl_error.h>

#include <memory>
#include <mutex>

#include "core/error.hpp"

namespace ut::gis_io::detail {

void init_gdal() {
  static std::once_flag once;
  std::call_once(once, [] {
    GDALAllRegister();
    CPLSetErrorHandler(CPLQuietErrorHandler);
  });
}

GDALDatasetUniquePtr open_vector(const std::string& path) { return open_vector(path, ""); }

GDALDatasetUniquePtr open_vector(const std::string& path, const std::string& named_by) {
  init_gdal();
  CPLErrorReset();
  GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY));
  if (!ds) {
    std::string why = CPLGetLastErrorMsg();
    if (why.empty()) why = "not found or not a vector format GDAL reads";
    throw core::InputError(core::Where{path, "", ""},
                           named_by.empty()
                               ? "data source must exist and be readable by GDAL"
                               : "data source named by " + named_by + " must exist and be readable by GDAL",
                           why);
  }
  return ds;
}

geo::LineString to_line(const OGRLineString& ls) {
  geo::LineString out;
  out.reserve(static_cast<std::size_t>(ls.getNumPoints()));
  for (int i = 0; i < ls.getNumPoints(); ++i) out.push_back({ls.getX(i), ls.getY(i)});
  return out;
}

void append_lines(const OGRGeometry& g, std::vector<geo::LineString>& out) {
  const auto type = wkbFlatten(g.getGeometryType());
  if (type == wkbLineString) {
    out.push_back(to_line(*g.toLineString()));
  } else if (OGR_GT_IsSubClassOf(type, wkbGeometryCollection)) {
    for (const OGRGeometry* part : *g.toGeometryCollection()) append_lines(*part, out);
  } else if (OGR_GT_IsCurve(type)) {
    std::unique_ptr<OGRLineString> lin(g.toCurve()->CurveToLine());
    out.push_back(to_line(*lin));
  }
}

void append_polygons(const OGRGeometry& g, geo::MultiPolygon& out) {
  const auto type = wkbFlatten(g.getGeometryType());
  if (type == wkbPolygon) {
    geo::Polygon poly;
    for (const OGRLinearRing* ring : *g.toPolygon()) poly.rings.push_back(to_line(*ring));
    out.push_back(std::move(poly));
  } else if (OGR_GT_IsSubClassOf(type, wkbGeometryCollection)) {
    for (const OGRGeometry* part : *g.toGeometryCollection()) append_polygons(*part, out);
  } else if (OGR_GT_IsSurface(type)) {
    std::unique_ptr<OGRGeometry> lin(g.getLinearGeometry());
    append_polygons(*lin, out);
  }
}

OGRLineString from_line(const geo::LineString& line) {
  OGRLineString ls;
  ls.setNumPoints(static_cast<int>(line.size()));
  for (std::size_t i = 0; i < line.size(); ++i) ls.setPoint(static_cast<int>(i), line[i].x, line[i].y);
  return ls;
}

OGRMultiPolygon from_multipolygon(const geo::MultiPolygon& mp) {
  OGRMultiPolygon out;
  for (const auto& poly : mp) {
    OGRPolygon p;
    for (const auto& ring : poly.rings) {
      OGRLinearRing r;
      r.setNumPoints(static_cast<int>(ring.size()));
      for (std::size_t i = 0; i < ring.size(); ++i) r.setPoint(static_cast<int>(i), ring[i].x, ring[i].y);
      p.addRing(&r);
    }
    out.addGeometry(&p);
  }
  return out;
}

}  // namespace ut::gis_io::detail
