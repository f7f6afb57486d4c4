#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <climits>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>

#include "core/error.hpp"
#include "core/suggest.hpp"
#include "geo/projection.hpp"
#include "gis_io/load.hpp"
#include "scenario/scenario.hpp"
#include "sim/simulation.hpp"

using namespace ut;
namespace fs = std::filesystem;

namespace {
fs::path write(const std::string& name, const std::string& text) {
  const fs::path dir = fs::temp_directory_path() / ("ut_scenario_tests." + std::to_string(::getpid()));  // per process (ctest -j)
  fs::create_directories(dir);
  const fs::path p = dir / name;
  std::ofstream(p) << text;
  return p;
}
// Every scenario names a city profile: the bundled Chengdu one.
const std::string kProfile = "profile = \"" UT_SOURCE_DIR "/gis-data/chengdu-center/profile.toml\"\n";
const std::string kLayers = R"(
[layers.parcels]
source = "data/city.gpkg"
layer = "parcels"
[layers.roads]
source = "data/city.gpkg"
layer = "roads"
[layers.facilities]
source = "/abs/city.gpkg"
layer = "facilities"
fields = { classes = "kind" }
)";
}  // namespace

TEST_CASE("nearest key suggestion", "[scenario]") {
  CHECK(core::edit_distance("kitten", "sitting") == 3);
  CHECK(core::nearest("seeed", {"seed", "name", "crs"}) == "seed");
  CHECK(core::nearest("zzzzzzzz", {"seed", "name"}).empty());
}

TEST_CASE("scenario: paths relative to the file, defaults, field mapping, norm overrides", "[scenario]") {
  const auto p = write("ok.toml", "name = \"t\"\n" + kProfile + "seed = 7\n[norms.kindergarten]\nradius_m = 250\n" + kLayers);
  const auto s = scenario::load_scenario(p);
  CHECK(s.name == "t");
  CHECK(s.seed == 7);
  CHECK(s.base_year == 2024);
  CHECK(s.parcels.source == p.parent_path() / "data/city.gpkg");
  CHECK(s.facilities.source == fs::path("/abs/city.gpkg"));
  CHECK(s.facilities.fields.at("classes") == "kind");
  CHECK(s.facilities.fields.at("id") == "facility_id");
  CHECK(s.greenways.source.empty());
  for (const auto& n : s.norms) {
    if (n.name == "kindergarten") CHECK(n.radius_m == 250);
    if (n.name == "primary_school") CHECK(n.radius_m == 500);
  }
}

TEST_CASE("scenario: unknown keys are rejected with the nearest valid key", "[scenario]") {
  const auto p = write("typo.toml", "name = \"t\"\n" + kProfile + "seeed = 7\n" + kLayers);
  CHECK_THROWS_WITH(scenario::load_scenario(p), Catch::Contains("seeed") && Catch::Contains("did you mean 'seed'") &&
                                                    Catch::Contains("typo.toml") && Catch::Contains("line 3"));
  const auto q = write("norm_typo.toml", "name = \"t\"\n" + kProfile + "[norms.kindergarten]\nradius = 250\n" + kLayers);
  CHECK_THROWS_WITH(scenario::load_scenario(q), Catch::Contains("norms.kindergarten.radius") &&
                                                    Catch::Contains("did you mean 'radius_m'"));
}

TEST_CASE("scenario: values are range-checked with key and value in the message", "[scenario]") {
  const auto p = write("neg.toml", "name = \"t\"\n" + kProfile + "[norms.health]\ndefault_capacity = -3\n" + kLayers);
  CHECK_THROWS_WITH(scenario::load_scenario(p), Catch::Contains("norms.health.default_capacity") && Catch::Contains("-3"));
  const auto q = write("tier.toml", "name = \"t\"\n" + kProfile + "[norms.health]\ntier = 7\n" + kLayers);
  CHECK_THROWS_AS(scenario::load_scenario(q), core::InputError);
}

