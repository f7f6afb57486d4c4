#pragma once
// Internal to output: a GeoPackage written in one transaction (run directories, comparisons).
// Every OGR failure becomes an exception naming the file and what was being written.
#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "geo/geometry.hpp"
#include "output/styles.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace ut::output::detail {

// A field's unit and meaning, written to gpkg_data_columns and the layer's metadata.
struct FieldDoc {
  std::string name, unit, description;
};

// An attribute table (GeoPackage data_type 'attributes': no geometry) written in bulk with
// libsqlite3 on the GeoPackage's own connection, inside its transaction: one prepared INSERT of
// many rows, bound values, no OGRFeature per row (docs/performance.md, "Bulk year tables"). The
// table, its gpkg_contents and gpkg_ogr_contents rows and its feature-count triggers are the
// ones GDAL writes for a layer without geometry (same column types: INTEGER for 64-bit integers,
// MEDIUMINT, BOOLEAN, REAL), so GDAL and QGIS read it as a layer with its feature count. Rows
// get fid 1, 2, ... in the order they are added. Made by Gpkg::attribute_table; finished
// (rows flushed, count and triggers written) by Gpkg::commit. One thread at a time, any thread,
// while no other thread uses the Gpkg (GDAL opens its connection in SQLite's multi-thread mode).
class AttributeTable {
 public:
  struct Column {
    std::string name;
    OGRFieldType type;  // OFTInteger64, OFTInteger (OFSTBoolean or none) or OFTReal
    OGRFieldSubType sub = OFSTNone;
  };
  AttributeTable(sqlite3* db, std::string file, std::string name, std::vector<Column> columns);
  ~AttributeTable();
  AttributeTable(const AttributeTable&) = delete;
  AttributeTable& operator=(const AttributeTable&) = delete;

  // A value: NULL, a 64-bit integer, a real; text and blobs (FeatureTable only: an
  // AttributeTable may bind a row after add_rows returns) point to bytes the caller keeps.
  struct Cell {
    enum Kind : unsigned char { null, integer, real, text, blob } kind = null;
    union {
      std::int64_t i;
      double d;
      struct {
        const char* p;
        std::uint32_t n;
      } b;
    } v{};
    static Cell of(std::int64_t x) { return {integer, {.i = x}}; }
    static Cell of(double x) { return {real, {.d = x}}; }
    static Cell of_text(const char* p, std::size_t n) { return {text, {.b = {p, static_cast<std::uint32_t>(n)}}}; }
    static Cell of_blob(const char* p, std::size_t n) { return {blob, {.b = {p, static_cast<std::uint32_t>(n)}}}; }
  };
  // The row being built: set its columns (a column not set is NULL), then end_row().
  void set(std::size_t column, std::int64_t v) { cell(column) = Cell::of(v); }
  void set(std::size_t column, double v) { cell(column) = Cell::of(v); }
  void end_row();
  // `rows` whole rows made elsewhere (any thread): rows x columns cells, row by row.
  void add_rows(const Cell* cells, std::size_t rows);
  std::size_t columns() const { return columns_.size(); }
  std::int64_t rows() const { return rows_; }
  const std::string& name() const { return name_; }
  // The rows still buffered, the feature count, the triggers.
  void finish();

 private:
  Cell& cell(std::size_t column) { return cells_[pending_ * columns_.size() + column]; }
  void exec(const std::string& statement, const std::string& what);
  sqlite3_stmt* prepare(std::size_t rows);
  void insert(sqlite3_stmt* st, const Cell* cells, std::size_t rows);
  void check(int rc, const std::string& what) const;

  sqlite3* db_;
  std::string file_, name_;
  std::vector<Column> columns_;
  std::size_t batch_;          // rows per INSERT
  std::size_t pending_ = 0;    // rows in cells_ not yet inserted
  std::int64_t rows_ = 0;      // rows added
  std::vector<Cell> cells_;    // batch_ rows x columns
  sqlite3_stmt* insert_ = nullptr;
};

// GeoPackage geometry blobs as GDAL 3.6 writes them (GPKG header, little-endian, ISO WKB, 2D),
// appended to `out`: a point without envelope; a line string or multipolygon with its XY
// envelope (min x, max x, min y, max y); an empty geometry with the empty flag and no envelope.
void gpkg_point(std::string& out, std::int32_t srs_id, double x, double y);
void gpkg_line_string(std::string& out, std::int32_t srs_id, const geo::LineString& line);
void gpkg_multipolygon(std::string& out, std::int32_t srs_id, const geo::MultiPolygon& mp);

