#include "output/gpkg.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <bit>
#include <cstring>
#include <limits>
#include <fstream>
#include <stdexcept>

#include "core/staging.hpp"
#include "gis_io/ogr_util.hpp"
#include "output/run_dir.hpp"

namespace ut::output::detail {

namespace {
// Every timestamp we write (gpkg_contents.last_change, layer_styles.update_time,
// gpkg_metadata_reference.timestamp) is this one: two identical runs give byte-identical files.
constexpr const char* kTimestamp = "2000-01-01T00:00:00.000Z";

std::string sql_text(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}
std::string sql_id(const std::string& s) {
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}
}  // namespace

namespace {
// The column type GDAL's GeoPackage driver declares for the field type (GDAL 3.6).
const char* declared_type(const AttributeTable::Column& c) {
  if (c.type == OFTInteger64 && c.sub == OFSTNone) return "INTEGER";
  if (c.type == OFTInteger && c.sub == OFSTBoolean) return "BOOLEAN";
  if (c.type == OFTInteger && c.sub == OFSTNone) return "MEDIUMINT";
  if (c.type == OFTReal && c.sub == OFSTNone) return "REAL";
  throw std::logic_error("AttributeTable: unsupported type of column " + c.name);
}

// Binds one cell; text and blobs are the caller's bytes, which stay put until the statement ran.
int bind(sqlite3_stmt* st, int at, const AttributeTable::Cell& c) {
  using Cell = AttributeTable::Cell;
  switch (c.kind) {
    case Cell::integer: return sqlite3_bind_int64(st, at, c.v.i);
    case Cell::real: return sqlite3_bind_double(st, at, c.v.d);
    case Cell::text: return sqlite3_bind_text(st, at, c.v.b.p, static_cast<int>(c.v.b.n), SQLITE_STATIC);
    case Cell::blob: return sqlite3_bind_blob(st, at, c.v.b.p, static_cast<int>(c.v.b.n), SQLITE_STATIC);
    case Cell::null: break;
  }
  return sqlite3_bind_null(st, at);
}
}  // namespace

AttributeTable::AttributeTable(sqlite3* db, std::string file, std::string name, std::vector<Column> columns)
    : db_(db), file_(std::move(file)), name_(std::move(name)), columns_(std::move(columns)) {
  // As many rows per INSERT as SQLite's limit on bound values allows, at most 64 (more gains
  // nothing measurable): the statement and the AUTOINCREMENT bookkeeping run once per batch.
  const auto max_values = static_cast<std::size_t>(std::max(1, sqlite3_limit(db_, SQLITE_LIMIT_VARIABLE_NUMBER, -1)));
  batch_ = std::clamp<std::size_t>(max_values / columns_.size(), 1, 64);
  cells_.resize(batch_ * columns_.size());
  // The table as GDAL creates a layer without geometry, registered as GDAL registers it.
  std::string create = fmt::format("CREATE TABLE {} ( \"fid\" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL", sql_id(name_));
  for (const auto& c : columns_) create += fmt::format(", {} {}", sql_id(c.name), declared_type(c));
  exec(create + ")", "table");
  exec(fmt::format("INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, srs_id) VALUES "
                   "({0}, 'attributes', {0}, '', '{1}', 0)",
                   sql_text(name_), kTimestamp),
       "gpkg_contents");
  exec(fmt::format("INSERT INTO gpkg_ogr_contents (table_name, feature_count) VALUES ({}, 0)", sql_text(name_)), "gpkg_ogr_contents");
  insert_ = prepare(batch_);
}

AttributeTable::~AttributeTable() { sqlite3_finalize(insert_); }

void AttributeTable::check(int rc, const std::string& what) const {
  if (rc != SQLITE_OK && rc != SQLITE_DONE)
    throw core::OutputError(core::Where{file_, "table " + name_, what}, "output GeoPackage must be written completely",
                            sqlite3_errmsg(db_));
}

void AttributeTable::exec(const std::string& statement, const std::string& what) {
  check(sqlite3_exec(db_, statement.c_str(), nullptr, nullptr, nullptr), what);
}

sqlite3_stmt* AttributeTable::prepare(std::size_t rows) {
  std::string row = "(?";
  for (std::size_t c = 1; c < columns_.size(); ++c) row += ",?";
  row += ")";
  std::string sql = fmt::format("INSERT INTO {} (", sql_id(name_));
  for (std::size_t c = 0; c < columns_.size(); ++c) sql += (c ? ", " : "") + sql_id(columns_[c].name);
  sql += ") VALUES " + row;
  for (std::size_t r = 1; r < rows; ++r) sql += "," + row;
  sqlite3_stmt* st = nullptr;
  check(sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &st, nullptr), "insert statement");
  return st;
}

// Binds `rows` rows of `cells` to `st` (a statement of that many rows) and runs it; they are the
// rows after the first rows_ - pending_ (for messages).
void AttributeTable::insert(sqlite3_stmt* st, const Cell* cells, std::size_t rows) {
  const std::size_t n = rows * columns_.size();
  for (std::size_t i = 0; i < n; ++i) {
    const int rc = bind(st, static_cast<int>(i) + 1, cells[i]);
    if (rc != SQLITE_OK) check(rc, "row " + std::to_string(rows_ - static_cast<std::int64_t>(pending_) + static_cast<std::int64_t>(i / columns_.size()) + 1));
  }
  const int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE)
    check(rc, "rows " + std::to_string(rows_ - static_cast<std::int64_t>(pending_) + 1) + "-" +
                  std::to_string(rows_ - static_cast<std::int64_t>(pending_) + static_cast<std::int64_t>(rows)));
}

