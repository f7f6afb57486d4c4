// The loader's buildings and barriers layers and the population raster, on a tiny hand-made city
// in EPSG:32648 written with GDAL: one 300 m x 300 m parcel at (412000, 3395000) - (412300,
// 3395300), one street south of it, two buildings, a pond and a railway, and a 3 x 3 raster of
// 100 m cells laid exactly over the parcel.
#include <unistd.h>
#include <fmt/format.h>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "geo/projection.hpp"
#include "gis_io/load.hpp"
#include "scenario/scenario.hpp"

using namespace ut;
namespace fs = std::filesystem;

namespace {

// Per process: ctest runs test cases of this file in parallel (-j), each in its own process.
const fs::path kDir = fs::temp_directory_path() / ("ut_load_homes_tests." + std::to_string(::getpid()));
struct RemoveAtExit {
  ~RemoveAtExit() {
    std::error_code ec;
    fs::remove_all(kDir, ec);
  }
} remove_at_exit;

struct Field {
  const char* name;
  OGRFieldType type;
};
struct Feature {
  std::string wkt;
  std::vector<const char*> values;  // one per field; nullptr: NULL
};

void add_layer(GDALDataset& ds, const char* name, OGRwkbGeometryType type, const std::vector<Field>& fields,
               const std::vector<Feature>& features) {
  OGRSpatialReference srs;
  srs.importFromEPSG(32648);
  OGRLayer* layer = ds.CreateLayer(name, &srs, type, nullptr);
  REQUIRE(layer != nullptr);
  for (const auto& f : fields) {
    OGRFieldDefn fd(f.name, f.type);
    REQUIRE(layer->CreateField(&fd) == OGRERR_NONE);
  }
  for (const auto& f : features) {
    OGRFeature feature(layer->GetLayerDefn());
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (f.values[i] == nullptr)
        feature.SetFieldNull(static_cast<int>(i));
      else
        feature.SetField(static_cast<int>(i), f.values[i]);
    }
    OGRGeometry* g = nullptr;
    REQUIRE(OGRGeometryFactory::createFromWkt(f.wkt.c_str(), nullptr, &g) == OGRERR_NONE);
    feature.SetGeometryDirectly(g);
    REQUIRE(layer->CreateFeature(&feature) == OGRERR_NONE);
  }
}

