#pragma once
// Internal to output: a GeoPackage written in one transaction (run directories, comparisons).
// Every OGR failure becomes an exception naming the file and what was being written.
#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ut::output::detail {

class Gpkg {
 public:
  explicit Gpkg(const std::filesystem::path& file);  // creates the file, starts the transaction
  // A layer; srs nullptr and wkbNone for a plain table.
  OGRLayer* layer(const char* name, OGRSpatialReference* srs, OGRwkbGeometryType type);
  void field(OGRLayer* l, const std::string& name, OGRFieldType type) const;
  void add(OGRLayer* l, OGRFeature& f, const char* what) const;
  // The `about` table: key / value rows (attribution, scenario, engine...).
  void about(const std::vector<std::pair<std::string, std::string>>& rows);
  void commit();

 private:
  std::string file_;
  std::unique_ptr<GDALDataset> ds_;
  void check(OGRErr err, const std::string& what) const;
};

// DIR/ATTRIBUTION.txt: the ODbL attribution of outputs derived from OpenStreetMap.
void write_attribution(const std::filesystem::path& dir);

}  // namespace ut::output::detail
