#include "gis_io/prepare_osm.hpp"

#include <cpl_conv.h>
#include <fmt/format.h>
#include <ogr_spatialref.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <string_view>
#include <tuple>

#include "city/road_rules.hpp"
#include "core/error.hpp"
#include "core/staging.hpp"
#include "geo/geometry.hpp"
#include "geo/projection.hpp"
#include "gis_io/ogr_util.hpp"

namespace ut::gis_io {

namespace fs = std::filesystem;
using core::InputError;
using core::Where;
using GeomPtr = std::unique_ptr<OGRGeometry>;

namespace {

// GDAL OSM driver configuration: the tags we need as plain fields.
constexpr const char* kOsmConf = R"(closed_ways_are_polygons=aeroway,amenity,boundary,building,craft,geological,historic,landuse,leisure,military,natural,office,place,shop,sport,tourism
attribute_name_laundering=yes
[points]
osm_id=yes
attributes=name,amenity,healthcare,railway,station,isced:level,social_facility
other_tags=no
[lines]
osm_id=yes
attributes=name,highway,waterway,railway,maxspeed,lanes,oneway,junction,foot,bridge,tunnel
other_tags=no
[multipolygons]
osm_id=yes
osm_way_id=yes
attributes=name,type,amenity,landuse,leisure,natural,water,waterway,healthcare,isced:level,social_facility
other_tags=no
[multilinestrings]
osm_id=yes
attributes=name,type
other_tags=no
[other_relations]
osm_id=yes
attributes=name,type
other_tags=no
)";

// A second reading of the file, for the layers buildings and barriers only (kept apart so that the
// first reading, and the layers derived from it, stay as they were). GDAL's default area keys plus
// water=* and waterway=riverbank. GDAL 3.6.2 (tried on this list) ignores the keys of 8 or more
// characters (building, historic, boundary, ...) unless the list also holds a longer entry, as
// "waterway=riverbank" is; kOsmConf above, without one, makes no building way an area.
constexpr const char* kOsmConfBuildingsBarriers = R"(closed_ways_are_polygons=aeroway,amenity,boundary,building,craft,geological,historic,landuse,leisure,military,natural,office,place,shop,sport,tourism,water,waterway=riverbank,highway=platform,public_transport=platform
attribute_name_laundering=yes
[points]
osm_id=yes
attributes=name
other_tags=no
[lines]
osm_id=yes
attributes=highway,waterway,railway,bridge,tunnel,covered
other_tags=no
[multipolygons]
osm_id=yes
osm_way_id=yes
attributes=type,building,building:levels,natural,landuse,water,waterway
other_tags=no
[multilinestrings]
osm_id=yes
attributes=type
other_tags=no
[other_relations]
osm_id=yes
attributes=type
other_tags=no
)";

// Land-use rule: gross floor-area ratio over the block (centre-line bounded) and the share of
// floor area that is residential. docs/data-derivation.md gives the reasoning.
struct LandUseRule {
  double far;
  double residential_share;
};
const std::map<std::string, LandUseRule>& land_use_rules() {
  static const std::map<std::string, LandUseRule> rules = {
      {"residential", {1.8, 1.0}}, {"mixed", {1.5, 0.6}},   {"commercial", {2.5, 0.1}}, {"education", {0.8, 0.05}},
      {"health", {1.2, 0.0}},      {"industrial", {1.0, 0.0}}, {"transport", {0.3, 0.0}}, {"park", {0.02, 0.0}},
      {"construction", {0.0, 0.0}}, {"other", {1.0, 0.3}}};
  return rules;
}

std::string field(OGRFeature& f, const char* name) {
  const int i = f.GetFieldIndex(name);
  if (i < 0 || !f.IsFieldSetAndNotNull(i)) return {};
  return f.GetFieldAsString(i);
}

bool contains_any(const std::string& s, std::initializer_list<const char*> parts) {
  for (const char* p : parts)
    if (s.find(p) != std::string::npos) return true;
  return false;
}

// The number a tag value starts with ("50", "30 mph" in km/h), if it lies in (0, max]; else fallback.
double leading_number(const std::string& s, double fallback, double max) {
  try {
    std::size_t used = 0;
    double v = std::stod(s, &used);
    if (s.find("mph") != std::string::npos) v *= 1.609344;
    if (used > 0 && std::isfinite(v) && v > 0 && v <= max) return v;
  } catch (const std::exception&) {
  }
  return fallback;
}

std::string number(double v) { return fmt::format("{:.10g}", v); }

// An OSM yes-ish tag: present and not "no" (bridge=viaduct, tunnel=culvert, ...).
bool tagged(const std::string& v) { return !v.empty() && v != "no"; }

// Water surfaces (the `water` barriers): natural=water, waterway=riverbank, landuse=reservoir|basin, water=*.
bool water_area_tags(const std::string& natural, const std::string& waterway, const std::string& landuse,
                     const std::string& water) {
  return natural == "water" || waterway == "riverbank" || landuse == "reservoir" || landuse == "basin" ||
         tagged(water);
}

void check_options(const PrepareOptions& o) {
  const std::string file = o.osm.string();
  if (!(o.residents_per_km2 > 0 && o.residents_per_km2 <= kMaxResidentsPerKm2))
    throw InputError(Where{file, "", "option --residents-per-km2"},
                     fmt::format("must be a number greater than 0 and at most {}", kMaxResidentsPerKm2),
                     number(o.residents_per_km2));
  if (!(o.context_m >= 0 && o.context_m <= kMaxContextM))
    throw InputError(Where{file, "", "option context_m"},
                     fmt::format("must be a number of metres from 0 to {}", kMaxContextM), number(o.context_m));
}

// The study-area box (lon = x, lat = y) against the rules in prepare_osm.hpp.
void check_bounds(const OGREnvelope& b, const Where& where) {
  const std::pair<const char*, double> lats[] = {{"minlat", b.MinY}, {"maxlat", b.MaxY}};
  const std::pair<const char*, double> lons[] = {{"minlon", b.MinX}, {"maxlon", b.MaxX}};
  for (const auto& [k, v] : lats)
    if (!(v >= -90 && v <= 90))
      throw InputError(where, fmt::format("{} must be a latitude from -90 to 90", k), number(v));
  for (const auto& [k, v] : lons)
    if (!(v >= -180 && v <= 180))
      throw InputError(where, fmt::format("{} must be a longitude from -180 to 180", k), number(v));
  if (!(b.MinY < b.MaxY))
    throw InputError(where, "minlat must be less than maxlat",
                     "minlat " + number(b.MinY) + " >= maxlat " + number(b.MaxY));
  if (!(b.MinX < b.MaxX))
    throw InputError(where, "minlon must be less than maxlon (a box across the antimeridian is not supported)",
                     "minlon " + number(b.MinX) + " >= maxlon " + number(b.MaxX));
  if (b.MinY < -80 || b.MaxY > 84)
    throw InputError(where, "the box must lie between 80 S and 84 N (UTM)",
                     "minlat " + number(b.MinY) + ", maxlat " + number(b.MaxY));
  if (b.MaxX - b.MinX > kMaxStudySpanDeg || b.MaxY - b.MinY > kMaxStudySpanDeg)
    throw InputError(where,
                     fmt::format("the box must span at most {} degrees each way (one UTM zone)", kMaxStudySpanDeg),
                     fmt::format("{:.6g} x {:.6g} degrees", b.MaxX - b.MinX, b.MaxY - b.MinY));
}