fs::path write_city() {
  GDALAllRegister();
  fs::create_directories(kDir);
  const fs::path path = kDir / "homes_city.gpkg";
  fs::remove(path);
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GPKG");
  REQUIRE(drv != nullptr);
  GDALDatasetUniquePtr ds(drv->Create(path.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
  REQUIRE(ds);
  add_layer(*ds, "parcels", wkbPolygon,
            {{"parcel_id", OFTInteger64}, {"residents", OFTInteger}, {"land_use", OFTString}},
            {{"POLYGON((412000 3395000, 412300 3395000, 412300 3395300, 412000 3395300, 412000 3395000))",
              {"1", "100", "residential"}}});
  add_layer(*ds, "roads", wkbLineString, {{"road_id", OFTInteger64}, {"class", OFTString}},
            {{"LINESTRING(411900 3394990, 412400 3394990)", {"1", "residential"}}});
  add_layer(*ds, "facilities", wkbPoint, {{"facility_id", OFTInteger64}, {"classes", OFTString}},
            {{"POINT(412100 3394990)", {"1", "kindergarten"}}});
  // A 40 m x 30 m block of flats with 4 storeys; a house with no levels given (NULL -> 0).
  add_layer(*ds, "buildings", wkbPolygon, {{"building_id", OFTInteger64}, {"building", OFTString}, {"levels", OFTReal}},
            {{"POLYGON((412050 3395050, 412090 3395050, 412090 3395080, 412050 3395080, 412050 3395050))",
              {"10", "apartments", "4"}},
             {"POLYGON((412150 3395150, 412160 3395150, 412160 3395160, 412150 3395160, 412150 3395150))",
              {"11", "house", nullptr}}});
  add_layer(*ds, "buildings_negative", wkbPolygon,
            {{"building_id", OFTInteger64}, {"building", OFTString}, {"levels", OFTReal}},
            {{"POLYGON((412050 3395050, 412090 3395050, 412090 3395080, 412050 3395050))", {"12", "house", "-2"}}});
  add_layer(*ds, "buildings_bowtie", wkbPolygon, {{"building_id", OFTInteger64}},
            {{"POLYGON((412050 3395050, 412090 3395080, 412090 3395050, 412050 3395080, 412050 3395050))", {"13"}}});
  // A 50 m x 100 m pond and a railway along the north edge.
  add_layer(
      *ds, "barriers", wkbUnknown, {{"barrier_id", OFTInteger64}, {"kind", OFTString}},
      {{"POLYGON((412200 3395100, 412250 3395100, 412250 3395200, 412200 3395200, 412200 3395100))", {"1", "water"}},
       {"LINESTRING(411900 3395310, 412400 3395310)", {"2", "railway"}}});
  add_layer(*ds, "barriers_point", wkbPoint, {{"barrier_id", OFTInteger64}, {"kind", OFTString}},
            {{"POINT(412100 3395100)", {"3", "water"}}});
  return path;
}

// A 3 x 3 Float32 GeoTIFF with top-left corner (x0, y0) and square cells in `epsg`: cell values
// 1..9 row by row, the centre cell no data (-1).
const float kCells[9] = {1, 2, 3, 4, -1, 6, 7, 8, 9};
fs::path write_raster(const std::string& name, int epsg, double x0, double y0, double cell) {
  GDALAllRegister();
  fs::create_directories(kDir);
  const fs::path path = kDir / name;
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
  REQUIRE(drv != nullptr);
  GDALDatasetUniquePtr ds(drv->Create(path.c_str(), 3, 3, 1, GDT_Float32, nullptr));
  REQUIRE(ds);
  double gt[6] = {x0, cell, 0, y0, 0, -cell};
  ds->SetGeoTransform(gt);
  OGRSpatialReference srs;
  srs.importFromEPSG(epsg);
  ds->SetSpatialRef(&srs);
  GDALRasterBand* band = ds->GetRasterBand(1);
  band->SetNoDataValue(-1);
  float values[9];
  std::copy(std::begin(kCells), std::end(kCells), values);
  REQUIRE(band->RasterIO(GF_Write, 0, 0, 3, 3, values, 3, 3, GDT_Float32, 0, 0, nullptr) == CE_None);
  return path;
}
// Laid exactly over the parcel: 100 m cells in the run's CRS.
fs::path write_raster(const std::string& name, double cell) { return write_raster(name, 32648, 412000, 3395300, cell); }

std::string scenario_text(const fs::path& gpkg, const std::string& buildings, const std::string& barriers,
                          const std::string& homes) {
  std::string t = "name = \"homes\"\ncrs = \"EPSG:32648\"\nprofile = \"" UT_SOURCE_DIR "/gis-data/chengdu-center/profile.toml\"\n";
  for (const char* role : {"parcels", "roads", "facilities"})
    t += fmt::format("[layers.{}]\nsource = \"{}\"\nlayer = \"{}\"\n", role, gpkg.string(), role);
  if (!buildings.empty())
    t += fmt::format("[layers.buildings]\nsource = \"{}\"\nlayer = \"{}\"\n", gpkg.string(), buildings);
  if (!barriers.empty())
    t += fmt::format("[layers.barriers]\nsource = \"{}\"\nlayer = \"{}\"\n", gpkg.string(), barriers);
  return t + homes;
}

city::City load(const std::string& name, const std::string& text) {
  const fs::path p = kDir / name;
  std::ofstream(p) << text;
  return gis_io::load_city(scenario::load_scenario(p));
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const core::InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

// The grid's value at a point of the run's CRS (NaN outside the grid).
float at(const city::DensityGrid& g, double x, double y) {
  const double col = std::floor((x - g.x0) / g.dx), row = std::floor((g.y0 - y) / g.dy);
  if (col < 0 || row < 0 || col >= static_cast<double>(g.nx) || row >= static_cast<double>(g.ny)) return std::nanf("");
  return g.value[static_cast<std::size_t>(row) * g.nx + static_cast<std::size_t>(col)];
}

}  // namespace

TEST_CASE("loader: buildings, barriers and the population raster", "[gis_io][homes]") {
  const fs::path gpkg = write_city();
  const fs::path tif = write_raster("pop_3x3.tif", 100);
  const auto c = load("homes_ok.toml", scenario_text(gpkg, "buildings", "barriers",
                                                     fmt::format("[homes]\nraster = \"{}\"\n", tif.string())));
  REQUIRE(c.buildings.size() == 2);
  CHECK(c.buildings[0].id == 10);
  CHECK(c.buildings[0].type == "apartments");
  CHECK(c.buildings[0].levels == 4);
  CHECK(c.buildings[0].area_m2 == Approx(1200));
  CHECK(c.buildings[1].levels == 0);  // NULL: not given
  CHECK(c.buildings[1].area_m2 == Approx(100));

  REQUIRE(c.barriers.size() == 2);
  CHECK(c.barriers[0].kind == "water");
  CHECK(c.barriers[0].lines.empty());
  REQUIRE(c.barriers[0].area.size() == 1);
  CHECK(geo::area(c.barriers[0].area) == Approx(5000));
  CHECK(c.barriers[1].kind == "railway");
  CHECK(c.barriers[1].area.empty());
  REQUIRE(c.barriers[1].lines.size() == 1);
  CHECK(c.barriers[1].lines[0].size() == 2);
  CHECK(c.barriers[1].lines[0][0].x == Approx(411900));

  // The raster is already in the run's CRS: the grid is its 100 m cells over the parcel's extent
  // plus one cell each side (cells beyond the raster are no data).
  const auto& d = c.density;
  REQUIRE_FALSE(d.empty());
  CHECK(d.source == tif.string());
  CHECK(d.dx == Approx(100));
  CHECK(d.dy == Approx(100));
  CHECK(d.value.size() == d.nx * d.ny);
  CHECK(d.x0 <= 411900 + 1e-6);
  CHECK(d.y0 >= 3395400 - 1e-6);
  CHECK(d.x0 + static_cast<double>(d.nx) * d.dx >= 412400 - 1e-6);
  CHECK(d.y0 - static_cast<double>(d.ny) * d.dy <= 3394900 + 1e-6);
  CHECK(at(d, 412050, 3395250) == 1);  // top-left cell
  CHECK(at(d, 412150, 3395250) == 2);
  CHECK(at(d, 412050, 3395150) == 4);
  CHECK(std::isnan(at(d, 412150, 3395150)));  // no data
  CHECK(at(d, 412250, 3395050) == 9);         // bottom-right cell
  CHECK(std::isnan(at(d, 411950, 3395150)));  // the margin west of the raster
  CHECK(std::isnan(at(d, 412150, 3395350)));  // and north of it

  SECTION("no buildings, barriers or raster named: all empty") {
    const auto plain = load("homes_plain.toml", scenario_text(gpkg, "", "", ""));
    CHECK(plain.buildings.empty());
    CHECK(plain.barriers.empty());
    CHECK(plain.density.empty());
  }
}

TEST_CASE("loader: a lon/lat raster is warped into the run's CRS by nearest neighbour", "[gis_io][homes]") {
  const fs::path gpkg = write_city();
  // 0.002 degree cells (about 190 m x 220 m) centred on the parcel's centre.
  geo::Point centre{412150, 3395150};
  REQUIRE(geo::Projection("EPSG:32648", "EPSG:4326").apply(&centre, 1));
  const double cell = 0.002, lon0 = centre.x - 1.5 * cell, lat0 = centre.y + 1.5 * cell;
  const fs::path tif = write_raster("pop_lonlat.tif", 4326, lon0, lat0, cell);
  const auto c =
      load("homes_lonlat.toml", scenario_text(gpkg, "", "", fmt::format("[homes]\nraster = \"{}\"\n", tif.string())));
  const auto& d = c.density;
  REQUIRE_FALSE(d.empty());
  CHECK(d.dx == Approx(d.dy));  // GDAL suggests square cells
  CHECK(d.dx > 150);
  CHECK(d.dx < 250);
  // Every cell holds the value of the source cell under its centre (no data and beyond: NaN).
  const geo::Projection to_lonlat("EPSG:32648", "EPSG:4326");
  std::size_t inside = 0;
  for (std::size_t row = 0; row < d.ny; ++row)
    for (std::size_t col = 0; col < d.nx; ++col) {
      geo::Point p{d.x0 + (static_cast<double>(col) + 0.5) * d.dx, d.y0 - (static_cast<double>(row) + 0.5) * d.dy};
      REQUIRE(to_lonlat.apply(&p, 1));
      const double sc = std::floor((p.x - lon0) / cell), sr = std::floor((lat0 - p.y) / cell);
      const float v = d.value[row * d.nx + col];
      if (sc < 0 || sr < 0 || sc > 2 || sr > 2 || (sc == 1 && sr == 1)) {
        CHECK(std::isnan(v));
      } else {
        CHECK(v == kCells[static_cast<std::size_t>(sr * 3 + sc)]);
        ++inside;
      }
    }
  CHECK(inside >= 4);
}

TEST_CASE("loader: bad buildings, barriers and rasters are input errors", "[gis_io][homes][validation]") {
  const fs::path gpkg = write_city();
  const fs::path tif = write_raster("pop_3x3.tif", 100);
  CHECK(message_of([&] { load("homes_neg.toml", scenario_text(gpkg, "buildings_negative", "", "")); }) ==
        gpkg.string() +
            ": layer buildings_negative: feature 1 (building_id 12), field levels: levels must be a number in [0, 200] "
            "(storeys above ground) (got -2)");
  CHECK_THAT(message_of([&] { load("homes_bowtie.toml", scenario_text(gpkg, "buildings_bowtie", "", "")); }),
             Catch::Contains("layer buildings_bowtie: feature 1 (building_id 13): geometry must be valid"));
  CHECK(message_of([&] { load("homes_point.toml", scenario_text(gpkg, "", "barriers_point", "")); }) ==
        gpkg.string() +
            ": layer barriers_point: feature 1 (barrier_id 3): a barrier must be a line or an area (got Point)");
  const std::string band2 = fmt::format("[homes]\nraster = \"{}\"\nraster_band = 2\n", tif.string());
  CHECK_THAT(message_of([&] { load("homes_band.toml", scenario_text(gpkg, "", "", band2)); }),
             Catch::Contains("key homes.raster_band: must be a band of the raster") && Catch::Contains("(it has 1)") &&
                 Catch::Contains("(got 2)"));
  // 1 cm cells: the parcel's 300 m x 300 m, touched cells and the margin need 30,003 x 30,003 cells.
  const fs::path fine = write_raster("pop_1cm.tif", 0.01);
  CHECK_THAT(message_of([&] {
               load("homes_fine.toml",
                    scenario_text(gpkg, "", "", fmt::format("[homes]\nraster = \"{}\"\n", fine.string())));
             }),
             Catch::StartsWith(fine.string() + ": band 1: the raster over the parcels' extent must have at most "
                                               "100000000 cells") &&
                 Catch::Contains("(got 30003 x 30003 = 900180009 cells of 0.01 m x 0.01 m)"));
  std::ofstream(kDir / "not_a_raster.tif") << "text";
  CHECK_THAT(message_of([&] {
               load("homes_text.toml",
                    scenario_text(gpkg, "", "",
                                  fmt::format("[homes]\nraster = \"{}\"\n", (kDir / "not_a_raster.tif").string())));
             }),
             Catch::Contains("not_a_raster.tif: raster named by homes.raster must be readable by GDAL"));
}
