#include "output/gpkg.hpp"

#include <fmt/format.h>

#include <fstream>
#include <stdexcept>

#include "gis_io/ogr_util.hpp"
#include "output/run_dir.hpp"

namespace ut::output::detail {

Gpkg::Gpkg(const std::filesystem::path& file) : file_(file.string()) {
  gis_io::detail::init_gdal();
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GPKG");
  ds_.reset(drv->Create(file_.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
  if (!ds_) throw std::runtime_error(fmt::format("cannot create {}: {}", file_, CPLGetLastErrorMsg()));
  check(ds_->StartTransaction(), "transaction");
}

void Gpkg::check(OGRErr err, const std::string& what) const {
  if (err != OGRERR_NONE)
    throw std::runtime_error(fmt::format("writing {}: {} failed: {}", std::filesystem::path(file_).filename().string(), what, CPLGetLastErrorMsg()));
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

void Gpkg::commit() { check(ds_->CommitTransaction(), "commit"); }

void write_attribution(const std::filesystem::path& dir) {
  std::ofstream o(dir / "ATTRIBUTION.txt");
  o << "Outputs derived from OpenStreetMap data.\n" << kAttribution << "\n";
}

}  // namespace ut::output::detail
