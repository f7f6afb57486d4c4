#include "gis_io/run_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <string_view>
#include <tuple>

#include "core/error.hpp"
#include "gis_io/ogr_util.hpp"

namespace ut::gis_io {

namespace fs = std::filesystem;
using core::InputError;
using core::Where;

namespace {

// A bad value as a message shows it: quoted, cut to 40 characters.
std::string quoted(std::string_view text) {
  if (text.size() > 40) return fmt::format("\"{}...\"", text.substr(0, 40));
  return fmt::format("\"{}\"", text);
}

std::string shown(const nlohmann::json& v) {
  const std::string s = v.dump();
  return s.size() > 60 ? s.substr(0, 60) + "..." : s;
}

std::optional<double> number(std::string_view text, const Where& w) {
  if (text.empty()) return std::nullopt;
  double v = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(v))
    throw InputError(w, "must be a finite number or empty (no data)", quoted(text));
  return v;
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(Where{file.string(), "", ""}, "must be a readable file", "cannot open");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw InputError(Where{file.string(), "", ""}, "must be a readable file", "read error");
  return text;
}

std::string year_range(const std::vector<int>& years) { return fmt::format("{}-{}", years.front(), years.back()); }

struct Class {
  std::string name;
  bool drive = false;
};

struct Manifest {
  std::vector<int> years;
  std::string scenario;
  std::vector<Class> classes;
  std::optional<std::string> attribution;
  std::optional<std::uint64_t> seed;
};

// manifest.json as `urbantwin run` writes it (output/run_dir.cpp): what the tables are checked
// against.
Manifest read_manifest(const fs::path& path) {
  const std::string file = path.string();
  nlohmann::json m;
  try {
    m = nlohmann::json::parse(read_text(path));
  } catch (const nlohmann::json::exception& e) {
    std::string why = e.what();  // "[json.exception.parse_error.101] parse error at line 3, column 1: ..."
    if (const auto p = why.find("] "); why.rfind("[json.exception", 0) == 0 && p != std::string::npos)
      why = why.substr(p + 2);
    throw InputError(Where{file, "", ""}, "must be the JSON manifest urbantwin run writes", why);
  }
  const auto key = [&](const std::string& k) { return Where{file, "", "key " + k}; };
  if (!m.is_object())
    throw InputError(Where{file, "", ""}, "must be a JSON object (the manifest urbantwin run writes)", m.type_name());
  const auto engine = m.find("engine");
  if (engine == m.end() || *engine != "urbantwin")
    throw InputError(key("engine"), "must be \"urbantwin\": the directory must be a run of urbantwin",
                     engine == m.end() ? "missing" : shown(*engine));
  // Runs write "kind": "run"; comparisons and other outputs of urbantwin name their own kind.
  if (const auto kind = m.find("kind"); kind != m.end() && *kind != "run")
    throw InputError(key("kind"),
                     "must be \"run\": the directory must be a run directory (urbantwin run), not another output",
                     shown(*kind));
  Manifest out;
  const auto scenario = m.find("scenario");
  if (scenario == m.end() || !scenario->is_string())
    throw InputError(key("scenario"), "must be the scenario name (a string)",
                     scenario == m.end() ? "missing" : shown(*scenario));
  out.scenario = scenario->get<std::string>();
  if (const auto a = m.find("attribution"); a != m.end()) {
    if (!a->is_string()) throw InputError(key("attribution"), "must be the credit of the run's input data (a string)", shown(*a));
    out.attribution = a->get<std::string>();
  }
  if (const auto sd = m.find("seed"); sd != m.end()) {
    if (!sd->is_number_unsigned()) throw InputError(key("seed"), "must be the run's seed (a whole number from 0 to 2^64-1)", shown(*sd));
    out.seed = sd->get<std::uint64_t>();
  }
  const auto years = m.find("years");
  if (years == m.end() || !years->is_array() || years->empty())
    throw InputError(key("years"), "must list the simulated years", years == m.end() ? "missing" : shown(*years));
  for (std::size_t i = 0; i < years->size(); ++i) {
    const auto& y = (*years)[i];
    const auto w = key(fmt::format("years[{}]", i));
    if (!y.is_number_integer() || y.get<double>() < std::numeric_limits<int>::min() ||
        y.get<double>() > std::numeric_limits<int>::max())
      throw InputError(w, "must be a whole year", shown(y));
    const int v = y.get<int>();
    if (!out.years.empty() && v <= out.years.back())
      throw InputError(w, fmt::format("years must increase (after {})", out.years.back()), std::to_string(v));
    out.years.push_back(v);
  }
  const auto classes = m.find("classes");
  if (classes == m.end() || !classes->is_array())
    throw InputError(key("classes"), "must list the facility classes of the run",
                     classes == m.end() ? "missing" : shown(*classes));
  for (std::size_t i = 0; i < classes->size(); ++i) {
    const auto& c = (*classes)[i];
    const auto name = c.is_object() ? c.find("name") : c.end();
    if (!c.is_object() || name == c.end() || !name->is_string() || name->get<std::string>().empty())
      throw InputError(key(fmt::format("classes[{}].name", i)), "must be a class name",
                       c.is_object() && name != c.end() ? shown(*name) : "missing");
    const auto network = c.find("network");
    if (network == c.end() || (*network != "walk" && *network != "drive"))
      throw InputError(key(fmt::format("classes[{}].network", i)), "must be \"walk\" or \"drive\"",
                       network == c.end() ? "missing" : shown(*network));
    out.classes.push_back({name->get<std::string>(), *network == "drive"});
  }
  return out;
}

// The comma-separated cells of one line (no quoting: urbantwin's tables hold numbers and names).
void split_cells(std::string_view line, std::vector<std::string_view>& cells) {
  cells.clear();
  for (std::size_t b = 0;;) {
    const std::size_t e = line.find(',', b);
    cells.push_back(line.substr(b, e == std::string_view::npos ? std::string_view::npos : e - b));
    if (e == std::string_view::npos) return;
    b = e + 1;
  }
}
std::vector<std::string_view> split(std::string_view line) {
  std::vector<std::string_view> cells;
  split_cells(line, cells);
  return cells;
}

// indicators.csv as output::indicators_csv writes it: a header starting with `year`, then one row
// per manifest year in order, every row with the header's cells, each empty or a finite number.
void read_indicators(const fs::path& path, const Manifest& man, RunData& r) {
  const std::string file = path.string();
  const std::string text = read_text(path);
  std::vector<std::string_view> lines;
  for (std::size_t b = 0; b < text.size();) {
    const std::size_t e = std::min(text.find('\n', b), text.size());
    std::string_view line(text.data() + b, e - b);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    b = e + 1;
  }
  const auto line_at = [](std::size_t i) { return fmt::format("line {}", i + 1); };
  if (lines.empty())
    throw InputError(Where{file, "line 1", ""}, "must hold a header naming `year` and the indicators", "an empty file");
  if (text.back() != '\n')
    throw InputError(Where{file, line_at(lines.size() - 1), ""},
                     "every row must end with a line break (the last row is cut short)", quoted(lines.back()));
  const auto header = split(lines[0]);
  if (header.size() < 2 || header[0] != "year")
    throw InputError(Where{file, "line 1", ""}, "the header must start with `year` and name at least one indicator",
                     quoted(lines[0]));
  std::set<std::string_view> names{header[0]};
  for (std::size_t i = 1; i < header.size(); ++i) {
    if (header[i].empty())
      throw InputError(Where{file, "line 1", fmt::format("column {}", i + 1)}, "every column must have a name",
                       "empty");
    if (!names.insert(header[i]).second)
      throw InputError(Where{file, "line 1", fmt::format("column {}", i + 1)}, "column names must be unique",
                       quoted(header[i]));
    r.indicators.emplace_back(header[i]);
  }
  // The columns every run writes (sim/indicators.cpp): the population, and the access of every
  // class the manifest lists.
  std::vector<std::string> need{"population"};
  for (const auto& c : man.classes) need.push_back("access_" + c.name + "_pct");
  for (const auto& n : need)
    if (std::find(r.indicators.begin(), r.indicators.end(), n) == r.indicators.end())
      throw InputError(Where{file, "line 1", "column " + n},
                       "the header must name this column (every run has it; classes from manifest.json)", "missing");
  std::size_t row = 0;
  for (std::size_t i = 1; i < lines.size(); ++i, ++row) {
    const auto cells = split(lines[i]);
    if (cells.size() != header.size())
      throw InputError(Where{file, line_at(i), ""},
                       fmt::format("every row must have the header's {} cells", header.size()),
                       fmt::format("{} cells", cells.size()));
    const Where wy{file, line_at(i), "column year"};
    if (row >= man.years.size())
      throw InputError(wy,
                       fmt::format("one row per year of the run (manifest.json years {}): no row after {}",
                                   year_range(man.years), man.years.back()),
                       quoted(cells[0]));
    const auto year = number(cells[0], wy);
    if (!year || *year != man.years[row])
      throw InputError(wy,
                       fmt::format("must be {}: one row per year of the run (manifest.json years {}), in order",
                                   man.years[row], year_range(man.years)),
                       quoted(cells[0]));
    std::vector<std::optional<double>> values;
    for (std::size_t k = 1; k < cells.size(); ++k)
      values.push_back(number(cells[k], Where{file, line_at(i), "column " + r.indicators[k - 1]}));
    r.rows[man.years[row]] = std::move(values);
  }
  if (row < man.years.size())
    throw InputError(Where{file, line_at(lines.size()), fmt::format("year {}", man.years[row])},
                     fmt::format("must have a row: one row per year of the run (manifest.json years {}), in order",
                                 year_range(man.years)),
                     "missing");
}

OGRLayer* layer(GDALDataset& ds, const std::string& file, const char* name) {
  OGRLayer* l = ds.GetLayerByName(name);
  if (l == nullptr)
    throw InputError(Where{file, std::string("layer ") + name, ""}, "a run's outputs.gpkg must have this layer",
                     "missing");
  return l;
}

int field(OGRLayer* l, const std::string& file, const char* name) {
  const int i = l->GetLayerDefn()->GetFieldIndex(name);
  if (i < 0)
    throw InputError(Where{file, std::string("layer ") + l->GetName(), std::string("field ") + name}, "must exist",
                     "missing");
  return i;
}

// The files every reader needs (and `extra`), the manifest (into `man`) and indicators.csv, checked.
RunData read_manifest_and_indicators(const fs::path& dir, const std::vector<fs::path>& extra, Manifest& man) {
  RunData r;
  r.dir = dir;
  if (!fs::is_directory(dir))
    throw InputError(Where{dir.string(), "", ""}, "run directory must exist", "not a directory");
  std::vector<fs::path> need{dir / "indicators.csv"};  // checked in this order: the first missing is named
  need.insert(need.end(), extra.begin(), extra.end());
  need.push_back(dir / "manifest.json");
  for (const auto& f : need)
    if (!fs::is_regular_file(f))
      throw InputError(Where{f.string(), "", ""}, "a run directory must hold this file (written by urbantwin run)",
                       fs::exists(f) ? "not a file" : "missing");
  man = read_manifest(dir / "manifest.json");
  r.scenario = man.scenario;
  r.attribution = man.attribution;
  r.seed = man.seed;
  r.years = man.years;
  read_indicators(dir / "indicators.csv", man, r);
  return r;
}

}  // namespace

