// The run directory written year by year (output::RunWriter): two parcels, two years of hand-made
// results. parcel_years.csv holds exactly the hand-computed rows; an earlier year's arrays are
// dropped once the next year arrives; outputs.gpkg's parcels_by_year (a view of parcel_years,
// parcels and years) gives each parcel-year row with its parcel's polygon and the year's dates.
// parcel_years itself (written with libsqlite3) reads in GDAL as a layer with its feature count.
#include <gdal_priv.h>
#include <ogrsf_frmts.h>
#include <unistd.h>
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "core/staging.hpp"
#include "graph/graph.hpp"
#include "output/gpkg.hpp"
#include "output/run_dir.hpp"
#include "scenario/scenario.hpp"

using namespace ut;
namespace fs = std::filesystem;

namespace {

geo::MultiPolygon square(double x0, double y0, double side) {
  geo::LineString r{{x0, y0}, {x0 + side, y0}, {x0 + side, y0 + side}, {x0, y0 + side}, {x0, y0}};
  return {geo::Polygon{{r}}};
}

sim::YearResult year(int y, std::vector<std::uint32_t> residents, std::vector<std::uint32_t> served, std::vector<double> share,
                     std::vector<std::uint32_t> cost, std::vector<double> supply, std::array<std::vector<double>, 3> tiers) {
  sim::YearResult r;
  r.year = y;
  r.indicators = {{"year", static_cast<double>(y)}, {"population", 40.0}};
  r.residents = std::move(residents);
  r.sites = {3};
  r.parcel_coverage.push_back({std::move(served), std::move(share), std::move(cost), std::move(supply)});
  for (int t = 0; t < 3; ++t) {
    r.tier_share[t] = tiers[t];
    r.tier_served[t].assign(r.residents.size(), 0);
  }
  return r;
}

}  // namespace