void AttributeTable::end_row() {
  ++pending_;
  ++rows_;
  if (pending_ == batch_) {
    insert(insert_, cells_.data(), batch_);
    std::fill(cells_.begin(), cells_.end(), Cell{});
    pending_ = 0;
  }
}

void AttributeTable::add_rows(const Cell* cells, std::size_t rows) {
  const std::size_t w = columns_.size();
  std::size_t r = 0;
  // Whole batches straight from `cells` once the buffer is empty; the rest through the buffer.
  for (; r < rows && pending_ > 0; ++r) {
    std::copy(cells + r * w, cells + (r + 1) * w, cells_.begin() + static_cast<std::ptrdiff_t>(pending_ * w));
    end_row();
  }
  for (; r + batch_ <= rows; r += batch_) {
    insert(insert_, cells + r * w, batch_);
    rows_ += static_cast<std::int64_t>(batch_);
  }
  for (; r < rows; ++r) {
    std::copy(cells + r * w, cells + (r + 1) * w, cells_.begin() + static_cast<std::ptrdiff_t>(pending_ * w));
    end_row();
  }
}

void AttributeTable::finish() {
  if (pending_ > 0) {
    sqlite3_stmt* st = prepare(pending_);
    try {
      insert(st, cells_.data(), pending_);
    } catch (...) {
      sqlite3_finalize(st);
      throw;
    }
    sqlite3_finalize(st);
    pending_ = 0;
  }
  exec(fmt::format("UPDATE gpkg_ogr_contents SET feature_count = {} WHERE table_name = {}", rows_, sql_text(name_)), "feature count");
  // GDAL's triggers, so that the count stays right when a tool edits the table later.
  exec(fmt::format("CREATE TRIGGER {} AFTER INSERT ON {} BEGIN UPDATE gpkg_ogr_contents SET feature_count = feature_count + 1 "
                   "WHERE lower(table_name) = lower({}); END",
                   sql_id("trigger_insert_feature_count_" + name_), sql_id(name_), sql_text(name_)),
       "feature count trigger");
  exec(fmt::format("CREATE TRIGGER {} AFTER DELETE ON {} BEGIN UPDATE gpkg_ogr_contents SET feature_count = feature_count - 1 "
                   "WHERE lower(table_name) = lower({}); END",
                   sql_id("trigger_delete_feature_count_" + name_), sql_id(name_), sql_text(name_)),
       "feature count trigger");
}

namespace {
// GeoPackage binary header (GDAL 3.6): "GP", version 0, flags (bit 0: little endian; bits 1-3:
// envelope 0 none, 1 XY; bit 4: empty), srs_id; then the envelope, then ISO WKB.
template <class T>
void put(std::string& out, T v) {
  static_assert(std::endian::native == std::endian::little, "blobs are written little-endian");
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.append(b, sizeof(T));
}
void header(std::string& out, std::int32_t srs_id, bool envelope, bool empty) {
  out += "GP";
  out += '\0';
  out += static_cast<char>(0x01 | (envelope ? 0x02 : 0) | (empty ? 0x10 : 0));
  put(out, srs_id);
}
void wkb_type(std::string& out, std::uint32_t type) {
  out += '\1';
  put(out, type);
}
void wkb_points(std::string& out, const geo::LineString& pts) {
  put(out, static_cast<std::uint32_t>(pts.size()));
  for (const auto& p : pts) {
    put(out, p.x);
    put(out, p.y);
  }
}
struct Envelope {
  double min_x = std::numeric_limits<double>::infinity(), max_x = -std::numeric_limits<double>::infinity();
  double min_y = std::numeric_limits<double>::infinity(), max_y = -std::numeric_limits<double>::infinity();
  bool empty = true;
  void add(const geo::LineString& pts) {
    for (const auto& p : pts) {
      min_x = std::min(min_x, p.x);
      max_x = std::max(max_x, p.x);
      min_y = std::min(min_y, p.y);
      max_y = std::max(max_y, p.y);
      empty = false;
    }
  }
  void write(std::string& out) const {
    for (double v : {min_x, max_x, min_y, max_y}) put(out, v);
  }
};
}  // namespace

void gpkg_point(std::string& out, std::int32_t srs_id, double x, double y) {
  header(out, srs_id, false, false);
  wkb_type(out, 1);
  put(out, x);
  put(out, y);
}

void gpkg_line_string(std::string& out, std::int32_t srs_id, const geo::LineString& line) {
  Envelope e;
  e.add(line);
  header(out, srs_id, !e.empty, e.empty);
  if (!e.empty) e.write(out);
  wkb_type(out, 2);
  wkb_points(out, line);
}

