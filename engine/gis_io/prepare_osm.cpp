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
#include <limits>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>
#include <tuple>

#include "city/road_rules.hpp"
#include "core/error.hpp"
#include "core/staging.hpp"
#include "geo/geometry.hpp"
#include "geo/projection.hpp"
#include "gis_io/ogr_util.hpp"
#include "gis_io/osm_profile.hpp"

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
attributes=name,amenity,healthcare,railway,station,public_transport,isced:level,school,grades,social_facility,social_facility:for
other_tags=no
[lines]
osm_id=yes
attributes=name,highway,waterway,railway,maxspeed,lanes,oneway,junction,foot,bridge,tunnel,natural
other_tags=no
[multipolygons]
osm_id=yes
osm_way_id=yes
attributes=name,type,amenity,landuse,leisure,natural,water,waterway,healthcare,isced:level,school,grades,social_facility,social_facility:for,railway,station,public_transport
other_tags=no
[multilinestrings]
osm_id=yes
attributes=name,type,route
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

std::string field(OGRFeature& f, const char* name) {
  const int i = f.GetFieldIndex(name);
  if (i < 0 || !f.IsFieldSetAndNotNull(i)) return {};
  return f.GetFieldAsString(i);
}

// A point inside g (GEOS PointOnSurface); false when there is none.
bool point_on_surface(const OGRGeometry& g, OGRPoint& out) {
  OGRGeometryH h = OGR_G_PointOnSurface(OGRGeometry::ToHandle(const_cast<OGRGeometry*>(&g)));
  if (h == nullptr) return false;
  GeomPtr p(OGRGeometry::FromHandle(h));
  if (p->IsEmpty() || wkbFlatten(p->getGeometryType()) != wkbPoint) return false;
  out = *p->toPoint();
  return true;
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
  if (o.residents_per_km2 && !(*o.residents_per_km2 > 0 && *o.residents_per_km2 <= kMaxResidentsPerKm2))
    throw InputError(Where{file, "", "option --residents-per-km2"},
                     fmt::format("must be a number greater than 0 and at most {}", kMaxResidentsPerKm2),
                     number(*o.residents_per_km2));
  if (o.residents && !(*o.residents >= 0 && *o.residents <= INT32_MAX && std::floor(*o.residents) == *o.residents))
    throw InputError(Where{file, "", "option --residents"}, "must be a whole number of residents from 0 to 2147483647",
                     number(*o.residents));
  const int evidence = o.residents.has_value() + o.residents_per_km2.has_value() + !o.population_raster.empty();
  if (evidence > 1)
    throw InputError(Where{file, "", "options --residents, --residents-per-km2, --population-raster"},
                     "give at most one source of residents", fmt::format("{} given", evidence));
  if (!o.area.empty() && !o.bbox.empty())
    throw InputError(Where{file, "", "options --area, --bbox"}, "give at most one study area", "both given");
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

// GDAL's name for an OSM key (attribute_name_laundering: ':' becomes '_').
std::string laundered(std::string key) {
  std::replace(key.begin(), key.end(), ':', '_');
  return key;
}

// kOsmConf with extra keys among the attributes of points and multipolygons (fields only: GDAL
// makes the same features).
std::string osm_conf_with(const std::vector<std::string>& keys) {
  std::string conf = kOsmConf;
  for (const char* section : {"[points]", "[multipolygons]"}) {
    const auto end = conf.find('\n', conf.find("attributes=", conf.find(section)));
    std::string add;
    for (const auto& k : keys) add += "," + k;
    conf.insert(end, add);
  }
  return conf;
}

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
  std::map<std::string, std::string> tags;  // the OSM tags classification reads
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


// An Osmosis polygon file (.poly): a name line, then sections (a name line, "lon lat" lines,
// "END"; a name starting with '!' is a hole), then "END". Returns the area in lon/lat.
GeomPtr read_poly(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(Where{path.string(), "", ""}, "must be an existing, readable file", std::strerror(errno));
  const std::string file = path.string();
  std::string text;
  long line_no = 0;
  auto next_line = [&](std::string& out) {
    if (!std::getline(in, out)) return false;
    ++line_no;
    if (line_no > 10'000'000) throw InputError(Where{file, "", ""}, "a .poly file must have at most 10^7 lines", "more");
    while (!out.empty() && (out.back() == '\r' || out.back() == ' ' || out.back() == '\t')) out.pop_back();
    const auto first = out.find_first_not_of(" \t");
    out = first == std::string::npos ? "" : out.substr(first);
    return true;
  };
  auto fail = [&](const std::string& rule, const std::string& value) -> void {
    throw InputError(Where{file, fmt::format("line {}", line_no), ""}, rule, one_line(value));
  };
  if (!next_line(text)) fail("must be an Osmosis .poly file: a name line, then rings", "an empty file");
  OGRMultiPolygon outer, holes;
  for (;;) {
    if (!next_line(text)) fail("must be an Osmosis .poly file ending with END (truncated?)", "end of file");
    if (text.empty()) continue;
    if (text == "END") break;
    const bool hole = text[0] == '!';
    const std::string section = text;
    const long section_line = line_no;
    OGRLinearRing ring;
    for (;;) {
      if (!next_line(text)) fail("must be an Osmosis .poly file: every ring ends with END (truncated?)", "end of file");
      if (text.empty()) continue;
      if (text == "END") break;
      std::istringstream ls(text);
      std::string a, b, rest;
      ls >> a >> b >> rest;
      double lon = 0, lat = 0;
      if (!parse_real(a, lon) || !parse_real(b, lat) || !rest.empty())
        fail("must be an Osmosis .poly file: a ring line holds two numbers, longitude and latitude", text);
      if (!(lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90))
        fail("a .poly point must be a longitude from -180 to 180 and a latitude from -90 to 90", text);
      ring.addPoint(lon, lat);
    }
    ring.closeRings();
    OGRPolygon poly;
    poly.addRing(&ring);
    std::set<std::pair<double, double>> distinct;
    for (int i = 0; i < ring.getNumPoints(); ++i) distinct.insert({ring.getX(i), ring.getY(i)});
    if (distinct.size() < 3 || !(poly.get_Area() > 0))
      throw InputError(Where{file, fmt::format("line {}", section_line), "ring " + one_line(section)},
                       "must be a polygon: a ring of at least 3 distinct points enclosing an area",
                       fmt::format("{} distinct point(s)", distinct.size()));
    GeomPtr valid(poly.IsValid() ? poly.clone() : poly.MakeValid());
    if (!valid) continue;
    geo::MultiPolygon parts;
    detail::append_polygons(*valid, parts);
    OGRMultiPolygon m = detail::from_multipolygon(parts);
    for (auto* part : m) (hole ? holes : outer).addGeometry(part);
  }
  if (outer.IsEmpty())
    throw InputError(Where{file, "", ""}, "must be a polygon: at least one ring that is not a hole ('!')", "none");
  GeomPtr area(outer.UnionCascaded());
  if (area && !holes.IsEmpty()) {
    GeomPtr h(holes.UnionCascaded());
    if (h) area.reset(area->Difference(h.get()));
  }
  if (!area || area->IsEmpty() || !polygon_parts(*area))
    throw InputError(Where{file, "", ""}, "must be a polygon enclosing an area (its holes cover it all)", "empty");
  return polygon_parts(*area);
}

// Any OGR source: the polygons of its first layer, in lon/lat.
GeomPtr read_area_layer(const fs::path& path) {
  auto ds = detail::open_vector(path.string(), "--area");
  OGRLayer* layer = ds->GetLayerCount() > 0 ? ds->GetLayer(0) : nullptr;
  if (layer == nullptr) throw InputError(Where{path.string(), "", ""}, "must have a layer of polygons", "no layer");
  const std::string where_layer = std::string("layer ") + layer->GetName();
  const OGRSpatialReference* srs = layer->GetSpatialRef();
  if (srs == nullptr)
    throw InputError(Where{path.string(), where_layer, ""}, "must have a known CRS (the study area is reprojected)", "none");
  OGRSpatialReference wgs;
  wgs.SetWellKnownGeogCS("WGS84");
  wgs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  OGRSpatialReference src(*srs);
  src.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  std::unique_ptr<OGRCoordinateTransformation> ct(OGRCreateCoordinateTransformation(&src, &wgs));
  if (!ct) throw InputError(Where{path.string(), where_layer, ""}, "must have a CRS transformable to WGS 84", "");
  OGRMultiPolygon all;
  for (auto& f : *layer) {
    const OGRGeometry* g = f->GetGeometryRef();
    const auto type = g ? wkbFlatten(g->getGeometryType()) : wkbNone;
    if (type != wkbPolygon && type != wkbMultiPolygon)
      throw InputError(Where{path.string(), where_layer, fmt::format("feature {}", f->GetFID())},
                       "must be a polygon or multipolygon", g ? OGRGeometryTypeToName(g->getGeometryType()) : "no geometry");
    GeomPtr c(g->clone());
    if (c->transform(ct.get()) != OGRERR_NONE)
      throw InputError(Where{path.string(), where_layer, fmt::format("feature {}", f->GetFID())},
                       "must be transformable to WGS 84", CPLGetLastErrorMsg());
    if (!c->IsValid()) c.reset(c->MakeValid());
    if (!c) continue;
    geo::MultiPolygon parts;
    detail::append_polygons(*c, parts);
    OGRMultiPolygon m = detail::from_multipolygon(parts);
    for (auto* part : m) all.addGeometry(part);
  }
  GeomPtr area(all.IsEmpty() ? nullptr : all.UnionCascaded());
  GeomPtr parts = area ? polygon_parts(*area) : nullptr;
  if (!parts) throw InputError(Where{path.string(), where_layer, ""}, "must hold at least one polygon with an area", "none");
  return parts;
}

// --bbox "W,S,E,N" in degrees.
OGREnvelope parse_bbox(const std::string& text, const std::string& file) {
  std::vector<double> v;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, ',')) {
    double d = 0;
    const auto a = part.find_first_not_of(' '), b = part.find_last_not_of(' ');
    if (a == std::string::npos || !parse_real(part.substr(a, b - a + 1), d))
      throw InputError(Where{file, "", "option --bbox"}, "must be four numbers W,S,E,N (degrees)", one_line(text));
    v.push_back(d);
  }
  if (v.size() != 4)
    throw InputError(Where{file, "", "option --bbox"}, "must be four numbers W,S,E,N (degrees)", one_line(text));
  OGREnvelope e;
  e.MinX = v[0];
  e.MinY = v[1];
  e.MaxX = v[2];
  e.MaxY = v[3];
  check_bounds(e, Where{file, "", "option --bbox"});
  return e;
}

