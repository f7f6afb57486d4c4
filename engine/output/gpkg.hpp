#pragma once
// Internal to output: a GeoPackage written in one transaction (run directories, comparisons).
// Every OGR failure becomes an exception naming the file and what was being written.
#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <array>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "output/styles.hpp"

namespace ut::output::detail {

// A field's unit and meaning, written to gpkg_data_columns and the layer's metadata.
struct FieldDoc {
  std::string name, unit, description;
};

class Gpkg {
 public:
  explicit Gpkg(const std::filesystem::path& file);  // creates the file, starts the transaction
  // A layer; srs nullptr and wkbNone for a plain table.
  OGRLayer* layer(const char* name, OGRSpatialReference* srs, OGRwkbGeometryType type);
  void field(OGRLayer* l, const std::string& name, OGRFieldType type, OGRFieldSubType sub = OFSTNone) const;
  // The layer's title and description (gpkg_contents identifier and description), its metadata in
  // QGIS's format with the rights (gpkg_metadata), its fields' units and meanings
  // (gpkg_data_columns); written at commit.
  void describe(OGRLayer* l, const styles::LayerDoc& doc, const std::vector<FieldDoc>& fields);
  // The layer's default style (layer_styles, QML and SLD); written at commit.
  void style(OGRLayer* l, const styles::Style& s);
  void add(OGRLayer* l, OGRFeature& f, const char* what) const;
  // A spatial view written at commit (GDAL's "spatial views"): `select` gives the view's feature
  // id as its first column, OGC_FID (unique integers), and a geometry column `geometry_column`
  // holding geometries of `like`'s type and SRS. Registered in gpkg_contents (with the doc's
  // title and description, and `extent` = min x, min y, max x, max y) and gpkg_geometry_columns;
  // described and styled as a layer. `indexes`: CREATE INDEX statements its joins need.
  void spatial_view(const std::string& name, const std::string& select, OGRLayer* like, const std::string& geometry_column,
                    const std::array<double, 4>& extent, const styles::LayerDoc& doc, const std::vector<FieldDoc>& fields,
                    const styles::Style& style, const std::vector<std::string>& indexes);
  // The `about` table: key / value rows (attribution, scenario, engine...).
  void about(const std::vector<std::pair<std::string, std::string>>& rows);
  void commit();

 private:
  std::string file_;
  std::unique_ptr<GDALDataset> ds_;
  struct Described {
    std::string table;
    styles::LayerDoc doc;
    std::vector<FieldDoc> fields;
  };
  struct Styled {
    std::string table, geometry_column;
    styles::Style style;
  };
  struct View {
    std::string name, select, like, geometry_column;
    std::array<double, 4> extent;
    std::string title, description;
    std::vector<std::string> indexes;
  };
  std::vector<Described> described_;
  std::vector<Styled> styled_;
  std::vector<View> views_;
  void check(OGRErr err, const std::string& what) const;
  void sql(const std::string& statement, const std::string& what);
  void write_views();
  void write_styles();
  void write_metadata();
};

// DIR/ATTRIBUTION.txt: the ODbL attribution of outputs derived from OpenStreetMap; with a credit
// that is not only OpenStreetMap's (`osm` false: none of it), that credit.
void write_attribution(const std::filesystem::path& dir, const std::string& credit, bool osm);

}  // namespace ut::output::detail
