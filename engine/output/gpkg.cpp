#include "output/gpkg.hpp"

#include <fmt/format.h>

#include <fstream>
#include <stdexcept>

#include "core/staging.hpp"
#include "gis_io/ogr_util.hpp"
#include "output/run_dir.hpp"

namespace ut::output::detail {

Gpkg::Gpkg(const std::filesystem::path& file) : file_(file.string()) {
  gis_io::detail::init_gdal();
  // A fixed timestamp in gpkg_contents.last_change: two identical runs give byte-identical files.
  CPLSetThreadLocalConfigOption("OGR_CURRENT_DATE", "2000-01-01T00:00:00.000Z");
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GPKG");
  ds_.reset(drv->Create(file_.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
  if (!ds_) throw core::OutputError(core::Where{file_, "", ""}, "output GeoPackage must be creatable", CPLGetLastErrorMsg());
  check(ds_->StartTransaction(), "transaction");
}

void Gpkg::check(OGRErr err, const std::string& what) const {
  if (err != OGRERR_NONE)
    throw core::OutputError(core::Where{file_, "", what}, "output GeoPackage must be written completely",
                            CPLGetLastErrorMsg());
}

OGRLayer* Gpkg::layer(const char* name, OGRSpatialReference* srs, OGRwkbGeometryType type) {
  OGRLayer* l = ds_->CreateLayer(name, srs, type, nullptr);
  if (l == nullptr) check(OGRERR_FAILURE, std::string("layer ") + name);
  return l;
}

void Gpkg::field(OGRLayer* l, const std::string& name, OGRFieldType type) const {
  OGRFieldDefn fd(name.c_str(), type);
  check(l->CreateField(&fd), "field " + name);
}

void Gpkg::add(OGRLayer* l, OGRFeature& f, const char* what) const { check(l->CreateFeature(&f), what); }

void Gpkg::about(const std::vector<std::pair<std::string, std::string>>& rows) {
  OGRLayer* la = layer("about", nullptr, wkbNone);
  field(la, "key", OFTString);
  field(la, "value", OFTString);
  for (const auto& [k, v] : rows) {
    OGRFeature f(la->GetLayerDefn());
    f.SetField(0, k.c_str());
    f.SetField(1, v.c_str());
    add(la, f, "about row");
  }
}

void Gpkg::commit() {
  check(ds_->CommitTransaction(), "commit");
  CPLErrorReset();
  ds_.reset();  // closes the file; GDAL reports a failure to flush as an error
  if (CPLGetLastErrorType() >= CE_Failure)
    throw core::OutputError(core::Where{file_, "", "close"}, "output GeoPackage must be written completely", CPLGetLastErrorMsg());
  CPLSetThreadLocalConfigOption("OGR_CURRENT_DATE", nullptr);
}

void write_attribution(const std::filesystem::path& dir) {
  core::write_file(dir / "ATTRIBUTION.txt", std::string("Outputs derived from OpenStreetMap data.\n") + kAttribution + "\n");
}

}  // namespace ut::output::detail
