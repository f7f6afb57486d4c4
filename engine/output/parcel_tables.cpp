#include "output/parcel_tables.hpp"

#include <algorithm>
#include <cmath>

#include "core/staging.hpp"
#include "gis_io/ogr_util.hpp"
#include "output/gpkg.hpp"
#include "output/styles.hpp"
#include "output/run_dir.hpp"

namespace ut::output {

namespace {

// The map of a table: a difference table on a diverging ramp (the 15-minute coverage share's
// change, else the first difference), a summary on the coverage share's mean.
styles::Style table_style(const ParcelTable& t) {
  auto index = [&](const std::string& name) {
    for (std::size_t k = 0; k < t.fields.size(); ++k)
      if (t.fields[k].first == name) return static_cast<std::ptrdiff_t>(k);
    return static_cast<std::ptrdiff_t>(-1);
  };
  if (index("cov_15min_diff") >= 0) return styles::difference("cov_15min_diff", 1.0, "15分钟生活圈覆盖率变化", "change in 15-minute coverage");
  if (index("cov_15min_mean") >= 0)
    return styles::coverage_share("cov_15min_mean", "15分钟生活圈覆盖率（各种子均值）", "15-minute coverage, mean over seeds");
  for (std::size_t k = 0; k < t.fields.size(); ++k) {
    const std::string& f = t.fields[k].first;
    if (t.fields[k].second != ParcelTable::Type::real || f.size() < 5 || f.compare(f.size() - 5, 5, "_diff") != 0) continue;
    double m = 0;
    for (const auto& row : t.values)
      if (row[k]) m = std::max(m, std::abs(*row[k]));
    return styles::difference(f, m > 0 ? std::pow(10.0, std::ceil(std::log10(m))) : 1.0, f, f);
  }
  return styles::Style{"default", t.name, styles::Geometry::polygon, {}, {}, {}, {200, 200, 200}, 0.1, {}, {}};
}

}  // namespace

void write_parcel_tables(const std::filesystem::path& file, const std::vector<std::filesystem::path>& inputs,
                         const std::string& crs, const std::vector<std::int64_t>& parcel_ids,
                         const std::vector<geo::MultiPolygon>& shapes, const std::vector<ParcelTable>& tables,
                         const core::Credit& credit, const std::vector<std::pair<std::string, std::string>>& about) {
  core::Staging staging(core::Staging::Spec{file, core::Staging::Kind::file, "GeoPackage", true, inputs, "--out"});
  staging.write_and_commit([&](const std::filesystem::path& tmp) {
    detail::Gpkg out(tmp);
    OGRSpatialReference srs;
    srs.SetFromUserInput(crs.c_str());
    srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    for (const auto& t : tables) {
      OGRLayer* l = out.layer(t.name.c_str(), &srs, wkbMultiPolygon);
      out.describe(l,
                   styles::LayerDoc{t.name, t.name, t.description, credit.text, credit.license, {"urbantwin"}},
                   {});
      out.style(l, table_style(t));
      out.field(l, "parcel_id", OFTInteger64);
      for (const auto& [name, type] : t.fields) {
        OGRFieldDefn fd(name.c_str(), type == ParcelTable::Type::real ? OFTReal : OFTInteger);
        if (type == ParcelTable::Type::boolean) fd.SetSubType(OFSTBoolean);
        if (l->CreateField(&fd) != OGRERR_NONE)
          throw core::OutputError(core::Where{file.string(), "layer " + t.name, "field " + name}, "output GeoPackage must be written completely", CPLGetLastErrorMsg());
      }
      for (std::size_t p = 0; p < parcel_ids.size(); ++p) {
        OGRFeature f(l->GetLayerDefn());
        f.SetField(0, static_cast<GIntBig>(parcel_ids[p]));
        for (std::size_t k = 0; k < t.fields.size(); ++k) {
          const auto& v = t.values[p][k];
          const int i = static_cast<int>(k) + 1;
          if (!v) f.SetFieldNull(i);
          else if (t.fields[k].second == ParcelTable::Type::real) f.SetField(i, *v);
          else f.SetField(i, static_cast<int>(*v));
        }
        OGRMultiPolygon mp = gis_io::detail::from_multipolygon(shapes[p]);
        f.SetGeometry(&mp);
        out.add(l, f, "parcel row");
      }
    }
    out.about(about);
    out.commit();
  });
}

}  // namespace ut::output