TEST_CASE("Scenario: interventions with years, population settings and control totals", "[scenario]") {
  const auto p = write("years.toml", "name = \"y\"\n" + kProfile + "base_year = 2024\nend_year = 2035\n" + kLayers + R"toml(
[population]
growth_pct_per_year = 1.5
beta_metro = 0.9
[[control_total]]
year = 2035
population = 1000
[[control_total]]
year = 2030
population = 900
[[remove_facility]]
year = 2031
id = 42
[[rezone]]
year = 2027
parcels = [1, 2]
far = 3.0
[[add_metro_line]]
year = 2029
name = "L"
stations = [ { name = "a", x = 1, y = 2 }, { name = "b", x = 3, y = 4 } ]
[[close_road]]
year = 2026
roads = [7]
to = "all"
[[add_road]]
year = 2033
class = "tertiary"
wkt = "LINESTRING(0 0, 1 1)"
)toml");
  const auto s = scenario::load_scenario(p);
  CHECK(s.end_year == 2035);
  CHECK(s.profile.mobility.growth_pct_per_year == 1.5);  // the scenario sets the profile's value
  CHECK(s.profile.housing.vacancy_pct == 6);                // the profile's value
  CHECK(s.profile.location_choice.beta_metro == 0.9);
  CHECK(scenario::where_of(s, "mobility.growth_pct_per_year").feature_or_key == "key population.growth_pct_per_year");
  CHECK(scenario::where_of(s, "housing.vacancy_pct").file == s.profile.file.string());
  REQUIRE(s.control_totals.size() == 2);
  CHECK(s.control_totals[0].year == 2030);  // sorted by year
  CHECK(s.control_totals[1].population == 1000);
  CHECK(s.remove_facilities.at(0).id == 42);
  CHECK(s.rezones.at(0).parcels == std::vector<std::int64_t>{1, 2});
  CHECK(s.rezones.at(0).far == 3.0);
  CHECK(s.rezones.at(0).units < 0);  // not given: derived from floor area
  CHECK(s.add_metro_lines.at(0).stations.size() == 2);
  CHECK(s.close_roads.at(0).to_all);
  CHECK(s.add_roads.at(0).year == 2033);
  // A year outside the horizon names the key and the value.
  const auto bad = write("late.toml", "name = \"y\"\n" + kProfile + "base_year = 2024\nend_year = 2030\n" + kLayers + "[[remove_facility]]\nyear = 2031\nid = 1\n");
  try {
    scenario::load_scenario(bad);
    FAIL("expected an InputError");
  } catch (const core::InputError& e) {
    const std::string m = e.what();
    CHECK(m.find("remove_facility[1].year") != std::string::npos);
    CHECK(m.find("2024-2030") != std::string::npos);
    CHECK(m.find("2031") != std::string::npos);
  }
}

// ---- Validation (issue 16): every number in range before use, degenerate cities are errors or notes.

namespace {
// Per process: ctest runs test cases of this file in parallel (-j), each in its own process.
const fs::path kTestDir = fs::temp_directory_path() / ("ut_scenario_tests." + std::to_string(::getpid()));
struct RemoveAtExit {
  ~RemoveAtExit() {
    std::error_code ec;
    fs::remove_all(kTestDir, ec);
  }
} remove_at_exit;
const std::string kCity = std::string(UT_SOURCE_DIR) + "/gis-data/chengdu-center/chengdu-center.gpkg";

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const core::InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

// The Chengdu layers, each replaceable by another source and layer.
std::string city_layers(const std::string& parcels = "", const std::string& roads = "",
                        const std::string& facilities = "") {
  auto one = [&](const char* role, const std::string& src) {
    return fmt::format("[layers.{}]\nsource = \"{}\"\nlayer = \"{}\"\n", role, src.empty() ? kCity : src, role);
  };
  return one("parcels", parcels) + one("roads", roads) + one("facilities", facilities);
}

// An OGR VRT over the Chengdu GeoPackage: one layer named `layer`, from an SQL query.
fs::path vrt(const std::string& name, const std::string& layer, const std::string& sql,
             const std::string& fields = "") {
  return write(
      name,
      fmt::format("<OGRVRTDataSource><OGRVRTLayer name=\"{}\"><SrcDataSource>{}</SrcDataSource><SrcSQL>{}</SrcSQL>{}"
                  "</OGRVRTLayer></OGRVRTDataSource>\n",
                  layer, kCity, sql, fields));
}

// Captures what the process writes on stderr (file descriptor 2) while it lives.
class StderrCapture {
 public:
  explicit StderrCapture(const fs::path& file) : file_(file) {
    std::fflush(stderr);
    saved_ = ::dup(2);
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 2);
    ::close(fd);
  }
  std::string finish() {
    std::fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
    std::ifstream in(file_);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }

 private:
  fs::path file_;
  int saved_ = -1;
};
}  // namespace

TEST_CASE("scenario path: a directory, a symbolic-link loop, a path past PATH_MAX, a missing file",
          "[scenario][validation]") {
  fs::create_directories(kTestDir / "a_directory.toml");
  CHECK(message_of([&] { scenario::load_scenario(kTestDir / "a_directory.toml"); }) ==
        (kTestDir / "a_directory.toml").string() + ": scenario path must be a TOML file, not a directory");
  fs::remove(kTestDir / "loop_a.toml");
  fs::remove(kTestDir / "loop_b.toml");
  fs::create_symlink("loop_b.toml", kTestDir / "loop_a.toml");
  fs::create_symlink("loop_a.toml", kTestDir / "loop_b.toml");
  CHECK_THAT(message_of([&] { scenario::load_scenario(kTestDir / "loop_a.toml"); }),
             Catch::Contains("loop_a.toml") && Catch::Contains("must not be a loop of symbolic links"));
  std::string deep = kTestDir.string();
  while (deep.size() <= PATH_MAX) deep += "/abcdefghijklmnop";
  const std::string too_long = message_of([&] { scenario::load_scenario(deep + "/s.toml"); });
  CHECK_THAT(too_long, Catch::Contains("scenario path must fit the system's limits") && Catch::Contains("/s.toml (") &&
                           Catch::Contains(" characters)"));
  CHECK(too_long.size() < 400);  // the path is cut in the middle, not printed in full
  CHECK_THAT(message_of([&] { scenario::load_scenario(kTestDir / "nowhere.toml"); }),
             Catch::Contains("nowhere.toml") && Catch::Contains("scenario file must exist"));
}

TEST_CASE("scenario bytes: non-ASCII only inside strings and comments (toml++ 3.3 guard)", "[scenario][validation]") {
  // Accepted: comments, basic and literal strings, multi-line strings with quotes inside, a BOM.
  const auto ok =
      write("utf8_ok.toml",
            "\xEF\xBB\xBF# \xC2\xA9 OpenStreetMap\nname = \"t\" # \xE6\x88\x90\xE9\x83\xBD\n" + kProfile +
            "description = \"\"\"say \"\"hi\"\" \xC2\xA9\"\"\"\"\n" +
                kLayers + "[[add_facility]]\nname = '\xE6\x88\x90 \\'\nclasses = ['''a\"\xC2\xA9''']\nx = 1\ny = 2\n");
  const auto s = scenario::load_scenario(ok);
  CHECK(s.description == "say \"\"hi\"\" \xC2\xA9\"");
  CHECK(s.add_facilities.at(0).name == "\xE6\x88\x90 \\");
  // Rejected with line and column: after a value, in a bare key, after a multi-line string.
  CHECK(message_of(
            [&] { scenario::load_scenario(write("utf8_after_value.toml", "name = \"t\" \xC2\xA9\n" + kLayers)); }) ==
        (kTestDir / "utf8_after_value.toml").string() +
            ": line 1, column 12: non-ASCII characters are allowed only inside strings and comments (got bytes C2 A9)");
  CHECK_THAT(
      message_of([&] { scenario::load_scenario(write("utf8_key.toml", "name = \"t\"\n" + kProfile + "n\xC3\xA5me = 1\n" + kLayers)); }),
      Catch::Contains("line 3, column 2: non-ASCII"));
  CHECK_THAT(message_of([&] {
               scenario::load_scenario(write("utf8_after_multiline.toml",
                                             "name = \"t\"\n" + kProfile + "description = \"\"\"a\nb\"\"\"\"\xE2\x80\x83\n" + kLayers));
             }),
             Catch::Contains("line 4, column 6: non-ASCII") && Catch::Contains("E2 80 83"));
}

