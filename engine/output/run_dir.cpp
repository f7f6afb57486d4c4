#include "output/run_dir.hpp"

#include <fmt/compile.h>
#include <fmt/format.h>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <chrono>
#include <cstring>
#include <exception>
#include <mutex>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <map>
#include <tuple>
#include <set>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/memory.hpp"
#include "core/sha256.hpp"
#include "core/staging.hpp"
#include "core/version.hpp"
#include "output/gpkg.hpp"
#include "output/styles.hpp"
#include "sim/compliance.hpp"
#include "graph/graph.hpp"
#include "gis_io/ogr_util.hpp"

namespace ut::output {

namespace fs = std::filesystem;

namespace {

std::string format_value(double v) { return fmt::format("{:.6f}", v); }

bool is_count(const std::string& name) { return sim::indicator_is_count(name); }

// Per-parcel value fields shared by `parcels` (final year), `parcel_years` and `parcels_by_year`
// (every year) and parcel_years.csv: their names, types, units and meanings, then their values
// (nullopt: no data).
struct ValueField {
  std::string name;
  OGRFieldType type;
  OGRFieldSubType sub = OFSTNone;
  std::string unit, description;
};

// A class's cost field and the search bound, in the field's unit (docs/outputs.md, "Beyond the bound").
std::string cost_field(const scenario::Norm& n) {
  const bool drive = n.network == scenario::Network::drive;
  return (drive ? "time_" : "dist_") + n.name + (drive ? "_s" : "_m");
}
std::string bound_text(const scenario::Norm& n) {
  const bool drive = n.network == scenario::Network::drive;
  return fmt::format("{} {}", sim::Simulation::cost_to_unit(n, sim::Simulation::search_bound(n)), drive ? "s by car" : "m on foot");
}

std::vector<ValueField> parcel_value_fields(const scenario::Scenario& s) {
  std::vector<ValueField> out{{"residents", OFTInteger, OFSTNone, "persons", "residents living on the parcel"},
                              {"households", OFTInteger, OFSTNone, "households", "households living on the parcel (population model)"},
                              {"dwelling_units", OFTInteger, OFSTNone, "dwelling units", "dwelling units of the parcel (population model)"},
                              {"children_6_14", OFTInteger, OFSTNone, "persons", "residents aged 6-14 (population model)"}};
  for (const auto& n : s.norms) {
    const bool drive = n.network == scenario::Network::drive;
    out.push_back({cost_field(n), OFTReal, OFSTNone, drive ? "s" : "m",
                   fmt::format("{} to the nearest {} site, weighted median over the parcel's home points; empty when not measured: "
                               "{}_beyond_bound says why",
                               drive ? "drive time" : "walking distance", n.name, n.name)});
    out.push_back({n.name + "_beyond_bound", OFTInteger, OFSTBoolean, "Boolean",
                   fmt::format("true: {0} sites exist but none within the search bound of {1}; false: a site within it; "
                               "empty: no data (no {0} site in the city)",
                               n.name, bound_text(n))});
    out.push_back({"served_" + n.name, OFTInteger, OFSTNone, "persons",
                   fmt::format("residents whose home point is within the {} norm ({})", n.name,
                               drive ? fmt::format("{} min by car", n.drive_min) : fmt::format("{} m on foot", n.radius_m))});
    out.push_back({"share_" + n.name, OFTReal, OFSTNone, "share 0-1", "served_" + n.name + " / residents (without residents: share of the home points' weight)"});
    if (n.sfca)
      out.push_back({"supply_" + n.name + "_per_1000", OFTReal, OFSTNone, n.capacity_unit + " per 1000 residents",
                     "capacity-aware supply (2SFCA), resident-weighted mean over the parcel's home points"});
  }
  for (int t : {5, 10, 15})
    out.push_back({fmt::format("cov_{}min", t), OFTReal, OFSTNone, "share 0-1",
                   fmt::format("share of residents with every class of the {}-minute life circle within reach (GB 50180-2018)", t)});
  return out;
}

std::vector<detail::FieldDoc> docs(const std::vector<ValueField>& fields) {
  std::vector<detail::FieldDoc> out;
  for (const auto& f : fields) out.push_back({f.name, f.unit, f.description});
  return out;
}

std::int64_t P_id(const city::City& c, std::uint32_t p) { return c.parcels.id[p]; }

// Shares are written to 6 decimals so that outputs do not depend on the last bit of a division.
double share_value(double v) { return std::round(v * 1e6) / 1e6; }

// The values of parcel_value_fields(s) for parcel p in year y, appended to `out`.
void parcel_values(const scenario::Scenario& s, const sim::YearResult& y, std::size_t p, std::vector<std::optional<double>>& out) {
  const auto& pr = y.population;
  out.emplace_back(static_cast<double>(y.residents[p]));
  if (pr.ran) {
    out.emplace_back(static_cast<double>(pr.households_per_parcel[p]));
    out.emplace_back(static_cast<double>(pr.units_per_parcel[p]));
    out.emplace_back(static_cast<double>(pr.children_per_parcel[p]));
  } else {
    for (int k = 0; k < 3; ++k) out.emplace_back();
  }
  const auto& norms = s.norms;
  for (std::size_t k = 0; k < norms.size(); ++k) {
    const auto& pc = y.parcel_coverage[k];
    const std::uint32_t cost = pc.cost[p];
    const bool data = y.sites[k] != 0;
    if (cost == graph::kUnreached || !data) out.emplace_back();
    else out.emplace_back(sim::Simulation::cost_to_unit(norms[k], cost));
    if (!data) out.emplace_back();
    else out.emplace_back(cost == graph::kUnreached ? 1.0 : 0.0);
    if (data) {
      out.emplace_back(static_cast<double>(pc.served[p]));
      out.emplace_back(share_value(pc.share[p]));
    } else {
      out.emplace_back();
      out.emplace_back();
    }
    if (norms[k].sfca) {
      if (data) out.emplace_back(pc.supply[p]);
      else out.emplace_back();
    }
  }
  for (int t = 0; t < 3; ++t) out.emplace_back(share_value(y.tier_share[t][p]));
}

void add_value_fields(const detail::Gpkg& out, OGRLayer* l, const std::vector<ValueField>& fields) {
  for (const auto& f : fields) out.field(l, f.name, f.type, f.sub);
}

void set_year(OGRFeature& f, int i, int year) {
  if (year == city::kAlways || year == city::kForever) f.SetFieldNull(i);
  else f.SetField(i, year);
}

// The rows [0, n) of a bulk feature layer (detail::FeatureTable): blocks of rows encoded on any
// thread by `encode(i, cells, blob)` (row i's cells, the geometry's blob first, appended to
// `blob`; returns the geometry's envelope: min x, min y, max x, max y), inserted in order on the
// calling thread's turn; `done(rows)` after each block. Any thread count gives the same rows.
struct BulkBlock {
  std::size_t r0 = 0, r1 = 0;
  std::vector<detail::FeatureTable::Cell> cells;
  std::vector<std::string> blobs;
  std::vector<std::array<double, 4>> boxes;
};
template <class Encode, class Done>
void bulk_rows(detail::FeatureTable& t, std::size_t n, Encode&& encode, Done&& done) {
  constexpr std::size_t kBlock = 8192;
  const std::size_t w = t.columns();
  std::vector<BulkBlock> ring(4);
  std::size_t next = 0;
  tbb::parallel_pipeline(
      ring.size(),
      tbb::make_filter<void, BulkBlock*>(tbb::filter_mode::serial_in_order,
                                         [&](tbb::flow_control& fc) -> BulkBlock* {
                                           if (next >= n) {
                                             fc.stop();
                                             return nullptr;
                                           }
                                           BulkBlock& b = ring[(next / kBlock) % ring.size()];
                                           b.r0 = next;
                                           b.r1 = std::min(n, next + kBlock);
                                           next = b.r1;
                                           return &b;
                                         }) &
          tbb::make_filter<BulkBlock*, BulkBlock*>(tbb::filter_mode::parallel,
                                                   [&](BulkBlock* b) {
                                                     const std::size_t rows = b->r1 - b->r0;
                                                     b->cells.assign(rows * w, {});
                                                     b->blobs.resize(rows);
                                                     b->boxes.resize(rows);
                                                     for (std::size_t r = 0; r < rows; ++r) {
                                                       std::string& blob = b->blobs[r];
                                                       blob.clear();
                                                       b->boxes[r] = encode(b->r0 + r, b->cells.data() + r * w, blob);
                                                       b->cells[r * w] = detail::FeatureTable::Cell::of_blob(blob.data(), blob.size());
                                                     }
                                                     return b;
                                                   }) &
          tbb::make_filter<BulkBlock*, void>(tbb::filter_mode::serial_in_order, [&](BulkBlock* b) {
            t.add_rows(b->cells.data(), b->r1 - b->r0, b->boxes.data());
            done(b->r1);
          }));
}

std::array<double, 4> envelope(const geo::MultiPolygon& mp) {
  std::array<double, 4> e{std::numeric_limits<double>::max(), std::numeric_limits<double>::max(), std::numeric_limits<double>::lowest(),
                          std::numeric_limits<double>::lowest()};
  for (const auto& poly : mp)
    for (const auto& ring : poly.rings)
      for (const auto& q : ring) e = {std::min(e[0], q.x), std::min(e[1], q.y), std::max(e[2], q.x), std::max(e[3], q.y)};
  return e;
}

// A directed road link identified across years (networks are rebuilt when roads change): the
// road it lies on and its end points, to the millimetre.
using LinkKey = std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t>;
LinkKey link_key(const sim::TrafficResult& t, std::size_t a) {
  auto mm = [](double v) { return static_cast<std::int64_t>(std::llround(v * 1000)); };
  return {t.road_id[a], mm(t.line[a].front().x), mm(t.line[a].front().y), mm(t.line[a].back().x), mm(t.line[a].back().y)};
}

styles::LayerDoc layer_doc(const Credit& credit, const std::string& id, const std::string& title, const std::string& abstract,
                           const std::string& scenario, const std::vector<detail::FieldDoc>& fields) {
  std::string a = abstract + fmt::format(" Scenario {}, written by urbantwin {}.", scenario, UT_VERSION);
  if (!fields.empty()) {
    a += "\n\nFields (unit: meaning):";
    for (const auto& f : fields) a += fmt::format("\n{} ({}): {}", f.name, f.unit, f.description);
  }
  return {id, title, a, credit.text, credit.license, {"urbantwin", scenario}};
}

// Keeps what the writers need of a year once its rows are written (indicators, sites, the
// population's and traffic's totals, phase times: manifest.json, indicators.csv, compliance.csv)
// and frees its per-parcel and per-point arrays.
void drop_arrays(sim::YearResult& y) {
  auto drop = [](auto& v) { std::decay_t<decltype(v)>().swap(v); };
  drop(y.coverage.classes);
  drop(y.parcel_coverage);
  drop(y.point_residents);
  for (int t = 0; t < 3; ++t) {
    drop(y.point_tier_ok[t]);
    drop(y.tier_share[t]);
    drop(y.tier_served[t]);
  }
  drop(y.residents);
  drop(y.land_use);
  drop(y.floor_area_m2);
  auto& t = y.traffic;
  drop(t.edge);
  drop(t.reverse);
  drop(t.road_id);
  drop(t.capacity);
  drop(t.volume);
  drop(t.time_ff_min);
  drop(t.time_min);
  drop(t.length_m);
  drop(t.line);
  drop(t.parcel_zone);
  drop(t.zone_commute_min);
  auto& p = y.population;
  drop(p.households_per_parcel);
  drop(p.units_per_parcel);
  drop(p.occupied_per_parcel);
  drop(p.children_per_parcel);
}

// A block of a year's parcel rows, made on any thread and written in order: parcel_years.csv's
// text (parcel_id, year, the value fields: integers without decimals, reals in the shortest form
// that reads back exactly, empty cell = no data) and the GeoPackage's parcel_years cells (integer
// fields as integers, the rest as reals, as GDAL was given them before).
struct YearBlock {
  std::size_t p0 = 0, p1 = 0;
  fmt::memory_buffer text;
  std::vector<detail::AttributeTable::Cell> cells;
  double seconds = 0;  // making it
};

void year_block(YearBlock& b, bool with_text, bool with_cells, const scenario::Scenario& s, const std::vector<ValueField>& fields,
                const city::City& plan, const sim::YearResult& y) {
  using Cell = detail::AttributeTable::Cell;
  std::vector<std::optional<double>> v;
  b.text.clear();
  b.cells.assign(with_cells ? (b.p1 - b.p0) * (fields.size() + 2) : 0, Cell{});
  Cell* c = b.cells.data();
  auto it = std::back_inserter(b.text);
  for (std::size_t p = b.p0; p < b.p1; ++p) {
    v.clear();
    parcel_values(s, y, p, v);
    if (with_text) {
      fmt::format_to(it, FMT_COMPILE("{},{}"), plan.parcels.id[p], y.year);
      for (std::size_t k = 0; k < fields.size(); ++k) {
        b.text.push_back(',');
        if (!v[k]) continue;
        // Integer fields hold whole numbers (counts, 0/1): printed as integers, as "{:.0f}" did.
        if (fields[k].type == OFTInteger) fmt::format_to(it, FMT_COMPILE("{}"), static_cast<std::int64_t>(*v[k]));
        else fmt::format_to(it, FMT_COMPILE("{}"), *v[k]);
      }
      b.text.push_back('\n');
    }
    if (with_cells) {
      *c++ = Cell::of(static_cast<std::int64_t>(plan.parcels.id[p]));
      *c++ = Cell::of(static_cast<std::int64_t>(y.year));
      for (std::size_t k = 0; k < fields.size(); ++k, ++c)
        if (v[k]) *c = fields[k].type == OFTInteger ? Cell::of(static_cast<std::int64_t>(static_cast<int>(*v[k]))) : Cell::of(*v[k]);
    }
  }
}

std::string rows_text(std::uint64_t done, std::uint64_t total) {
  return fmt::format("{}/{} rows", done, total);
}

}  // namespace

struct RunWriter::Impl {
  core::Staging& staging;
  const scenario::Scenario& s;
  const city::City& plan;
  const Credit credit = run_credit(plan);  // the input data's (docs/conventions.md, "Credits")
  Keep keep;
  WriteProgress progress;
  std::vector<ValueField> fields;
  std::vector<sim::YearResult> years;
  std::vector<std::pair<std::string, double>> seconds;
  std::vector<std::pair<std::string, std::uint64_t>> peak_added;  // KiB the peak RSS rose in each timed() part
  std::optional<core::FileWriter> csv;
  std::unique_ptr<detail::Gpkg> gpkg;
  OGRSpatialReference srs;
  OGRLayer* parcels = nullptr;
  detail::AttributeTable* parcel_years = nullptr;
  detail::AttributeTable* link_years = nullptr;
  // Directed road links of any year, identified across years (networks are rebuilt when roads
  // change): ids in order of first appearance, with that appearance's attributes and geometry.
  struct Link {
    std::int64_t road_id;
    bool reverse;
    double capacity, time_ff_min, length_m;
    geo::LineString line;
  };
  std::map<LinkKey, std::int64_t> link_ids;
  std::vector<Link> links;
  std::vector<std::int64_t> last_link_ids;  // per link of the last year's traffic result: its id