// A box as a lon/lat polygon, densified so that its outline stays exact after projection.
OGRPolygon box_polygon(const OGREnvelope& box) {
  OGRPolygon p;
  OGRLinearRing ring;
  const int steps = 20;
  auto lerp = [](double a, double b, int i) { return a + (b - a) * i / steps; };
  for (int i = 0; i < steps; ++i) ring.addPoint(lerp(box.MinX, box.MaxX, i), box.MinY);
  for (int i = 0; i < steps; ++i) ring.addPoint(box.MaxX, lerp(box.MinY, box.MaxY, i));
  for (int i = 0; i < steps; ++i) ring.addPoint(lerp(box.MaxX, box.MinX, i), box.MaxY);
  for (int i = 0; i < steps; ++i) ring.addPoint(box.MinX, lerp(box.MaxY, box.MinY, i));
  ring.closeRings();
  p.addRing(&ring);
  return p;
}

// The length of the line parts of g.
double line_length(const OGRGeometry& g) {
  std::vector<geo::LineString> parts;
  detail::append_lines(g, parts);
  double len = 0;
  for (const auto& p : parts) len += geo::length(p);
  return len;
}

double polygon_area(const OGRGeometry& g) {
  geo::MultiPolygon mp;
  detail::append_polygons(g, mp);
  return geo::area(mp);
}

struct Block {
  GeomPtr geom;
  geo::Point centroid;
  double area = 0;
  std::string land_use, source;
  double far = 0, floor = 0, res_floor = 0;
  long long residents = 0;
};

// The block containing a point: a uniform grid over the blocks' envelopes (cells about the size
// of a mean block), so that placing many points (buildings, raster cells) costs about one
// polygon test each. Candidates are tried in block order: the first block containing the point.
class BlockLocator {
 public:
  explicit BlockLocator(const std::vector<Block>& blocks) : blocks_(blocks), env_(blocks.size()) {
    for (std::size_t i = 0; i < blocks.size(); ++i) {
      blocks[i].geom->getEnvelope(&env_[i]);
      all_.Merge(env_[i]);
    }
    if (blocks.empty()) return;
    const double w = std::max(all_.MaxX - all_.MinX, 1.0), h = std::max(all_.MaxY - all_.MinY, 1.0);
    const double cell = std::sqrt(w * h / static_cast<double>(blocks.size()));
    nx_ = std::clamp(static_cast<int>(std::ceil(w / cell)), 1, 2048);
    ny_ = std::clamp(static_cast<int>(std::ceil(h / cell)), 1, 2048);
    cw_ = w / nx_;
    ch_ = h / ny_;
    cells_.resize(static_cast<std::size_t>(nx_) * static_cast<std::size_t>(ny_));
    for (std::size_t i = 0; i < blocks.size(); ++i)
      for (int y = cy(env_[i].MinY); y <= cy(env_[i].MaxY); ++y)
        for (int x = cx(env_[i].MinX); x <= cx(env_[i].MaxX); ++x) cells_[index(x, y)].push_back(i);
  }
  std::optional<std::size_t> find(double x, double y) const {
    if (cells_.empty() || x < all_.MinX || x > all_.MaxX || y < all_.MinY || y > all_.MaxY) return std::nullopt;
    OGRPoint pt(x, y);
    for (const std::size_t i : cells_[index(cx(x), cy(y))])
      if (x >= env_[i].MinX && x <= env_[i].MaxX && y >= env_[i].MinY && y <= env_[i].MaxY &&
          blocks_[i].geom->Contains(&pt))
        return i;
    return std::nullopt;
  }