TEST_CASE("scenario: the seed is a TOML integer read exactly, integer keys reject floats", "[scenario][validation]") {
  auto seed_of = [&](const std::string& v) {
    return scenario::load_scenario(write("seed.toml", "name = \"t\"\n" + kProfile + "seed = " + v + "\n" + kLayers)).seed;
  };
  CHECK(seed_of("9007199254740993") == 9007199254740993ULL);  // 2^53 + 1: no double round trip
  CHECK(seed_of("9007199254740992") == 9007199254740992ULL);
  CHECK(seed_of("9223372036854775807") == 9223372036854775807ULL);
  CHECK(seed_of("0") == 0);
  CHECK_THAT(message_of([&] { seed_of("9.007199254740993e15"); }), Catch::Contains("key seed: must be an integer"));
  CHECK_THAT(message_of([&] { seed_of("-1"); }),
             Catch::Contains("key seed: must be in [0, 9223372036854775807] (got -1)"));
  auto bad = [&](const std::string& name, const std::string& text) {
    return message_of(
        [&] { scenario::load_scenario(write(name, "name = \"t\"\n" + kProfile + "end_year = 2030\n" + kLayers + text)); });
  };
  CHECK_THAT(bad("tier.toml", "[norms.health]\ntier = 15.0\n"),
             Catch::Contains("key norms.health.tier: must be an integer"));
  CHECK_THAT(bad("iter.toml", "[traffic]\nfeedback_iterations = 2.5\n"),
             Catch::Contains("key traffic.feedback_iterations: must be an integer"));
  CHECK_THAT(bad("fgap.toml", "[traffic]\nfeedback_gap = 0.5\n"), Catch::Contains("key traffic.feedback_gap: must be in"));
  CHECK_THAT(bad("units.toml", "[[rezone]]\nparcels = [1]\nunits = 10.5\n"),
             Catch::Contains("key rezone[1].units: must be an integer"));
  CHECK_THAT(bad("oneway.toml", "[[add_road]]\nclass = \"service\"\noneway = 1.0\nwkt = \"LINESTRING(0 0, 1 1)\"\n"),
             Catch::Contains("key add_road[1].oneway: must be an integer"));
  CHECK_THAT(bad("ct.toml", "[[control_total]]\nyear = 2030\npopulation = 25000001\n"),
             Catch::Contains("key control_total[1].population: must be in [0, 25000000]"));
  CHECK_THAT(bad("cap.toml", "[norms.health]\ndefault_capacity = 1e300\n"),
             Catch::Contains("key norms.health.default_capacity: must be in [0, 1000000]"));
}

TEST_CASE("scenario: the name names the run directory", "[scenario][validation]") {
  auto name = [&](const std::string& v) {
    return scenario::load_scenario(write("name.toml", "name = " + v + "\n" + kProfile + kLayers)).name;
  };
  CHECK(name("\"a.b_c-1\"") == "a.b_c-1");
  CHECK(name("\"" + std::string(100, 'x') + "\"").size() == 100);
  for (const std::string& bad :
       std::vector<std::string>{"\"\"", "\".hidden\"", "\"..\"", "\"a/b\"", "\"a b\"", "\"a\\nb\"", "\"\xC3\xA5\"",
                                "\"" + std::string(101, 'x') + "\""})
    CHECK_THAT(message_of([&] { name(bad); }),
               Catch::Contains("key name: must be 1-100 characters of A-Z a-z 0-9 . _ -"));
  CHECK_THAT(message_of([&] { name("\"a\\nb\""); }), Catch::Contains("(got \"a\\nb\")"));  // escaped, on one line
}

TEST_CASE("scenario: road classes and land uses the scenario adds", "[scenario][validation]") {
  const auto p = write("tables.toml", "name = \"t\"\n" + kProfile + "end_year = 2026\n" + city_layers() + R"toml(
[road_classes.busway]
speed_kmh = 35
lanes = 2
walk = false
lane_capacity = 900
[land_uses.campus]
residential_share = 0.2
job_share = 0.7
[[add_road]]
year = 2025
class = "busway"
crs = "EPSG:32648"
wkt = "LINESTRING(412000 3395000, 412500 3395000)"
[[rezone]]
year = 2026
parcels = [3]
land_use = "campus"
)toml");
  const auto s = scenario::load_scenario(p);
  REQUIRE(s.road_classes.count("busway"));
  CHECK(s.road_classes.at("busway").lane_capacity == 900);
  CHECK(s.land_uses.at("campus").job_share == 0.7);
  const auto c = gis_io::load_city(s);
  const auto& added = c.roads.back();
  CHECK(added.road_class == "busway");
  CHECK(added.speed_kmh == 35);
  CHECK(added.lanes == 2);
  CHECK(c.rezonings.at(0).land_use == "campus");
  CHECK_THAT(message_of([&] {
               scenario::load_scenario(
                   write("tables_typo.toml", "name = \"t\"\n" + kProfile + kLayers + "[road_classes.busway]\nsped_kmh = 35\n"));
             }),
             Catch::Contains("road_classes.busway.sped_kmh") && Catch::Contains("did you mean 'speed_kmh'"));
}