void gpkg_multipolygon(std::string& out, std::int32_t srs_id, const geo::MultiPolygon& mp) {
  Envelope e;
  for (const auto& poly : mp)
    for (const auto& ring : poly.rings) e.add(ring);
  header(out, srs_id, !e.empty, e.empty);
  if (!e.empty) e.write(out);
  wkb_type(out, 6);
  put(out, static_cast<std::uint32_t>(mp.size()));
  for (const auto& poly : mp) {
    wkb_type(out, 3);
    put(out, static_cast<std::uint32_t>(poly.rings.size()));
    for (const auto& ring : poly.rings) wkb_points(out, ring);
  }
}

FeatureTable::FeatureTable(sqlite3* db, std::string file, OGRLayer* layer)
    : db_(db), file_(std::move(file)), name_(layer->GetName()),
      extent_{std::numeric_limits<double>::max(), std::numeric_limits<double>::max(), std::numeric_limits<double>::lowest(),
              std::numeric_limits<double>::lowest()} {
  // GDAL creates the table (and its gpkg_contents, gpkg_geometry_columns and gpkg_ogr_contents
  // rows, and the feature-count triggers) when the layer is synced.
  if (layer->SyncToDisk() != OGRERR_NONE)
    throw core::OutputError(core::Where{file_, "layer " + name_, "table"}, "output GeoPackage must be written completely",
                            CPLGetLastErrorMsg());
  columns_.emplace_back(layer->GetGeometryColumn());
  OGRFeatureDefn* d = layer->GetLayerDefn();
  for (int i = 0; i < d->GetFieldCount(); ++i) columns_.emplace_back(d->GetFieldDefn(i)->GetNameRef());
  {
    sqlite3_stmt* st = nullptr;
    check(sqlite3_prepare_v2(db_, "SELECT srs_id FROM gpkg_geometry_columns WHERE table_name = ?", -1, &st, nullptr), "srs_id");
    sqlite3_bind_text(st, 1, name_.c_str(), -1, SQLITE_TRANSIENT);
    const bool found = sqlite3_step(st) == SQLITE_ROW;
    if (found) srs_id_ = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (!found) check(SQLITE_ERROR, "gpkg_geometry_columns row");
  }
  // The feature-count and R-tree triggers would update gpkg_ogr_contents and the R-tree once per
  // row: dropped while rows go in, created again by finish() with the SQL GDAL gave them.
  {
    sqlite3_stmt* st = nullptr;
    check(sqlite3_prepare_v2(db_, "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? ORDER BY rowid", -1, &st,
                             nullptr),
          "triggers");
    sqlite3_bind_text(st, 1, name_.c_str(), -1, SQLITE_TRANSIENT);
    std::vector<std::string> names;
    while (sqlite3_step(st) == SQLITE_ROW) {
      names.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
      triggers_.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 1)));
    }
    sqlite3_finalize(st);
    for (const auto& n : names) exec("DROP TRIGGER " + sql_id(n), "trigger " + n);
  }
  const auto max_values = static_cast<std::size_t>(std::max(1, sqlite3_limit(db_, SQLITE_LIMIT_VARIABLE_NUMBER, -1)));
  batch_ = std::clamp<std::size_t>(max_values / columns_.size(), 1, 64);
  insert_ = prepare(batch_);
}

FeatureTable::~FeatureTable() { sqlite3_finalize(insert_); }

void FeatureTable::check(int rc, const std::string& what) const {
  if (rc != SQLITE_OK && rc != SQLITE_DONE)
    throw core::OutputError(core::Where{file_, "layer " + name_, what}, "output GeoPackage must be written completely",
                            sqlite3_errmsg(db_));
}

void FeatureTable::exec(const std::string& statement, const std::string& what) {
  check(sqlite3_exec(db_, statement.c_str(), nullptr, nullptr, nullptr), what);
}

sqlite3_stmt* FeatureTable::prepare(std::size_t rows) {
  std::string row = "(?";
  for (std::size_t c = 1; c < columns_.size(); ++c) row += ",?";
  row += ")";
  std::string sql = fmt::format("INSERT INTO {} (", sql_id(name_));
  for (std::size_t c = 0; c < columns_.size(); ++c) sql += (c ? ", " : "") + sql_id(columns_[c]);
  sql += ") VALUES " + row;
  for (std::size_t r = 1; r < rows; ++r) sql += "," + row;
  sqlite3_stmt* st = nullptr;
  check(sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &st, nullptr), "insert statement");
  return st;
}

void FeatureTable::insert(sqlite3_stmt* st, const Cell* cells, std::size_t rows) {
  const std::size_t n = rows * columns_.size();
  for (std::size_t i = 0; i < n; ++i) {
    const int rc = bind(st, static_cast<int>(i) + 1, cells[i]);
    if (rc != SQLITE_OK) check(rc, "feature " + std::to_string(rows_ + static_cast<std::int64_t>(i / columns_.size()) + 1));
  }
  const int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE)
    check(rc, "features " + std::to_string(rows_ + 1) + "-" + std::to_string(rows_ + static_cast<std::int64_t>(rows)));
  rows_ += static_cast<std::int64_t>(rows);
}