// A feature layer created by GDAL (Gpkg::layer with bulk: table, fields, gpkg_contents,
// gpkg_geometry_columns, feature-count triggers as GDAL makes them) whose rows are inserted with
// libsqlite3 on GDAL's connection, in its transaction, as AttributeTable does
// (docs/performance.md, "Bulk feature layers: parcels and home points"). Rows get fid 1, 2, ...
// in the order they are added. The spatial index is GDAL's (SQL function CreateSpatialIndex on the empty table: rtree_<table>_<geometry column>,
// its triggers, its gpkg_extensions row); its rows are written by finish() straight into the
// R-tree's node tables, packed (sort-tile-recursive) from the rows' envelopes, far faster than
// SQLite inserting them one by one. The table's triggers (feature count, R-tree) are dropped
// while rows go in and created again (same SQL) by finish(); count() writes the feature count
// and the extent in gpkg_contents.
class FeatureTable {
 public:
  using Cell = AttributeTable::Cell;
  FeatureTable(sqlite3* db, std::string file, OGRLayer* layer);
  ~FeatureTable();
  FeatureTable(const FeatureTable&) = delete;
  FeatureTable& operator=(const FeatureTable&) = delete;
  std::int32_t srs_id() const { return srs_id_; }
  // Columns per row: the geometry (a blob of gpkg_point...), then the layer's fields in order.
  std::size_t columns() const { return columns_.size(); }
  // `rows` rows (rows x columns() cells, row by row), inserted now; `boxes`: their geometries'
  // envelopes (min x, min y, max x, max y; min x > max x: empty), for the extent and the index.
  void add_rows(const Cell* cells, std::size_t rows, const std::array<double, 4>* boxes);
  std::int64_t rows() const { return rows_; }
  const std::array<double, 4>& extent() const { return extent_; }  // min x, min y, max x, max y of the rows so far
  const std::string& name() const { return name_; }
  const std::string& geometry_column() const { return columns_.front(); }
  void finish();  // the spatial index's rows, the triggers back
  void count();   // feature count and extent (after GDAL's last word on them)

 private:
  sqlite3_stmt* prepare(std::size_t rows);
  void insert(sqlite3_stmt* st, const Cell* cells, std::size_t rows);
  void exec(const std::string& statement, const std::string& what);
  void check(int rc, const std::string& what) const;
  sqlite3* db_;
  std::string file_, name_;
  std::vector<std::string> columns_;
  std::vector<std::string> triggers_;  // CREATE TRIGGER statements dropped while rows go in
  std::int32_t srs_id_ = 0;
  std::size_t batch_;
  std::int64_t rows_ = 0;
  std::array<double, 4> extent_;
  std::vector<std::array<float, 4>> boxes_;  // per row: min x, max x, min y, max y, rounded outwards (NaN: empty)
  sqlite3_stmt* insert_ = nullptr;
  void write_rtree();
};

class Gpkg {
 public:
  explicit Gpkg(const std::filesystem::path& file);  // creates the file, starts the transaction
  // A layer; srs nullptr and wkbNone for a plain table. `bulk`: its rows go through
  // feature_table() (GDAL makes no spatial index of its own; commit makes it).
  OGRLayer* layer(const char* name, OGRSpatialReference* srs, OGRwkbGeometryType type, bool bulk = false);
  // The rows of a layer made with bulk, once its fields are created; owned by this Gpkg.
  FeatureTable& feature_table(OGRLayer* l);
  void field(OGRLayer* l, const std::string& name, OGRFieldType type, OGRFieldSubType sub = OFSTNone) const;
  // The layer's title and description (gpkg_contents identifier and description), its metadata in
  // QGIS's format with the rights (gpkg_metadata), its fields' units and meanings
  // (gpkg_data_columns); written at commit.
  void describe(OGRLayer* l, const styles::LayerDoc& doc, const std::vector<FieldDoc>& fields);
  // The same for an attribute table of attribute_table().
  void describe(const AttributeTable& t, const styles::LayerDoc& doc, const std::vector<FieldDoc>& fields);
  // A table without geometry written with libsqlite3 (AttributeTable), owned by this Gpkg.
  AttributeTable& attribute_table(const std::string& name, std::vector<AttributeTable::Column> columns);
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
  std::vector<std::unique_ptr<AttributeTable>> tables_;
  std::vector<std::unique_ptr<FeatureTable>> features_;
  std::vector<std::pair<std::string, styles::LayerDoc>> table_docs_;  // gpkg_contents identifier, description
  std::vector<Styled> styled_;
  std::vector<View> views_;
  void check(OGRErr err, const std::string& what) const;
  void sql(const std::string& statement, const std::string& what);
  void write_views();
  void write_styles();
  void write_metadata();
  void finish_tables();
};

// DIR/ATTRIBUTION.txt: the ODbL attribution of outputs derived from OpenStreetMap; with a credit
// that is not only OpenStreetMap's (`osm` false: none of it), that credit.
void write_attribution(const std::filesystem::path& dir, const std::string& credit, bool osm);

}  // namespace ut::output::detail