TEST_CASE("degenerate cities: no usable roads, no residents, a layer without a CRS", "[scenario][validation]") {
  // An empty roads layer (fields and CRS, no feature): exit 2 when the networks are built, not
  // coverage indicators of 0 % or 100 %.
  const auto roads = vrt("roads_empty.vrt", "roads", "SELECT * FROM roads WHERE road_id &lt; 0");
  const auto s = scenario::load_scenario(write("no_roads.toml", "name = \"t\"\n" + kProfile + city_layers("", roads.string())));
  const auto c = gis_io::load_city(s);
  CHECK(c.roads.empty());
  sim::Simulation sim(s, c);
  CHECK_THAT(message_of([&] { sim.build_networks(); }),
             Catch::Contains("roads_empty.vrt: layer roads: no usable roads") && Catch::Contains("(got 0 road lines)"));
  // Every parcel's residents NULL.
  const auto parcels =
      vrt("parcels_null.vrt", "parcels", "SELECT parcel_id, NULL AS residents, geom FROM parcels",
          "<Field name=\"parcel_id\" type=\"Integer64\"/><Field name=\"residents\" type=\"Integer\"/>");
  CHECK(message_of([&] {
          gis_io::load_city(
              scenario::load_scenario(write("no_residents.toml", "name = \"t\"\n" + kProfile + city_layers(parcels.string()))));
        }) == parcels.string() +
                  ": layer parcels: field residents: no residents in the parcels layer: the residents field must hold "
                  "a positive number "
                  "in at least one parcel (got NULL or 0 in all 1356 parcels)");
  // A layer without a CRS (CSV): named with its file and layer; nothing from PROJ on stderr.
  const auto csv = write("parcels.csv", "WKT,parcel_id,residents\n\"POLYGON((0 0,1 0,1 1,0 0))\",1,10\n");
  const auto no_crs = scenario::load_scenario(write("no_crs.toml", "name = \"t\"\n" + kProfile + city_layers(csv.string())));
  CHECK(message_of([&] { gis_io::load_city(no_crs); }) ==
        csv.string() + ": layer parcels: layer must declare its coordinate reference system (got none)");
  // A layer in a local/engineering CRS cannot be related to anything: named with file and layer.
  const auto local =
      write("parcels_local.vrt",
            fmt::format("<OGRVRTDataSource><OGRVRTLayer name=\"parcels\"><SrcDataSource>{}</SrcDataSource>"
                        "<SrcLayer>parcels</SrcLayer><LayerSRS>LOCAL_CS[\"site\",UNIT[\"metre\",1]]</LayerSRS>"
                        "</OGRVRTLayer></OGRVRTDataSource>\n",
                        kCity));
  CHECK_THAT(
      message_of([&] {
        gis_io::load_city(scenario::load_scenario(write("local.toml", "name = \"t\"\n" + kProfile + city_layers(local.string()))));
      }),
      Catch::StartsWith(local.string() + ": layer parcels: the layer's CRS must be transformable to lon/lat") &&
          Catch::Contains("local/engineering CRS"));
  CHECK_THAT(message_of([&] {
               gis_io::load_city(scenario::load_scenario(
                   write("local_utm.toml", "name = \"t\"\n" + kProfile + "crs = \"EPSG:32648\"\n" + city_layers(local.string()))));
             }),
             Catch::StartsWith(local.string() +
                               ": layer parcels: the layer's CRS must be transformable to the run's CRS EPSG:32648") &&
                 Catch::Contains("local/engineering CRS"));
  // Projected coordinates in a GeoJSON file (lon/lat by definition): the feature is named, and
  // PROJ says nothing ("utm: Invalid latitude") on stderr.
  const auto gj =
      write("parcels_utm.geojson",
            "{\"type\":\"FeatureCollection\",\"name\":\"parcels\",\"features\":[{\"type\":\"Feature\",\"properties\":"
            "{\"parcel_id\":1,\"residents\":10},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[408300,3391500],"
            "[408400,3391500],[408400,3391600],[408300,3391500]]]}}]}\n");
  StderrCapture capture(kTestDir / "stderr.txt");
  const std::string m = message_of([&] {
    gis_io::load_city(scenario::load_scenario(write("utm.toml", "name = \"t\"\n" + kProfile + city_layers(gj.string()))));
  });
  geo::Point far{408300, 3391500};
  const bool transformed = geo::Projection("EPSG:4326", "EPSG:32660").apply(&far, 1);
  const std::string err = capture.finish();
  CHECK_THAT(m,
             Catch::Contains(
                 "feature 0 (parcel_id 1): coordinates must lie within the area of use of the layer's CRS (EPSG:4326"));
  CHECK_FALSE(transformed);
  CHECK(err.empty());
}