namespace {
// SQLite's R-tree (32-bit floats) rounds a box outwards: its rtreeValueDown and rtreeValueUp.
float float_down(double d) {
  float f = static_cast<float>(d);
  if (f > d) f = static_cast<float>(d * (d < 0 ? 1.0 + 1.0 / 8388608.0 : 1.0 - 1.0 / 8388608.0));
  return f;
}
float float_up(double d) {
  float f = static_cast<float>(d);
  if (f < d) f = static_cast<float>(d * (d < 0 ? 1.0 - 1.0 / 8388608.0 : 1.0 + 1.0 / 8388608.0));
  return f;
}
}  // namespace

void FeatureTable::add_rows(const Cell* cells, std::size_t rows, const std::array<double, 4>* boxes) {
  std::array<double, 4> extent{std::numeric_limits<double>::max(), std::numeric_limits<double>::max(),
                               std::numeric_limits<double>::lowest(), std::numeric_limits<double>::lowest()};
  for (std::size_t r = 0; r < rows; ++r) {
    const auto& b = boxes[r];
    if (b[0] > b[2]) {
      constexpr float nan = std::numeric_limits<float>::quiet_NaN();
      boxes_.push_back({nan, nan, nan, nan});
      continue;
    }
    boxes_.push_back({float_down(b[0]), float_up(b[2]), float_down(b[1]), float_up(b[3])});
    extent = {std::min(extent[0], b[0]), std::min(extent[1], b[1]), std::max(extent[2], b[2]), std::max(extent[3], b[3])};
  }
  const std::size_t w = columns_.size();
  std::size_t r = 0;
  for (; r + batch_ <= rows; r += batch_) insert(insert_, cells + r * w, batch_);
  if (r < rows) {
    sqlite3_stmt* st = prepare(rows - r);
    try {
      insert(st, cells + r * w, rows - r);
    } catch (...) {
      sqlite3_finalize(st);
      throw;
    }
    sqlite3_finalize(st);
  }
  extent_ = {std::min(extent_[0], extent[0]), std::min(extent_[1], extent[1]), std::max(extent_[2], extent[2]),
             std::max(extent_[3], extent[3])};
}

namespace {
template <class T>
void put_be(unsigned char* at, T v) {
  std::uint64_t u = 0;
  std::memcpy(&u, &v, sizeof(T));
  for (std::size_t i = 0; i < sizeof(T); ++i) at[i] = static_cast<unsigned char>(u >> (8 * (sizeof(T) - 1 - i)));
}
struct RNode {
  std::array<float, 4> box;  // min x, max x, min y, max y
  std::vector<std::int64_t> ids;  // leaves: fids; above: node numbers (set once numbered)
  std::vector<std::size_t> children;  // above the leaves: indexes into the level below
};
// Sort-tile-recursive packing of `items` (indexes into `box`) into nodes of at most `m`.
std::vector<std::vector<std::size_t>> str_pack(std::vector<std::size_t> items, const std::function<const std::array<float, 4>&(std::size_t)>& box,
                                               std::size_t m) {
  const std::size_t nodes = (items.size() + m - 1) / m;
  const auto slices = static_cast<std::size_t>(std::ceil(std::sqrt(static_cast<double>(nodes))));
  const std::size_t per_slice = slices * m;
  auto cx = [&](std::size_t i) { const auto& b = box(i); return static_cast<double>(b[0]) + b[1]; };
  auto cy = [&](std::size_t i) { const auto& b = box(i); return static_cast<double>(b[2]) + b[3]; };
  // Ties broken by index: the same tree for the same rows.
  std::sort(items.begin(), items.end(), [&](std::size_t a, std::size_t b) { return cx(a) != cx(b) ? cx(a) < cx(b) : a < b; });
  std::vector<std::vector<std::size_t>> out;
  for (std::size_t s0 = 0; s0 < items.size(); s0 += per_slice) {
    const auto s1 = static_cast<std::ptrdiff_t>(std::min(items.size(), s0 + per_slice));
    std::sort(items.begin() + static_cast<std::ptrdiff_t>(s0), items.begin() + s1,
              [&](std::size_t a, std::size_t b) { return cy(a) != cy(b) ? cy(a) < cy(b) : a < b; });
    for (auto n0 = static_cast<std::ptrdiff_t>(s0); n0 < s1; n0 += static_cast<std::ptrdiff_t>(m))
      out.emplace_back(items.begin() + n0, items.begin() + std::min(s1, n0 + static_cast<std::ptrdiff_t>(m)));
  }
  return out;
}
}  // namespace