  Impl(core::Staging& st, const scenario::Scenario& sc, const city::City& c, Keep k, WriteProgress pr)
      : staging(st), s(sc), plan(c), keep(k), progress(std::move(pr)), fields(parcel_value_fields(sc)) {}

  mutable std::mutex report_mu;  // the CSV task and this thread both report

  void add_seconds(const std::string& name, double sec) {
    for (auto& [n, v] : seconds)
      if (n == name) {
        v += sec;
        return;
      }
    seconds.emplace_back(name, sec);
  }
  template <class F>
  void timed(const std::string& name, F&& f) {
    const core::PeakRise rise;
    const auto t0 = std::chrono::steady_clock::now();
    f();
    add_seconds(name, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    add_peak(name, rise.kib());
  }
  void add_peak(const std::string& name, std::uint64_t kib) {
    for (auto& [n, v] : peak_added)
      if (n == name) {
        v += kib;
        return;
      }
    peak_added.emplace_back(name, kib);
  }
  void report(const std::string& what, double fraction) const {
    std::lock_guard lock(report_mu);
    if (progress) progress(what, fraction);
  }

  void open();
  void year_rows(const sim::YearResult& y);
  void links_year(const sim::YearResult& y);
  void final_layers(const RunInfo& info);
  void files(const RunInfo& info);
};

void RunWriter::Impl::open() {
  const fs::path tmp = staging.temp();
  if (keep != Keep::indicators) {
    csv.emplace(tmp / "parcel_years.csv");
    std::string header = "parcel_id,year";
    for (const auto& f : fields) header += "," + f.name;
    header += "\n";
    csv->write(header);
  }
  if (keep != Keep::full) return;
  gpkg = std::make_unique<detail::Gpkg>(tmp / "outputs.gpkg");
  srs.SetFromUserInput(plan.crs.c_str());
  srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  // Parcels (their rows, the final year's, come at the end) and parcel_years (rows year by year).
  parcels = gpkg->layer("parcels", &srs, wkbMultiPolygon, true);
  gpkg->field(parcels, "parcel_id", OFTInteger64);
  gpkg->field(parcels, "land_use", OFTString);
  gpkg->field(parcels, "area_m2", OFTReal);
  gpkg->field(parcels, "floor_area_m2", OFTReal);
  add_value_fields(*gpkg, parcels, fields);
  // parcel_years: written in bulk with libsqlite3 (detail::AttributeTable), not feature by feature.
  std::vector<detail::AttributeTable::Column> cols{{"parcel_id", OFTInteger64}, {"year", OFTInteger}};
  for (const auto& f : fields) cols.push_back({f.name, f.type, f.sub});
  parcel_years = &gpkg->attribute_table("parcel_years", std::move(cols));
}

// link_years rows of the year; links seen for the first time get the next ids.
void RunWriter::Impl::links_year(const sim::YearResult& y) {
  last_link_ids.clear();
  const auto& t = y.traffic;
  if (t.volume.empty()) return;
  if (link_years == nullptr) {
    link_years = &gpkg->attribute_table("link_years", {{"link_id", OFTInteger64}, {"year", OFTInteger}, {"volume_veh_h", OFTReal},
                                                       {"voc", OFTReal}, {"time_min", OFTReal}});
    const std::vector<detail::FieldDoc> ld{{"link_id", "id", "the link of the links layer"}, {"year", "year", "simulated year"},
                                           {"volume_veh_h", "vehicles/h", "peak-hour car volume"}, {"voc", "ratio", "volume / capacity"},
                                           {"time_min", "min", "congested travel time"}};
    gpkg->describe(*link_years, layer_doc(credit, "link_years", "Road links by year (table) / 逐年路段数据", "One row per open link and simulated year.", s.name, ld),
                   ld);
  }
  detail::AttributeTable& ly = *link_years;
  for (std::size_t a = 0; a < t.volume.size(); ++a) {
    auto [it, fresh] = link_ids.emplace(link_key(t, a), static_cast<std::int64_t>(links.size()));
    if (fresh) links.push_back({t.road_id[a], t.reverse[a] != 0, t.capacity[a], t.time_ff_min[a], t.length_m[a], t.line[a]});
    last_link_ids.push_back(it->second);
    ly.set(0, it->second);
    ly.set(1, static_cast<std::int64_t>(y.year));
    ly.set(2, t.volume[a]);
    ly.set(3, t.volume[a] / t.capacity[a]);
    ly.set(4, t.time_min[a]);
    ly.end_row();
  }
}

// The year's parcel rows in one pipeline over blocks of parcels: the values are computed and
// formatted on every thread (parallel), parcel_years.csv gets each block's text in order, and
// the GeoPackage's parcel_years its rows in order (SQLite writes on one thread at a time): the
// two files take about the longer of the two serial stages, and the same bytes for any thread
// count. Then link_years.
void RunWriter::Impl::year_rows(const sim::YearResult& y) {
  const std::size_t n = plan.parcels.size();
  const bool text = csv.has_value(), rows = gpkg != nullptr;
  if (n > 0 && (text || rows)) {
    using clock = std::chrono::steady_clock;
    auto since = [](clock::time_point t0) { return std::chrono::duration<double>(clock::now() - t0).count(); };
    constexpr std::size_t kBlock = 4096;
    const std::size_t blocks = (n + kBlock - 1) / kBlock;
    // A ring of blocks, one per token in flight. The last stage takes the blocks in order, so
    // when block k enters, fewer than ring.size() are in flight and block k - ring.size(),
    // whose slot it takes, has left the pipeline.
    std::vector<YearBlock> ring(std::min<std::size_t>(blocks, std::clamp(2 * tbb::this_task_arena::max_concurrency() + 2, 4, 32)));
    std::size_t next = 0;
    double text_s = 0, rows_s = 0;
    auto progress_at = [&](const YearBlock& b, const char* table) {
      if (b.p1 == n || (b.p0 / kBlock) % 4 == 3)
        report(fmt::format("{} {}: {}", table, y.year, rows_text(b.p1, n)), static_cast<double>(b.p1) / static_cast<double>(n));
    };
    const core::PeakRise rise;
    tbb::parallel_pipeline(
        ring.size(),
        tbb::make_filter<void, YearBlock*>(tbb::filter_mode::serial_in_order,
                                           [&](tbb::flow_control& fc) -> YearBlock* {
                                             if (next == blocks) {
                                               fc.stop();
                                               return nullptr;
                                             }
                                             YearBlock& b = ring[next % ring.size()];
                                             b.p0 = next * kBlock;
                                             b.p1 = std::min(n, b.p0 + kBlock);
                                             ++next;
                                             return &b;
                                           }) &
            tbb::make_filter<YearBlock*, YearBlock*>(tbb::filter_mode::parallel,
                                                     [&](YearBlock* b) {
                                                       const auto t0 = clock::now();
                                                       year_block(*b, text, rows, s, fields, plan, y);
                                                       b->seconds = since(t0);
                                                       return b;
                                                     }) &
            tbb::make_filter<YearBlock*, YearBlock*>(tbb::filter_mode::serial_in_order,
                                                     [&](YearBlock* b) {
                                                       if (!text) return b;
                                                       const auto t0 = clock::now();
                                                       csv->write(std::string_view(b->text.data(), b->text.size()));
                                                       text_s += since(t0) + (rows ? 0.0 : b->seconds);
                                                       if (!rows) progress_at(*b, "parcel_years.csv");
                                                       return b;
                                                     }) &
            tbb::make_filter<YearBlock*, void>(tbb::filter_mode::serial_in_order, [&](YearBlock* b) {
              if (!rows) return;
              const auto t0 = clock::now();
              parcel_years->add_rows(b->cells.data(), b->p1 - b->p0);
              rows_s += since(t0);
              progress_at(*b, "parcel_years");
            }));
    // Timings: the CSV's writing (and its blocks' making when it is the only file), the
    // GeoPackage rows' inserting; the blocks' making runs beside both on the other threads.
    if (text) add_seconds("write_parcel_years_csv", text_s);
    if (rows) add_seconds("write_gpkg_years", rows_s);
    // Memory: the pipeline's rise goes to the GeoPackage's rows (the CSV's where it is alone).
    add_peak(rows ? "write_gpkg_years" : "write_parcel_years_csv", rise.kib());
    if (rows && text) add_peak("write_parcel_years_csv", 0);
  }
  if (gpkg) timed("write_gpkg_years", [&] { links_year(y); });
}

// The final year's layers: parcels, the view parcels_by_year, home points; facilities and
// greenways of any year; links with the final year's flows.
void RunWriter::Impl::final_layers(const RunInfo& info) {
  const sim::YearResult& y = years.back();
  detail::Gpkg& out = *gpkg;
  auto field = [&](OGRLayer* l, const std::string& name, OGRFieldType t, OGRFieldSubType sub = OFSTNone) { out.field(l, name, t, sub); };
  const auto& values = fields;
  const int last = y.year;
  const auto& P = plan.parcels;
  const std::size_t n_homes = info.homes ? info.homes->size() : 0;
  // Progress by rows, the commit (spatial indexes, metadata) counted as a quarter of the rows
  // that carry geometry.
  const double total = static_cast<double>(P.size() + n_homes + plan.facilities.size() + plan.greenways.size() + links.size()) +
                       0.25 * static_cast<double>(P.size() + n_homes + links.size()) + 1;
  double done = 0;
  auto step = [&](const std::string& table, std::size_t i, std::size_t n) {
    if ((i + 1) % 16384 == 0 || i + 1 == n) report(fmt::format("{}: {}", table, rows_text(i + 1, n)), (done + static_cast<double>(i + 1)) / total);
    if (i + 1 == n) done += static_cast<double>(n);
  };

  std::vector<detail::FieldDoc> parcel_docs{{"parcel_id", "id", "the parcel's id in the input parcels layer"},
                                            {"land_use", "class", fmt::format("land use in {} (after rezonings)", last)},
                                            {"area_m2", "m2", "parcel area"},
                                            {"floor_area_m2", "m2", fmt::format("floor area in {} (after rezonings)", last)}};
  for (const auto& d : docs(values)) parcel_docs.push_back(d);
  out.describe(parcels,
               layer_doc(credit, "parcels", fmt::format("Parcels {} / 地块 {}", last, last),
                         fmt::format("Parcels at the end of the run, {}: land use and floor area after that year's rezonings, and "
                                     "{}'s residents and access values (every year: parcel_years, parcels_by_year).",
                                     last, last),
                         s.name, parcel_docs),
               parcel_docs);
  out.style(parcels, styles::coverage_share("cov_15min", fmt::format("15分钟生活圈覆盖率 {}", last),
                                            fmt::format("15-minute life circle coverage {}", last)));
  std::array<double, 4> extent{std::numeric_limits<double>::max(), std::numeric_limits<double>::max(), std::numeric_limits<double>::lowest(),
                               std::numeric_limits<double>::lowest()};
  timed("write_gpkg_parcels", [&] {
    detail::FeatureTable& t = out.feature_table(parcels);
    const std::int32_t srs_id = t.srs_id();
    using Cell = detail::FeatureTable::Cell;
    bulk_rows(
        t, P.size(),
        [&](std::size_t p, Cell* c, std::string& blob) {
          thread_local std::vector<std::optional<double>> scratch;
          c[1] = Cell::of(static_cast<std::int64_t>(P.id[p]));
          const std::string& lu = y.land_use.empty() ? P.land_use[p] : y.land_use[p];
          c[2] = Cell::of_text(lu.data(), lu.size());
          c[3] = Cell::of(P.area_m2[p]);
          c[4] = Cell::of(y.floor_area_m2.empty() ? P.floor_area_m2[p] : y.floor_area_m2[p]);
          scratch.clear();
          parcel_values(s, y, p, scratch);
          for (std::size_t k = 0; k < values.size(); ++k) {
            if (!scratch[k]) c[5 + k] = Cell{};
            else if (values[k].type == OFTInteger) c[5 + k] = Cell::of(static_cast<std::int64_t>(static_cast<int>(*scratch[k])));
            else c[5 + k] = Cell::of(*scratch[k]);
          }
          detail::gpkg_multipolygon(blob, srs_id, P.shape[p]);
          return envelope(P.shape[p]);
        },
        [&](std::size_t rows) { step("parcels", rows - 1, P.size()); });
    extent = t.extent();  // the view's: the parcels' (as GDAL's for the layer)
  });

  std::vector<detail::FieldDoc> year_docs{{"parcel_id", "id", "the parcel's id in the parcels layer"}, {"year", "year", "simulated year"}};
  for (const auto& d : docs(values)) year_docs.push_back(d);
  out.describe(*parcel_years,
               layer_doc(credit, "parcel_years", "Parcels by year (table) / 逐年地块数据",
                         "One row per parcel and simulated year: residents and access values (parcels_by_year shows the same rows "
                         "with the parcels' polygons, for QGIS's temporal controller).",
                         s.name, year_docs),
               year_docs);

  // The simulated years as dates, and parcels_by_year: a view joining parcel_years to the
  // parcels' polygons and the years' dates, so QGIS's temporal controller animates the run year
  // by year (the embedded style makes the layer time-enabled) without a second copy of every
  // polygon for every year.
  OGRLayer* ly = out.layer("years", nullptr, wkbNone);
  field(ly, "year", OFTInteger);
  field(ly, "year_start", OFTDateTime);
  field(ly, "year_end", OFTDateTime);
  const std::vector<detail::FieldDoc> years_docs{
      {"year", "year", "simulated year"},
      {"year_start", "date-time", "1 January of `year`, 00:00 (no time zone): when the year starts in QGIS's temporal controller"},
      {"year_end", "date-time", "1 January of `year` + 1, 00:00 (excluded): when it ends"}};
  out.describe(ly, layer_doc(credit, "years", "Simulated years / 模拟年份", "The run's years and their dates (parcels_by_year's time span).", s.name, years_docs),
               years_docs);
  for (const auto& yr : years) {
    OGRFeature f(ly->GetLayerDefn());
    f.SetField(0, yr.year);
    f.SetField(1, yr.year, 1, 1, 0, 0, 0.0F, 0);  // local time, no zone: QGIS compares with its local frames
    f.SetField(2, yr.year + 1, 1, 1, 0, 0, 0.0F, 0);
    out.add(ly, f, "years row");
  }
  {
    std::string select = fmt::format("SELECT py.fid AS OGC_FID, p.\"{0}\" AS \"{0}\", py.parcel_id AS parcel_id, py.year AS year, "
                                     "y.year_start AS year_start, y.year_end AS year_end",
                                     parcels->GetGeometryColumn());
    for (const auto& f : values) select += fmt::format(", py.\"{0}\" AS \"{0}\"", f.name);
    select += " FROM parcel_years py JOIN parcels p ON p.parcel_id = py.parcel_id JOIN years y ON y.year = py.year";
    std::vector<detail::FieldDoc> temporal_docs{{"parcel_id", "id", "the parcel's id in the parcels layer"},
                                                {"year", "year", "simulated year"},
                                                years_docs[1], years_docs[2]};
    for (const auto& d : docs(values)) temporal_docs.push_back(d);
    styles::Style st = styles::coverage_share("cov_15min", "15分钟生活圈覆盖率（逐年）", "15-minute life circle coverage, by year");
    st.temporal_start = "year_start";
    st.temporal_end = "year_end";
    out.spatial_view("parcels_by_year", select, parcels, parcels->GetGeometryColumn(), extent,
                     layer_doc(credit, "parcels_by_year", fmt::format("Parcels by year {}-{} / 逐年地块 {}-{}", years.front().year, last,
                                                              years.front().year, last),
                               "One polygon per parcel and simulated year, time-enabled: QGIS's temporal controller shows one year at a "
                               "time (each feature lasts from year_start, 1 January of its year, to year_end, excluded). Values as "
                               "parcel_years; polygons as parcels (a view of parcel_years, parcels and years).",
                               s.name, temporal_docs),
                     temporal_docs, st, {"CREATE INDEX parcels_parcel_id ON parcels (parcel_id)"});
  }


  // Home points: where the parcels' residents live (docs/access.md), with the final year's
  // residents and costs.
  if (info.homes != nullptr) {
    const auto& h = *info.homes;
    OGRLayer* lh = out.layer("home_points", &srs, wkbPoint, true);
    field(lh, "point_id", OFTInteger64);
    field(lh, "parcel_id", OFTInteger64);
    field(lh, "source", OFTString);
    field(lh, "weight", OFTReal);
    field(lh, "residents", OFTInteger);
    field(lh, "walk_leg_m", OFTReal);
    field(lh, "walk_attach", OFTString);
    std::vector<detail::FieldDoc> hd{{"point_id", "id", "home point id"},
                                     {"parcel_id", "id", "the parcel the point belongs to"},
                                     {"source", "class", "where the point comes from (docs/access.md)"},
                                     {"weight", "share 0-1", "the point's share of its parcel's residents"},
                                     {"residents", "persons", fmt::format("residents at the point in {}", last)},
                                     {"walk_leg_m", "m", "walk from the point to its street"},
                                     {"walk_attach", "class", "street: attached; barrier: the nearest street is behind a barrier; none: no street near"}};
    for (const auto& n : s.norms) {
      const bool drive = n.network == scenario::Network::drive;
      field(lh, cost_field(n), OFTReal);
      field(lh, n.name + "_beyond_bound", OFTInteger, OFSTBoolean);
      hd.push_back({cost_field(n), drive ? "s" : "m", fmt::format("{} to the nearest {} site in {}; empty: {}_beyond_bound says why",
                                                                  drive ? "drive time" : "walking distance", n.name, last, n.name)});
      hd.push_back({n.name + "_beyond_bound", "Boolean",
                    fmt::format("true: {0} sites exist but none within the search bound of {1}; false: a site within it; empty: no {0} "
                                "site in the city",
                                n.name, bound_text(n))});
    }
    for (int t : {5, 10, 15}) {
      field(lh, fmt::format("cov_{}min", t), OFTInteger, OFSTBoolean);
      hd.push_back({fmt::format("cov_{}min", t), "Boolean", fmt::format("every class of the {}-minute life circle within reach", t)});
    }
    out.describe(lh, layer_doc(credit, "home_points", fmt::format("Home points {} / 居住点 {}", last, last),
                               fmt::format("Where the parcels' residents live (docs/access.md), with {}'s residents and costs.", last), s.name, hd),
                 hd);
    out.style(lh, styles::home_points());
    timed("write_gpkg_home_points", [&] {
      detail::FeatureTable& t = out.feature_table(lh);
      const std::int32_t srs_id = t.srs_id();
      using Cell = detail::FeatureTable::Cell;
      auto text = [](const char* v) { return Cell::of_text(v, std::strlen(v)); };
      bulk_rows(
          t, h.size(),
          [&](std::size_t i, Cell* f, std::string& blob) {
            std::size_t c = 1;
            f[c++] = Cell::of(static_cast<std::int64_t>(i + 1));
            f[c++] = Cell::of(static_cast<std::int64_t>(P_id(plan, h.parcel[i])));
            f[c++] = text(homes::source_name(h.source[i]));
            f[c++] = Cell::of(h.weight[i]);
            f[c++] = Cell::of(static_cast<std::int64_t>(static_cast<int>(y.point_residents.empty() ? 0 : y.point_residents[i])));
            const graph::EntryPoint* e = info.home_walk && i < info.home_walk->size() ? &(*info.home_walk)[i] : nullptr;
            if (e && e->edge != graph::kUnreached) {
              f[c++] = Cell::of(std::round(static_cast<double>(e->leg_m) * 10) / 10);
              f[c++] = text("street");
            } else {
              f[c++] = Cell{};
              f[c++] = text(e && e->blocked ? "barrier" : "none");
            }
            for (std::size_t k = 0; k < s.norms.size(); ++k) {
              const auto& cost = y.coverage.classes[k].cost;
              if (y.sites[k] == 0 || cost[i] == graph::kUnreached) f[c++] = Cell{};
              else f[c++] = Cell::of(sim::Simulation::cost_to_unit(s.norms[k], cost[i]));
              if (y.sites[k] == 0) f[c++] = Cell{};
              else f[c++] = Cell::of(std::int64_t{cost[i] == graph::kUnreached ? 1 : 0});
            }
            for (int k = 0; k < 3; ++k) f[c++] = Cell::of(static_cast<std::int64_t>(y.point_tier_ok[k][i]));
            detail::gpkg_point(blob, srs_id, h.xy[i].x, h.xy[i].y);
            return std::array<double, 4>{h.xy[i].x, h.xy[i].y, h.xy[i].x, h.xy[i].y};
          },
          [&](std::size_t rows) { step("home_points", rows - 1, h.size()); });
    });
  }


  OGRLayer* lf = out.layer("facilities", &srs, wkbPoint);
  field(lf, "facility_id", OFTInteger64);
  field(lf, "classes", OFTString);
  field(lf, "name", OFTString);
  field(lf, "capacity", OFTReal);
  field(lf, "area_m2", OFTReal);
  field(lf, "origin", OFTString);
  field(lf, "from_year", OFTInteger);
  field(lf, "until_year", OFTInteger);
  field(lf, "class", OFTString);
  std::vector<std::string> fac_classes;
  for (const auto& fac : plan.facilities)
    if (!fac.classes.empty()) fac_classes.push_back(fac.classes.front());
  std::sort(fac_classes.begin(), fac_classes.end());
  fac_classes.erase(std::unique(fac_classes.begin(), fac_classes.end()), fac_classes.end());
  {
    const std::vector<detail::FieldDoc> fd{{"facility_id", "id", "facility id (input layer, or the scenario's intervention)"},
                                           {"classes", "classes", "the classes the site serves, ';'-separated"},
                                           {"name", "text", "name"},
                                           {"capacity", "seats or residents served", "capacity; empty: the class's default"},
                                           {"area_m2", "m2", "site area (parks)"},
                                           {"origin", "class", "input layer or scenario intervention"},
                                           {"from_year", "year", "first year open; empty: always"},
                                           {"until_year", "year", "last year open; empty: to the end"},
                                           {"class", "class", "the first of `classes`: what the map's colour shows"}};
    out.describe(lf, layer_doc(credit, "facilities", "Facilities / 设施", "Every facility of any year of the run (from_year, until_year).", s.name, fd), fd);
    out.style(lf, styles::facility_classes("class", fac_classes));
  }
  for (const auto& fac : plan.facilities) {
    OGRFeature f(lf->GetLayerDefn());
    f.SetField(0, static_cast<GIntBig>(fac.id));
    f.SetField(1, fmt::format("{}", fmt::join(fac.classes, ";")).c_str());
    f.SetField(2, fac.name.c_str());
    if (fac.capacity >= 0) f.SetField(3, fac.capacity);
    else f.SetFieldNull(3);
    f.SetField(4, fac.area_m2);
    f.SetField(5, fac.origin.c_str());
    set_year(f, 6, fac.from_year);
    set_year(f, 7, fac.until_year);
    if (!fac.classes.empty()) f.SetField(8, fac.classes.front().c_str());
    else f.SetFieldNull(8);
    OGRPoint pt(fac.location.x, fac.location.y);
    f.SetGeometry(&pt);
    out.add(lf, f, "facility feature");
  }

  OGRLayer* lg = out.layer("greenways", &srs, wkbLineString);
  field(lg, "greenway_id", OFTInteger64);
  field(lg, "name", OFTString);
  field(lg, "level", OFTString);
  field(lg, "length_m", OFTReal);
  field(lg, "origin", OFTString);
  field(lg, "from_year", OFTInteger);
  {
    const std::vector<detail::FieldDoc> gd{{"greenway_id", "id", "greenway id"},   {"name", "text", "name"},
                                           {"level", "class", "greenway level"},   {"length_m", "m", "length"},
                                           {"origin", "class", "input layer or scenario intervention"},
                                           {"from_year", "year", "first year open; empty: always"}};
    out.describe(lg, layer_doc(credit, "greenways", "Greenways / 绿道", "Greenways of any year of the run (from_year).", s.name, gd), gd);
    out.style(lg, styles::greenways());
  }
  for (const auto& g : plan.greenways) {
    OGRFeature f(lg->GetLayerDefn());
    f.SetField(0, static_cast<GIntBig>(g.id));
    f.SetField(1, g.name.c_str());
    f.SetField(2, g.level.c_str());
    f.SetField(3, geo::length(g.line));
    f.SetField(4, g.origin.c_str());
    set_year(f, 5, g.from_year);
    OGRLineString ls = gis_io::detail::from_line(g.line);
    f.SetGeometry(&ls);
    out.add(lg, f, "greenway feature");
  }


  // Links: every directed road link of any year, with stable ids (first appearance order);
  // final-year values (empty where the link is closed in the final year); link_years (written
  // year by year) has every year's.
  if (!links.empty()) {
    std::vector<std::int64_t> final_index(links.size(), -1);
    for (std::size_t a = 0; a < last_link_ids.size(); ++a) final_index[static_cast<std::size_t>(last_link_ids[a])] = static_cast<std::int64_t>(a);
    OGRLayer* ll = out.layer("links", &srs, wkbLineString, true);
    for (const char* n : {"link_id", "road_id", "direction"}) field(ll, n, OFTInteger64);
    for (const char* n : {"capacity_veh_h", "volume_veh_h", "voc", "time_ff_min", "time_min", "length_m"}) field(ll, n, OFTReal);
    {
      const std::vector<detail::FieldDoc> ld{{"link_id", "id", "link id, stable over the years (link_years)"},
                                             {"road_id", "id", "the road of the input roads layer"},
                                             {"direction", "1 or -1", "1: along the road's geometry, -1: against it"},
                                             {"capacity_veh_h", "vehicles/h", "capacity"},
                                             {"volume_veh_h", "vehicles/h", fmt::format("peak-hour car volume in {}; empty: closed", last)},
                                             {"voc", "ratio", fmt::format("volume / capacity in {}", last)},
                                             {"time_ff_min", "min", "free-flow travel time"},
                                             {"time_min", "min", fmt::format("congested travel time in {}", last)},
                                             {"length_m", "m", "length"}};
      out.describe(ll, layer_doc(credit, "links", fmt::format("Road links {} / 路段 {}", last, last),
                                 fmt::format("Directed road links of any year; flows of {} (every year: link_years).", last), s.name, ld),
                   ld);
      out.style(ll, styles::volume_capacity("voc"));
    }
    const auto& t = y.traffic;
    timed("write_gpkg_links", [&] {
      detail::FeatureTable& ft = out.feature_table(ll);
      const std::int32_t srs_id = ft.srs_id();
      using Cell = detail::FeatureTable::Cell;
      bulk_rows(
          ft, links.size(),
          [&](std::size_t id, Cell* f, std::string& blob) {
            const Link& src = links[id];
            f[1] = Cell::of(static_cast<std::int64_t>(id));
            f[2] = Cell::of(static_cast<std::int64_t>(src.road_id));
            f[3] = Cell::of(std::int64_t{src.reverse ? -1 : 1});
            f[4] = Cell::of(src.capacity);
            const std::int64_t a = final_index[id];
            if (a >= 0) {
              const auto i = static_cast<std::size_t>(a);
              f[5] = Cell::of(t.volume[i]);
              f[6] = Cell::of(t.volume[i] / t.capacity[i]);
              f[8] = Cell::of(t.time_min[i]);
            }  // else NULL: closed in the final year
            f[7] = Cell::of(src.time_ff_min);
            f[9] = Cell::of(src.length_m);
            detail::gpkg_line_string(blob, srs_id, src.line);
            std::array<double, 4> e{std::numeric_limits<double>::max(), std::numeric_limits<double>::max(),
                                    std::numeric_limits<double>::lowest(), std::numeric_limits<double>::lowest()};
            for (const auto& q : src.line) e = {std::min(e[0], q.x), std::min(e[1], q.y), std::max(e[2], q.x), std::max(e[3], q.y)};
            return e;
          },
          [&](std::size_t rows) { step("links", rows - 1, links.size()); });
    });
  }

  out.about({{"attribution", credit.text}, {"scenario", s.name}, {"engine", "urbantwin " UT_VERSION}});
  report("outputs.gpkg: spatial indexes, metadata, commit", done / total);
  timed("write_gpkg_commit", [&] { out.commit(); });
  report("outputs.gpkg: done", 1.0);
}

void RunWriter::Impl::files(const RunInfo& info) {
  const fs::path tmp = staging.temp();
  const city::City& c = plan;
  timed("write_indicators", [&] {
    core::write_file(tmp / "indicators.csv", indicators_csv(years));
    core::write_file(tmp / "compliance.csv", compliance_csv(s, years));
  });
  if (csv) timed("write_parcel_years_csv", [&] { csv->close(); });
  // The scenario as run: the file with the command line's overrides (paths stay relative to the
  // scenario file named in manifest.json).
  core::write_file(tmp / "scenario.toml", "# The scenario as run: " + fs::absolute(s.file).string() +
                                              (s.overrides.empty() ? "" : " with the command line's overrides") +
                                              "; paths are relative to that file.\n" + s.effective_toml + "\n");
  // The scenario file itself, byte for byte (its SHA-256 in manifest.json equals the input's).
  {
    std::ifstream in(s.file, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof())
      throw core::InputError(core::Where{s.file.string(), "", ""}, "the scenario file must stay readable during the run", "");
    core::write_file(tmp / kScenarioCopy, bytes);
  }
  detail::write_attribution(tmp, credit.text, credit.osm);
  if (gpkg) timed("write_gpkg", [&] { final_layers(info); });

  // manifest.json holds only what the inputs, the scenario and the seed determine, so two runs of
  // one scenario give byte-identical files; what the machine determines (threads, seconds) is in
  // timings.json.
  nlohmann::ordered_json m;
  m["engine"] = "urbantwin";
  m["kind"] = "run";
  m["version"] = UT_VERSION;
  if (const auto commit = build_commit_label()) m["commit"] = *commit;
  else m["commit"] = nullptr;
  m["scenario"] = s.name;
  m["description"] = s.description;
  m["seed"] = s.seed;
  m["crs"] = c.crs;
  auto& yrs = m["years"] = nlohmann::json::array();
  for (const auto& y : years) yrs.push_back(y.year);
  auto& inputs = m["inputs"] = nlohmann::json::array();
  for (const auto& in : input_records(s, core::sha256_file)) {
    nlohmann::ordered_json e{{"role", in.role}, {"path", in.path}};
    if (!in.layer.empty()) e["layer"] = in.layer;
    e["sha256"] = in.sha256;
    inputs.push_back(std::move(e));
  }
  auto& pop = m["population"] = nlohmann::ordered_json::array();
  for (const auto& y : years) {
    if (!y.population.ran) continue;
    const auto& p = y.population;
    pop.push_back({{"year", y.year}, {"persons", p.persons}, {"change", p.change}, {"births", p.births}, {"deaths", p.deaths},
                   {"in_migrants", p.in_migrants}, {"out_migrants", p.out_migrants}, {"control_total", p.control_total},
                   {"households", p.households}, {"households_formed", p.households_formed}, {"movers", p.movers},
                   {"placed", p.placed}, {"lottery_rounds", p.rounds}, {"unplaced_households", p.unplaced_households},
                   {"refused_in_migrant_households", p.refused_households}, {"dwelling_units", p.units}});
  }
  m["network"] = {{"walk_nodes", info.network.walk_nodes},
                  {"walk_edges", info.network.walk_edges},
                  {"drive_nodes", info.network.drive_nodes},
                  {"drive_edges", info.network.drive_edges},
                  {"walk_parts", info.network.walk_parts},
                  {"walk_fragments", info.network.walk_fragments},
                  {"walk_fragment_m", std::round(info.network.walk_fragment_m)},
                  {"drive_parts", info.network.drive_parts},
                  {"drive_fragments", info.network.drive_fragments},
                  {"home_points", info.network.home_points},
                  {"home_points_unattached_walk", info.network.points_unattached_walk},
                  {"home_points_behind_barrier_walk", info.network.points_blocked_walk},
                  {"home_points_unattached_drive", info.network.points_unattached_drive},
                  {"parcels_unattached_walk", info.network.parcels_unattached_walk},
                  {"parcels_unattached_drive", info.network.parcels_unattached_drive}};
  auto& cls = m["classes"] = nlohmann::json::array();
  for (std::size_t k = 0; k < s.norms.size(); ++k) {
    const auto& n = s.norms[k];
    cls.push_back({{"name", n.name},
                   {"sources", n.sources},
                   {"network", n.network == scenario::Network::walk ? "walk" : "drive"},
                   {"tier_min", n.tier},
                   {"radius_m", n.radius_m},
                   {"drive_budget_min", n.drive_min - n.turnout_min},
                   {"default_capacity", n.default_capacity},
                   {"capacity_unit", n.capacity_unit},
                   {"sites", years.back().sites[k]},
                   {"no_data", years.back().sites[k] == 0}});
  }
  // The final year's failing norms (compliance.csv has every year).
  auto& failing = m["failing_norms"] = nlohmann::ordered_json::array();
  for (const auto& r : sim::evaluate_compliance(s.profile.compliance, years.back().year, years.back().indicators))
    if (r.status == sim::ComplianceStatus::fail)
      failing.push_back({{"indicator", r.norm->indicator}, {"op", scenario::op_text(r.norm->op)}, {"target", r.norm->target},
                         {"value", *r.value}, {"norm", r.norm->norm}, {"clause", r.norm->clause}});
  m["notes"] = info.notes;
  m["attribution"] = credit.text;
  auto& ov = m["overrides"] = nlohmann::ordered_json::array();
  for (const auto& o : s.overrides) ov.push_back({{"key", o.key}, {"value", o.value}});
  m["keep"] = keep_name(keep);
  auto& outputs = m["outputs"] = nlohmann::ordered_json{"manifest.json", "indicators.csv", "compliance.csv"};
  if (keep != Keep::indicators) outputs.push_back("parcel_years.csv");
  if (keep == Keep::full) outputs.push_back("outputs.gpkg");
  for (const char* f : {"ATTRIBUTION.txt", "timings.json", "scenario.toml", kScenarioCopy}) outputs.push_back(f);
  m["scenario_copy"] = {{"file", kScenarioCopy}, {"sha256", core::sha256_file(tmp / kScenarioCopy)}};
  if (keep == Keep::full)
    m["layers"] = info.homes ? nlohmann::ordered_json{"parcels", "parcel_years", "years", "parcels_by_year", "home_points", "facilities",
                                                      "greenways", "links", "link_years", "about", "layer_styles"}
                             : nlohmann::ordered_json{"parcels", "parcel_years", "years", "parcels_by_year", "facilities", "greenways",
                                                      "links", "link_years", "about", "layer_styles"};
  core::write_file(tmp / "manifest.json", m.dump(2) + "\n");

  nlohmann::ordered_json t;
  t["threads"] = info.threads;
  auto& ph = t["phase_seconds"] = nlohmann::ordered_json::object();
  for (const auto& [k, v] : info.phase_seconds) ph[k] = std::round(v * 1e4) / 1e4;
  for (const auto& [k, v] : seconds) ph[k] = std::round(v * 1e4) / 1e4;
  // Memory: the process's peak resident set at the end, and how many MiB each phase raised it
  // (summed over the years; "load": the peak before the first phase, libraries and layers).
  // Parts that run beside each other (the year tables' CSV and GeoPackage) share their rises.
  auto mib = [](std::uint64_t kib) { return std::round(static_cast<double>(kib) / 1024 * 10) / 10; };
  t["peak_rss_mib"] = mib(core::peak_rss_kib());
  auto& pm = t["phase_peak_rss_added_mib"] = nlohmann::ordered_json::object();
  for (const auto& [k, v] : info.phase_peak_added_kib) pm[k] = mib(v);
  for (const auto& [k, v] : peak_added) pm[k] = mib(v);
  auto& yph = t["year_phase_seconds"] = nlohmann::ordered_json::object();
  for (const auto& y : years) {
    auto& o = yph[std::to_string(y.year)] = nlohmann::ordered_json::object();
    for (const auto& [k, v] : y.phase_seconds) o[k] = std::round(v * 1e4) / 1e4;
  }
  // Algorithm B's outer iterations per year (summed over the feedback loops): what the warm start
  // saves, next to the traffic seconds it saves.
  auto& yit = t["year_assignment_iterations"] = nlohmann::ordered_json::object();
  for (const auto& y : years)
    if (y.traffic.ran) yit[std::to_string(y.year)] = y.traffic.assignment_iterations;
  core::write_file(tmp / "timings.json", t.dump(2) + "\n");
}


Credit run_credit(const city::City& c) {
  bool osm = c.undeclared_sources > 0 || c.attribution.empty();
  std::vector<std::string> other;
  for (const auto& a : c.attribution) {
    if (a.find("OpenStreetMap") != std::string::npos) osm = true;
    else other.push_back(a);
  }
  return core::make_credit(osm, other);
}

std::string credit_comment(const Credit& c) {
  std::string o;
  if (c.osm) o = "# © OpenStreetMap contributors, ODbL (where the scenario's layers come from OpenStreetMap).\n";
  for (std::string a : c.others) {
    for (char& ch : a)
      if (ch == '\n' || ch == '\r') ch = ' ';  // one comment line each
    o += "# " + a + "\n";
  }
  return o;
}

std::optional<std::string> build_commit_label() {
  const std::string c = core::build_commit();
  if (c.empty()) return std::nullopt;
  return c + (core::build_dirty() ? "-dirty" : "");
}

std::string format_indicator(const std::string& name, double value) { return sim::written_text(name, value); }

bool indicator_is_count(const std::string& name) { return is_count(name); }
bool indicator_is_diagnostic(const std::string& name) { return sim::indicator_is_diagnostic(name); }
std::string format_statistic(const std::string& name, double value) {
  return is_count(name) ? format_value(value) : format_indicator(name, value);  // a mean of counts keeps its decimals
}

std::string show_indicator(const std::string& name, double value) {
  if (is_count(name)) return fmt::format("{:.0f}", value);
  if (value != 0 && std::abs(value) < 0.01) return fmt::format("{:.3g}", value);
  return fmt::format("{:.2f}", value);
}

std::string indicators_csv(const std::vector<sim::YearResult>& years) {
  std::string out;
  if (years.empty()) return out;
  for (std::size_t i = 0; i < years[0].indicators.size(); ++i) out += (i ? "," : "") + years[0].indicators[i].name;
  out += "\n";
  for (const auto& y : years) {
    for (std::size_t i = 0; i < y.indicators.size(); ++i) {
      if (i) out += ",";
      const auto& v = y.indicators[i].value;
      if (!v) continue;
      out += format_indicator(y.indicators[i].name, *v);
    }
    out += "\n";
  }
  return out;
}

namespace {
std::string csv_cell(const std::string& v) {
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}
std::string number(double v) { return fmt::format("{}", v); }
}  // namespace

std::string compliance_csv(const scenario::Scenario& s, const std::vector<sim::YearResult>& years) {
  std::string out = "year,indicator,norm,clause,op,target,value,status\n";
  for (const auto& y : years)
    for (const auto& r : sim::evaluate_compliance(s.profile.compliance, y.year, y.indicators)) {
      const auto& n = *r.norm;
      out += fmt::format("{},{},{},{},{},{},{},{}\n", y.year, n.indicator, csv_cell(n.norm), csv_cell(n.clause),
                         scenario::op_text(n.op), number(n.target), r.value ? format_indicator(n.indicator, *r.value) : "",
                         sim::status_name(r.status));
    }
  return out;
}

std::vector<InputRecord> input_records(const scenario::Scenario& s,
                                       const std::function<std::string(const fs::path&)>& sha256) {
  std::vector<InputRecord> in;
  in.push_back({"scenario", fs::absolute(s.file).string(), "", sha256(s.file)});
  if (!s.profile.file.empty()) in.push_back({"profile", fs::absolute(s.profile.file).string(), "", sha256(s.profile.file)});
  if (!s.profile.norms_file.empty())
    in.push_back({"norms", fs::absolute(s.profile.norms_file).string(), "", sha256(s.profile.norms_file)});
  for (const auto* l : {&s.parcels, &s.roads, &s.greenways, &s.facilities, &s.buildings, &s.barriers})
    if (!l->source.empty()) in.push_back({l->role, fs::absolute(l->source).string(), l->layer, sha256(l->source)});
  if (!s.homes.raster.empty()) in.push_back({"homes.raster", fs::absolute(s.homes.raster).string(), "", sha256(s.homes.raster)});
  for (const auto& g : s.add_greenways)
    if (!g.source.empty()) in.push_back({g.key, fs::absolute(g.source).string(), g.layer, sha256(g.source)});
  return in;
}

std::vector<fs::path> scenario_inputs(const scenario::Scenario& s) {
  std::vector<fs::path> in{s.file};
  if (!s.profile.file.empty()) in.push_back(s.profile.file);
  if (!s.profile.norms_file.empty()) in.push_back(s.profile.norms_file);
  for (const auto* l : {&s.parcels, &s.roads, &s.greenways, &s.facilities, &s.buildings, &s.barriers})
    if (!l->source.empty()) in.push_back(l->source);
  for (const auto& g : s.add_greenways)
    if (!g.source.empty()) in.push_back(g.source);
  if (!s.homes.raster.empty()) in.push_back(s.homes.raster);
  return in;
}

core::Staging::Spec run_output_spec(const fs::path& dir, const scenario::Scenario& s, bool overwrite) {
  return core::Staging::Spec{dir, core::Staging::Kind::directory, "run", overwrite, scenario_inputs(s), "--out"};
}


RunWriter::RunWriter(core::Staging& staging, const scenario::Scenario& s, const city::City& plan, Keep keep, WriteProgress progress)
    : impl_(std::make_unique<Impl>(staging, s, plan, keep, std::move(progress))) {
  try {
    impl_->open();
  } catch (const core::OutputError& e) {
    throw core::OutputError(staging.final_names(e.what()));
  }
}

RunWriter::~RunWriter() = default;

void RunWriter::add_year(sim::YearResult y) {
  auto& m = *impl_;
  if (!m.years.empty()) drop_arrays(m.years.back());
  m.years.push_back(std::move(y));
  try {
    m.year_rows(m.years.back());
  } catch (const core::OutputError& e) {
    throw core::OutputError(m.staging.final_names(e.what()));
  }
}

const std::vector<sim::YearResult>& RunWriter::years() const { return impl_->years; }
const std::vector<std::pair<std::string, double>>& RunWriter::seconds() const { return impl_->seconds; }

void RunWriter::finish(const RunInfo& info) {
  auto& m = *impl_;
  if (m.years.empty()) throw std::logic_error("RunWriter::finish: no simulated year");
  m.staging.write_and_commit([&](const fs::path&) { m.files(info); });
}

}  // namespace ut::output
