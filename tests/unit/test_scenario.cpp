#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "core/suggest.hpp"
#include "scenario/scenario.hpp"

using namespace ut;
namespace fs = std::filesystem;

namespace {
fs::path write(const std::string& name, const std::string& text) {
  const fs::path dir = fs::temp_directory_path() / "ut_scenario_tests";
  fs::create_directories(dir);
  const fs::path p = dir / name;
  std::ofstream(p) << text;
  return p;
}
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
  const auto p = write("ok.toml", "name = \"t\"\nseed = 7\n[norms.kindergarten]\nradius_m = 250\n" + kLayers);
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
  const auto p = write("typo.toml", "name = \"t\"\nseeed = 7\n" + kLayers);
  CHECK_THROWS_WITH(scenario::load_scenario(p), Catch::Contains("seeed") && Catch::Contains("did you mean 'seed'") &&
                                                    Catch::Contains("typo.toml") && Catch::Contains("line 2"));
  const auto q = write("norm_typo.toml", "name = \"t\"\n[norms.kindergarten]\nradius = 250\n" + kLayers);
  CHECK_THROWS_WITH(scenario::load_scenario(q), Catch::Contains("norms.kindergarten.radius") &&
                                                    Catch::Contains("did you mean 'radius_m'"));
}

TEST_CASE("scenario: values are range-checked with key and value in the message", "[scenario]") {
  const auto p = write("neg.toml", "name = \"t\"\n[norms.health]\ndefault_capacity = -3\n" + kLayers);
  CHECK_THROWS_WITH(scenario::load_scenario(p), Catch::Contains("norms.health.default_capacity") && Catch::Contains("-3"));
  const auto q = write("tier.toml", "name = \"t\"\n[norms.health]\ntier = 7\n" + kLayers);
  CHECK_THROWS_AS(scenario::load_scenario(q), core::InputError);
}

TEST_CASE("Scenario: interventions with years, population settings and control totals", "[scenario]") {
  const auto p = write("years.toml", "name = \"y\"\nbase_year = 2024\nend_year = 2035\n" + kLayers + R"toml(
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
  CHECK(s.population.growth_pct_per_year == 1.5);
  CHECK(s.population.beta_metro == 0.9);
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
  const auto bad = write("late.toml", "name = \"y\"\nbase_year = 2024\nend_year = 2030\n" + kLayers + "[[remove_facility]]\nyear = 2031\nid = 1\n");
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