// The R-tree's rows as SQLite stores them (its shadow tables _node, _rowid, _parent): node 1 the
// root, its blob starting with the tree's depth; each node a blob of the root's size: 2 bytes
// depth (root only), 2 bytes cell count, cells of an 8-byte id (fid in a leaf, child node above)
// and 4 big-endian floats (min x, max x, min y, max y). The index GDAL made is empty (the table
// was), its root node a blob of zeros.
void FeatureTable::write_rtree() {
  const std::string rtree = "rtree_" + name_ + "_" + geometry_column();
  std::vector<std::size_t> items;
  for (std::size_t i = 0; i < boxes_.size(); ++i)
    if (!std::isnan(boxes_[i][0])) items.push_back(i);
  if (items.empty()) return;
  std::size_t node_size = 0;
  {
    sqlite3_stmt* st = nullptr;
    check(sqlite3_prepare_v2(db_, fmt::format("SELECT length(data) FROM {} WHERE nodeno = 1", sql_id(rtree + "_node")).c_str(), -1, &st,
                             nullptr),
          "R-tree root");
    if (sqlite3_step(st) == SQLITE_ROW) node_size = static_cast<std::size_t>(sqlite3_column_int(st, 0));
    sqlite3_finalize(st);
  }
  constexpr std::size_t kCell = 8 + 4 * 4;
  if (node_size < 4 + 2 * kCell) check(SQLITE_ERROR, "R-tree root node of " + std::to_string(node_size) + " bytes");
  const std::size_t m = (node_size - 4) / kCell;
  // Levels from the leaves up.
  std::vector<std::vector<RNode>> levels;
  {
    auto leaf_box = [&](std::size_t i) -> const std::array<float, 4>& { return boxes_[i]; };
    std::vector<RNode> leaves;
    for (auto& group : str_pack(std::move(items), leaf_box, m)) {
      RNode n{{std::numeric_limits<float>::max(), std::numeric_limits<float>::lowest(), std::numeric_limits<float>::max(),
               std::numeric_limits<float>::lowest()},
              {},
              {}};
      for (std::size_t i : group) {
        n.ids.push_back(static_cast<std::int64_t>(i) + 1);
        const auto& b = boxes_[i];
        n.box = {std::min(n.box[0], b[0]), std::max(n.box[1], b[1]), std::min(n.box[2], b[2]), std::max(n.box[3], b[3])};
      }
      leaves.push_back(std::move(n));
    }
    levels.push_back(std::move(leaves));
  }
  while (levels.back().size() > 1) {
    const auto& below = levels.back();
    std::vector<std::size_t> idx(below.size());
    for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    auto node_box = [&](std::size_t i) -> const std::array<float, 4>& { return below[i].box; };
    std::vector<RNode> up;
    for (auto& group : str_pack(std::move(idx), node_box, m)) {
      RNode n{{std::numeric_limits<float>::max(), std::numeric_limits<float>::lowest(), std::numeric_limits<float>::max(),
               std::numeric_limits<float>::lowest()},
              {},
              group};
      for (std::size_t c : group) {
        const auto& b = below[c].box;
        n.box = {std::min(n.box[0], b[0]), std::max(n.box[1], b[1]), std::min(n.box[2], b[2]), std::max(n.box[3], b[3])};
      }
      up.push_back(std::move(n));
    }
    levels.push_back(std::move(up));
  }
  // Node numbers from the root down, level by level: the root is 1.
  const std::size_t depth = levels.size() - 1;
  std::vector<std::vector<std::int64_t>> number(levels.size());
  std::int64_t next = 1;
  for (std::size_t l = levels.size(); l-- > 0;) {
    number[l].resize(levels[l].size());
    for (auto& v : number[l]) v = next++;
  }
  sqlite3_stmt* node = nullptr;
  sqlite3_stmt* parent = nullptr;
  sqlite3_stmt* rowid = nullptr;
  auto prep = [&](const std::string& sql, sqlite3_stmt** st) { check(sqlite3_prepare_v2(db_, sql.c_str(), -1, st, nullptr), "R-tree"); };
  try {
    prep(fmt::format("INSERT OR REPLACE INTO {} (nodeno, data) VALUES (?, ?)", sql_id(rtree + "_node")), &node);
    prep(fmt::format("INSERT INTO {} (nodeno, parentnode) VALUES (?, ?)", sql_id(rtree + "_parent")), &parent);
    prep(fmt::format("INSERT INTO {} (rowid, nodeno) VALUES (?, ?)", sql_id(rtree + "_rowid")), &rowid);
    auto step = [&](sqlite3_stmt* st) {
      const int rc = sqlite3_step(st);
      sqlite3_reset(st);
      if (rc != SQLITE_DONE) check(rc, "R-tree rows");
    };
    std::vector<unsigned char> blob(node_size);
    std::vector<std::int64_t> leaf_of(boxes_.size(), 0);
    for (std::size_t l = levels.size(); l-- > 0;) {
      for (std::size_t k = 0; k < levels[l].size(); ++k) {
        const RNode& n = levels[l][k];
        std::fill(blob.begin(), blob.end(), 0);
        const std::int64_t no = number[l][k];
        if (no == 1) put_be(blob.data(), static_cast<std::uint16_t>(depth));
        const std::size_t cells = l == 0 ? n.ids.size() : n.children.size();
        put_be(blob.data() + 2, static_cast<std::uint16_t>(cells));
        for (std::size_t c = 0; c < cells; ++c) {
          unsigned char* at = blob.data() + 4 + c * kCell;
          const std::int64_t id = l == 0 ? n.ids[c] : number[l - 1][n.children[c]];
          const auto& b = l == 0 ? boxes_[static_cast<std::size_t>(id - 1)] : levels[l - 1][n.children[c]].box;
          put_be(at, id);
          for (int j = 0; j < 4; ++j) put_be(at + 8 + 4 * j, b[static_cast<std::size_t>(j)]);
          if (l == 0) leaf_of[static_cast<std::size_t>(id - 1)] = no;
          else {
            sqlite3_bind_int64(parent, 1, id);
            sqlite3_bind_int64(parent, 2, no);
            step(parent);
          }
        }
        sqlite3_bind_int64(node, 1, no);
        sqlite3_bind_blob(node, 2, blob.data(), static_cast<int>(blob.size()), SQLITE_STATIC);
        step(node);
      }
    }
    for (std::size_t i = 0; i < leaf_of.size(); ++i) {
      if (leaf_of[i] == 0) continue;
      sqlite3_bind_int64(rowid, 1, static_cast<std::int64_t>(i) + 1);
      sqlite3_bind_int64(rowid, 2, leaf_of[i]);
      step(rowid);
    }
  } catch (...) {
    sqlite3_finalize(node);
    sqlite3_finalize(parent);
    sqlite3_finalize(rowid);
    throw;
  }
  sqlite3_finalize(node);
  sqlite3_finalize(parent);
  sqlite3_finalize(rowid);
}