TEST_CASE("no facility of any class: explicit no-data indicators and a note", "[scenario][validation]") {
  const auto facilities =
      vrt("facilities_empty.vrt", "facilities", "SELECT * FROM facilities WHERE facility_id &lt; 0");
  const auto s = scenario::load_scenario(
      write("no_facilities.toml", "name = \"t\"\n" + kProfile + city_layers("", "", facilities.string()) +
                                      "[traffic]\nenabled = false\n[population]\nenabled = false\n"));
  const auto c = gis_io::load_city(s);
  CHECK(c.facilities.empty());
  sim::Simulation sim(s, c);
  const auto y = sim.step_base_year();
  std::size_t checked = 0;
  for (const auto& ind : y.indicators) {
    const bool coverage =
        ind.name.rfind("coverage_", 0) == 0 || ind.name.rfind("access_", 0) == 0 || ind.name.rfind("supply_", 0) == 0;
    if (!coverage) continue;
    CHECK_FALSE(ind.value.has_value());  // neither 0 % nor 100 %: no data
    ++checked;
  }
  CHECK(checked >= 13);
  const auto notes = sim.notes();
  CHECK_THAT(notes.at(0), Catch::StartsWith("no facility of any class in the input layers or the scenario"));
}

// ---- Residents where they live: [homes], [layers.buildings], [layers.barriers].