TEST_CASE("run writer: parcel rows written year by year, earlier arrays dropped, parcels_by_year a view", "[output]") {
  scenario::Scenario s;
  s.name = "writer-test";
  s.file = std::string(UT_SOURCE_DIR) + "/scenarios/chengdu-center/baseline.toml";
  s.profile = scenario::load_profile(std::string(UT_SOURCE_DIR) + "/gis-data/chengdu-center/profile.toml");
  s.norms = scenario::default_norms(s.profile);
  std::erase_if(s.norms, [](const scenario::Norm& n) { return n.name != "kindergarten"; });  // walk, 300 m, 2SFCA
  REQUIRE(s.norms.size() == 1);
  s.population.enabled = false;
  s.traffic.enabled = false;
  city::City c;
  c.crs = "EPSG:32648";
  for (auto [id, x, side] : {std::tuple{7, 400000.0, 100.0}, std::tuple{9, 400200.0, 50.0}}) {
    c.parcels.id.push_back(id);
    c.parcels.land_use.push_back("residential");
    c.parcels.area_m2.push_back(side * side);
    c.parcels.floor_area_m2.push_back(2 * side * side);
    c.parcels.residents.push_back(10);
    c.parcels.centroid.push_back({x + side / 2, 3300000 + side / 2});
    c.parcels.shape.push_back(square(x, 3300000, side));
  }
  const fs::path dir = fs::temp_directory_path() / ("ut_run_writer_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  {
    core::Staging staging(output::run_output_spec(dir, s, false));
    std::vector<std::string> steps;
    output::RunWriter w(staging, s, c, output::Keep::full, [&](const std::string& what, double) { steps.push_back(what); });
    // Costs in decimetres (walk): 1234 = 123.4 m; parcel 9 in 2024 beyond the search bound.
    w.add_year(year(2024, {40, 0}, {10, 0}, {0.25, 0.5}, {1234, graph::kUnreached}, {2.5, 0}, {{{0.1, 0}, {0.2, 0}, {0.3, 0}}}));
    w.add_year(year(2025, {41, 3}, {41, 3}, {1, 1}, {2999, 100}, {1.0 / 3.0, 7}, {{{0.5, 1}, {0.75, 1}, {1, 1}}}));
    REQUIRE(w.years().size() == 2);
    CHECK(w.years()[0].residents.empty());  // dropped when 2025 arrived
    CHECK(w.years()[0].parcel_coverage.empty());
    CHECK(w.years()[0].indicators.size() == 2);  // kept for indicators.csv
    CHECK(w.years()[1].residents == std::vector<std::uint32_t>{41, 3});
    CHECK(std::find(steps.begin(), steps.end(), "parcel_years 2025: 2/2 rows") != steps.end());
    output::RunInfo info;
    w.finish(info);
  }
  std::ifstream in(dir / "parcel_years.csv");
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str() ==
        "parcel_id,year,residents,households,dwelling_units,children_6_14,dist_kindergarten_m,kindergarten_beyond_bound,"
        "served_kindergarten,share_kindergarten,supply_kindergarten_per_1000,cov_5min,cov_10min,cov_15min\n"
        "7,2024,40,,,,123.4,0,10,0.25,2.5,0.1,0.2,0.3\n"
        "9,2024,0,,,,,1,0,0.5,0,0,0,0\n"
        "7,2025,41,,,,299.9,0,41,1,0.3333333333333333,0.5,0.75,1\n"
        "9,2025,3,,,,10,0,3,1,7,1,1,1\n");

  GDALAllRegister();
  std::unique_ptr<GDALDataset> ds(GDALDataset::Open((dir / "outputs.gpkg").c_str(), GDAL_OF_VECTOR));
  REQUIRE(ds);
  OGRLayer* v = ds->GetLayerByName("parcels_by_year");
  REQUIRE(v != nullptr);
  CHECK(v->GetGeomType() == wkbMultiPolygon);
  const OGRFeatureDefn* d = v->GetLayerDefn();
  REQUIRE(d->GetFieldIndex("year_start") >= 0);
  CHECK(d->GetFieldDefn(d->GetFieldIndex("year_start"))->GetType() == OFTDateTime);
  CHECK(d->GetFieldDefn(d->GetFieldIndex("kindergarten_beyond_bound"))->GetSubType() == OFSTBoolean);
  std::map<std::pair<std::int64_t, int>, std::unique_ptr<OGRFeature>> rows;
  for (auto& f : *v) rows[{f->GetFieldAsInteger64("parcel_id"), f->GetFieldAsInteger("year")}].reset(f.release());
  REQUIRE(rows.size() == 4);
  const OGRFeature& a = *rows.at({9, 2024});
  CHECK(a.IsFieldNull(a.GetFieldIndex("dist_kindergarten_m")));
  CHECK(a.GetFieldAsInteger("kindergarten_beyond_bound") == 1);
  const OGRFeature& b = *rows.at({9, 2025});
  CHECK(b.GetFieldAsDouble("dist_kindergarten_m") == 10.0);
  CHECK(b.GetFieldAsInteger("residents") == 3);
  CHECK(std::string(b.GetFieldAsString("year_start")) == "2025/01/01 00:00:00");
  CHECK(std::string(b.GetFieldAsString("year_end")) == "2026/01/01 00:00:00");
  CHECK(b.GetGeometryRef()->toMultiPolygon()->get_Area() == Approx(2500.0));
  CHECK(rows.at({7, 2024})->GetGeometryRef()->toMultiPolygon()->get_Area() == Approx(10000.0));
  // The parcels layer: the final year's values.
  OGRLayer* p = ds->GetLayerByName("parcels");
  REQUIRE(p != nullptr);
  CHECK(p->GetFeatureCount() == 2);
  // parcel_years, written with libsqlite3 (detail::AttributeTable): a layer without geometry
  // as GDAL writes one, its feature count in gpkg_ogr_contents, rows in order with fid 1..4.
  OGRLayer* py = ds->GetLayerByName("parcel_years");
  REQUIRE(py != nullptr);
  CHECK(py->GetGeomType() == wkbNone);
  CHECK(py->GetFeatureCount(FALSE) == 4);  // the stored count, not a count of the rows
  CHECK(std::string(py->GetMetadataItem("IDENTIFIER")) == "Parcels by year (table) / 逐年地块数据");
  const OGRFeatureDefn* pd = py->GetLayerDefn();
  CHECK(pd->GetFieldCount() == 14);
  CHECK(pd->GetFieldDefn(pd->GetFieldIndex("parcel_id"))->GetType() == OFTInteger64);
  CHECK(pd->GetFieldDefn(pd->GetFieldIndex("year"))->GetType() == OFTInteger);
  CHECK(pd->GetFieldDefn(pd->GetFieldIndex("residents"))->GetType() == OFTInteger);
  CHECK(pd->GetFieldDefn(pd->GetFieldIndex("kindergarten_beyond_bound"))->GetSubType() == OFSTBoolean);
  CHECK(pd->GetFieldDefn(pd->GetFieldIndex("share_kindergarten"))->GetType() == OFTReal);
  {
    std::unique_ptr<OGRFeature> r(py->GetFeature(3));  // the third row: parcel 7 in 2025
    REQUIRE(r);
    CHECK(r->GetFieldAsInteger64("parcel_id") == 7);
    CHECK(r->GetFieldAsInteger("year") == 2025);
    CHECK(r->GetFieldAsDouble("dist_kindergarten_m") == 299.9);
    CHECK(r->GetFieldAsDouble("supply_kindergarten_per_1000") == 1.0 / 3.0);
    CHECK(r->IsFieldNull(r->GetFieldIndex("households")));
  }
  ds.reset();
  // GDAL's feature-count triggers are there: a row added by another tool is counted.
  {
    std::unique_ptr<GDALDataset> up(GDALDataset::Open((dir / "outputs.gpkg").c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE));
    REQUIRE(up);
    if (OGRLayer* r = up->ExecuteSQL("INSERT INTO parcel_years (parcel_id, year) VALUES (11, 2026)", nullptr, nullptr)) up->ReleaseResultSet(r);
  }
  ds.reset(GDALDataset::Open((dir / "outputs.gpkg").c_str(), GDAL_OF_VECTOR));
  REQUIRE(ds);
  CHECK(ds->GetLayerByName("parcel_years")->GetFeatureCount(FALSE) == 5);
  ds.reset();
  fs::remove_all(dir);
}