void FeatureTable::finish() {
  write_rtree();
  boxes_ = {};
  for (const auto& t : triggers_) exec(t, "trigger");
  triggers_.clear();
}

void FeatureTable::count() {
  exec(fmt::format("UPDATE gpkg_ogr_contents SET feature_count = {} WHERE table_name = {}", rows_, sql_text(name_)), "feature count");
  if (rows_ > 0 && extent_[0] <= extent_[2])
    exec(fmt::format("UPDATE gpkg_contents SET min_x = {}, min_y = {}, max_x = {}, max_y = {} WHERE table_name = {}", extent_[0],
                     extent_[1], extent_[2], extent_[3], sql_text(name_)),
         "extent");
}

Gpkg::Gpkg(const std::filesystem::path& file) : file_(file.string()) {
  gis_io::detail::init_gdal();
  // A fixed timestamp in gpkg_contents.last_change: two identical runs give byte-identical files.
  CPLSetThreadLocalConfigOption("OGR_CURRENT_DATE", kTimestamp);
  // Bulk writing: the file is a new temporary that core::Staging fsyncs before its commit, and
  // the whole file is one transaction, so SQLite's own syncs buy nothing; a large page cache
  // (MB) keeps the B-trees of million-row tables in memory while they grow.
  CPLSetThreadLocalConfigOption("OGR_SQLITE_SYNCHRONOUS", "OFF");
  CPLSetThreadLocalConfigOption("OGR_SQLITE_CACHE", "256");
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GPKG");
  ds_.reset(drv->Create(file_.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
  CPLSetThreadLocalConfigOption("OGR_SQLITE_SYNCHRONOUS", nullptr);
  CPLSetThreadLocalConfigOption("OGR_SQLITE_CACHE", nullptr);
  if (!ds_) throw core::OutputError(core::Where{file_, "", ""}, "output GeoPackage must be creatable", CPLGetLastErrorMsg());
  check(ds_->StartTransaction(), "transaction");
}

void Gpkg::check(OGRErr err, const std::string& what) const {
  if (err != OGRERR_NONE)
    throw core::OutputError(core::Where{file_, "", what}, "output GeoPackage must be written completely",
                            CPLGetLastErrorMsg());
}

OGRLayer* Gpkg::layer(const char* name, OGRSpatialReference* srs, OGRwkbGeometryType type, bool bulk) {
  const char* const no_index[] = {"SPATIAL_INDEX=NO", nullptr};
  OGRLayer* l = ds_->CreateLayer(name, srs, type, bulk ? const_cast<char**>(no_index) : nullptr);
  if (l == nullptr) check(OGRERR_FAILURE, std::string("layer ") + name);
  return l;
}

void Gpkg::field(OGRLayer* l, const std::string& name, OGRFieldType type, OGRFieldSubType sub) const {
  OGRFieldDefn fd(name.c_str(), type);
  fd.SetSubType(sub);
  check(l->CreateField(&fd), "field " + name);
}

void Gpkg::describe(OGRLayer* l, const styles::LayerDoc& doc, const std::vector<FieldDoc>& fields) {
  check(l->SetMetadataItem("IDENTIFIER", doc.title.c_str()) == CE_None ? OGRERR_NONE : OGRERR_FAILURE, "identifier");
  check(l->SetMetadataItem("DESCRIPTION", doc.abstract.c_str()) == CE_None ? OGRERR_NONE : OGRERR_FAILURE, "description");
  described_.push_back({l->GetName(), doc, fields});
}

void Gpkg::describe(const AttributeTable& t, const styles::LayerDoc& doc, const std::vector<FieldDoc>& fields) {
  table_docs_.emplace_back(t.name(), doc);
  described_.push_back({t.name(), doc, fields});
}

AttributeTable& Gpkg::attribute_table(const std::string& name, std::vector<AttributeTable::Column> columns) {
  // GDAL's own connection: the table is written in the file's one transaction.
  auto* db = static_cast<sqlite3*>(ds_->GetInternalHandle("SQLITE_HANDLE"));
  if (db == nullptr) check(OGRERR_FAILURE, "table " + name + ": no SQLite handle");
  tables_.push_back(std::make_unique<AttributeTable>(db, file_, name, std::move(columns)));
  return *tables_.back();
}

FeatureTable& Gpkg::feature_table(OGRLayer* l) {
  auto* db = static_cast<sqlite3*>(ds_->GetInternalHandle("SQLITE_HANDLE"));
  if (db == nullptr) check(OGRERR_FAILURE, std::string("layer ") + l->GetName() + ": no SQLite handle");
  // GDAL creates the table when the layer is synced, then its spatial index (empty) with the
  // SQL function GDAL registers; FeatureTable fills it.
  if (l->SyncToDisk() != OGRERR_NONE) check(OGRERR_FAILURE, std::string("layer ") + l->GetName());
  sql(fmt::format("SELECT CreateSpatialIndex({}, {})", sql_text(l->GetName()), sql_text(l->GetGeometryColumn())),
      std::string("spatial index of ") + l->GetName());
  features_.push_back(std::make_unique<FeatureTable>(db, file_, l));
  return *features_.back();
}

// The attribute tables' last rows, feature counts and triggers, and their titles and
// descriptions in gpkg_contents (what GDAL writes for a layer's IDENTIFIER and DESCRIPTION).
void Gpkg::finish_tables() {
  for (auto& t : tables_) t->finish();
  // The bulk layers' spatial index rows and triggers.
  for (auto& t : features_) t->finish();
  for (const auto& [table, doc] : table_docs_)
    sql(fmt::format("UPDATE gpkg_contents SET identifier = {}, description = {} WHERE table_name = {}", sql_text(doc.title),
                    sql_text(doc.abstract), sql_text(table)),
        "gpkg_contents of " + table);
  tables_.clear();
}

void Gpkg::style(OGRLayer* l, const styles::Style& s) {
  styled_.push_back({l->GetName(), l->GetGeometryColumn(), s});
}

void Gpkg::sql(const std::string& statement, const std::string& what) {
  CPLErrorReset();
  if (OGRLayer* r = ds_->ExecuteSQL(statement.c_str(), nullptr, nullptr)) ds_->ReleaseResultSet(r);
  if (CPLGetLastErrorType() >= CE_Failure) check(OGRERR_FAILURE, what);
}

// The table QGIS reads default styles from (the same columns as QGIS's own saveStyleToDatabase
// creates); QGIS applies the row with useAsDefault when it loads the layer.
void Gpkg::write_styles() {
  if (styled_.empty()) return;
  OGRLayer* l = layer("layer_styles", nullptr, wkbNone);
  for (const char* n : {"f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column", "styleName", "styleQML", "styleSLD"})
    field(l, n, OFTString);
  field(l, "useAsDefault", OFTInteger, OFSTBoolean);
  for (const char* n : {"description", "owner", "ui"}) field(l, n, OFTString);
  field(l, "update_time", OFTDateTime);
  for (const auto& st : styled_) {
    OGRFeature f(l->GetLayerDefn());
    f.SetField("f_table_catalog", "");
    f.SetField("f_table_schema", "");
    f.SetField("f_table_name", st.table.c_str());
    f.SetField("f_geometry_column", st.geometry_column.c_str());
    f.SetField("styleName", st.style.name.c_str());
    f.SetField("styleQML", styles::qml(st.style).c_str());
    f.SetField("styleSLD", styles::sld(st.style, st.table).c_str());
    f.SetField("useAsDefault", 1);
    f.SetField("description", st.style.title.c_str());
    f.SetField("owner", "");
    f.SetField("ui", "");
    f.SetField("update_time", 2000, 1, 1, 0, 0, 0.0F, 100);  // kTimestamp (UTC)
    add(l, f, "layer_styles row");
  }
}

// GeoPackage metadata (extension gpkg_metadata): per layer, a record in QGIS's metadata format,
// the one QGIS 3.22 shows in the layer properties (it reads records that GDAL exposes as
// GPKG_METADATA_ITEM_n); and the schema extension's gpkg_data_columns: each field's unit and
// meaning.
void Gpkg::write_metadata() {
  if (described_.empty()) return;
  sql("CREATE TABLE gpkg_metadata (id INTEGER CONSTRAINT m_pk PRIMARY KEY ASC NOT NULL, md_scope TEXT NOT NULL DEFAULT 'dataset', "
      "md_standard_uri TEXT NOT NULL, mime_type TEXT NOT NULL DEFAULT 'text/xml', metadata TEXT NOT NULL DEFAULT '')",
      "gpkg_metadata");
  sql("CREATE TABLE gpkg_metadata_reference (reference_scope TEXT NOT NULL, table_name TEXT, column_name TEXT, row_id_value INTEGER, "
      "timestamp DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), md_file_id INTEGER NOT NULL, md_parent_id INTEGER, "
      "CONSTRAINT crmr_mfi_fk FOREIGN KEY (md_file_id) REFERENCES gpkg_metadata(id), "
      "CONSTRAINT crmr_mpi_fk FOREIGN KEY (md_parent_id) REFERENCES gpkg_metadata(id))",
      "gpkg_metadata_reference");
  sql("CREATE TABLE gpkg_data_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT, title TEXT, description TEXT, "
      "mime_type TEXT, constraint_name TEXT, CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name), "
      "CONSTRAINT gdc_tn UNIQUE (table_name, name))",
      "gpkg_data_columns");
  sql("CREATE TABLE gpkg_data_column_constraints (constraint_name TEXT NOT NULL, constraint_type TEXT NOT NULL, value TEXT, "
      "min NUMERIC, min_is_inclusive BOOLEAN, max NUMERIC, max_is_inclusive BOOLEAN, description TEXT, "
      "CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value))",
      "gpkg_data_column_constraints");
  for (const char* t : {"gpkg_metadata", "gpkg_metadata_reference"})
    sql(fmt::format("INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope) VALUES ('{}', NULL, "
                    "'gpkg_metadata', 'http://www.geopackage.org/spec120/#extension_metadata', 'read-write')",
                    t),
        "gpkg_extensions");
  for (const char* t : {"gpkg_data_columns", "gpkg_data_column_constraints"})
    sql(fmt::format("INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope) VALUES ('{}', NULL, "
                    "'gpkg_schema', 'http://www.geopackage.org/spec120/#extension_schema', 'read-write')",
                    t),
        "gpkg_extensions");
  int id = 0;
  for (const auto& d : described_) {
    ++id;
    sql(fmt::format("INSERT INTO gpkg_metadata (id, md_scope, md_standard_uri, mime_type, metadata) VALUES ({}, 'dataset', "
                    "'http://mrcc.com/qgis.dtd', 'text/xml', {})",
                    id, sql_text(styles::qgis_metadata(d.doc))),
        "gpkg_metadata of " + d.table);
    sql(fmt::format("INSERT INTO gpkg_metadata_reference (reference_scope, table_name, column_name, row_id_value, timestamp, md_file_id, "
                    "md_parent_id) VALUES ('table', {}, NULL, NULL, '{}', {}, NULL)",
                    sql_text(d.table), kTimestamp, id),
        "gpkg_metadata_reference of " + d.table);
    for (const auto& f : d.fields)
      sql(fmt::format("INSERT INTO gpkg_data_columns (table_name, column_name, name, title, description) VALUES ({}, {}, {}, {}, {})",
                      sql_text(d.table), sql_text(f.name), sql_text(f.name), sql_text(f.unit), sql_text(f.description)),
          "gpkg_data_columns of " + d.table + "." + f.name);
  }
}

void Gpkg::add(OGRLayer* l, OGRFeature& f, const char* what) const { check(l->CreateFeature(&f), what); }

void Gpkg::spatial_view(const std::string& name, const std::string& select, OGRLayer* like, const std::string& geometry_column,
                        const std::array<double, 4>& extent, const styles::LayerDoc& doc, const std::vector<FieldDoc>& fields,
                        const styles::Style& style, const std::vector<std::string>& indexes) {
  views_.push_back({name, select, like->GetName(), geometry_column, extent, doc.title, doc.abstract, indexes});
  described_.push_back({name, doc, fields});
  styled_.push_back({name, geometry_column, style});
}

// Views are written after every layer's rows: GDAL builds a layer's deferred spatial index when
// an SQL statement runs, so no statement runs while rows are still being added.
void Gpkg::write_views() {
  for (const auto& v : views_) {
    for (const auto& ix : v.indexes) sql(ix, "index for view " + v.name);
    sql(fmt::format("CREATE VIEW {} AS {}", sql_id(v.name), v.select), "view " + v.name);
    sql(fmt::format("INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, min_x, min_y, max_x, "
                    "max_y, srs_id) SELECT {}, 'features', {}, {}, '{}', {}, {}, {}, {}, srs_id FROM gpkg_geometry_columns WHERE "
                    "table_name = {}",
                    sql_text(v.name), sql_text(v.title), sql_text(v.description), kTimestamp, v.extent[0], v.extent[1], v.extent[2],
                    v.extent[3], sql_text(v.like)),
        "gpkg_contents of view " + v.name);
    sql(fmt::format("INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m) SELECT {}, {}, "
                    "geometry_type_name, srs_id, z, m FROM gpkg_geometry_columns WHERE table_name = {}",
                    sql_text(v.name), sql_text(v.geometry_column), sql_text(v.like)),
        "gpkg_geometry_columns of view " + v.name);
  }
}

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
  finish_tables();
  write_views();
  write_styles();
  write_metadata();
  // GDAL's counts and extents of the bulk layers (it saw none of their rows) are its last word on
  // them before the commit: ours go after.
  for (auto& t : features_) t->count();
  features_.clear();
  check(ds_->CommitTransaction(), "commit");
  CPLErrorReset();
  ds_.reset();  // closes the file; GDAL reports a failure to flush as an error
  if (CPLGetLastErrorType() >= CE_Failure)
    throw core::OutputError(core::Where{file_, "", "close"}, "output GeoPackage must be written completely", CPLGetLastErrorMsg());
  CPLSetThreadLocalConfigOption("OGR_CURRENT_DATE", nullptr);
}

void write_attribution(const std::filesystem::path& dir, const std::string& credit, bool osm) {
  const char* head = !osm ? "Outputs derived from the input data credited below.\n"
                     : credit == kAttribution ? "Outputs derived from OpenStreetMap data.\n"
                                              : "Outputs derived from OpenStreetMap data and the other sources credited below.\n";
  core::write_file(dir / "ATTRIBUTION.txt", head + credit + "\n");
}

}  // namespace ut::output::detail
