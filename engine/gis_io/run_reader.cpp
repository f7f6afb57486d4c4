#include "gis_io/run_reader.hpp"

#include <fmt/format.h>

#include <charconv>

#include "core/error.hpp"
#include "gis_io/ogr_util.hpp"

namespace ut::gis_io {

namespace fs = std::filesystem;
using core::InputError;
using core::Where;

namespace {

std::optional<double> number(const std::string& text, const Where& w) {
  if (text.empty()) return std::nullopt;
  double v = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) throw InputError(w, "must be a number or empty", "\"" + text + "\"");
  return v;
}

OGRLayer* layer(GDALDataset& ds, const std::string& file, const char* name) {
  OGRLayer* l = ds.GetLayerByName(name);
  if (l == nullptr) throw InputError(Where{file, std::string("layer ") + name, ""}, "a run's outputs.gpkg must have this layer", "missing");
  return l;
}

}  // namespace

RunData read_run(const fs::path& dir) {
  detail::init_gdal();
  RunData r;
  r.dir = dir;
  if (!fs::is_directory(dir)) throw InputError(Where{dir.string(), "", ""}, "run directory must exist", "not a directory");
  const fs::path csv = dir / "indicators.csv", gpkg = dir / "outputs.gpkg";
  for (const auto& f : {csv, gpkg})
    if (!fs::exists(f)) throw InputError(Where{f.string(), "", ""}, "a run directory must hold this file (written by urbantwin run)", "missing");

  // indicators.csv through GDAL's CSV driver (every field read as text, converted here).
  {
    auto ds = detail::open_vector(csv.string());
    OGRLayer* l = ds->GetLayer(0);
    OGRFeatureDefn* def = l->GetLayerDefn();
    if (def->GetFieldCount() < 2 || std::string(def->GetFieldDefn(0)->GetNameRef()) != "year")
      throw InputError(Where{csv.string(), "line 1", ""}, "the header must start with 'year' and name at least one indicator", "");
    for (int i = 1; i < def->GetFieldCount(); ++i) r.indicators.push_back(def->GetFieldDefn(i)->GetNameRef());
    int line = 1;
    for (auto& f : *l) {
      ++line;
      const Where w{csv.string(), fmt::format("line {}", line), "column year"};
      const auto year = number(f->GetFieldAsString(0), w);
      if (!year) throw InputError(w, "year must be set", "");
      std::vector<std::optional<double>> row;
      for (int i = 1; i < def->GetFieldCount(); ++i)
        row.push_back(number(f->GetFieldAsString(i), Where{csv.string(), fmt::format("line {}", line), "column " + r.indicators[static_cast<std::size_t>(i - 1)]}));
      r.rows[static_cast<int>(*year)] = std::move(row);
    }
    if (r.rows.empty()) throw InputError(Where{csv.string(), "", ""}, "must hold at least one year", "no rows");
  }

  auto ds = detail::open_vector(gpkg.string());
  const std::string file = gpkg.string();
  {
    OGRLayer* about = layer(*ds, file, "about");
    for (auto& f : *about)
      if (std::string(f->GetFieldAsString("key")) == "scenario") r.scenario = f->GetFieldAsString("value");
  }
  OGRLayer* lp = layer(*ds, file, "parcels");
  if (lp->GetSpatialRef() != nullptr) {
    char* wkt = nullptr;
    lp->GetSpatialRef()->exportToWkt(&wkt);
    r.crs_wkt = wkt ? wkt : "";
    CPLFree(wkt);
  }
  const int id_field = lp->GetLayerDefn()->GetFieldIndex("parcel_id");
  if (id_field < 0) throw InputError(Where{file, "layer parcels", "field parcel_id"}, "must exist", "missing");
  std::map<std::int64_t, std::size_t> index;
  for (auto& f : *lp) {
    const std::int64_t id = f->GetFieldAsInteger64(id_field);
    index[id] = r.parcel_id.size();
    r.parcel_id.push_back(id);
    geo::MultiPolygon mp;
    if (const OGRGeometry* g = f->GetGeometryRef()) detail::append_polygons(*g, mp);
    r.parcel_shape.push_back(std::move(mp));
  }
  OGRLayer* ly = layer(*ds, file, "parcel_years");
  OGRFeatureDefn* def = ly->GetLayerDefn();
  const int pid = def->GetFieldIndex("parcel_id"), yid = def->GetFieldIndex("year");
  if (pid < 0 || yid < 0) throw InputError(Where{file, "layer parcel_years", "fields parcel_id, year"}, "must exist", "missing");
  std::vector<int> value_fields;
  for (int i = 0; i < def->GetFieldCount(); ++i) {
    const auto t = def->GetFieldDefn(i)->GetType();
    if (i == pid || i == yid || (t != OFTInteger && t != OFTInteger64 && t != OFTReal)) continue;
    value_fields.push_back(i);
    r.parcel_fields.push_back(def->GetFieldDefn(i)->GetNameRef());
  }
  for (auto& f : *ly) {
    const std::int64_t id = f->GetFieldAsInteger64(pid);
    const auto it = index.find(id);
    if (it == index.end())
      throw InputError(Where{file, "layer parcel_years", fmt::format("feature {}", f->GetFID())}, "parcel_id must be a parcel of the parcels layer",
                       std::to_string(id));
    auto& rows = r.parcel_years[f->GetFieldAsInteger(yid)];
    if (rows.empty()) rows.resize(r.parcel_id.size());
    auto& row = rows[it->second];
    for (const int i : value_fields)
      row.push_back(f->IsFieldSetAndNotNull(i) ? std::optional<double>(f->GetFieldAsDouble(i)) : std::nullopt);
  }
  return r;
}

}  // namespace ut::gis_io
