#include "output/parcel_tables.hpp"

#include "core/staging.hpp"
#include "gis_io/ogr_util.hpp"
#include "output/gpkg.hpp"
#include "output/run_dir.hpp"

namespace ut::output {

void write_parcel_tables(const std::filesystem::path& file, const std::vector<std::filesystem::path>& inputs,
                         const std::string& crs, const std::vector<std::int64_t>& parcel_ids,
                         const std::vector<geo::MultiPolygon>& shapes, const std::vector<ParcelTable>& tables,
                         const std::vector<std::pair<std::string, std::string>>& about) {
  core::Staging staging(core::Staging::Spec{file, core::Staging::Kind::file, "GeoPackage", true, inputs, "--out"});
  staging.write_and_commit([&](const std::filesystem::path& tmp) {
    detail::Gpkg out(tmp);
    OGRSpatialReference srs;
    srs.SetFromUserInput(crs.c_str());
    srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    for (const auto& t : tables) {
      OGRLayer* l = out.layer(t.name.c_str(), &srs, wkbMultiPolygon);
      if (!t.description.empty()) l->SetMetadataItem("DESCRIPTION", t.description.c_str());
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