RunData read_run(const fs::path& dir) {
  detail::init_gdal();
  const fs::path gpkg = dir / "outputs.gpkg";
  Manifest man;
  RunData r = read_manifest_and_indicators(dir, {gpkg}, man);

  auto ds = detail::open_vector(gpkg.string());
  const std::string file = gpkg.string();
  if (ds->GetDriver() == nullptr || std::string(ds->GetDriver()->GetDescription()) != "GPKG")
    throw InputError(Where{file, "", ""}, "must be a GeoPackage (written by urbantwin run)",
                     ds->GetDriver() ? ds->GetDriver()->GetDescription() : "unknown format");

  // Parcels: unique ids, in layer order.
  OGRLayer* lp = layer(*ds, file, "parcels");
  if (lp->GetSpatialRef() != nullptr) {
    char* wkt = nullptr;
    lp->GetSpatialRef()->exportToWkt(&wkt);
    r.crs_wkt = wkt ? wkt : "";
    CPLFree(wkt);
  }
  const int id_field = field(lp, file, "parcel_id");
  std::map<std::int64_t, std::size_t> index;
  for (auto& f : *lp) {
    const Where w{file, "layer parcels", fmt::format("feature {}", f->GetFID())};
    if (!f->IsFieldSetAndNotNull(id_field)) throw InputError(w, "parcel_id must be set", "empty");
    const std::int64_t id = f->GetFieldAsInteger64(id_field);
    if (!index.emplace(id, r.parcel_id.size()).second)
      throw InputError(w, "parcel_id must be unique", std::to_string(id));
    r.parcel_id.push_back(id);
    geo::MultiPolygon mp;
    if (const OGRGeometry* g = f->GetGeometryRef()) detail::append_polygons(*g, mp);
    r.parcel_shape.push_back(std::move(mp));
  }
  if (r.parcel_id.empty()) throw InputError(Where{file, "layer parcels", ""}, "must hold at least one parcel", "empty");

  // parcel_years: its fields, then its rows.
  OGRLayer* ly = layer(*ds, file, "parcel_years");
  OGRFeatureDefn* def = ly->GetLayerDefn();
  const int pid = field(ly, file, "parcel_id"), yid = field(ly, file, "year");
  std::vector<int> value_fields;
  for (int i = 0; i < def->GetFieldCount(); ++i) {
    const auto t = def->GetFieldDefn(i)->GetType();
    if (i == pid || i == yid || (t != OFTInteger && t != OFTInteger64 && t != OFTReal)) continue;
    value_fields.push_back(i);
    r.parcel_fields.push_back(def->GetFieldDefn(i)->GetNameRef());
  }
  // The fields every run writes (output/run_dir.cpp, parcel_value_fields), classes from the manifest.
  std::vector<std::string> need{"residents", "households", "dwelling_units", "children_6_14"};
  for (const auto& c : man.classes) {
    need.push_back((c.drive ? "time_" : "dist_") + c.name + (c.drive ? "_s" : "_m"));
    need.push_back("served_" + c.name);
    need.push_back("share_" + c.name);
  }
  for (const char* n : {"cov_5min", "cov_10min", "cov_15min"}) need.emplace_back(n);
  for (const auto& n : need)
    if (std::find(r.parcel_fields.begin(), r.parcel_fields.end(), n) == r.parcel_fields.end()) {
      const int i = def->GetFieldIndex(n.c_str());
      // Runs made before home points (docs/access.md) have ok_<class> instead of served_/share_.
      const bool older = i < 0 && n.rfind("served_", 0) == 0 && def->GetFieldIndex(("ok_" + n.substr(7)).c_str()) >= 0;
      throw InputError(Where{file, "layer parcel_years", "field " + n},
                       older ? "must exist: this run was made by an UrbanTwin before home points (it has ok_<class>); run it again"
                       : i < 0 ? "must exist (every run has it; classes from manifest.json)"
                               : "must be numeric",
                       i < 0 ? "missing" : OGRFieldDefn::GetFieldTypeName(def->GetFieldDefn(i)->GetType()));
    }

  struct Row {
    std::size_t year, parcel;
    GIntBig fid;
    std::vector<std::optional<double>> values;
  };
  std::vector<Row> rows;
  for (auto& f : *ly) {
    const Where w{file, "layer parcel_years", fmt::format("feature {}", f->GetFID())};
    if (!f->IsFieldSetAndNotNull(pid)) throw InputError(w, "parcel_id must be set", "empty");
    const std::int64_t id = f->GetFieldAsInteger64(pid);
    const auto it = index.find(id);
    if (it == index.end()) throw InputError(w, "parcel_id must be a parcel of the parcels layer", std::to_string(id));
    if (!f->IsFieldSetAndNotNull(yid)) throw InputError(w, "year must be set", "empty");
    const int year = f->GetFieldAsInteger(yid);
    const auto yi = std::lower_bound(r.years.begin(), r.years.end(), year);  // manifest years increase
    if (yi == r.years.end() || *yi != year)
      throw InputError(w, fmt::format("year must be a year of the run (manifest.json years {})", year_range(r.years)),
                       std::to_string(year));
    Row row{static_cast<std::size_t>(yi - r.years.begin()), it->second, f->GetFID(), {}};
    for (std::size_t k = 0; k < value_fields.size(); ++k) {
      const int i = value_fields[k];
      if (!f->IsFieldSetAndNotNull(i)) {
        row.values.emplace_back();
        continue;
      }
      const double v = f->GetFieldAsDouble(i);
      if (!std::isfinite(v))
        throw InputError(Where{file, "layer parcel_years",
                               fmt::format("parcel_id {}, year {}, field {}", id, year, r.parcel_fields[k])},
                         "must be a finite number or empty (no data)", fmt::format("{}", v));
      row.values.emplace_back(v);
    }
    rows.push_back(std::move(row));
  }
  // Exactly one row per (manifest year, parcel): sorted, every gap or repeat is named.
  std::sort(rows.begin(), rows.end(), [](const Row& x, const Row& y) {
    return std::tie(x.year, x.parcel, x.fid) < std::tie(y.year, y.parcel, y.fid);
  });
  const auto missing = [&](std::size_t year, std::size_t parcel) {
    return InputError(
        Where{file, "layer parcel_years", fmt::format("parcel_id {}, year {}", r.parcel_id[parcel], r.years[year])},
        "every parcel of the parcels layer must have one row per year of the run (manifest.json years)", "missing");
  };
  std::size_t k = 0;
  for (std::size_t y = 0; y < r.years.size(); ++y) {
    std::size_t e = k;
    while (e < rows.size() && rows[e].year == y) ++e;
    if (e == k)
      throw InputError(Where{file, "layer parcel_years", fmt::format("year {}", r.years[y])},
                       fmt::format("every year of the run (manifest.json years {}) must have one row per parcel",
                                   year_range(r.years)),
                       fmt::format("no rows of {} parcels", r.parcel_id.size()));
    auto& values = r.parcel_years[r.years[y]];
    values.resize(r.parcel_id.size());
    std::size_t p = 0;
    for (std::size_t i = k; i < e; ++i) {
      if (i > k && rows[i].parcel == rows[i - 1].parcel)
        throw InputError(Where{file, "layer parcel_years",
                               fmt::format("parcel_id {}, year {}", r.parcel_id[rows[i].parcel], r.years[y])},
                         "must have exactly one row per parcel and year",
                         fmt::format("features {} and {}", rows[i - 1].fid, rows[i].fid));
      if (rows[i].parcel != p) throw missing(y, p);
      values[p++] = std::move(rows[i].values);
    }
    if (p != r.parcel_id.size()) throw missing(y, p);
    k = e;
  }
  return r;
}