// Text from the file as a message shows it: one line, and short, whatever the file holds.
std::string one_line(const std::string& text, std::size_t max = 80) {
  std::size_t n = std::min(max, text.size());
  while (n > 0 && n < text.size() && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;  // UTF-8 boundary
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += static_cast<unsigned char>(text[i]) < 0x20 ? '?' : text[i];
  if (n < text.size()) out += "...";
  return out;
}

bool parse_int(const std::string& s, std::int64_t& v) {
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

bool parse_real(const std::string& s, double& v) {
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size() && std::isfinite(v);
}

// building:levels as a number >= 0 (blanks around it allowed); nothing when absent or unparsable.
std::optional<double> building_levels(std::string s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return std::nullopt;
  s = s.substr(first, s.find_last_not_of(" \t") - first + 1);
  double v = 0;
  if (!parse_real(s, v) || !(v >= 0)) return std::nullopt;
  return v + 0.0;  // no -0
}

// What the scan of an OSM XML file found (see XmlScan).
struct XmlFacts {
  long bounds_line = 0;  // 0: no <bounds>
  OGREnvelope bounds;
  bool gdal_node_index = true;  // node ids increasing and within what GDAL's own node index takes
  long long ways_partial = 0;   // ways with some of their nodes absent from the extract
  long long ways_short = 0;     // ways with fewer than two distinct nodes in the extract
};

// GDAL's OSM driver reads numbers with atof ("abc" is 0), keeps node coordinates as 32-bit
// integers (a latitude of -999 overflows), drops ways with missing nodes without a word and, at an
// XML error, stops but still returns what it read. So an .osm XML file is first scanned here: one
// streaming pass, tags and attributes only (expat, inside GDAL, checks the rest of the syntax),
// memory proportional to the number of nodes and way nodes.
class XmlScan {
 public:
  explicit XmlScan(const fs::path& path) : path_(path), in_(path, std::ios::binary) {}
  XmlFacts run();

 private:
  const fs::path& path_;
  std::ifstream in_;
  std::vector<char> buf_ = std::vector<char>(std::size_t{1} << 20);
  std::size_t pos_ = 0, end_ = 0;
  long line_ = 1;
  std::string name_;
  std::vector<std::pair<std::string, std::string>> attrs_;

  int get() {
    if (pos_ == end_) {
      in_.read(buf_.data(), static_cast<std::streamsize>(buf_.size()));
      end_ = static_cast<std::size_t>(in_.gcount());
      pos_ = 0;
      if (end_ == 0) return EOF;
    }
    const char c = buf_[pos_++];
    if (c == '\n') ++line_;
    return static_cast<unsigned char>(c);
  }
  [[noreturn]] void fail(long line, const std::string& element, const std::string& rule,
                         const std::string& value) const {
    throw InputError(Where{path_.string(), fmt::format("line {}", line), one_line(element)}, rule, one_line(value));
  }
  [[noreturn]] void truncated(long line) const {
    fail(line, "", "must be well-formed XML: the file ends inside this markup (truncated?)", "");
  }
  void skip_past(std::string_view end, long start);
  bool read_tag(long start, int c);  // name (from its first letter c) and attributes; true for <name .../>
  const std::string* attr(const char* key) const {
    for (const auto& [k, v] : attrs_)
      if (k == key) return &v;
    return nullptr;
  }
  std::int64_t id_attr(const char* key, long line, const std::string& element) const {
    const std::string* v = attr(key);
    std::int64_t id = 0;
    if (v == nullptr || !parse_int(*v, id))
      fail(line, element, fmt::format("{} must be an integer (64-bit)", key), v ? *v : "none");
    return id;
  }
  double coord_attr(const char* key, double limit, long line, const std::string& element) const {
    const std::string* v = attr(key);
    double d = 0;
    if (v == nullptr || !parse_real(*v, d) || d < -limit || d > limit)
      fail(line, element, fmt::format("{} must be a number from {} to {}", key, -limit, limit), v ? *v : "none");
    return d;
  }
};

void XmlScan::skip_past(std::string_view end, long start) {
  std::string tail;
  for (int c = get(); c != EOF; c = get()) {
    tail.push_back(static_cast<char>(c));
    if (tail.size() > end.size()) tail.erase(0, 1);
    if (tail == end) return;
  }
  truncated(start);
}

bool XmlScan::read_tag(long start, int c) {
  name_.clear();
  attrs_.clear();
  auto space = [](int ch) { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r'; };
  for (; c != EOF && !space(c) && c != '/' && c != '>'; c = get()) name_.push_back(static_cast<char>(c));
  for (;;) {
    while (space(c)) c = get();
    if (c == EOF) truncated(start);
    if (c == '>') return false;
    if (c == '/') {
      if (get() != '>') fail(start, "<" + name_ + ">", "must be well-formed XML: '/' must end the tag", "");
      return true;
    }
    std::string key, value;
    for (; c != EOF && !space(c) && c != '=' && c != '>' && c != '/'; c = get()) key.push_back(static_cast<char>(c));
    while (space(c)) c = get();
    if (c != '=') {
      if (c == EOF) truncated(start);
      fail(start, "<" + name_ + ">", "must be well-formed XML: every attribute needs a quoted value", key);
    }
    c = get();
    while (space(c)) c = get();
    if (c != '"' && c != '\'') {
      if (c == EOF) truncated(start);
      fail(start, "<" + name_ + ">", "must be well-formed XML: every attribute needs a quoted value", key);
    }
    const int quote = c;
    for (c = get(); c != quote; c = get()) {
      if (c == EOF) truncated(start);
      value.push_back(static_cast<char>(c));
    }
    attrs_.emplace_back(std::move(key), std::move(value));
    c = get();
  }
}

XmlFacts XmlScan::run() {
  if (!in_) throw InputError(Where{path_.string(), "", ""}, "must be readable", std::strerror(errno));
  // GDAL's own node index takes increasing ids from 0 up to 2^16 * INT_MAX; we stay well inside.
  constexpr std::int64_t kGdalIndexMax = std::int64_t{1} << 46;
  XmlFacts facts;
  std::vector<std::int64_t> nodes, refs;  // node ids in file order; way node references
  std::vector<std::size_t> way_end;       // the end of each way's references in refs
  bool in_way = false, root_closed = false;
  long prev_node_line = 0;
  std::int64_t owner = 0;  // the way or relation being read
  for (int c = get(); c != EOF; c = get()) {
    if (c != '<') continue;  // character data: only whitespace matters in an OSM file
    const long start = line_;
    c = get();
    if (c == '!') {
      c = get();
      if (c == '-') {
        if (get() != '-') fail(start, "", "must be well-formed XML: a comment starts with <!--", "");
        skip_past("-->", start);
      } else if (c == '[') {
        skip_past("]]>", start);
      } else {
        skip_past(">", start);  // <!DOCTYPE ...>
      }
      continue;
    }
    if (c == '?') {
      skip_past("?>", start);
      continue;
    }
    if (c == '/') {
      std::string end;
      for (c = get(); c != EOF && c != '>'; c = get()) end.push_back(static_cast<char>(c));
      if (c == EOF) truncated(start);
      while (!end.empty() && std::isspace(static_cast<unsigned char>(end.back()))) end.pop_back();
      if (end == "way" && in_way) {
        in_way = false;
        way_end.push_back(refs.size());
      } else if (end == "osm") {
        root_closed = true;
      }
      continue;
    }
    if (c == EOF) truncated(start);
    const bool empty = read_tag(start, c);
    if (name_ == "osm") {
      root_closed = empty;
    } else if (name_ == "bounds") {
      if (facts.bounds_line != 0)
        fail(start, "bounds", "must appear once",
             fmt::format("a second <bounds>, the first at line {}", facts.bounds_line));
      facts.bounds_line = start;
      double v[4];
      const char* keys[] = {"minlat", "minlon", "maxlat", "maxlon"};
      for (int i = 0; i < 4; ++i) {
        const std::string* t = attr(keys[i]);
        if (t == nullptr || !parse_real(*t, v[i]))
          fail(start, "bounds", fmt::format("{} must be a number", keys[i]), t ? *t : "none");
      }
      facts.bounds.MinY = v[0];
      facts.bounds.MinX = v[1];
      facts.bounds.MaxY = v[2];
      facts.bounds.MaxX = v[3];
    } else if (name_ == "node") {
      const std::int64_t id = id_attr("id", start, "node");
      const std::string element = fmt::format("node {}", id);
      coord_attr("lat", 90, start, element);
      coord_attr("lon", 180, start, element);
      if (!nodes.empty() && id == nodes.back())
        fail(start, element, "node ids must be unique", fmt::format("{} again, first at line {}", id, prev_node_line));
      if (id < 0 || id >= kGdalIndexMax || (!nodes.empty() && id < nodes.back())) facts.gdal_node_index = false;
      nodes.push_back(id);
      prev_node_line = start;
    } else if (name_ == "way") {
      owner = id_attr("id", start, "way");
      if (empty) way_end.push_back(refs.size());
      in_way = !empty;
    } else if (name_ == "nd" && in_way) {
      refs.push_back(id_attr("ref", start, fmt::format("way {}", owner)));
    } else if (name_ == "relation") {
      owner = id_attr("id", start, "relation");
    } else if (name_ == "member") {
      id_attr("ref", start, fmt::format("relation {}", owner));
    }
  }
  if (!root_closed) fail(line_, "", "must be well-formed OSM XML ending with </osm> (truncated?)", "end of file");
  if (in_way) way_end.push_back(refs.size());
  if (!facts.gdal_node_index) {
    std::sort(nodes.begin(), nodes.end());
    const auto dup = std::adjacent_find(nodes.begin(), nodes.end());
    if (dup != nodes.end())
      throw InputError(Where{path_.string(), "", fmt::format("node {}", *dup)}, "node ids must be unique",
                       fmt::format("{} twice", *dup));
  }
  std::size_t begin = 0;
  std::vector<std::int64_t> present;
  for (const std::size_t end : way_end) {
    present.clear();
    for (std::size_t i = begin; i < end; ++i)
      if (std::binary_search(nodes.begin(), nodes.end(), refs[i])) present.push_back(refs[i]);
    const std::size_t found = present.size();
    std::sort(present.begin(), present.end());
    if (std::unique(present.begin(), present.end()) - present.begin() < 2)
      ++facts.ways_short;
    else if (found < end - begin)
      ++facts.ways_partial;
    begin = end;
  }
  return facts;
}

// OSM XML: starts with '<' (after a byte-order mark and blanks) and has "<osm" in its first
// kilobyte, as GDAL's OSM driver identifies it; a PBF file starts with a binary length.
bool is_osm_xml(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  char head[1024] = {};
  in.read(head, sizeof head);
  std::string_view h(head, static_cast<std::size_t>(in.gcount()));
  if (h.substr(0, 3) == "\xEF\xBB\xBF") h.remove_prefix(3);
  const auto first = h.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && h[first] == '<' && h.find("<osm") != std::string_view::npos;
}

// Collects the first failure GDAL reports while it reads (expat errors, bad PBF blocks): the OSM
// driver reports them through CPLError and then simply returns no more features.
class ReadErrors {
 public:
  ReadErrors() { CPLPushErrorHandlerEx(&ReadErrors::handler, this); }
  ~ReadErrors() { CPLPopErrorHandler(); }
  ReadErrors(const ReadErrors&) = delete;
  ReadErrors& operator=(const ReadErrors&) = delete;
  void check(const fs::path& file) const {
    if (first_.empty()) return;
    std::string where;
    const auto at = first_.find(" at line ");  // expat's position (GDAL's PBF messages give its own source line)
    if (first_.rfind("XML parsing", 0) == 0 && at != std::string::npos)
      where = "line " + std::to_string(std::atol(first_.c_str() + at + 9));
    throw InputError(Where{file.string(), where, ""}, "must be a well-formed OpenStreetMap file",
                     one_line(first_, 200));
  }

 private:
  std::string first_;
  static void CPL_STDCALL handler(CPLErr e, CPLErrorNum, const char* msg) {
    auto* self = static_cast<ReadErrors*>(CPLGetErrorHandlerUserData());
    if (e >= CE_Failure && self->first_.empty()) self->first_ = msg != nullptr && *msg ? msg : "unknown GDAL error";
  }
};

// Opens the file with GDAL's OSM driver only, configured from memory (no temporary file).
GDALDatasetUniquePtr open_osm(const fs::path& osm, const char* osmconf = kOsmConf) {
  detail::init_gdal();
  std::error_code ec;
  const auto size = fs::file_size(osm, ec);
  if (ec) throw InputError(Where{osm.string(), "", ""}, "must be an existing, readable file", ec.message());
  if (size == 0)
    throw InputError(Where{osm.string(), "", ""}, "must be an OpenStreetMap file (.osm XML or .osm.pbf) GDAL can read",
                     "an empty file");
  const std::string conf = fmt::format("/vsimem/urbantwin-osmconf-{}.ini", static_cast<const void*>(&osm));
  VSIFCloseL(VSIFileFromMemBuffer(conf.c_str(), reinterpret_cast<GByte*>(const_cast<char*>(osmconf)),
                                  static_cast<vsi_l_offset>(std::strlen(osmconf)), FALSE));
  const std::string conf_option = "CONFIG_FILE=" + conf;
  const char* const drivers[] = {"OSM", nullptr};
  const char* const options[] = {conf_option.c_str(), nullptr};
  CPLErrorReset();
  GDALDatasetUniquePtr ds(GDALDataset::Open(osm.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers, options, nullptr));
  VSIUnlink(conf.c_str());
  if (!ds) {
    std::string why = CPLGetLastErrorMsg();
    if (why.empty()) why = "neither OSM XML nor OSM PBF";
    throw InputError(Where{osm.string(), "", ""}, "must be an OpenStreetMap file (.osm XML or .osm.pbf) GDAL can read",
                     why);
  }
  return ds;
}

struct Road {
  std::string cls, name, osm_id;
  double speed;
  int lanes, oneway;
  bool walk, drive;
  GeomPtr geom;
};

struct Site {
  std::string classes, name, osm_ref, level_source;
  double area = 0;
  GeomPtr geom;  // point or (multi)polygon, metric
};

struct Greenway {
  std::string name, level, rule, osm_id;
  GeomPtr geom;
};

// A building footprint (layer buildings). building_id: the way id, or the relation id + kRelationIdOffset.
constexpr std::int64_t kRelationIdOffset = 1'000'000'000'000'000;  // 10^15: beyond every real OSM way id
struct Building {
  bool relation = false;
  std::int64_t osm_id = 0, id = 0;
  std::string value, osm_ref;
  std::optional<double> levels;
  GeomPtr geom;  // metric MultiPolygon
};

// Something a walk on the ground cannot cross (layer barriers): a water surface or a line.
struct Barrier {
  bool relation = false;
  std::int64_t osm_id = 0;
  std::string kind, osm_ref;  // kind: water, river, railway, motorway
  GeomPtr geom;               // metric MultiPolygon (water) or MultiLineString
};

// The parts of g with an area, as a MultiPolygon; null when there are none.
GeomPtr polygon_parts(const OGRGeometry& g) {
  geo::MultiPolygon parts, kept;
  detail::append_polygons(g, parts);
  for (auto& p : parts)
    if (!p.rings.empty() && p.rings[0].size() >= 4 && geo::area(p) > 0) kept.push_back(std::move(p));
  if (kept.empty()) return nullptr;
  return std::make_unique<OGRMultiPolygon>(detail::from_multipolygon(kept));
}

// The parts of g with a length, as a MultiLineString; null when there are none.
GeomPtr line_parts(const OGRGeometry& g) {
  std::vector<geo::LineString> parts;
  detail::append_lines(g, parts);
  auto out = std::make_unique<OGRMultiLineString>();
  for (const auto& p : parts)
    if (p.size() >= 2 && geo::length(p) > 0) {
      OGRLineString ls = detail::from_line(p);
      out->addGeometry(&ls);
    }
  if (out->IsEmpty()) return nullptr;
  return out;
}

struct Block {
  GeomPtr geom;
  geo::Point centroid;
  double area = 0;
  std::string land_use, source;
  double far = 0, floor = 0, res_floor = 0;
  long long residents = 0;
};

class Preparer {
 public:
  explicit Preparer(const PrepareOptions& o) : opt_(o) {}

  PrepareReport run();

 private:
  const PrepareOptions& opt_;
  PrepareReport report_;
  OGRSpatialReference wgs84_, utm_;
  std::unique_ptr<OGRCoordinateTransformation> to_utm_;
  GeomPtr study_, context_;
  std::vector<Road> roads_;
  std::vector<GeomPtr> block_lines_;
  std::vector<std::pair<std::string, GeomPtr>> rivers_;  // named main rivers (greenway corridors)
  std::vector<GeomPtr> water_;
  std::vector<std::pair<std::string, GeomPtr>> land_;    // land-use category, polygon
  std::vector<GeomPtr> parks_;
  std::vector<Site> sites_;
  std::vector<Greenway> greenways_;
  std::vector<Block> blocks_;
  std::vector<std::pair<std::string, GeomPtr>> path_lines_;  // candidate greenway paths (name, geom)
  std::vector<std::string> path_ids_;
  std::vector<Building> buildings_;
  std::vector<Barrier> barriers_;

  GeomPtr metric(const OGRGeometry* g) {
    if (g == nullptr || g->IsEmpty()) return nullptr;
    GeomPtr c(g->clone());
    if (c->transform(to_utm_.get()) != OGRERR_NONE) return nullptr;
    return c;
  }
  // The next feature of an OSM layer; a read error GDAL reports on the way is an InputError.
  OGRFeatureUniquePtr next(OGRLayer& layer) {
    ReadErrors errors;
    OGRFeatureUniquePtr f(layer.GetNextFeature());
    errors.check(opt_.osm);
    return f;
  }
  void read_lines(GDALDataset& ds);
  void read_polygons(GDALDataset& ds);
  void read_points(GDALDataset& ds);
  void read_metro();
  void read_buildings_and_barriers();
  void add_line_barriers(OGRFeature& f, const OGRGeometry& g);
  void add_area_features(OGRFeature& f, const OGRGeometry& g);
  void number_buildings_and_barriers();
  void make_blocks();
  void assign_land_use();
  void allocate_residents();
  void select_greenways();
  void write();
};

void Preparer::read_lines(GDALDataset& ds) {
  OGRLayer* lines = ds.GetLayerByName("lines");
  const double kMaxSpeedKmh = 300, kMaxLanes = 20;  // tags beyond these are typing errors: class default
  static const std::set<std::string> block_classes = {
      "motorway", "trunk", "primary", "secondary", "tertiary", "unclassified", "residential", "living_street",
      "motorway_link", "trunk_link", "primary_link", "secondary_link", "tertiary_link", "road"};
  static const std::set<std::string> road_classes = {
      "motorway", "trunk", "primary", "secondary", "tertiary", "unclassified", "residential", "living_street",
      "motorway_link", "trunk_link", "primary_link", "secondary_link", "tertiary_link", "road", "service",
      "footway", "pedestrian", "path", "steps", "cycleway", "track"};
  while (OGRFeatureUniquePtr f = next(*lines)) {
    GeomPtr g = metric(f->GetGeometryRef());
    if (!g) continue;
    std::vector<geo::LineString> parts;  // a way whose nodes all sit at one place is no line
    detail::append_lines(*g, parts);
    double length = 0;
    for (const auto& p : parts) length += geo::length(p);
    if (!(length > 0)) continue;
    const std::string hw = field(*f, "highway");
    const std::string ww = field(*f, "waterway");
    const std::string rw = field(*f, "railway");
    const std::string name = field(*f, "name");
    if (road_classes.count(hw)) {
      GeomPtr clipped(g->Intersection(context_.get()));
      const auto type = clipped ? wkbFlatten(clipped->getGeometryType()) : wkbUnknown;
      if (clipped && !clipped->IsEmpty() && type != wkbLineString && type != wkbMultiLineString) {
        std::vector<geo::LineString> in;  // a collection (the line touches the edge): its lines only
        detail::append_lines(*clipped, in);
        auto lines_only = std::make_unique<OGRMultiLineString>();
        for (const auto& p : in)
          if (p.size() >= 2 && geo::length(p) > 0) {
            OGRLineString ls = detail::from_line(p);
            lines_only->addGeometry(&ls);
          }
        clipped = std::move(lines_only);
      }
      if (clipped && !clipped->IsEmpty()) {
        Road r;
        r.cls = hw;
        r.name = name;
        r.osm_id = field(*f, "osm_id");
        r.speed = leading_number(field(*f, "maxspeed"), city::default_speed_kmh(hw), kMaxSpeedKmh);
        r.lanes = static_cast<int>(leading_number(field(*f, "lanes"), city::default_lanes(hw), kMaxLanes));
        const std::string ow = field(*f, "oneway");
        r.oneway = (ow == "yes" || ow == "1" || ow == "true") ? 1 : ow == "-1" ? -1 : 0;
        if (ow.empty() && (hw == "motorway" || field(*f, "junction") == "roundabout")) r.oneway = 1;
        r.walk = city::walk_by_class(hw) && field(*f, "foot") != "no";
        r.drive = city::drive_by_class(hw);
        r.geom = std::move(clipped);
        if (!city::drive_by_class(hw) || hw == "living_street") {
          path_lines_.emplace_back(name, GeomPtr(r.geom->clone()));
          path_ids_.push_back(r.osm_id);
        }
        roads_.push_back(std::move(r));
      }
      if (block_classes.count(hw)) block_lines_.push_back(GeomPtr(g->Intersection(study_.get())));
    } else if (ww == "river" || ww == "canal") {
      block_lines_.push_back(GeomPtr(g->Intersection(study_.get())));
      if (contains_any(name, {"锦江", "錦江", "府河", "沙河", "Jin Jiang", "Sha He"})) rivers_.emplace_back(name, std::move(g));
    } else if (rw == "rail") {
      block_lines_.push_back(GeomPtr(g->Intersection(study_.get())));
    }
  }
}

// Line barriers of a way of the lines layer, clipped to the context: rivers and canals, railways
// (rail, light_rail, narrow_gauge; never subway) and motorways/trunk roads, unless they pass in a
// tunnel, on a bridge or covered (they do not block the ground).
void Preparer::add_line_barriers(OGRFeature& f, const OGRGeometry& g) {
  if (tagged(field(f, "tunnel")) || tagged(field(f, "bridge")) || field(f, "covered") == "yes") return;
  const std::string ww = field(f, "waterway");
  const std::string rw = field(f, "railway");
  const std::string hw = field(f, "highway");
  const char* kinds[] = {(ww == "river" || ww == "canal") ? "river" : nullptr,
                         (rw == "rail" || rw == "light_rail" || rw == "narrow_gauge") ? "railway" : nullptr,
                         (hw == "motorway" || hw == "trunk") ? "motorway" : nullptr};
  if (!kinds[0] && !kinds[1] && !kinds[2]) return;
  const std::string osm_id = field(f, "osm_id");
  std::int64_t id = 0;
  if (!parse_int(osm_id, id)) return;
  GeomPtr clipped(g.Intersection(context_.get()));
  for (const char* kind : kinds) {
    GeomPtr lines = kind != nullptr && clipped ? line_parts(*clipped) : nullptr;
    if (lines) barriers_.push_back({false, id, kind, "way/" + osm_id, std::move(lines)});
  }
}

// Buildings and water surfaces of a closed way or multipolygon relation of the multipolygons
// layer (g metric and valid). Buildings (building=*, not no) are kept whole when they touch the
// context; water surfaces are clipped to it.
void Preparer::add_area_features(OGRFeature& f, const OGRGeometry& g) {
  const std::string way = field(f, "osm_way_id");
  const bool relation = way.empty();
  if (relation && field(f, "type") != "multipolygon") return;  // boundary relations
  const std::string osm_id = relation ? field(f, "osm_id") : way;
  std::int64_t id = 0;
  if (!parse_int(osm_id, id)) return;
  const std::string ref = (relation ? "relation/" : "way/") + osm_id;
  const std::string building = field(f, "building");
  if (!building.empty() && building != "no" && g.Intersects(context_.get())) {
    if (GeomPtr mp = polygon_parts(g)) {
      const std::optional<double> levels = building_levels(field(f, "building_levels"));
      buildings_.push_back({relation, id, 0, building, ref, levels, std::move(mp)});
    }
  }
  if (water_area_tags(field(f, "natural"), field(f, "waterway"), field(f, "landuse"), field(f, "water"))) {
    GeomPtr clipped(g.Intersection(context_.get()));
    if (GeomPtr mp = clipped ? polygon_parts(*clipped) : nullptr)
      barriers_.push_back({relation, id, "water", ref, std::move(mp)});
  }
}

// Stable ids: buildings by building_id (the way id, or the relation id + 10^15), barriers by
// (ways before relations, OSM id, kind) numbered from 1.
void Preparer::number_buildings_and_barriers() {
  for (auto& b : buildings_) {
    b.id = b.osm_id;
    if (b.relation && __builtin_add_overflow(b.osm_id, kRelationIdOffset, &b.id))
      throw InputError(Where{opt_.osm.string(), "", b.osm_ref},
                       "a building relation id must be at most 2^63 - 1 - 10^15 (its building_id is the id + 10^15)",
                       std::to_string(b.osm_id));
  }
  std::sort(buildings_.begin(), buildings_.end(), [](const Building& a, const Building& b) { return a.id < b.id; });
  for (std::size_t i = 1; i < buildings_.size(); ++i)
    if (buildings_[i].id == buildings_[i - 1].id)
      throw InputError(Where{opt_.osm.string(), "", buildings_[i].osm_ref},
                       "building ids (way id, or relation id + 10^15) must be unique",
                       fmt::format("{} and {} both give {}", buildings_[i - 1].osm_ref, buildings_[i].osm_ref,
                                   buildings_[i].id));
  std::sort(barriers_.begin(), barriers_.end(), [](const Barrier& a, const Barrier& b) {
    return std::tie(a.relation, a.osm_id, a.kind) < std::tie(b.relation, b.osm_id, b.kind);
  });
}

// The second reading (kOsmConfBuildingsBarriers): lines for line barriers, closed ways and
// multipolygon relations for buildings and water surfaces.
void Preparer::read_buildings_and_barriers() {
  auto ds = open_osm(opt_.osm, kOsmConfBuildingsBarriers);
  OGRLayer* lines = ds->GetLayerByName("lines");
  OGRLayer* polys = ds->GetLayerByName("multipolygons");
  if (lines == nullptr || polys == nullptr)
    throw InputError(Where{opt_.osm.string(), "", ""}, "must be an OSM file (layers points, lines, multipolygons)", "");
  ds->ExecuteSQL("SET interest_layers = lines,multipolygons", nullptr, nullptr);
  while (OGRFeatureUniquePtr f = next(*lines))
    if (GeomPtr g = metric(f->GetGeometryRef())) add_line_barriers(*f, *g);
  while (OGRFeatureUniquePtr f = next(*polys)) {
    GeomPtr g = metric(f->GetGeometryRef());
    if (g && !g->IsValid()) g.reset(g->MakeValid());
    if (g && !g->IsEmpty()) add_area_features(*f, *g);
  }
}

void Preparer::read_polygons(GDALDataset& ds) {
  OGRLayer* polys = ds.GetLayerByName("multipolygons");
  static const std::map<std::string, std::string> landuse_category = {
      {"residential", "residential"}, {"commercial", "commercial"}, {"retail", "commercial"},
      {"industrial", "industrial"},   {"railway", "transport"},     {"construction", "construction"},
      {"grass", "park"},              {"recreation_ground", "park"}, {"forest", "park"},
      {"meadow", "park"},             {"village_green", "park"},    {"cemetery", "other"},
      {"military", "other"},          {"garages", "other"}};
  while (OGRFeatureUniquePtr f = next(*polys)) {
    GeomPtr g = metric(f->GetGeometryRef());
    if (!g) continue;
    if (!g->IsValid()) {
      GeomPtr fixed(g->MakeValid());
      if (!fixed) continue;
      geo::MultiPolygon parts;  // a ring of coincident nodes has no area left once made valid
      detail::append_polygons(*fixed, parts);
      if (!(geo::area(parts) > 0)) continue;
      g = std::move(fixed);
    }
    const std::string landuse = field(*f, "landuse");
    const std::string leisure = field(*f, "leisure");
    const std::string amenity = field(*f, "amenity");
    const std::string natural = field(*f, "natural");
    const std::string name = field(*f, "name");
    const std::string way = field(*f, "osm_way_id");
    const std::string ref = way.empty() ? "relation/" + field(*f, "osm_id") : "way/" + way;
    if (field(*f, "waterway") == "riverbank" || natural == "water" || landuse == "reservoir" || landuse == "basin") {
      water_.push_back(std::move(g));
      continue;
    }
    auto lu = landuse_category.find(landuse);
    if (lu != landuse_category.end()) land_.emplace_back(lu->second, GeomPtr(g->clone()));
    if (leisure == "park") {
      land_.emplace_back("park", GeomPtr(g->clone()));
      parks_.push_back(GeomPtr(g->clone()));
    } else if (leisure == "garden" || natural == "wood" || natural == "scrub" || natural == "grassland") {
      land_.emplace_back("park", GeomPtr(g->clone()));
    }
    if (amenity == "school" || amenity == "kindergarten" || amenity == "university" || amenity == "college")
      land_.emplace_back("education", GeomPtr(g->clone()));
    if (amenity == "hospital") land_.emplace_back("health", GeomPtr(g->clone()));

    if (!g->Intersects(context_.get())) continue;
    Site s;
    s.name = name;
    s.osm_ref = ref;
    s.area = dynamic_cast<OGRSurface*>(g.get()) ? g->toSurface()->get_Area()
                                                 : dynamic_cast<OGRMultiSurface*>(g.get()) ? g->toMultiSurface()->get_Area() : 0;
    if (leisure == "park") s.classes = "park";
    else if (leisure == "garden" || landuse == "grass" || landuse == "forest" || landuse == "meadow" ||
             landuse == "village_green" || landuse == "recreation_ground" || natural == "wood" || natural == "scrub" ||
             natural == "grassland")
      s.classes = "green_space";
    else
      s.classes = amenity;  // classified below with points
    s.geom = std::move(g);
    sites_.push_back(std::move(s));
  }
}

void Preparer::read_points(GDALDataset& ds) {
  OGRLayer* pts = ds.GetLayerByName("points");
  while (OGRFeatureUniquePtr f = next(*pts)) {
    const std::string amenity = field(*f, "amenity");
    if (amenity.empty()) continue;
    GeomPtr g = metric(f->GetGeometryRef());
    if (!g || !g->Intersects(context_.get())) continue;
    Site s;
    s.name = field(*f, "name");
    s.osm_ref = "node/" + field(*f, "osm_id");
    s.classes = amenity;
    s.level_source = field(*f, "isced_level");
    s.geom = std::move(g);
    sites_.push_back(std::move(s));
  }
}

void Preparer::read_metro() {
  if (opt_.metro.empty()) return;
  auto ds = detail::open_vector(opt_.metro.string());
  OGRLayer* layer = ds->GetLayer(0);
  if (layer == nullptr)
    throw InputError(Where{opt_.metro.string(), "", ""}, "must have a layer of metro stations", "none");
  std::set<std::string> seen;
  for (auto& f : *layer) {
    if (field(*f, "type") != "subway_station") continue;
    const OGRGeometry* raw = f->GetGeometryRef();
    if (raw == nullptr || wkbFlatten(raw->getGeometryType()) != wkbPoint) continue;
    const std::string id = field(*f, "id");
    if (!seen.insert(id).second) continue;
    GeomPtr g = metric(raw);
    if (!g || !g->Intersects(context_.get())) continue;
    Site s;
    s.classes = "metro";
    s.name = field(*f, "name");
    s.osm_ref = "node/" + id;
    s.geom = std::move(g);
    sites_.push_back(std::move(s));
  }
  report_.counts["metro_stations_in_file"] = static_cast<long long>(seen.size());
}

void Preparer::make_blocks() {
  OGRMultiLineString all;
  for (auto& g : block_lines_) {
    if (!g || g->IsEmpty()) continue;
    std::vector<geo::LineString> parts;
    detail::append_lines(*g, parts);
    for (auto& p : parts)
      if (p.size() >= 2) {
        OGRLineString ls = detail::from_line(p);
        all.addGeometry(&ls);
      }
  }
  // The study-area outline closes the blocks at the edge of the extract.
  OGRLineString outline(*study_->toPolygon()->getExteriorRing());
  all.addGeometry(&outline);
  // Union with a point on the linework nodes every crossing (GEOS), as polygonize requires.
  OGRPoint p0;
  outline.StartPoint(&p0);
  GeomPtr noded(all.Union(&p0));
  if (!noded)
    throw InputError(Where{opt_.osm.string(), "", ""}, "the street network must be noded by GEOS",
                     CPLGetLastErrorMsg());
  GeomPtr polys(noded->Polygonize());
  if (!polys)
    throw InputError(Where{opt_.osm.string(), "", ""}, "the street network must be polygonized by GEOS",
                     CPLGetLastErrorMsg());
  // Water (river surfaces, ponds) is not land: cut it out of the blocks.
  OGRMultiPolygon water_mp;
  for (auto& w : water_) {
    geo::MultiPolygon parts;
    detail::append_polygons(*w, parts);
    OGRMultiPolygon m = detail::from_multipolygon(parts);
    for (auto* part : m) water_mp.addGeometry(part);
  }
  GeomPtr water_union(water_mp.IsEmpty() ? nullptr : water_mp.UnionCascaded());
  long long dropped_small = 0;
  for (const OGRGeometry* poly : *polys->toGeometryCollection()) {
    GeomPtr g(poly->clone());
    if (water_union && g->Intersects(water_union.get())) {
      GeomPtr cut(g->Difference(water_union.get()));
      if (!cut) continue;
      g = std::move(cut);
    }
    geo::MultiPolygon mp;
    detail::append_polygons(*g, mp);
    // Keep only polygons of a real block: not traffic islands or slivers between carriageways.
    geo::MultiPolygon kept;
    for (auto& part : mp) {
      if (part.rings.empty() || part.rings[0].empty()) continue;  // what is left of a block under water
      const double a = geo::area(part);
      const double perim = geo::length(part.rings[0]);
      const double compact = 4 * M_PI * a / (perim * perim);
      if (a >= 1000 && (compact >= 0.1 || a >= 20000)) kept.push_back(std::move(part));
      else ++dropped_small;
    }
    if (kept.empty()) continue;
    Block b;
    b.area = geo::area(kept);
    b.centroid = geo::centroid(kept);
    b.geom = std::make_unique<OGRMultiPolygon>(detail::from_multipolygon(kept));
    blocks_.push_back(std::move(b));
  }
  report_.counts["polygons_dropped_as_islands_or_slivers"] = dropped_small;
  // Stable numbering: along a Hilbert curve over the block centroids.
  geo::BBox box;
  for (const auto& b : blocks_) box.add(b.centroid);
  std::stable_sort(blocks_.begin(), blocks_.end(), [&](const Block& a, const Block& b) {
    return geo::hilbert_index(a.centroid, box) < geo::hilbert_index(b.centroid, box);
  });
}

void Preparer::assign_land_use() {
  std::vector<OGREnvelope> env(land_.size());
  for (std::size_t i = 0; i < land_.size(); ++i) land_[i].second->getEnvelope(&env[i]);
  for (auto& b : blocks_) {
    OGREnvelope be;
    b.geom->getEnvelope(&be);
    std::map<std::string, double> overlap;
    for (std::size_t i = 0; i < land_.size(); ++i) {
      if (!be.Intersects(env[i])) continue;
      GeomPtr inter(b.geom->Intersection(land_[i].second.get()));
      if (!inter || inter->IsEmpty()) continue;
      geo::MultiPolygon mp;
      detail::append_polygons(*inter, mp);
      overlap[land_[i].first] += geo::area(mp);
    }
    std::string best;
    double best_a = 0;
    for (const auto& [cat, a] : overlap)
      if (a > best_a) {
        best_a = a;
        best = cat;
      }
    if (!best.empty() && best_a >= 0.3 * b.area) {
      b.land_use = best;
      b.source = "osm";
    } else {
      b.land_use = "mixed";
      b.source = "default";
    }
    const LandUseRule& rule = land_use_rules().at(b.land_use);
    b.far = rule.far;
    b.floor = b.area * rule.far;
    b.res_floor = b.floor * rule.residential_share;
  }
}

void Preparer::allocate_residents() {
  double land_km2 = 0;
  double res_floor = 0;
  for (const auto& b : blocks_) {
    land_km2 += b.area / 1e6;
    res_floor += b.res_floor;
  }
  // Bounded: land <= study area <= kMaxStudyAreaKm2 and residents_per_km2 <= kMaxResidentsPerKm2
  // (checked first), so the total fits the GeoPackage's 32-bit field.
  const double wanted = std::round(land_km2 * opt_.residents_per_km2);
  if (!(wanted >= 0 && wanted <= INT32_MAX))
    throw InputError(Where{opt_.osm.string(), "", "option --residents-per-km2"},
                     "land area x residents per km2 must be at most 2147483647 residents", number(wanted));
  long long total = static_cast<long long>(wanted);
  if (res_floor <= 0 && total > 0) {
    report_.notes.push_back(
        fmt::format("no residential floor area in the study area: {} residents not allocated", total));
    total = 0;
  }
  // Largest-remainder allocation: integer residents that sum exactly to the total.
  std::vector<std::pair<double, std::size_t>> rem;
  long long given = 0;
  for (std::size_t i = 0; i < blocks_.size(); ++i) {
    const double share = res_floor > 0 ? static_cast<double>(total) * blocks_[i].res_floor / res_floor : 0;
    blocks_[i].residents = static_cast<long long>(std::floor(share));
    given += blocks_[i].residents;
    rem.emplace_back(share - std::floor(share), i);
  }
  std::sort(rem.begin(), rem.end(), [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  for (long long k = 0; k < total - given; ++k) ++blocks_[rem[static_cast<std::size_t>(k)].second].residents;
  report_.figures["land_area_km2"] = land_km2;
  report_.figures["residents"] = static_cast<double>(total);
  report_.figures["residential_floor_area_m2"] = res_floor;
  report_.figures["residential_floor_area_m2_per_resident"] = total > 0 ? res_floor / static_cast<double>(total) : 0;
}

void Preparer::select_greenways() {
  // Rule 1: a path (footway, pedestrian, cycleway, path, steps, living street) within 100 m of the
  // Jinjiang/Fu or Sha river centre line: the river greenway corridors (city level).
  // Rule 2: a path running inside a park (at least half its length): park greenways (community level).
  // Rule 3: any highway whose name says greenway (绿道).
  std::vector<GeomPtr> river_buffers;
  for (auto& [name, g] : rivers_) river_buffers.push_back(GeomPtr(g->Buffer(100, 4)));
  for (std::size_t i = 0; i < path_lines_.size(); ++i) {
    auto& [name, g] = path_lines_[i];
    std::string level, rule;
    if (name.find("绿道") != std::string::npos) {
      level = "city";
      rule = "named greenway";
    }
    for (auto& rb : river_buffers) {
      if (!rule.empty()) break;
      if (rb->Contains(g.get())) {
        level = "city";
        rule = "path within 100 m of the Jinjiang/Fu or Sha river";
      }
    }
    if (rule.empty()) {
      std::vector<geo::LineString> parts;
      detail::append_lines(*g, parts);
      double len = 0;
      for (auto& p : parts) len += geo::length(p);
      for (auto& park : parks_) {
        if (!g->Intersects(park.get())) continue;
        GeomPtr inside(g->Intersection(park.get()));
        std::vector<geo::LineString> in_parts;
        if (inside) detail::append_lines(*inside, in_parts);
        double in_len = 0;
        for (auto& p : in_parts) in_len += geo::length(p);
        if (in_len >= 0.5 * len) {
          level = "community";
          rule = "path inside a park";
          break;
        }
      }
    }
    if (rule.empty()) continue;
    greenways_.push_back({name, level, rule, path_ids_[i], GeomPtr(g->clone())});
  }
}

void Preparer::write() {
  core::Staging staging(opt_.out, core::Staging::Kind::file);
  GDALDriver* gpkg = GetGDALDriverManager()->GetDriverByName("GPKG");
  const std::string tmp = staging.temp().string() + ".gpkg";
  std::unique_ptr<GDALDataset> ds(gpkg->Create(tmp.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
  if (!ds) throw InputError(Where{opt_.out.string(), "", ""}, "output GeoPackage must be creatable", CPLGetLastErrorMsg());
  auto add_fields = [](OGRLayer* l, std::initializer_list<std::pair<const char*, OGRFieldType>> fields) {
    for (auto& [n, t] : fields) {
      OGRFieldDefn fd(n, t);
      l->CreateField(&fd);
    }
  };
  auto commit = [&](OGRLayer* l, OGRFeature& f) {
    if (l->CreateFeature(&f) != OGRERR_NONE)
      throw std::runtime_error(fmt::format("prepare-osm: writing layer {} failed: {}", l->GetName(), CPLGetLastErrorMsg()));
  };
  if (ds->StartTransaction() != OGRERR_NONE) throw std::runtime_error("prepare-osm: cannot start a transaction");
  OGRLayer* lp = ds->CreateLayer("parcels", &utm_, wkbMultiPolygon, nullptr);
  add_fields(lp, {{"parcel_id", OFTInteger64}, {"land_use", OFTString}, {"land_use_source", OFTString},
                  {"area_m2", OFTReal}, {"far", OFTReal}, {"floor_area_m2", OFTReal},
                  {"residential_floor_area_m2", OFTReal}, {"residents", OFTInteger}});
  for (std::size_t i = 0; i < blocks_.size(); ++i) {
    const Block& b = blocks_[i];
    OGRFeature f(lp->GetLayerDefn());
    f.SetField("parcel_id", static_cast<GIntBig>(i + 1));
    f.SetField("land_use", b.land_use.c_str());
    f.SetField("land_use_source", b.source.c_str());
    f.SetField("area_m2", std::round(b.area * 100) / 100);
    f.SetField("far", b.far);
    f.SetField("floor_area_m2", std::round(b.floor * 100) / 100);
    f.SetField("residential_floor_area_m2", std::round(b.res_floor * 100) / 100);
    f.SetField("residents", static_cast<int>(b.residents));
    f.SetGeometry(b.geom.get());
    commit(lp, f);
  }
  OGRLayer* lr = ds->CreateLayer("roads", &utm_, wkbMultiLineString, nullptr);
  add_fields(lr, {{"road_id", OFTInteger64}, {"class", OFTString}, {"name", OFTString}, {"speed_kmh", OFTReal},
                  {"lanes", OFTInteger}, {"oneway", OFTInteger}, {"walk", OFTInteger}, {"drive", OFTInteger},
                  {"osm_id", OFTString}});
  for (std::size_t i = 0; i < roads_.size(); ++i) {
    const Road& r = roads_[i];
    OGRFeature f(lr->GetLayerDefn());
    f.SetField("road_id", static_cast<GIntBig>(i + 1));
    f.SetField("class", r.cls.c_str());
    f.SetField("name", r.name.c_str());
    f.SetField("speed_kmh", r.speed);
    f.SetField("lanes", r.lanes);
    f.SetField("oneway", r.oneway);
    f.SetField("walk", r.walk ? 1 : 0);
    f.SetField("drive", r.drive ? 1 : 0);
    f.SetField("osm_id", r.osm_id.c_str());
    f.SetGeometryDirectly(OGRGeometryFactory::forceToMultiLineString(r.geom->clone()));
    commit(lr, f);
  }
  OGRLayer* lg = ds->CreateLayer("greenways", &utm_, wkbMultiLineString, nullptr);
  add_fields(lg, {{"greenway_id", OFTInteger64}, {"name", OFTString}, {"level", OFTString}, {"length_m", OFTReal},
                  {"rule", OFTString}, {"osm_id", OFTString}});
  double gw_len = 0;
  for (std::size_t i = 0; i < greenways_.size(); ++i) {
    const Greenway& g = greenways_[i];
    std::vector<geo::LineString> parts;
    detail::append_lines(*g.geom, parts);
    double len = 0;
    for (auto& p : parts) len += geo::length(p);
    gw_len += len;
    OGRFeature f(lg->GetLayerDefn());
    f.SetField("greenway_id", static_cast<GIntBig>(i + 1));
    f.SetField("name", g.name.c_str());
    f.SetField("level", g.level.c_str());
    f.SetField("length_m", std::round(len * 10) / 10);
    f.SetField("rule", g.rule.c_str());
    f.SetField("osm_id", g.osm_id.c_str());
    f.SetGeometryDirectly(OGRGeometryFactory::forceToMultiLineString(g.geom->clone()));
    commit(lg, f);
  }
  report_.figures["greenway_km"] = gw_len / 1000;
  OGRLayer* lf = ds->CreateLayer("facilities", &utm_, wkbUnknown, nullptr);
  add_fields(lf, {{"facility_id", OFTInteger64}, {"classes", OFTString}, {"name", OFTString}, {"capacity", OFTReal},
                  {"area_m2", OFTReal}, {"osm_ref", OFTString}, {"level_source", OFTString}});
  for (std::size_t i = 0; i < sites_.size(); ++i) {
    const Site& s = sites_[i];
    OGRFeature f(lf->GetLayerDefn());
    f.SetField("facility_id", static_cast<GIntBig>(i + 1));
    f.SetField("classes", s.classes.c_str());
    f.SetField("name", s.name.c_str());
    f.SetFieldNull(f.GetFieldIndex("capacity"));
    f.SetField("area_m2", std::round(s.area * 100) / 100);
    f.SetField("osm_ref", s.osm_ref.c_str());
    f.SetField("level_source", s.level_source.c_str());
    f.SetGeometry(s.geom.get());
    commit(lf, f);
  }
  OGRLayer* la = ds->CreateLayer("about", nullptr, wkbNone, nullptr);
  add_fields(la, {{"key", OFTString}, {"value", OFTString}});
  auto about = [&](const std::string& k, const std::string& v) {
    OGRFeature f(la->GetLayerDefn());
    f.SetField("key", k.c_str());
    f.SetField("value", v.c_str());
    commit(la, f);
  };
  about("attribution", "© OpenStreetMap contributors. Data available under the Open Database License (ODbL), "
                       "openstreetmap.org/copyright. This derived database is also offered under the ODbL.");
  about("derived_by", "urbantwin prepare-osm " UT_VERSION " (docs/data-derivation.md)");
  about("source_osm", opt_.osm.filename().string());
  if (!opt_.metro.empty()) about("source_metro", opt_.metro.filename().string());
  for (const auto& [k, v] : report_.counts) about("count." + k, std::to_string(v));
  for (const auto& [k, v] : report_.figures) about("figure." + k, fmt::format("{:.6g}", v));
  for (std::size_t i = 0; i < report_.notes.size(); ++i) about(fmt::format("note.{}", i + 1), report_.notes[i]);
  OGRLayer* lb = ds->CreateLayer("buildings", &utm_, wkbMultiPolygon, nullptr);
  add_fields(lb, {{"building_id", OFTInteger64}, {"building", OFTString}, {"levels", OFTReal}, {"osm_ref", OFTString}});
  for (const Building& b : buildings_) {
    OGRFeature f(lb->GetLayerDefn());
    f.SetField("building_id", static_cast<GIntBig>(b.id));
    f.SetField("building", b.value.c_str());
    if (b.levels) f.SetField("levels", *b.levels);
    else f.SetFieldNull(f.GetFieldIndex("levels"));
    f.SetField("osm_ref", b.osm_ref.c_str());
    f.SetGeometry(b.geom.get());
    commit(lb, f);
  }
  OGRLayer* lx = ds->CreateLayer("barriers", &utm_, wkbUnknown, nullptr);
  add_fields(lx, {{"barrier_id", OFTInteger64}, {"kind", OFTString}, {"osm_ref", OFTString}});
  for (std::size_t i = 0; i < barriers_.size(); ++i) {
    const Barrier& b = barriers_[i];
    OGRFeature f(lx->GetLayerDefn());
    f.SetField("barrier_id", static_cast<GIntBig>(i + 1));
    f.SetField("kind", b.kind.c_str());
    f.SetField("osm_ref", b.osm_ref.c_str());
    f.SetGeometry(b.geom.get());
    commit(lx, f);
  }
  if (ds->CommitTransaction() != OGRERR_NONE) throw std::runtime_error("prepare-osm: commit failed");
  ds.reset();
  fs::rename(tmp, staging.temp());
  staging.commit();
}

PrepareReport Preparer::run() {
  check_options(opt_);
  const std::string file = opt_.osm.string();
  // XML: checked by our own scan first (PBF is binary and checked by GDAL's reader).
  std::optional<XmlFacts> xml;
  if (is_osm_xml(opt_.osm)) xml = XmlScan(opt_.osm).run();
  // Negative (unsaved JOSM), huge or unsorted node ids: GDAL's SQLite node index takes them.
  std::optional<CPLConfigOptionSetter> sqlite_index;
  if (xml && !xml->gdal_node_index) sqlite_index.emplace("OSM_USE_CUSTOM_INDEXING", "NO", false);
  auto ds = open_osm(opt_.osm);
  OGRLayer* lines = ds->GetLayerByName("lines");
  if (lines == nullptr || ds->GetLayerByName("points") == nullptr || ds->GetLayerByName("multipolygons") == nullptr)
    throw InputError(Where{file, "", ""}, "must be an OSM file (layers points, lines, multipolygons)", "");
  OGREnvelope box;  // the OSM driver reports the file's <bounds>: the study area
  const Where bounds_where{file, xml ? fmt::format("line {}", xml->bounds_line) : "", xml ? "bounds" : "header bbox"};
  if (xml && xml->bounds_line != 0) check_bounds(xml->bounds, bounds_where);
  OGRErr have_box = OGRERR_NONE;
  {
    ReadErrors errors;
    have_box = lines->GetExtent(&box, FALSE);
    errors.check(opt_.osm);
  }
  if (have_box != OGRERR_NONE || (xml && xml->bounds_line == 0))
    throw InputError(Where{file, "", ""},
                     "OSM file must declare its bounds (<bounds minlat= minlon= maxlat= maxlon=/>)", "none");
  check_bounds(box, bounds_where);
  if (xml && xml->ways_partial > 0)
    report_.notes.push_back(fmt::format(
        "{} way(s) reference nodes absent from the extract: kept with the nodes present", xml->ways_partial));
  if (xml && xml->ways_short > 0)
    report_.notes.push_back(
        fmt::format("{} way(s) have fewer than two distinct nodes in the extract: skipped", xml->ways_short));
  const std::string crs = geo::utm_epsg_for((box.MinX + box.MaxX) / 2, (box.MinY + box.MaxY) / 2);
  report_.crs = crs;
  wgs84_.SetWellKnownGeogCS("WGS84");
  wgs84_.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  utm_.SetFromUserInput(crs.c_str());
  utm_.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  to_utm_.reset(OGRCreateCoordinateTransformation(&wgs84_, &utm_));
  if (!to_utm_)
    throw std::runtime_error(fmt::format("prepare-osm: no transformation to {}: {}", crs, CPLGetLastErrorMsg()));
  OGRPolygon study_ll;
  {
    OGRLinearRing ring;
    const int steps = 20;  // densified so the outline stays exact after projection
    auto lerp = [](double a, double b, int i) { return a + (b - a) * i / steps; };
    for (int i = 0; i < steps; ++i) ring.addPoint(lerp(box.MinX, box.MaxX, i), box.MinY);
    for (int i = 0; i < steps; ++i) ring.addPoint(box.MaxX, lerp(box.MinY, box.MaxY, i));
    for (int i = 0; i < steps; ++i) ring.addPoint(lerp(box.MaxX, box.MinX, i), box.MaxY);
    for (int i = 0; i < steps; ++i) ring.addPoint(box.MinX, lerp(box.MaxY, box.MinY, i));
    ring.closeRings();
    study_ll.addRing(&ring);
  }
  study_ = metric(&study_ll);
  if (!study_ || wkbFlatten(study_->getGeometryType()) != wkbPolygon)
    throw InputError(bounds_where, fmt::format("the box must be projectable to {}", crs), CPLGetLastErrorMsg());
  const double study_km2 = study_->toPolygon()->get_Area() / 1e6;
  if (!(study_km2 <= kMaxStudyAreaKm2))
    throw InputError(bounds_where, fmt::format("the study area must be at most {} km2", kMaxStudyAreaKm2),
                     fmt::format("{:.6g} km2", study_km2));
  context_.reset(study_->Buffer(opt_.context_m, 8));
  if (!context_) throw std::runtime_error("prepare-osm: buffering the study area failed (GEOS)");
  report_.figures["study_area_km2"] = study_km2;

  read_points(*ds);
  read_lines(*ds);
  read_polygons(*ds);
  ds.reset();
  read_buildings_and_barriers();
  sqlite_index.reset();
  if (roads_.empty())
    throw InputError(Where{file, "layer lines", ""},
                     "must contain roads: ways tagged highway=motorway ... track within the study area or its context",
                     "none");
  read_metro();

  // Facility classes from OSM tags; a point inside an area site of the same amenity is the same site.
  std::vector<Site> classified;
  long long high_schools = 0, unknown_level = 0;
  for (auto& s : sites_) {
    const std::string a = s.classes;
    std::string cls;
    if (a == "park" || a == "green_space" || a == "metro") cls = a;
    else if (a == "kindergarten" || (a == "school" && contains_any(s.name, {"幼儿园"}))) cls = "kindergarten";
    else if (a == "school") {
      const bool primary = contains_any(s.name, {"小学"}) || s.level_source == "1";
      const bool middle = contains_any(s.name, {"初中", "初级中学"}) || (contains_any(s.name, {"中学"}) &&
                                                                        !contains_any(s.name, {"高级中学", "高中"})) ||
                          s.level_source == "2";
      const bool high = contains_any(s.name, {"高级中学", "高中", "职业", "中专", "大学", "学院"});
      if (primary || middle) {
        cls = primary && middle ? "primary_school;middle_school" : primary ? "primary_school" : "middle_school";
        s.level_source = s.level_source.empty() ? "name" : "isced:level";
      } else if (high) {
        ++high_schools;
        continue;
      } else {
        cls = "primary_school;middle_school";
        s.level_source = "assumed (level unknown)";
        ++unknown_level;
      }
    } else if (a == "hospital" || a == "clinic" || a == "doctors") cls = "health";
    else if (a == "fire_station") cls = "fire_station";
    else if (a == "social_facility" || a == "nursing_home") cls = "elderly_care";
    if (cls.empty()) continue;
    s.classes = cls;
    classified.push_back(std::move(s));
  }
  std::vector<Site> unique;
  for (auto& s : classified) {
    bool dup = false;
    if (wkbFlatten(s.geom->getGeometryType()) == wkbPoint)
      for (const auto& o : classified)
        if (&o != &s && o.classes == s.classes && wkbFlatten(o.geom->getGeometryType()) != wkbPoint &&
            o.geom->Contains(s.geom.get()))
          dup = true;
    if (!dup) unique.push_back(std::move(s));
  }
  std::stable_sort(unique.begin(), unique.end(), [](const Site& a, const Site& b) {
    return std::tie(a.classes, a.osm_ref) < std::tie(b.classes, b.osm_ref);
  });
  sites_ = std::move(unique);
  report_.counts["schools_skipped_as_high_or_vocational"] = high_schools;
  report_.counts["schools_with_assumed_level"] = unknown_level;
  for (const char* cls : {"kindergarten", "primary_school", "middle_school", "health", "elderly_care", "fire_station",
                          "metro", "park", "green_space"}) {
    long long n = 0;
    for (const auto& s : sites_)
      if (("," + std::string(s.classes) + ",").find(cls) != std::string::npos) ++n;
    report_.counts[std::string("facilities.") + cls] = n;
    if (n == 0) report_.notes.push_back(fmt::format("no OSM features of class {} in this extract", cls));
  }

  make_blocks();
  if (blocks_.empty())
    throw InputError(bounds_where, "the study area must contain land: a block of at least 1000 m2 outside water",
                     "none");
  assign_land_use();
  allocate_residents();
  select_greenways();
  report_.counts["parcels"] = static_cast<long long>(blocks_.size());
  report_.counts["roads"] = static_cast<long long>(roads_.size());
  report_.counts["greenways"] = static_cast<long long>(greenways_.size());
  report_.counts["facilities"] = static_cast<long long>(sites_.size());
  long long default_lu = 0;
  for (const auto& b : blocks_) default_lu += b.source == "default";
  report_.counts["parcels_with_default_land_use"] = default_lu;
  number_buildings_and_barriers();  // not counted in the report: the about table stays as it was
  write();
  return report_;
}

}  // namespace

PrepareReport prepare_osm(const PrepareOptions& options) {
  Preparer p(options);
  return p.run();
}

}  // namespace ut::gis_io