// GeoPackage geometry blobs as GDAL 3.6 writes them: the hex of the blobs GDAL wrote for these
// geometries (a layer per type, EPSG:32648 as srs_id 32648, OGR's CreateFeature).
TEST_CASE("gpkg blobs: GDAL's bytes for a point, a line string, a multipolygon with a hole, empty geometries", "[output]") {
  auto hex = [](const std::string& b) {
    std::string out;
    for (unsigned char c : b) out += fmt::format("{:02X}", c);
    return out;
  };
  std::string b;
  output::detail::gpkg_point(b, 32648, 1, 2);
  CHECK(hex(b) == "47500001887F00000101000000000000000000F03F0000000000000040");
  b.clear();
  output::detail::gpkg_line_string(b, 32648, {{1, 2}, {3, 4}});
  CHECK(hex(b) ==
        "47500003887F0000000000000000F03F000000000000084000000000000000400000000000001040010200000002000000000000000000F03F00000000000000"
        "4000000000000008400000000000001040");
  b.clear();
  output::detail::gpkg_line_string(b, 32648, {});
  CHECK(hex(b) == "47500011887F0000010200000000000000");
  b.clear();
  const geo::MultiPolygon mp{geo::Polygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}},
                             geo::Polygon{{{{5, 5}, {6, 5}, {6, 7}, {5, 5}}, {{5.1, 5.1}, {5.2, 5.1}, {5.2, 5.2}, {5.1, 5.1}}}}};
  output::detail::gpkg_multipolygon(b, 32648, mp);
  CHECK(hex(b) ==
        "47500003887F00000000000000000000000000000000184000000000000000000000000000001C4001060000000200000001030000000100000004000000000000"
        "00000000000000000000000000000000000000F03F0000000000000000000000000000F03F000000000000F03F000000000000000000000000000000000103000000"
        "0200000004000000000000000000144000000000000014400000000000001840000000000000144000000000000018400000000000001C400000000000001440000000"
        "00000014400400000066666666666614406666666666661440CDCCCCCCCCCC14406666666666661440CDCCCCCCCCCC1440CDCCCCCCCCCC14406666666666661440"
        "6666666666661440");
  b.clear();
  output::detail::gpkg_multipolygon(b, 32648, {});
  CHECK(hex(b) == "47500011887F0000010600000000000000");
}