RunData read_run_tables(const fs::path& dir) {
  Manifest man;
  RunData r = read_manifest_and_indicators(dir, {}, man);
  const fs::path pcsv = dir / "parcel_years.csv";
  if (!fs::is_regular_file(pcsv)) return r;

  // parcel_years.csv (output::RunWriter): parcel_id, year, fields; years in manifest
  // order, the first year's parcels in the same order every year.
  const std::string file = pcsv.string();
  const std::string text = read_text(pcsv);
  if (text.empty() || text.back() != '\n')
    throw InputError(Where{file, "", ""}, "must end with a line break (the last row is cut short)", text.empty() ? "an empty file" : "");
  std::size_t b = 0, line = 0;
  const auto next_line = [&]() -> std::string_view {
    const std::size_t e = text.find('\n', b);
    std::string_view l(text.data() + b, e - b);
    b = e + 1;
    ++line;
    return l;
  };
  std::vector<std::string_view> cells;
  split_cells(next_line(), cells);
  if (cells.size() < 3 || cells[0] != "parcel_id" || cells[1] != "year")
    throw InputError(Where{file, "line 1", ""}, "the header must start with parcel_id,year and name the fields", "");
  for (std::size_t k = 2; k < cells.size(); ++k) r.parcel_fields.emplace_back(cells[k]);
  const std::size_t width = cells.size();
  std::map<std::int64_t, std::size_t> index;
  std::size_t yi = 0, p = 0;
  while (b < text.size()) {
    split_cells(next_line(), cells);
    const Where w{file, fmt::format("line {}", line), ""};
    if (cells.size() != width) throw InputError(w, fmt::format("every row must have the header's {} cells", width), fmt::format("{} cells", cells.size()));
    const auto id = number(cells[0], w);
    const auto year = number(cells[1], w);
    if (!id || !year) throw InputError(w, "parcel_id and year must be set", "empty");
    if (*year != r.years[yi]) {  // the next year starts after every parcel of this one
      if (yi + 1 < r.years.size() && *year == r.years[yi + 1] && p > 0 && (yi == 0 || p == r.parcel_id.size())) {
        ++yi;
        p = 0;
      } else {
        throw InputError(w, fmt::format("rows must run through the years of the run (manifest.json years {}) in order, every parcel each year",
                                        year_range(r.years)),
                         quoted(cells[1]));
      }
    }
    const auto pid = static_cast<std::int64_t>(*id);
    if (yi == 0) {
      if (!index.emplace(pid, r.parcel_id.size()).second) throw InputError(w, "parcel_id must be unique within a year", std::to_string(pid));
      r.parcel_id.push_back(pid);
    } else if (p >= r.parcel_id.size() || r.parcel_id[p] != pid) {
      throw InputError(w, "every year must list the parcels of the first year, in the same order", std::to_string(pid));
    }
    auto& row = r.parcel_years[r.years[yi]].emplace_back();
    for (std::size_t k = 2; k < width; ++k) row.push_back(number(cells[k], Where{file, fmt::format("line {}", line), "column " + r.parcel_fields[k - 2]}));
    ++p;
  }
  if (r.parcel_years.size() != r.years.size() || p != r.parcel_id.size())
    throw InputError(Where{file, fmt::format("line {}", line), ""},
                     fmt::format("must have one row per parcel and year of the run (manifest.json years {})", year_range(r.years)), "cut short");
  return r;
}

std::optional<std::string> read_run_attribution(const fs::path& dir) {
  const fs::path f = dir / "manifest.json";
  if (!fs::is_regular_file(f))
    throw InputError(Where{f.string(), "", ""}, "a run directory must hold this file (written by urbantwin run)",
                     fs::exists(f) ? "not a file" : "missing");
  return read_manifest(f).attribution;
}

}  // namespace ut::gis_io