TEST_CASE("scenario [homes]: defaults, overrides, ranges and unknown keys", "[scenario][homes]") {
  const auto s = scenario::load_scenario(write("homes_default.toml", "name = \"t\"\n" + kProfile + kLayers));
  CHECK(s.homes.spacing_m == 50);
  CHECK(s.homes.min_building_cover == 0.1);
  CHECK(s.homes.default_levels == 1);
  CHECK(s.homes.residential_types.size() == 8);
  CHECK(s.homes.generic_types == std::vector<std::string>{"yes"});
  CHECK(s.homes.attach_max_m == 500);
  CHECK(s.homes.min_fragment_m == 300);
  CHECK(s.homes.raster.empty());
  CHECK(s.homes.raster_band == 1);
  CHECK(s.buildings.source.empty());
  CHECK(s.barriers.source.empty());

  std::ofstream(kTestDir / "pop.tif") << "not read by the scenario parser";
  const auto o = scenario::load_scenario(write("homes_override.toml", "name = \"t\"\n" + kProfile + kLayers + R"toml(
[homes]
spacing_m = 25
min_building_cover = 0.3
default_levels = 2.5
residential_types = ["house", "apartments"]
generic_types = []
attach_max_m = 800
min_fragment_m = 0
raster = "pop.tif"
raster_band = 2
)toml"));
  CHECK(o.homes.spacing_m == 25);
  CHECK(o.homes.min_building_cover == 0.3);
  CHECK(o.homes.default_levels == 2.5);
  CHECK(o.homes.residential_types == std::vector<std::string>{"house", "apartments"});
  CHECK(o.homes.generic_types.empty());
  CHECK(o.homes.attach_max_m == 800);
  CHECK(o.homes.min_fragment_m == 0);
  CHECK(o.homes.raster == kTestDir / "pop.tif");  // relative to the scenario file
  CHECK(o.homes.raster_band == 2);

  auto bad = [&](const std::string& name, const std::string& homes) {
    return message_of([&] { scenario::load_scenario(write(name, "name = \"t\"\n" + kProfile + kLayers + "[homes]\n" + homes)); });
  };
  CHECK(bad("homes_spacing.toml", "spacing_m = 2\n") ==
        (kTestDir / "homes_spacing.toml").string() + ": key homes.spacing_m: must be in [5, 1000] (got 2)");
  CHECK_THAT(bad("homes_cover.toml", "min_building_cover = 1.5\n"),
             Catch::Contains("key homes.min_building_cover: must be in [0, 1] (got 1.5)"));
  CHECK_THAT(bad("homes_levels.toml", "default_levels = \"4\"\n"),
             Catch::Contains("key homes.default_levels: must be a number (got \"4\")"));
  CHECK_THAT(bad("homes_band.toml", "raster_band = 0\n"), Catch::Contains("key homes.raster_band: must be in [1, "));
  CHECK_THAT(bad("homes_band_float.toml", "raster_band = 1.0\n"),
             Catch::Contains("key homes.raster_band: must be an integer"));
  CHECK_THAT(bad("homes_types.toml", "residential_types = [\"house\", 3]\n"),
             Catch::Contains("key homes.residential_types: must be an array of strings (got 3)"));
  CHECK_THAT(bad("homes_both.toml", "generic_types = [\"house\"]\n"),
             Catch::Contains("key homes.generic_types: must not repeat a type of homes.residential_types"));
  CHECK_THAT(bad("homes_typo.toml", "spacing = 25\n"),
             Catch::Contains("homes_typo.toml: line") &&
                 Catch::Contains("key homes.spacing: unknown key; did you mean 'spacing_m'?"));
  CHECK_THAT(bad("homes_no_raster.toml", "raster = \"nowhere.tif\"\n"),
             Catch::Contains("key homes.raster: must name an existing file") && Catch::Contains("nowhere.tif"));
  fs::create_directories(kTestDir / "raster_dir");
  CHECK_THAT(bad("homes_raster_dir.toml", "raster = \"raster_dir\"\n"),
             Catch::Contains("key homes.raster: must name a file, not a directory"));
  CHECK_THAT(bad("homes_raster_empty.toml", "raster = \"\"\n"), Catch::Contains("key homes.raster: must not be empty"));
}

TEST_CASE("scenario: the buildings and barriers layers", "[scenario][homes]") {
  const auto s = scenario::load_scenario(write("homes_layers.toml", "name = \"t\"\n" + kProfile + kLayers + R"toml(
[layers.buildings]
source = "data/buildings.gpkg"
layer = "buildings"
fields = { levels = "building_levels" }
[layers.barriers]
source = "/abs/barriers.gpkg"
layer = "barriers"
)toml"));
  CHECK(s.buildings.source == kTestDir / "data/buildings.gpkg");
  CHECK(s.buildings.key == "layers.buildings");
  CHECK(s.buildings.fields.at("levels") == "building_levels");
  CHECK(s.buildings.fields.at("id") == "building_id");
  CHECK(s.buildings.fields.at("type") == "building");
  CHECK(s.barriers.source == fs::path("/abs/barriers.gpkg"));
  CHECK(s.barriers.fields.at("id") == "barrier_id");
  CHECK(s.barriers.fields.at("kind") == "kind");
  CHECK(scenario::required_fields("buildings") == std::vector<std::string>{"id"});
  CHECK(scenario::required_fields("barriers") == std::vector<std::string>{"id", "kind"});

  auto bad = [&](const std::string& name, const std::string& text) {
    return message_of([&] { scenario::load_scenario(write(name, "name = \"t\"\n" + kProfile + kLayers + text)); });
  };
  CHECK_THAT(bad("barriers_field_typo.toml",
                 "[layers.barriers]\nsource = \"b.gpkg\"\nlayer = \"b\"\nfields = { kinds = \"k\" }\n"),
             Catch::Contains("key layers.barriers.fields.kinds: unknown key; did you mean 'kind'?"));
  CHECK_THAT(bad("buildings_no_layer.toml", "[layers.buildings]\nsource = \"b.gpkg\"\n"),
             Catch::Contains("key layers.buildings.layer: required key is missing"));
  CHECK_THAT(bad("buildings_typo.toml", "[layers.buildngs]\nsource = \"b.gpkg\"\nlayer = \"b\"\n"),
             Catch::Contains("key layers.buildngs: unknown key; did you mean 'buildings'?"));
}