// parcels and home_points are written with libsqlite3 (detail::FeatureTable) and their R-trees
// packed by hand: enough rows for an R-tree of several levels; every row indexed, the index
// consistent (SQLite's rtreecheck), GDAL's spatial filter and the index itself give the rows in
// a rectangle, the counts and extents are GDAL's.
TEST_CASE("run writer: bulk parcels and home points, complete spatial index, spatial filter", "[output]") {
  scenario::Scenario s;
  s.name = "bulk-test";
  s.file = std::string(UT_SOURCE_DIR) + "/scenarios/chengdu-center/baseline.toml";
  s.profile = scenario::load_profile(std::string(UT_SOURCE_DIR) + "/gis-data/chengdu-center/profile.toml");
  s.norms = scenario::default_norms(s.profile);
  std::erase_if(s.norms, [](const scenario::Norm& n) { return n.name != "kindergarten"; });
  s.population.enabled = false;
  s.traffic.enabled = false;
  constexpr std::size_t side = 50, n = side * side;
  city::City c;
  c.crs = "EPSG:32648";
  homes::HomePoints h;
  h.offset.push_back(0);
  for (std::size_t p = 0; p < n; ++p) {
    const double x = 400000 + 10.0 * static_cast<double>(p % side), y = 3300000 + 10.0 * static_cast<double>(p / side);
    c.parcels.id.push_back(static_cast<std::int64_t>(p) + 100);
    c.parcels.land_use.push_back(p % 2 ? "residential" : "commercial");
    c.parcels.area_m2.push_back(100);
    c.parcels.floor_area_m2.push_back(200);
    c.parcels.residents.push_back(10);
    c.parcels.centroid.push_back({x + 5, y + 5});
    c.parcels.shape.push_back(square(x, y, 10));
    for (int k = 0; k < 4; ++k) {
      h.xy.push_back({x + 2.5 + 5 * (k % 2), y + 2.5 + 5 * (k / 2)});
      h.weight.push_back(0.25);
      h.source.push_back(homes::Source::lattice);
      h.parcel.push_back(static_cast<std::uint32_t>(p));
    }
    h.offset.push_back(static_cast<std::uint32_t>(h.xy.size()));
  }
  const std::size_t points = h.size();
  std::vector<graph::EntryPoint> walk(points);
  for (std::size_t i = 0; i < points; i += 2) {
    walk[i].edge = 0;
    walk[i].leg_m = 12.34F;
  }
  const fs::path dir = fs::temp_directory_path() / ("ut_run_writer_bulk_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  {
    core::Staging staging(output::run_output_spec(dir, s, false));
    output::RunWriter w(staging, s, c, output::Keep::full);
    sim::YearResult y = year(2024, std::vector<std::uint32_t>(n, 10), std::vector<std::uint32_t>(n, 5), std::vector<double>(n, 0.5),
                             std::vector<std::uint32_t>(n, 1000), std::vector<double>(n, 1.5),
                             {{std::vector<double>(n, 0.1), std::vector<double>(n, 0.2), std::vector<double>(n, 0.3)}});
    y.point_residents.assign(points, 3);
    y.coverage.classes.push_back({std::vector<std::uint32_t>(points, 2500), std::vector<double>(points, 1.0)});
    y.coverage.classes[0].cost[7] = graph::kUnreached;
    for (auto& t : y.point_tier_ok) t.assign(points, 1);
    w.add_year(std::move(y));
    output::RunInfo info;
    info.homes = &h;
    info.home_walk = &walk;
    w.finish(info);
  }
  GDALAllRegister();
  std::unique_ptr<GDALDataset> ds(GDALDataset::Open((dir / "outputs.gpkg").c_str(), GDAL_OF_VECTOR));
  REQUIRE(ds);
  auto scalar = [&](const std::string& sql) {
    OGRLayer* r = ds->ExecuteSQL(sql.c_str(), nullptr, nullptr);
    REQUIRE(r != nullptr);
    std::unique_ptr<OGRFeature> f(r->GetNextFeature());
    const std::string v = f ? f->GetFieldAsString(0) : "";
    ds->ReleaseResultSet(r);
    return v;
  };
  for (const auto& [table, count] : {std::pair{std::string("parcels"), n}, std::pair{std::string("home_points"), points}}) {
    INFO(table);
    OGRLayer* l = ds->GetLayerByName(table.c_str());
    REQUIRE(l != nullptr);
    CHECK(l->GetFeatureCount(FALSE) == static_cast<GIntBig>(count));
    CHECK(scalar("SELECT COUNT(*) FROM rtree_" + table + "_geom") == std::to_string(count));
    CHECK(scalar("SELECT rtreecheck('rtree_" + table + "_geom')") == "ok");
    CHECK(scalar("SELECT MAX(length(data)) = MIN(length(data)) FROM rtree_" + table + "_geom_node") == "1");
    CHECK(std::stoi(scalar("SELECT COUNT(*) FROM rtree_" + table + "_geom_parent"))  > 1);  // more than a root
    CHECK(scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = '" + table + "'") == "8");
    OGREnvelope e;
    REQUIRE(l->GetExtent(&e, FALSE) == OGRERR_NONE);
    const bool points_layer = table == "home_points";
    CHECK(e.MinX == (points_layer ? 400002.5 : 400000.0));
    CHECK(e.MaxY == (points_layer ? 3300497.5 : 3300500.0));
  }
  // Points in [400101, 400149] x [3300201, 3300299]: columns 20..24 (x 400102.5 .. 400147.5), rows 40..59.
  constexpr double x0 = 400101, y0 = 3300201, x1 = 400149, y1 = 3300299;
  std::size_t expected = 0;
  for (const auto& q : h.xy) expected += q.x >= x0 && q.x <= x1 && q.y >= y0 && q.y <= y1 ? 1 : 0;
  CHECK(expected == 10 * 20);
  OGRLayer* hp = ds->GetLayerByName("home_points");
  hp->SetSpatialFilterRect(x0, y0, x1, y1);
  std::size_t got = 0;
  for (auto& f : *hp) {
    const OGRPoint* q = f->GetGeometryRef()->toPoint();
    CHECK((q->getX() >= x0 && q->getX() <= x1 && q->getY() >= y0 && q->getY() <= y1));
    ++got;
  }
  CHECK(got == expected);
  hp->SetSpatialFilter(nullptr);
  CHECK(scalar(fmt::format("SELECT COUNT(*) FROM rtree_home_points_geom WHERE minx <= {} AND maxx >= {} AND miny <= {} AND maxy >= {}", x1,
                           x0, y1, y0)) == std::to_string(expected));
  // Rows in order, fid 1, 2, ...; values as the writer's other layers write them.
  {
    std::unique_ptr<OGRFeature> f(hp->GetFeature(8));
    REQUIRE(f);
    CHECK(f->GetFieldAsInteger64("point_id") == 8);
    CHECK(f->GetFieldAsInteger64("parcel_id") == 101);
    CHECK(std::string(f->GetFieldAsString("source")) == "lattice");
    CHECK(f->IsFieldNull(f->GetFieldIndex("dist_kindergarten_m")));
    CHECK(f->GetFieldAsInteger("kindergarten_beyond_bound") == 1);
    CHECK(f->IsFieldNull(f->GetFieldIndex("walk_leg_m")));
    CHECK(std::string(f->GetFieldAsString("walk_attach")) == "none");
    CHECK(f->GetGeometryRef()->toPoint()->getX() == 400017.5);
    std::unique_ptr<OGRFeature> g(hp->GetFeature(7));
    CHECK(g->GetFieldAsDouble("walk_leg_m") == 12.3);
    CHECK(g->GetFieldAsDouble("dist_kindergarten_m") == 250.0);
    CHECK(g->GetFieldAsInteger("kindergarten_beyond_bound") == 0);
    CHECK(std::string(g->GetFieldAsString("walk_attach")) == "street");
  }
  {
    OGRLayer* p = ds->GetLayerByName("parcels");
    std::unique_ptr<OGRFeature> f(p->GetFeature(n));
    REQUIRE(f);
    CHECK(f->GetFieldAsInteger64("parcel_id") == static_cast<GIntBig>(n) + 99);
    CHECK(std::string(f->GetFieldAsString("land_use")) == "residential");
    CHECK(f->GetGeometryRef()->toMultiPolygon()->get_Area() == Approx(100.0));
  }
  ds.reset();
  fs::remove_all(dir);
}
