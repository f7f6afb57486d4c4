// City profiles (scenario/profile.hpp): known answers read back from a tiny profile, the
// conversion into the population model's parameters, and bad profiles rejected with the file,
// the key, the rule and the bad value.
#include <unistd.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "scenario/norms.hpp"
#include "scenario/profile.hpp"
#include "scenario/scenario.hpp"
#include "sim/rules.hpp"

using namespace ut;
namespace fs = std::filesystem;

namespace {

fs::path write(const std::string& name, const std::string& text) {
  const fs::path dir = fs::temp_directory_path() / ("ut_profile_tests." + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path p = dir / name;
  std::ofstream(p) << text;
  return p;
}

// A complete, valid profile with round numbers; each test changes one thing.
const std::string kTiny = R"(name = "tiny"
description = "a test city"

[demography]
source = "test table"
age_share_pct = [10, 10, 10, 10, 10, 10, 10, 10, 10, 5, 5, 0, 0, 0, 0, 0, 0, 0]
male_share = [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25]
household_size = [0.5, 0.5, 0, 0, 0, 0]
fertility = [0, 0, 0, 0.01, 0.02, 0.03, 0.04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
male_at_birth = 0.5
leave_home = [0, 0, 0, 0, 0.1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
employment = [0, 0, 0, 0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0, 0, 0, 0, 0, 0]
enrolment = [0, 1, 1, 0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
sources = { fertility = "test fertility survey" }

[mortality]
gompertz_a = 1e-4
gompertz_b = 0.1
makeham = 1e-3
infant = 2e-3
male_factor = 2
female_factor = 1
source = "test life table"

[mobility]
move = [0.2, 0.2, 0.2, 0.2, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]
growth_pct_per_year = 1
source = "test mobility"

[housing]
vacancy_pct = 5
new_units_pct_per_year = 1
unit_floor_m2 = 90
source = "test housing"

[location_choice]
beta_tier = 0.1
beta_park = 0.2
beta_greenway = 0.3
beta_metro = 0.4
beta_school = 0.5
beta_commute = -0.06
beta_price = -0.7
price_per_km = -0.08
price_metro = 0.9
price_park = 0.11
source = "test choice"

[trips]
daily_trips_per_resident = 3
peak_hour_share = 0.1
car_occupancy = 1.5
floor_m2_per_job = 30
source = "test trips"

[modes]
beta_time = -0.05
asc_car = -1
asc_transit = -0.5
car_terminal_min = 5
beta_greenway = 0.5
walk_m_per_min = 75
bike_m_per_min = 180
bike_overhead_min = 1
metro_m_per_min = 500
metro_detour = 1.2
metro_wait_min = 4
intrazonal_car_kmh = 25
source = "test modes"

[land_uses]
source = "test land uses"

[land_uses.housing]
residential_share = 0.8
job_share = 0.1

[land_uses.work]
residential_share = 0
job_share = 1
source = "test offices"

[road_capacity]
primary = 1100
other = 500
source = "test capacities"

[norms]
file = ")" UT_SOURCE_DIR R"(/gis-data/norms/gb50180-2018.toml"

[facility_capacity]
kindergarten = 200
source = "test seats"

[prepare_osm]
anything = "read by prepare-osm, not by the engine"
[prepare_osm.rules]
more = [1, 2]
)";

// kTiny with `from` replaced by `to` (which must occur).
std::string with(const std::string& from, const std::string& to) {
  std::string t = kTiny;
  const auto at = t.find(from);
  REQUIRE(at != std::string::npos);
  return t.replace(at, from.size(), to);
}

std::string message(const fs::path& p) {
  try {
    (void)scenario::load_profile(p);
  } catch (const core::InputError& e) {
    return e.what();
  }
  FAIL("no InputError for " << p);
  return "";
}

}  // namespace

TEST_CASE("Profile: every value read back, sources per key or per table, [prepare_osm] ignored", "[profile]") {
  const auto p = scenario::load_profile(write("tiny.toml", kTiny));
  CHECK(p.name == "tiny");
  CHECK(p.description == "a test city");
  CHECK(p.demography.age_share_pct[9] == 5);
  CHECK(p.demography.male_share[17] == 0.25);
  CHECK(p.demography.household_size[1] == 0.5);
  CHECK(p.demography.fertility[6] == 0.04);
  CHECK(p.demography.leave_home[4] == 0.1);
  CHECK(p.demography.enrolment[3] == 0.5);
  CHECK(p.mortality.gompertz_a == 1e-4);
  CHECK(p.mortality.female_factor == 1);
  CHECK(p.mobility.move[0] == 0.2);
  CHECK(p.mobility.growth_pct_per_year == 1);
  CHECK(p.housing.unit_floor_m2 == 90);
  CHECK(p.location_choice.price_park == 0.11);
  CHECK(p.trips.floor_m2_per_job == 30);
  CHECK(p.modes.intrazonal_car_kmh == 25);
  CHECK(p.modes.metro_detour == 1.2);
  REQUIRE(p.land_uses.size() == 2);
  CHECK(p.land_uses.at("housing").residential_share == 0.8);
  CHECK(p.land_uses.at("work").job_share == 1);
  CHECK(scenario::lane_capacity(p, "primary") == 1100);
  CHECK(scenario::lane_capacity(p, "residential") == 500);  // `other`
  CHECK(p.facility_capacity.at("kindergarten") == 200);
  CHECK(p.facility_capacity.count("health") == 0);
  CHECK(p.sources.at("demography.fertility") == "test fertility survey");
  CHECK(p.sources.at("demography.male_share") == "test table");
  CHECK(p.sources.at("land_uses.housing.job_share") == "test land uses");  // [land_uses].source
  CHECK(p.sources.at("land_uses.work.job_share") == "test offices");       // its own source
  CHECK(p.sources.at("road_capacity.other") == "test capacities");
  // The scenario's norms take the profile's facility capacities.
  for (const auto& n : scenario::default_norms(p))
    if (n.name == "kindergarten") CHECK(n.default_capacity == 200);
}

TEST_CASE("Profile: the population model's parameters, mortality by Gompertz-Makeham", "[profile][population]") {
  const auto pp = sim::population_params(scenario::load_profile(write("tiny_params.toml", kTiny)));
  CHECK(pp.age_share[0] == 10);
  CHECK(pp.male_at_birth == 0.5);
  CHECK(pp.move[5] == 0.1);
  CHECK(pp.beta_price == -0.7);
  // q(0) = factor * a + infant; q(x) = factor * a * e^(b x) + makeham; q = 1 at the last age.
  CHECK(pp.death_male[0] == Approx(2 * 1e-4 + 2e-3).epsilon(1e-15));
  CHECK(pp.death_female[30] == Approx(1e-4 * std::exp(3.0) + 1e-3).epsilon(1e-15));
  CHECK(pp.death_male[100] == 1.0);  // 2e-4 * e^10 + 1e-3 > 1: capped
  CHECK(pp.death_female[population::kMaxAge] == 1.0);
  const auto mp = sim::mode_params(scenario::load_profile(write("tiny_modes.toml", kTiny)));
  CHECK(mp.beta_time == -0.05);
  CHECK(mp.car_terminal_min == 5);
}

TEST_CASE("Profile: bad profiles name the file, the key, the rule and the value", "[profile][validation]") {
  SECTION("a missing table") {
    const std::string t = with(
        "[trips]\ndaily_trips_per_resident = 3\npeak_hour_share = 0.1\ncar_occupancy = 1.5\n"
        "floor_m2_per_job = 30\nsource = \"test trips\"\n",
        "");
    const auto m = message(write("no_trips.toml", t));
    CHECK_THAT(m, Catch::Contains("no_trips.toml") && Catch::Contains("key trips") &&
                      Catch::Contains("required table is missing"));
  }
  SECTION("a rate outside 0..1") {
    const auto m = message(write("rate.toml", with("0.01, 0.02, 0.03", "0.01, 1.5, 0.03")));
    CHECK_THAT(m, Catch::Contains("rate.toml") && Catch::Contains("key demography.fertility[5]") &&
                      Catch::Contains("must be in [0, 1]") && Catch::Contains("1.5"));
    const auto q = message(write("share.toml", with("peak_hour_share = 0.1", "peak_hour_share = 12")));
    CHECK_THAT(q, Catch::Contains("key trips.peak_hour_share") && Catch::Contains("must be in [0.01, 1]") &&
                      Catch::Contains("12"));
  }
  SECTION("an array of the wrong length") {
    const auto m = message(write("length.toml", with("0.5, 0.5, 0.25]", "0.5, 0.25]")));
    CHECK_THAT(m, Catch::Contains("length.toml") && Catch::Contains("key demography.male_share") &&
                      Catch::Contains("must be an array of 18 numbers") && Catch::Contains("an array of 17"));
    const auto q =
        message(write("sizes.toml", with("household_size = [0.5, 0.5, 0, 0, 0, 0]", "household_size = [0.5, 0.5]")));
    CHECK_THAT(q, Catch::Contains("key demography.household_size") &&
                      Catch::Contains("must be an array of 6 numbers") && Catch::Contains("an array of 2"));
  }
  SECTION("shares that do not add up") {
    const auto m = message(write("sum.toml", with("household_size = [0.5, 0.5,", "household_size = [0.5, 0.4,")));
    CHECK_THAT(m, Catch::Contains("key demography.household_size") && Catch::Contains("must add up to 1") &&
                      Catch::Contains("a sum of 0.9"));
  }
  SECTION("an unknown key, with the nearest suggested") {
    const auto m = message(write("typo.toml", with("vacancy_pct = 5", "vacancy_pc = 5")));
    CHECK_THAT(m, Catch::Contains("typo.toml") && Catch::Contains("key housing.vacancy_pc") &&
                      Catch::Contains("did you mean 'vacancy_pct'?"));
    const auto q = message(write("class_typo.toml", with("kindergarten = 200", "kindergarden = 200")));
    CHECK_THAT(
        q, Catch::Contains("key facility_capacity.kindergarden") && Catch::Contains("did you mean 'kindergarten'?"));
    const auto r = message(write("table_typo.toml", with("[mobility]", "[mobilty]")));
    CHECK_THAT(r, Catch::Contains("key mobilty") && Catch::Contains("did you mean 'mobility'?"));
    const auto s = message(write("source_typo.toml", with("sources = { fertility =", "sources = { fertilty =")));
    CHECK_THAT(s, Catch::Contains("key demography.sources.fertilty") && Catch::Contains("did you mean 'fertility'?"));
  }
  SECTION("a number without a source") {
    const auto m = message(write("no_source.toml", with("source = \"test housing\"\n", "")));
    CHECK_THAT(m, Catch::Contains("no_source.toml") && Catch::Contains("key housing.vacancy_pct") &&
                      Catch::Contains("every number needs a source: give housing.source") &&
                      Catch::Contains("housing.sources.vacancy_pct"));
    const auto q = message(write("empty_source.toml", with("source = \"test modes\"", "source = \" \"")));
    CHECK_THAT(q, Catch::Contains("key modes.source") && Catch::Contains("must name where the numbers come from"));
    // [land_uses.NAME] without its own source and without [land_uses].source.
    const auto r = message(write("no_lu_source.toml", with("source = \"test land uses\"\n", "")));
    CHECK_THAT(r, Catch::Contains("key land_uses.housing.residential_share") &&
                      Catch::Contains("every number needs a source"));
  }
  SECTION("a missing key, a wrong type") {
    const auto m = message(write("no_other.toml", with("other = 500\n", "")));
    CHECK_THAT(m, Catch::Contains("key road_capacity.other") && Catch::Contains("required key is missing"));
    const auto q = message(write("type.toml", with("gompertz_b = 0.1", "gompertz_b = \"0.1\"")));
    CHECK_THAT(q, Catch::Contains("key mortality.gompertz_b") && Catch::Contains("must be a number"));
  }
  SECTION("the file itself") {
    CHECK_THAT(message(write("syntax.toml", "name = \n")),
               Catch::Contains("syntax.toml") && Catch::Contains("must be valid TOML"));
    CHECK_THAT(message(fs::temp_directory_path() / "ut_no_such_profile.toml"),
               Catch::Contains("profile file must exist"));
  }
}

TEST_CASE("Profile: the scenario names it -- its [population] and [traffic] keys set profile values",
          "[profile][scenario]") {
  const fs::path prof = write("city.toml", kTiny);
  const std::string layers =
      "[layers.parcels]\nsource = \"a.gpkg\"\nlayer = \"p\"\n[layers.roads]\nsource = \"a.gpkg\"\nlayer = \"r\"\n"
      "[layers.facilities]\nsource = \"a.gpkg\"\nlayer = \"f\"\n";
  auto load_message = [&](const std::string& name, const std::string& text) -> std::string {
    try {
      (void)scenario::load_scenario(write(name, text));
    } catch (const core::InputError& e) {
      return e.what();
    }
    return "";
  };
  CHECK_THAT(load_message("none.toml", "name = \"t\"\n" + layers), Catch::Contains("none.toml") &&
                                                                       Catch::Contains("key profile") &&
                                                                       Catch::Contains("required key is missing"));
  CHECK_THAT(load_message("missing.toml", "name = \"t\"\nprofile = \"nowhere.toml\"\n" + layers),
             Catch::Contains("missing.toml") && Catch::Contains("key profile") &&
                 Catch::Contains("must name an existing file"));
  // A bad profile: the message names the profile file, not the scenario.
  write("bad_city.toml", with("vacancy_pct = 5", "vacancy_pct = 500"));
  CHECK_THAT(load_message("uses_bad.toml", "name = \"t\"\nprofile = \"bad_city.toml\"\n" + layers),
             Catch::Contains("bad_city.toml") && Catch::Contains("key housing.vacancy_pct") && Catch::Contains("500"));
  const auto s = scenario::load_scenario(
      write("uses.toml", "name = \"t\"\nprofile = \"city.toml\"\n" + layers +
                             "[traffic]\ncar_occupancy = 1.2\n[population]\nvacancy_pct = 7\n"));
  CHECK(s.profile.file == prof);  // relative to the scenario file
  CHECK(s.profile.trips.car_occupancy == 1.2);
  CHECK(s.profile.trips.daily_trips_per_resident == 3);  // the profile's
  CHECK(s.profile.housing.vacancy_pct == 7);
  CHECK(scenario::where_of(s, "housing.vacancy_pct").feature_or_key == "key population.vacancy_pct");
  CHECK(scenario::where_of(s, "housing.unit_floor_m2").file == prof.string());
}

TEST_CASE("Profile: the bundled profiles are valid -- Chengdu's holds the values the engine had", "[profile]") {
  const std::string dir = std::string(UT_SOURCE_DIR) + "/gis-data/";
  const auto g = scenario::load_profile(dir + "generic/profile.toml");
  CHECK(g.name == "generic");
  const auto c = scenario::load_profile(dir + "chengdu-center/profile.toml");
  CHECK(c.name == "chengdu-center");
  // A few of the former C++ constants (the byte-identical baseline run checks them all).
  CHECK(c.mortality.gompertz_a == 2.2e-5);
  CHECK(c.demography.male_at_birth == 0.5169);
  CHECK(c.trips.floor_m2_per_job == 25);
  CHECK(scenario::lane_capacity(c, "trunk") == 1600);
  CHECK(c.facility_capacity.at("health") == 40000);
  // Both know the land uses prepare-osm writes.
  for (const char* lu : {"residential", "mixed", "commercial", "education", "health", "industrial", "transport", "park",
                         "construction", "other"}) {
    CHECK(g.land_uses.count(lu) == 1);
    CHECK(c.land_uses.count(lu) == 1);
  }
}

TEST_CASE("Profile: [[compliance]] norms read back -- an unknown indicator or operator names the file and key",
          "[profile][compliance]") {
  const std::string norms = R"(
[[compliance]]
indicator = "access_kindergarten_pct"
op = ">="
target = 100
norm = "幼儿园 300 m / kindergarten within 300 m"
clause = "GB 50180-2018, test"
source = "test standard"

[[compliance]]
indicator = "park_m2_per_capita"
op = ">"
target = 8.5
norm = "park, m2"
clause = "GB 55014-2021, test"
source = "test"
)";
  const auto p = scenario::load_profile(write("compliance.toml", kTiny + norms));
  REQUIRE(p.compliance.size() == 2);
  CHECK(p.compliance[0].indicator == "access_kindergarten_pct");
  CHECK(p.compliance[0].op == scenario::CompareOp::ge);
  CHECK(p.compliance[0].target == 100);
  CHECK(p.compliance[0].norm == "幼儿园 300 m / kindergarten within 300 m");
  CHECK(p.compliance[1].op == scenario::CompareOp::gt);
  CHECK(p.compliance[1].target == 8.5);
  CHECK(p.compliance[1].clause == "GB 55014-2021, test");
  CHECK(scenario::load_profile(write("no_compliance.toml", kTiny)).compliance.empty());

  auto bad = [&](const std::string& name, const std::string& from, const std::string& to) {
    std::string t = kTiny + norms;
    const auto at = t.find(from);
    REQUIRE(at != std::string::npos);
    return message(write(name, t.replace(at, from.size(), to)));
  };
  CHECK_THAT(bad("typo.toml", "\"park_m2_per_capita\"", "\"park_m2_per_capta\""),
             Catch::Contains("typo.toml") && Catch::Contains("key compliance[2].indicator") &&
                 Catch::Contains("did you mean 'park_m2_per_capita'?") && Catch::Contains("park_m2_per_capta"));
  CHECK_THAT(bad("op.toml", "op = \">\"", "op = \"=>\""),
             Catch::Contains("key compliance[2].op") && Catch::Contains("must be one of") && Catch::Contains("=>"));
  CHECK_THAT(bad("nosource.toml", "source = \"test\"\n", ""),
             Catch::Contains("key compliance[2].source") && Catch::Contains("required key is missing"));
  CHECK_THAT(bad("unknownkey.toml", "clause = \"GB 55014", "claus = \"GB 55014"),
             Catch::Contains("key compliance[2].claus") && Catch::Contains("did you mean 'clause'?"));
  CHECK_THAT(bad("target.toml", "target = 8.5", "target = \"8.5\""),
             Catch::Contains("key compliance[2].target") && Catch::Contains("must be a number"));
}

TEST_CASE("Norms: the bundled standards file holds the table the engine had built in, every figure with its source",
          "[profile][norms]") {
  const auto norms = scenario::load_norms(std::string(UT_SOURCE_DIR) + "/gis-data/norms/gb50180-2018.toml");
  // The former scenario/norms.cpp table, class by class in its order (the indicators.csv columns follow it).
  struct Row {
    const char* name;
    std::vector<std::string> sources;
    scenario::Network network;
    int tier;
    double radius_m, drive_min, turnout_min, min_area_m2;
    bool sfca;
    double catchment_m;
    const char* unit;
  };
  using scenario::Network;
  const std::vector<Row> want = {
      {"kindergarten", {"kindergarten"}, Network::walk, 5, 300, 0, 0, 0, true, 500, "seats"},
      {"elderly_care", {"elderly_care"}, Network::walk, 5, 300, 0, 0, 0, false, 0, ""},
      {"primary_school", {"primary_school"}, Network::walk, 10, 500, 0, 0, 0, true, 1000, "seats"},
      {"middle_school", {"middle_school"}, Network::walk, 15, 1000, 0, 0, 0, true, 1500, "seats"},
      {"health", {"health"}, Network::walk, 15, 1000, 0, 0, 0, true, 1500, "residents served"},
      {"metro", {"metro"}, Network::walk, 15, 800, 0, 0, 0, false, 0, ""},
      {"park", {"park"}, Network::walk, 0, 500, 0, 0, 5000, false, 0, ""},
      {"green", {"park", "green_space"}, Network::walk, 0, 300, 0, 0, 2000, false, 0, ""},
      {"greenway", {"greenway"}, Network::walk, 0, 500, 0, 0, 0, false, 0, ""},
      {"fire", {"fire_station"}, Network::drive, 0, 0, 5, 1, 0, false, 0, ""}};
  REQUIRE(norms.size() == want.size());
  for (std::size_t k = 0; k < want.size(); ++k) {
    const auto& n = norms[k];
    const auto& w = want[k];
    INFO(w.name);
    CHECK(n.name == w.name);
    CHECK(n.sources == w.sources);
    CHECK(n.network == w.network);
    CHECK(n.tier == w.tier);
    CHECK(n.radius_m == w.radius_m);
    CHECK(n.drive_min == w.drive_min);
    CHECK(n.turnout_min == w.turnout_min);
    CHECK(n.min_area_m2 == w.min_area_m2);
    CHECK(n.sfca == w.sfca);
    CHECK(n.catchment_m == w.catchment_m);
    CHECK(n.capacity_unit == w.unit);
    CHECK(n.default_capacity == 0);  // a city's figure: the profile's [facility_capacity]
    // Every figure it sets has a source; the [check] marks are kept.
    for (const auto& [key, value] : std::vector<std::pair<std::string, double>>{
             {"tier", n.tier}, {"radius_m", n.radius_m}, {"drive_min", n.drive_min}, {"turnout_min", n.turnout_min},
             {"min_area_m2", n.min_area_m2}, {"catchment_m", n.catchment_m}})
      if (value != 0 || key == "tier") CHECK(n.field_sources.count(key) == 1);
    for (const auto& [key, src] : n.field_sources) CHECK(!src.empty());
  }
  CHECK(norms[0].field_sources.at("radius_m") == "GB 50180-2018 table of life-circle service radii");
  CHECK_THAT(norms[0].field_sources.at("catchment_m"), Catch::StartsWith("project choice"));
  CHECK(norms[1].source_note == "GB 50180-2018 table of life-circle service radii [check]");
  CHECK_THAT(norms[6].field_sources.at("min_area_m2"), Catch::Contains("5,000 m2") && Catch::EndsWith("[check]"));
  CHECK_THAT(norms[9].field_sources.at("turnout_min"), Catch::StartsWith("GB 51080-2015"));
}

TEST_CASE("Norms: the profile names the standards file and overrides it with a source, the scenario overrides both",
          "[profile][norms][scenario]") {
  const std::string file = "file = \"" UT_SOURCE_DIR "/gis-data/norms/gb50180-2018.toml\"\n";
  SECTION("a profile's [norms.<class>]: the field and its source replaced, the rest the file's") {
    const auto p = scenario::load_profile(write(
        "override.toml", with(file, file + "\n[norms.kindergarten]\nradius_m = 250\nsource = \"a local rule, art. 4\"\n")));
    REQUIRE(p.norms.size() == 10);
    CHECK(p.norms[0].radius_m == 250);
    CHECK(p.norms[0].field_sources.at("radius_m") == "a local rule, art. 4");
    CHECK(p.norms[0].tier == 5);
    CHECK(p.norms[0].field_sources.at("tier") == "GB 50180-2018 table of life-circle service radii");
    CHECK(p.norms[2].radius_m == 500);
    // Then the scenario's, with the profile's capacity.
    write("override_scenario_city.toml", with(file, file + "\n[norms.kindergarten]\nradius_m = 250\nsource = \"rule\"\n"));
    const auto s = scenario::load_scenario(write(
        "override_scenario.toml",
        "name = \"t\"\nprofile = \"override_scenario_city.toml\"\n[layers.parcels]\nsource = \"a.gpkg\"\nlayer = \"p\"\n"
        "[layers.roads]\nsource = \"a.gpkg\"\nlayer = \"r\"\n[layers.facilities]\nsource = \"a.gpkg\"\nlayer = \"f\"\n"
        "[norms.kindergarten]\ncatchment_m = 600\n"));
    CHECK(s.norms[0].radius_m == 250);
    CHECK(s.norms[0].catchment_m == 600);
    CHECK(s.norms[0].default_capacity == 200);  // [facility_capacity]
    CHECK(s.norms[0].field_sources.at("radius_m") == "rule");
    CHECK_THAT(s.norms[0].field_sources.at("catchment_m"),
               Catch::StartsWith("scenario ") && Catch::EndsWith("override_scenario.toml (norms.kindergarten)"));
    CHECK(s.profile.norms_file == fs::path(UT_SOURCE_DIR "/gis-data/norms/gb50180-2018.toml"));
  }
  SECTION("source_of for one figure, `source` for the others") {
    const auto p = scenario::load_profile(write(
        "source_of.toml", with(file, file + "\n[norms.fire]\ndrive_min = 6\nturnout_min = 1.5\nsource = \"local fire code\"\n"
                                            "source_of = { turnout_min = \"fire brigade survey 2023\" }\n")));
    CHECK(p.norms[9].drive_min == 6);
    CHECK(p.norms[9].field_sources.at("drive_min") == "local fire code");
    CHECK(p.norms[9].field_sources.at("turnout_min") == "fire brigade survey 2023");
  }
  SECTION("a profile without [norms], or naming a file that is not there") {
    CHECK_THAT(message(write("no_norms.toml", with("[norms]\n" + file, ""))),
               Catch::Contains("no_norms.toml") && Catch::Contains("key norms") &&
                   Catch::Contains("required table is missing") && Catch::Contains("[norms] file ="));
    CHECK_THAT(message(write("no_file.toml", with(file, "file = \"nowhere/norms.toml\"\n"))),
               Catch::Contains("no_file.toml") && Catch::Contains("key norms.file") &&
                   Catch::Contains("must name an existing file") && Catch::Contains("nowhere/norms.toml"));
    CHECK_THAT(message(write("no_file_key.toml", with(file, ""))),
               Catch::Contains("key norms.file") && Catch::Contains("required key is missing"));
  }
  SECTION("a bad override names the profile, the class and the key") {
    CHECK_THAT(message(write("class_typo.toml", with(file, file + "[norms.kindergarden]\nradius_m = 250\nsource = \"x\"\n"))),
               Catch::Contains("class_typo.toml") && Catch::Contains("key norms.kindergarden") &&
                   Catch::Contains("did you mean 'kindergarten'?"));
    CHECK_THAT(message(write("no_src.toml", with(file, file + "[norms.park]\nmin_area_m2 = 4000\n"))),
               Catch::Contains("no_src.toml") && Catch::Contains("key norms.park.min_area_m2") &&
                   Catch::Contains("every figure needs a source: give norms.park.source"));
    CHECK_THAT(message(write("drive.toml", with(file, file + "[norms.fire]\nturnout_min = 5\nsource = \"x\"\n"))),
               Catch::Contains("key norms.fire.drive_min") && Catch::Contains("must exceed turnout_min"));
  }
  SECTION("a city's own standards file: its classes are the ones [facility_capacity] and [[compliance]] may name") {
    const fs::path own = write("own_norms.toml", R"(name = "own"
[[norm]]
class = "school"
sources = ["primary_school", "middle_school"]
network = "walk"
tier = 10
radius_m = 600
sfca = true
catchment_m = 1200
capacity_unit = "seats"
source = "own planning code, art. 12"
)");
    const std::string own_file = "file = \"" + own.filename().string() + "\"\n";  // relative to the profile
    std::string text = with(file, own_file);
    text.replace(text.find("kindergarten = 200"), 18, "school = 900");
    const auto p = scenario::load_profile(write("own.toml", text));
    REQUIRE(p.norms.size() == 1);
    CHECK(p.norms[0].name == "school");
    CHECK(p.norms[0].sources == std::vector<std::string>{"primary_school", "middle_school"});
    CHECK(scenario::default_norms(p)[0].default_capacity == 900);
    const auto cols = scenario::compliance_indicators(p.norms);
    CHECK(std::find(cols.begin(), cols.end(), "access_school_pct") != cols.end());
    CHECK(std::find(cols.begin(), cols.end(), "supply_school_per_1000") != cols.end());
    CHECK(std::find(cols.begin(), cols.end(), "access_kindergarten_pct") == cols.end());
    CHECK_THAT(message(write("own_capacity.toml", with(file, own_file))),
               Catch::Contains("key facility_capacity.kindergarten") && Catch::Contains("unknown key"));
  }
}