 private:
  const std::vector<Block>& blocks_;
  std::vector<OGREnvelope> env_;
  OGREnvelope all_;
  int nx_ = 0, ny_ = 0;
  double cw_ = 1, ch_ = 1;
  std::vector<std::vector<std::size_t>> cells_;
  int cx(double x) const { return std::clamp(static_cast<int>((x - all_.MinX) / cw_), 0, nx_ - 1); }
  int cy(double y) const { return std::clamp(static_cast<int>((y - all_.MinY) / ch_), 0, ny_ - 1); }
  std::size_t index(int x, int y) const { return static_cast<std::size_t>(y) * static_cast<std::size_t>(nx_) + static_cast<std::size_t>(x); }
};

class Preparer {
 public:
  explicit Preparer(const PrepareOptions& o) : opt_(o) {}

  PrepareReport run();

 private:
  const PrepareOptions& opt_;
  OsmProfile profile_;
  PrepareReport report_;
  std::vector<GeomPtr> coastlines_;         // natural=coastline ways (land on their left), metric
  std::vector<GeomPtr> coast_islands_;      // closed natural=coastline ways GDAL made areas: land
  std::vector<std::pair<std::string, GeomPtr>> routes_;  // route=bicycle|foot|hiking relations
  GeomPtr sea_;                             // the sea within the context, from the coastlines
  OGRSpatialReference wgs84_, utm_;
  std::unique_ptr<OGRCoordinateTransformation> to_utm_;
  GeomPtr study_, context_;
  // The study area and 1 m around it: lines are clipped to it, so that a line crossing the
  // outline crosses it for GEOS too (a line clipped exactly at the outline may end a hair short of
  // it and not be noded); faces outside the study area are then dropped.
  GeomPtr reach_;
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
  void read_routes(GDALDataset& ds);
  void make_sea();
  void classify_sites();
  void make_blocks();
  std::vector<double> building_floor(std::vector<double>& floor);
  std::vector<double> raster_residents();
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
      if (block_classes.count(hw)) block_lines_.push_back(GeomPtr(g->Intersection(reach_.get())));
    } else if (ww == "river" || ww == "canal") {
      block_lines_.push_back(GeomPtr(g->Intersection(reach_.get())));
      bool corridor = false;  // the profile's river corridors: name parts, or "*" for every river and canal
      for (const auto& part : profile_.rivers) corridor = corridor || part == "*" || name.find(part) != std::string::npos;
      if (corridor) rivers_.emplace_back(name, std::move(g));
    } else if (rw == "rail") {
      block_lines_.push_back(GeomPtr(g->Intersection(reach_.get())));
    } else if (field(*f, "natural") == "coastline") {
      coastlines_.push_back(std::move(g));
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
    if (water_area_tags(natural, field(*f, "waterway"), landuse, field(*f, "water"))) {
      water_.push_back(std::move(g));
      continue;
    }
    if (natural == "coastline") {  // a closed coastline way (an island, a rock): land inside
      coast_islands_.push_back(std::move(g));
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
    for (const char* k : {"amenity", "healthcare", "isced_level", "school", "grades", "social_facility",
                          "social_facility_for", "railway", "station", "public_transport"})
      s.tags[k] = field(*f, k);
    for (const auto& [tag, values] : profile_.school_tags) s.tags[tag] = field(*f, laundered(tag).c_str());
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
    const std::string station = field(*f, "station");
    // Stations from the extract's tags, unless a --metro file gives them.
    const bool metro_station = opt_.metro.empty() && (station == "subway" || station == "light_rail") &&
                               (field(*f, "railway") == "station" || field(*f, "public_transport") == "station");
    if (amenity.empty() && field(*f, "healthcare").empty() && !metro_station) continue;
    GeomPtr g = metric(f->GetGeometryRef());
    if (!g || !g->Intersects(context_.get())) continue;
    Site s;
    s.name = field(*f, "name");
    s.osm_ref = "node/" + field(*f, "osm_id");
    s.classes = metro_station ? "metro" : amenity;
    for (const char* k : {"amenity", "healthcare", "isced_level", "school", "grades", "social_facility",
                          "social_facility_for"})
      s.tags[k] = field(*f, k);
    for (const auto& [tag, values] : profile_.school_tags) s.tags[tag] = field(*f, laundered(tag).c_str());
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

void Preparer::read_routes(GDALDataset& ds) {
  if (!profile_.designated_routes) return;
  OGRLayer* layer = ds.GetLayerByName("multilinestrings");
  if (layer == nullptr) return;
  while (OGRFeatureUniquePtr f = next(*layer)) {
    const std::string route = field(*f, "route");
    if (field(*f, "type") != "route" || (route != "bicycle" && route != "foot" && route != "hiking")) continue;
    GeomPtr g = metric(f->GetGeometryRef());
    if (g && g->Intersects(context_.get())) routes_.emplace_back(route, std::move(g));
  }
}

// The sea within the study area: the faces cut out of the study area by the coastline ways, on their
// right (OSM draws coastlines with the land on the left). Each coastline segment votes for the
// face 0.5 m to its right (sea) and the face 0.5 m to its left (land); a face is sea when it has
// more sea votes than land votes. Closed coastline ways (islands) are land.
void Preparer::make_sea() {
  if (coastlines_.empty()) return;
  OGRMultiLineString all;
  std::vector<std::pair<geo::Point, geo::Point>> segments;
  for (auto& c : coastlines_) {
    GeomPtr clipped(c->Intersection(reach_.get()));
    if (!clipped) continue;
    std::vector<geo::LineString> parts;
    detail::append_lines(*clipped, parts);
    for (auto& p : parts) {
      if (p.size() < 2) continue;
      for (std::size_t i = 0; i + 1 < p.size(); ++i) segments.emplace_back(p[i], p[i + 1]);
      OGRLineString ls = detail::from_line(p);
      all.addGeometry(&ls);
    }
  }
  if (segments.empty()) return;
  geo::MultiPolygon ctx;
  detail::append_polygons(*study_, ctx);
  for (const auto& poly : ctx)
    for (const auto& ring : poly.rings) {
      OGRLineString ls = detail::from_line(ring);
      all.addGeometry(&ls);
    }
  OGRPoint p0(segments.front().first.x, segments.front().first.y);
  GeomPtr noded(all.Union(&p0));
  GeomPtr faces(noded ? noded->Polygonize() : nullptr);
  if (!faces) return;
  std::vector<GeomPtr> face;
  std::vector<OGREnvelope> env;
  for (const OGRGeometry* g : *faces->toGeometryCollection()) {
    OGRPoint inside;
    if (!point_on_surface(*g, inside) || !study_->Contains(&inside)) continue;  // a hole of the context
    face.emplace_back(g->clone());
    env.emplace_back();
    face.back()->getEnvelope(&env.back());
  }
  std::vector<long> votes(face.size(), 0);
  auto vote = [&](double x, double y, long v) {
    OGRPoint pt(x, y);
    for (std::size_t i = 0; i < face.size(); ++i)
      if (x >= env[i].MinX && x <= env[i].MaxX && y >= env[i].MinY && y <= env[i].MaxY && face[i]->Contains(&pt)) {
        votes[i] += v;
        return;
      }
  };
  for (const auto& [a, b] : segments) {
    const double dx = b.x - a.x, dy = b.y - a.y, len = std::hypot(dx, dy);
    if (!(len > 2)) continue;
    const double mx = (a.x + b.x) / 2, my = (a.y + b.y) / 2, nx = dy / len * 0.5, ny = -dx / len * 0.5;
    vote(mx + nx, my + ny, +1);  // right: sea
    vote(mx - nx, my - ny, -1);  // left: land
  }
  OGRMultiPolygon sea;
  for (std::size_t i = 0; i < face.size(); ++i)
    if (votes[i] > 0) {
      geo::MultiPolygon parts;
      detail::append_polygons(*face[i], parts);
      OGRMultiPolygon m = detail::from_multipolygon(parts);
      for (auto* part : m) sea.addGeometry(part);
    }
  if (sea.IsEmpty()) return;
  GeomPtr u(sea.UnionCascaded());
  for (auto& island : coast_islands_)
    if (u && u->Intersects(island.get())) u.reset(u->Difference(island.get()));
  sea_ = u ? polygon_parts(*u) : nullptr;
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
  // The study-area outline closes the blocks at its edge (a box: its one ring; an area: every ring).
  const bool one_polygon = wkbFlatten(study_->getGeometryType()) == wkbPolygon;
  geo::MultiPolygon study_parts;
  detail::append_polygons(*study_, study_parts);
  OGRLineString outline(one_polygon ? *study_->toPolygon()->getExteriorRing() : detail::from_line(study_parts[0].rings[0]));
  all.addGeometry(&outline);
  for (std::size_t i = 0; i < study_parts.size(); ++i)
    for (std::size_t r = 0; r < study_parts[i].rings.size(); ++r)
      if (i > 0 || r > 0) {
        OGRLineString ring = detail::from_line(study_parts[i].rings[r]);
        all.addGeometry(&ring);
      }
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
  // Water (river surfaces, ponds) and the sea are not land: cut them out of the blocks.
  OGRMultiPolygon water_mp;
  if (sea_) water_.push_back(GeomPtr(sea_->clone()));
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
    {  // a face beyond the outline (lines reach 1 m past it), or in a hole of the study area, is not in it
      OGRPoint inside;
      if (!point_on_surface(*g, inside) || !study_->Contains(&inside)) continue;
    }
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
    const OsmLandUseRule& rule = profile_.land_use.at(b.land_use);
    b.far = rule.far;
    b.floor = b.area * rule.far;
    b.res_floor = b.floor * rule.residential_share;
  }
}

// Floor area of the buildings whose point on surface lies in each block (footprint x
// building:levels, or the profile's default levels for the building=* type), and the residential
// part of it (the profile's residential types: all; its non-residential types: none; any other
// type: the block's land-use residential share). Returns the residential floor per block.
std::vector<double> Preparer::building_floor(std::vector<double>& floor) {
  floor.assign(blocks_.size(), 0);
  std::vector<double> res(blocks_.size(), 0);
  const BlockLocator locate(blocks_);
  auto in = [](const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  long long untagged = 0, placed = 0;
  for (const Building& b : buildings_) {
    OGRPoint pt;
    if (!point_on_surface(*b.geom, pt)) continue;
    if (const std::optional<std::size_t> found = locate.find(pt.getX(), pt.getY())) {
      const std::size_t i = *found;
      double levels = 0;
      if (b.levels) levels = *b.levels;
      else {
        ++untagged;
        auto it = profile_.default_levels.find(b.value);
        levels = it != profile_.default_levels.end() ? it->second : profile_.default_levels.at("*");
      }
      const double f = polygon_area(*b.geom) * levels;
      const double share = in(profile_.residential_buildings, b.value)       ? 1.0
                           : in(profile_.non_residential_buildings, b.value) ? 0.0
                                                                             : profile_.land_use.at(blocks_[i].land_use).residential_share;
      floor[i] += f;
      res[i] += f * share;
      ++placed;
    }
  }
  report_.method.emplace_back("buildings_in_parcels", fmt::format("{} ({} without building:levels: the profile's "
                                                                   "default levels by building type)", placed, untagged));
  return res;
}

// Residents per block from a population raster: the sum of the cells whose centre lies in the block.
std::vector<double> Preparer::raster_residents() {
  const std::string file = opt_.population_raster.string();
  detail::init_gdal();
  GDALDatasetUniquePtr ds(GDALDataset::Open(file.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, nullptr));
  if (!ds) throw InputError(Where{file, "", "option --population-raster"}, "must be a raster GDAL can read", CPLGetLastErrorMsg());
  if (ds->GetRasterCount() < 1) throw InputError(Where{file, "", "option --population-raster"}, "must have a band", "none");
  const OGRSpatialReference* srs = ds->GetSpatialRef();
  if (srs == nullptr || srs->IsEmpty())
    throw InputError(Where{file, "", "option --population-raster"},
                     "must have a known CRS (residents per cell are placed by their coordinates)", "none");
  double gt[6];
  if (ds->GetGeoTransform(gt) != CE_None)
    throw InputError(Where{file, "", "option --population-raster"}, "must be georeferenced (a geotransform)", "none");
  const int w = ds->GetRasterXSize(), h = ds->GetRasterYSize();
  if (static_cast<double>(w) * h > 25e6)
    throw InputError(Where{file, "", "option --population-raster"}, "must have at most 25 million cells (crop it to the study area)",
                     fmt::format("{} x {}", w, h));
  OGRSpatialReference src(*srs);
  src.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  std::unique_ptr<OGRCoordinateTransformation> ct(OGRCreateCoordinateTransformation(&src, &utm_));
  if (!ct) throw InputError(Where{file, "", "option --population-raster"}, "must have a CRS transformable to the study area's", "");
  GDALRasterBand* band = ds->GetRasterBand(1);
  int has_nodata = 0;
  const double nodata = band->GetNoDataValue(&has_nodata);
  std::vector<double> row(static_cast<std::size_t>(w));
  std::vector<double> out(blocks_.size(), 0);
  const BlockLocator locate(blocks_);
  OGREnvelope all;
  study_->getEnvelope(&all);
  for (int y = 0; y < h; ++y) {
    if (band->RasterIO(GF_Read, 0, y, w, 1, row.data(), w, 1, GDT_Float64, 0, 0) != CE_None)
      throw InputError(Where{file, fmt::format("row {}", y), "option --population-raster"}, "must be readable", CPLGetLastErrorMsg());
    for (int x = 0; x < w; ++x) {
      const double v = row[static_cast<std::size_t>(x)];
      if ((has_nodata && v == nodata) || std::isnan(v) || v == 0) continue;
      if (!(v > 0 && v < 1e9))
        throw InputError(Where{file, fmt::format("row {}, column {}", y, x), "option --population-raster"},
                         "residents per cell must be a number from 0 to 10^9 (or nodata)", number(v));
      double px = gt[0] + (x + 0.5) * gt[1] + (y + 0.5) * gt[2], py = gt[3] + (x + 0.5) * gt[4] + (y + 0.5) * gt[5];
      if (!ct->Transform(1, &px, &py)) continue;
      if (px < all.MinX || px > all.MaxX || py < all.MinY || py > all.MaxY) continue;
      if (const std::optional<std::size_t> i = locate.find(px, py)) out[*i] += v;
    }
  }
  return out;
}

void Preparer::allocate_residents() {
  double land_km2 = 0;
  double res_floor = 0;
  for (const auto& b : blocks_) land_km2 += b.area / 1e6;
  const OsmProfile& pr = profile_;
  // The evidence: the command line first, then the profile's [prepare_osm.residents].
  std::string method, source;
  std::optional<double> total_given, per_km2, m2_per_resident;
  if (opt_.residents) {
    total_given = opt_.residents;
    method = "total";
    source = "option --residents";
  } else if (opt_.residents_per_km2) {
    per_km2 = opt_.residents_per_km2;
    method = "density";
    source = "option --residents-per-km2";
  } else if (!opt_.population_raster.empty()) {
    method = "raster";
    source = "option --population-raster " + opt_.population_raster.filename().string();
  } else if (pr.residents_total) {
    total_given = pr.residents_total;
    method = "total";
  } else if (pr.residents_per_km2) {
    per_km2 = pr.residents_per_km2;
    method = "density";
  } else if (pr.m2_per_resident) {
    m2_per_resident = pr.m2_per_resident;
    method = "buildings";
  }
  if (method.empty())
    throw InputError(Where{pr.file.string(), "", "table prepare_osm.residents"},
                     "residents need evidence (no city's density is a default for another): give --residents N (a "
                     "census total), --residents-per-km2 D, --population-raster FILE, or in the profile "
                     "[prepare_osm.residents] total, per_km2 or m2_per_resident (residents from residential buildings)",
                     "none given");
  if (source.empty()) source = fmt::format("profile {} [prepare_osm.residents]: {}", pr.file.filename().string(), pr.residents_source);
  // Weights: residential floor area (land-use rules, or buildings), or the raster's residents.
  std::vector<double> weight(blocks_.size(), 0);
  const bool by_buildings = pr.spread == "buildings" || method == "buildings";
  if (by_buildings) {
    std::vector<double> floor;
    const std::vector<double> res = building_floor(floor);
    for (std::size_t i = 0; i < blocks_.size(); ++i) {
      blocks_[i].floor = floor[i];
      blocks_[i].far = blocks_[i].area > 0 ? floor[i] / blocks_[i].area : 0;
      blocks_[i].res_floor = res[i];
    }
  }
  for (std::size_t i = 0; i < blocks_.size(); ++i) {
    weight[i] = blocks_[i].res_floor;
    res_floor += blocks_[i].res_floor;
  }
  double wanted = 0;
  if (method == "raster") {
    weight = raster_residents();
    double sum = 0;
    for (double v : weight) sum += v;
    wanted = std::round(sum);
  } else if (method == "total") {
    wanted = *total_given;
  } else if (method == "density") {
    wanted = std::round(land_km2 * *per_km2);
  } else {
    wanted = std::round(res_floor / *m2_per_resident);
  }
  // Bounded: land <= study area <= kMaxStudyAreaKm2 and residents_per_km2 <= kMaxResidentsPerKm2
  // (checked first), so a density total fits the GeoPackage's 32-bit field; the others are checked here.
  if (!(wanted >= 0 && wanted <= INT32_MAX))
    throw InputError(Where{opt_.osm.string(), "", source}, "the residents must be at most 2147483647", number(wanted));
  double weight_sum = 0;
  for (double v : weight) weight_sum += v;
  long long total = static_cast<long long>(wanted);
  if (weight_sum <= 0 && total > 0) {
    report_.notes.push_back(
        fmt::format("no residential floor area in the study area: {} residents not allocated", total));
    total = 0;
  }
  // Largest-remainder allocation: integer residents that sum exactly to the total.
  std::vector<std::pair<double, std::size_t>> rem;
  long long given = 0;
  for (std::size_t i = 0; i < blocks_.size(); ++i) {
    const double share = weight_sum > 0 ? static_cast<double>(total) * weight[i] / weight_sum : 0;
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
  const std::string how =
      method == "total"     ? fmt::format("a total of {} residents", number(*total_given))
      : method == "density" ? fmt::format("{} residents per km2 x {:.6g} km2 of land", number(*per_km2), land_km2)
      : method == "raster"  ? "the sum of the raster's cells whose centre lies in each parcel"
                            : fmt::format("residential floor area of the buildings / {} m2 per resident", number(*m2_per_resident));
  report_.method.emplace_back("residents_method", method + ": " + how);
  report_.method.emplace_back("residents_source", source);
  report_.method.emplace_back(
      "residents_spread",
      method == "raster" ? "by the raster's cells"
      : by_buildings     ? "by residential floor area of the buildings in each parcel (footprint x levels; profile [prepare_osm.buildings])"
                         : "by residential floor area of each parcel (area x FAR x residential share of its land use; profile [prepare_osm.land_use])");
}

void Preparer::select_greenways() {
  // The profile's [prepare_osm.greenways] (paths: footway, pedestrian, cycleway, path, steps,
  // living street):
  // Rule 1: a path whose name contains one of the profile's greenway names (level city).
  // Rule 2: a path within river_buffer_m of the centre line of a river corridor (the profile's
  // named rivers, or every river and canal): the river greenway corridors (city level).
  // Rule 3: a path along a designated route (route=bicycle|foot|hiking relation; within 20 m for
  // at least park_share of its length), level city, when designated_routes.
  // Rule 4: a path running inside a park (at least park_share of its length): community level.
  std::vector<GeomPtr> river_buffers;
  for (auto& [name, g] : rivers_) river_buffers.push_back(GeomPtr(g->Buffer(profile_.river_buffer_m, 4)));
  std::vector<std::pair<std::string, GeomPtr>> route_buffers;
  for (auto& [route, g] : routes_) route_buffers.emplace_back(route, GeomPtr(g->Buffer(20, 4)));
  const std::string river_rule = fmt::format("path within {} m of {}", number(profile_.river_buffer_m), profile_.river_label);
  for (std::size_t i = 0; i < path_lines_.size(); ++i) {
    auto& [name, g] = path_lines_[i];
    std::string level, rule;
    for (const auto& n : profile_.greenway_names)
      if (rule.empty() && name.find(n) != std::string::npos) {
        level = "city";
        rule = "named greenway";
      }
    for (auto& rb : river_buffers) {
      if (!rule.empty()) break;
      if (rb && rb->Contains(g.get())) {
        level = "city";
        rule = river_rule;
      }
    }
    for (auto& [route, rb] : route_buffers) {
      if (!rule.empty()) break;
      if (!rb || !g->Intersects(rb.get())) continue;
      GeomPtr inside(g->Intersection(rb.get()));
      if (inside && line_length(*inside) >= profile_.park_share * line_length(*g)) {
        level = "city";
        rule = "path along a designated " + route + " route";
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
        if (in_len >= profile_.park_share * len) {
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
    // Capacity: the profile's per class (a site of several classes: left empty), else empty.
    const auto cap = profile_.capacity.find(s.classes);
    if (cap != profile_.capacity.end()) f.SetField("capacity", cap->second);
    else f.SetFieldNull(f.GetFieldIndex("capacity"));
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
  for (const auto& [k, v] : report_.method) about(k, v);
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
  // water: the water surfaces (kind water) and the sea, clipped to the context, as in barriers.
  OGRLayer* lw = ds->CreateLayer("water", &utm_, wkbMultiPolygon, nullptr);
  add_fields(lw, {{"water_id", OFTInteger64}, {"kind", OFTString}, {"area_m2", OFTReal}, {"osm_ref", OFTString}});
  long long water_id = 0;
  for (const Barrier& b : barriers_) {
    if (b.kind != "water" && b.kind != "sea") continue;
    OGRFeature f(lw->GetLayerDefn());
    f.SetField("water_id", static_cast<GIntBig>(++water_id));
    f.SetField("kind", b.kind.c_str());
    f.SetField("area_m2", std::round(polygon_area(*b.geom) * 100) / 100);
    f.SetField("osm_ref", b.osm_ref.c_str());
    f.SetGeometryDirectly(OGRGeometryFactory::forceToMultiPolygon(b.geom->clone()));
    commit(lw, f);
  }
  if (ds->CommitTransaction() != OGRERR_NONE) throw std::runtime_error("prepare-osm: commit failed");
  ds.reset();
  fs::rename(tmp, staging.temp());
  staging.commit();
}

namespace {

// School levels from tags: isced:level (0 kindergarten, 1 primary, 2 middle, 3 high, 4+ beyond
// school; lists "1;2" and ranges "1-3"), school=* (primary, middle/lower_secondary,
// secondary = middle and high, upper_secondary/high, kindergarten), grades (with the profile's
// grade ranges per class; K = 0). Returns the classes and the tag used; beyond: a level 4+ only.
std::set<std::string> school_levels_from_tags(const std::map<std::string, std::string>& tags, const OsmProfile& pr,
                                              std::string& source, bool& beyond) {
  std::set<std::string> out;
  beyond = false;
  auto tag = [&](const char* k) {
    auto it = tags.find(k);
    return it == tags.end() ? std::string() : it->second;
  };
  static const char* by_isced[] = {"kindergarten", "primary_school", "middle_school", "high_school"};
  auto ranges = [](const std::string& v, bool grades, auto&& each) {  // "1;2", "1-3", "K-5"
    std::stringstream in(v);
    std::string part;
    while (std::getline(in, part, ';')) {
      std::replace(part.begin(), part.end(), ',', ' ');
      const auto dash = part.find('-');
      auto num = [&](std::string t) -> std::optional<int> {
        t.erase(std::remove(t.begin(), t.end(), ' '), t.end());
        if (grades && (t == "K" || t == "k" || t == "PK")) return 0;
        std::int64_t n = 0;
        if (parse_int(t, n) && n >= 0 && n <= 20) return static_cast<int>(n);
        return std::nullopt;
      };
      const auto a = num(part.substr(0, dash)), b = dash == std::string::npos ? a : num(part.substr(dash + 1));
      if (a && b && *a <= *b)
        for (int k = *a; k <= *b; ++k) each(k);
    }
  };
  const std::string isced = tag("isced_level");
  if (!isced.empty()) {
    bool any = false;
    ranges(isced, false, [&](int k) {
      any = true;
      if (k <= 3) out.insert(by_isced[k]);
      else beyond = true;
    });
    if (any) {
      source = "isced:level";
      if (!out.empty()) beyond = false;
      return out;
    }
  }
  std::stringstream school(tag("school"));
  for (std::string v; std::getline(school, v, ';');) {
    if (v == "kindergarten") out.insert("kindergarten");
    else if (v == "primary") out.insert("primary_school");
    else if (v == "middle" || v == "lower_secondary") out.insert("middle_school");
    else if (v == "secondary") out.insert({"middle_school", "high_school"});
    else if (v == "upper_secondary" || v == "high") out.insert("high_school");
  }
  if (!out.empty()) {
    source = "school";
    return out;
  }
  for (const auto& [key, values] : pr.school_tags) {  // a country's school tag (the profile's)
    std::stringstream in(tag(key.c_str()));
    for (std::string v; std::getline(in, v, ';');) {
      auto it = values.find(v);
      if (it != values.end()) out.insert(it->second.begin(), it->second.end());
    }
    if (!out.empty()) {
      source = key;
      return out;
    }
  }
  const std::string grades = tag("grades");
  if (!grades.empty() && !pr.grades.empty()) {
    ranges(grades, true, [&](int k) {
      for (const auto& [cls, r] : pr.grades)
        if (k >= r.first && k <= r.second) out.insert(cls);
    });
    if (!out.empty()) source = "grades";
  }
  return out;
}

// The classes in the canonical order (osm_facility_classes), joined with ';'.
std::string joined(const std::set<std::string>& classes) {
  std::string out;
  for (const auto& c : osm_facility_classes())
    if (classes.count(c)) out += (out.empty() ? "" : ";") + c;
  return out;
}

}  // namespace

// Facility classes from OSM tags first, the profile's name rules second (docs/data-derivation.md).
void Preparer::classify_sites() {
  std::vector<Site> classified;
  long long skipped = 0, unknown_level = 0;
  std::map<std::string, long long> not_written;
  auto tag = [](const Site& s, const char* k) {
    auto it = s.tags.find(k);
    return it == s.tags.end() ? std::string() : it->second;
  };
  for (auto& s : sites_) {
    const std::string a = s.classes;  // the amenity, or park / green_space / metro
    std::set<std::string> cls;
    std::string level_source;
    bool skip = false;
    // Name rules for this amenity: the union of the classes of every rule that matches; a rule
    // with no classes ("not a facility of ours") counts only when no other rule gives classes.
    auto by_name = [&](bool& skip_rule) {
      std::set<std::string> out;
      skip_rule = false;
      for (const auto& r : profile_.names) {
        if (!r.amenity.empty() && r.amenity != a) continue;
        bool hit = false, veto = false;
        for (const auto& c : r.contains) hit = hit || s.name.find(c) != std::string::npos;
        for (const auto& u : r.unless) veto = veto || s.name.find(u) != std::string::npos;
        if (!hit || veto) continue;
        if (r.classes.empty()) skip_rule = true;
        out.insert(r.classes.begin(), r.classes.end());
      }
      return out;
    };
    const std::string healthcare = tag(s, "healthcare"), sf = tag(s, "social_facility"), sf_for = tag(s, "social_facility_for");
    if (a == "park" || a == "green_space" || a == "metro") {
      cls.insert(a);
    } else if (a == "kindergarten" || a == "childcare") {
      cls.insert("kindergarten");
    } else if (a == "school") {
      bool beyond = false;
      cls = school_levels_from_tags(s.tags, profile_, level_source, beyond);
      if (cls.empty() && beyond) {
        skip = true;
      } else if (cls.empty()) {
        bool skip_rule = false;
        cls = by_name(skip_rule);
        if (!cls.empty()) level_source = "name";
        else if (skip_rule) skip = true;
        else {
          cls.insert(profile_.unknown_level.begin(), profile_.unknown_level.end());
          level_source = "assumed (level unknown)";
          ++unknown_level;
        }
      }
      if (skip) {
        ++skipped;
        continue;
      }
      if (!cls.count("primary_school") && !cls.count("middle_school") && !cls.count("high_school")) level_source.clear();
    } else if (a == "hospital" || a == "clinic" || a == "doctors" || healthcare == "hospital" || healthcare == "clinic" ||
               healthcare == "doctor" || healthcare == "centre") {
      cls.insert("health");  // not pharmacies (amenity=pharmacy, healthcare=pharmacy), dentists, laboratories
    } else if (a == "fire_station") {
      cls.insert("fire_station");
    } else if (a == "nursing_home" ||
               (a == "social_facility" &&
                (((sf == "nursing_home" || sf == "assisted_living") &&
                  (sf_for.empty() || sf_for.find("senior") != std::string::npos)) ||
                 (sf == "day_care" && sf_for.find("senior") != std::string::npos)))) {
      cls.insert("elderly_care");
    } else if (!a.empty()) {
      bool skip_rule = false;
      cls = by_name(skip_rule);  // a city's name rules for other amenities
    }
    // Written: the profile's classes only; the others are counted in the report.
    std::set<std::string> written;
    for (const auto& c : cls) {
      if (std::find(profile_.classes.begin(), profile_.classes.end(), c) != profile_.classes.end()) written.insert(c);
      else ++not_written[c];
    }
    if (written.empty()) continue;
    s.classes = joined(written);
    s.level_source = level_source;
    classified.push_back(std::move(s));
  }
  sites_ = std::move(classified);
  report_.counts["schools_skipped_as_high_or_vocational"] = skipped;
  report_.counts["schools_with_assumed_level"] = unknown_level;
  for (const auto& [c, n] : not_written) {
    report_.method.emplace_back("classified_not_written." + c, std::to_string(n));
    report_.notes.push_back(fmt::format("{} site(s) of class {} classified but not written: {} is not in the profile's "
                                        "[prepare_osm.facilities] classes", n, c, c));
  }
}

PrepareReport Preparer::run() {
  check_options(opt_);
  if (opt_.profile.empty())
    throw InputError(Where{opt_.osm.string(), "", "option --profile"},
                     "prepare-osm needs a city profile with [prepare_osm] tables (land-use ratios, school and name "
                     "rules, greenway corridors): --profile gis-data/<city>/profile.toml, or "
                     "gis-data/generic/profile.toml for a city without one",
                     "none given");
  profile_ = load_osm_profile(opt_.profile);
  // Progress by stage: the share of the wall time spent before each, the mean of the two shared
  // extracts (Chengdu centre 15 s, Monaco 22 s; docs/conventions.md "Command line").
  const auto stage = [&](double done, const char* name) {
    if (opt_.progress) opt_.progress(done, name);
  };
  stage(0, "scanning the extract");
  const std::string file = opt_.osm.string();
  // XML: checked by our own scan first (PBF is binary and checked by GDAL's reader).
  std::optional<XmlFacts> xml;
  if (is_osm_xml(opt_.osm)) xml = XmlScan(opt_.osm).run();
  // Negative (unsaved JOSM), huge or unsorted node ids: GDAL's SQLite node index takes them.
  std::optional<CPLConfigOptionSetter> sqlite_index;
  if (xml && !xml->gdal_node_index) sqlite_index.emplace("OSM_USE_CUSTOM_INDEXING", "NO", false);
  std::vector<std::string> extra_keys;
  for (const auto& [tag, values] : profile_.school_tags) extra_keys.push_back(tag);
  const std::string conf = osm_conf_with(extra_keys);
  auto ds = open_osm(opt_.osm, conf.c_str());
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
  // The study area (lon/lat): --area, --bbox, the extract's own boundary polygon (FILE.poly beside
  // it), or the extract's box.
  GeomPtr study_ll;
  Where study_where = bounds_where;
  std::string study_method;
  fs::path beside = opt_.osm;
  for (const char* ext : {".pbf", ".osm", ".xml"})
    if (beside.extension() == ext) beside.replace_extension();
  beside.replace_extension(".poly");
  if (!opt_.area.empty()) {
    const bool poly = opt_.area.extension() == ".poly";
    study_ll = poly ? read_poly(opt_.area) : read_area_layer(opt_.area);
    study_where = Where{opt_.area.string(), "", "option --area"};
    study_method = fmt::format("--area {} ({})", opt_.area.filename().string(), poly ? "Osmosis .poly" : "OGR polygons");
  } else if (!opt_.bbox.empty()) {
    const OGREnvelope b = parse_bbox(opt_.bbox, file);
    study_ll.reset(box_polygon(b).clone());
    study_where = Where{file, "", "option --bbox"};
    study_method = "--bbox " + opt_.bbox;
  } else if (std::error_code ec; profile_.study_area != "bounds" && fs::is_regular_file(beside, ec)) {
    study_ll = read_poly(beside);
    study_where = Where{beside.string(), "", "the extract's boundary polygon"};
    study_method = fmt::format("the extract's boundary polygon {}", beside.filename().string());
  } else {
    study_ll.reset(box_polygon(box).clone());
    study_method = fmt::format("the extract's box {:.6g},{:.6g},{:.6g},{:.6g}", box.MinX, box.MinY, box.MaxX, box.MaxY);
    if (profile_.study_area != "bounds")
      report_.notes.push_back(
          "the study area is the extract's box (no --area, --bbox nor boundary polygon FILE.poly): a box may hold sea "
          "or land outside the city; give --area to be sure");
  }
  {
    OGREnvelope a;
    study_ll->getEnvelope(&a);
    check_bounds(a, study_where);
    box = a;
  }
  const std::string crs = geo::utm_epsg_for((box.MinX + box.MaxX) / 2, (box.MinY + box.MaxY) / 2);
  report_.crs = crs;
  wgs84_.SetWellKnownGeogCS("WGS84");
  wgs84_.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  utm_.SetFromUserInput(crs.c_str());
  utm_.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  to_utm_.reset(OGRCreateCoordinateTransformation(&wgs84_, &utm_));
  if (!to_utm_)
    throw std::runtime_error(fmt::format("prepare-osm: no transformation to {}: {}", crs, CPLGetLastErrorMsg()));
  {
    GeomPtr m = metric(study_ll.get());
    if (m && wkbFlatten(m->getGeometryType()) == wkbPolygon && m->IsValid()) study_ = std::move(m);  // a box
    else study_ = m ? polygon_parts(*m) : nullptr;
  }
  if (!study_)
    throw InputError(study_where, fmt::format("the study area must be projectable to {}", crs), CPLGetLastErrorMsg());
  const double study_km2 = polygon_area(*study_) / 1e6;
  if (!(study_km2 <= kMaxStudyAreaKm2))
    throw InputError(study_where, fmt::format("the study area must be at most {} km2", kMaxStudyAreaKm2),
                     fmt::format("{:.6g} km2", study_km2));
  context_.reset(study_->Buffer(opt_.context_m, 8));
  reach_.reset(profile_.edge_lines == "clipped" ? study_->clone() : study_->Buffer(1, 8));
  if (!context_) throw std::runtime_error("prepare-osm: buffering the study area failed (GEOS)");
  report_.figures["study_area_km2"] = study_km2;
  report_.method.emplace_back("study_area", study_method);

  stage(0.11, "reading points");
  read_points(*ds);
  stage(0.22, "reading lines");
  read_lines(*ds);
  stage(0.235, "reading polygons");
  read_polygons(*ds);
  stage(0.24, "reading routes");
  read_routes(*ds);
  ds.reset();
  stage(0.40, "reading buildings and barriers");
  read_buildings_and_barriers();
  sqlite_index.reset();
  if (roads_.empty())
    throw InputError(Where{file, "layer lines", ""},
                     "must contain roads: ways tagged highway=motorway ... track within the study area or its context",
                     "none");
  stage(0.40, "reading metro stations");
  read_metro();

  stage(0.40, "classifying sites");
  classify_sites();
  std::vector<Site> unique;
  for (auto& s : sites_) {
    bool dup = false;
    if (wkbFlatten(s.geom->getGeometryType()) == wkbPoint)
      for (const auto& o : sites_)
        if (&o != &s && o.classes == s.classes && wkbFlatten(o.geom->getGeometryType()) != wkbPoint &&
            o.geom->Contains(s.geom.get()))
          dup = true;
    if (!dup) unique.push_back(std::move(s));
  }
  std::stable_sort(unique.begin(), unique.end(), [](const Site& a, const Site& b) {
    return std::tie(a.classes, a.osm_ref) < std::tie(b.classes, b.osm_ref);
  });
  sites_ = std::move(unique);
  // Counted: the classes written (the profile's [prepare_osm.facilities] classes).
  for (const std::string& cls : osm_facility_classes()) {
    if (std::find(profile_.classes.begin(), profile_.classes.end(), cls) == profile_.classes.end()) continue;
    long long n = 0;
    for (const auto& s : sites_)
      if ((";" + s.classes + ";").find(";" + cls + ";") != std::string::npos) ++n;
    report_.counts["facilities." + cls] = n;
    if (n == 0) report_.notes.push_back(fmt::format("no OSM features of class {} in this extract", cls));
  }

  stage(0.42, "making the sea");
  make_sea();
  stage(0.63, "making blocks");
  make_blocks();
  if (blocks_.empty())
    throw InputError(bounds_where, "the study area must contain land: a block of at least 1000 m2 outside water",
                     "none");
  stage(0.66, "assigning land use");
  assign_land_use();
  stage(0.76, "allocating residents");
  allocate_residents();
  stage(0.92, "selecting greenways");
  select_greenways();
  report_.counts["parcels"] = static_cast<long long>(blocks_.size());
  report_.counts["roads"] = static_cast<long long>(roads_.size());
  report_.counts["greenways"] = static_cast<long long>(greenways_.size());
  report_.counts["facilities"] = static_cast<long long>(sites_.size());
  long long default_lu = 0;
  for (const auto& b : blocks_) default_lu += b.source == "default";
  report_.counts["parcels_with_default_land_use"] = default_lu;
  number_buildings_and_barriers();  // not counted in the report: the about table stays as it was
  if (sea_) barriers_.push_back({true, std::numeric_limits<std::int64_t>::max(), "sea",
                                 "natural=coastline (sea side)", GeomPtr(sea_->clone())});
  {
    double water_m2 = 0;
    for (const Barrier& b : barriers_)
      if (b.kind == "water") {
        GeomPtr in(b.geom->Intersection(study_.get()));
        if (in) water_m2 += polygon_area(*in);
      }
    GeomPtr sea_in(sea_ ? sea_->Intersection(study_.get()) : nullptr);
    report_.method.emplace_back("land_area_km2", fmt::format("{:.6g}", report_.figures["land_area_km2"]));
    report_.method.emplace_back("sea_in_study_area_km2", fmt::format("{:.6g}", sea_in ? polygon_area(*sea_in) / 1e6 : 0.0));
    report_.method.emplace_back("water_in_study_area_km2", fmt::format("{:.6g}", water_m2 / 1e6));
    report_.method.emplace_back(
        "profile", fmt::format("{}{}", opt_.profile.filename().string(), profile_.city.empty() ? "" : " (" + profile_.city + ")"));
  }
  stage(0.99, "writing the GeoPackage");
  write();
  return report_;
}

}  // namespace

PrepareReport prepare_osm(const PrepareOptions& options) {
  Preparer p(options);
  return p.run();
}

}  // namespace ut::gis_io
