// engine/api: Model and Session on a small hand-made city (every value known or checked against
// a recomputation from scratch).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <cmath>
#include <random>

#include <fmt/format.h>

#include "api/api.hpp"
#include "api_check.hpp"
#include "core/error.hpp"
#include "core/sha256.hpp"
#include "scenario/scenario.hpp"
#include "small_city.hpp"

using namespace ut;

namespace ut::test {

// Every default class of the Chengdu profile, no population or traffic model.
scenario::Scenario api_scenario() { return small_scenario("api", "api-fixture.toml", true); }

// The shared grid city (small_city.hpp) with a kindergarten, a clinic, a fire station, a park and
// a greenway.
city::City api_city() {
  city::City c = grid_city();
  c.facilities.push_back(facility(1, "kindergarten", {100, 15}));
  c.facilities.push_back(facility(2, "health", {600, 215}));
  c.facilities.push_back(facility(3, "fire_station", {1000, 5}));
  city::Facility park = facility(4, "park", {1100, 500});
  park.shape = rect(1010, 410, 1190, 590);
  park.area_m2 = geo::area(park.shape);
  c.facilities.push_back(park);
  city::Greenway g;
  g.id = 1;
  g.line = {{0, 600}, {400, 600}};
  g.origin = "layer";
  c.greenways.push_back(g);
  return c;
}

}  // namespace ut::test

TEST_CASE("api: a session's first kindergarten edit equals a recomputation, and undo restores the year", "[api]") {
  auto m = api::Model::from(test::api_scenario(), test::api_city());
  CHECK(m.year() == m.base_year() - 1);
  const auto y = m.step();
  CHECK(m.year() == m.base_year());
  auto s = m.session();
  REQUIRE(s.classes().size() == 10);
  CHECK(s.classes()[0] == "kindergarten");
  CHECK(test::first_difference(s.result(), y).empty());
  CHECK(test::first_difference(s.recomputed(), y).empty());
  // Parcel 18 (x 1000..1190, y 400..590) is the park's; parcel 6 is in the south-east corner.
  REQUIRE(s.parcel_at({1100, 100}).has_value());
  CHECK(s.parcel_id(*s.parcel_at({1100, 100})) == 6);
  CHECK(!s.parcel_at({1250, 100}).has_value());

  const std::size_t kg = 0;
  std::uint32_t before = 0;
  for (std::size_t p = 0; p < s.parcels(); ++p) before += s.parcel_coverage(kg).served[p];
  const auto e = s.add_facility("kindergarten", {1100, 195});
  CHECK(s.edit_count() == 1);
  REQUIRE(s.added_facility_id(e).has_value());
  CHECK(test::first_difference(s.result(), s.recomputed()).empty());
  std::uint32_t after = 0;
  for (std::size_t p = 0; p < s.parcels(); ++p) after += s.parcel_coverage(kg).served[p];
  CHECK(s.last_delta().class_name == "kindergarten");
  CHECK(s.last_delta().residents_newly_served == static_cast<std::int64_t>(after) - before);
  CHECK(after > before);
  CHECK(!s.last_delta().parcels_changed.empty());
  REQUIRE(s.undo());
  CHECK(s.edit_count() == 0);
  CHECK(test::first_difference(s.result(), y).empty());
  CHECK(!s.undo());
}

TEST_CASE("api: bad edits name the argument and change nothing", "[api]") {
  auto m = api::Model::from(test::api_scenario(), test::api_city());
  const auto y = m.step();
  auto s = m.session();
  CHECK_THROWS_WITH(s.add_facility("kindergarden", {100, 100}), Catch::Contains("did you mean 'kindergarten'"));
  CHECK_THROWS_WITH(s.add_facility("kindergarten", {5000, 5000}), Catch::Contains("usable street"));
  CHECK_THROWS_WITH(s.add_facility("greenway", {100, 100}), Catch::Contains("greenways are lines"));
  CHECK_THROWS_WITH(s.remove_facility(77), Catch::Contains("remove_facility id") && Catch::Contains("77"));
  CHECK_THROWS_WITH(s.close_road(77), Catch::Contains("close_road id"));
  CHECK_THROWS_WITH(s.rezone(77, "residential"), Catch::Contains("rezone parcel"));
  CHECK_THROWS_WITH(s.rezone(1, "residentail"), Catch::Contains("did you mean 'residential'"));
  CHECK_THROWS_AS(s.add_greenway({{0, 0}}), core::InputError);
  CHECK(s.edit_count() == 0);
  CHECK(test::first_difference(s.result(), y).empty());
}

namespace {

// Random edits and undos (seeded); after every step the session's values equal a recomputation
// from scratch (Session::recomputed: networks, sites, coverage::compute, shares, indicators).
// Returns how many edits were applied and undone, for the caller's checks.
std::pair<int, int> random_walk(api::Session& s, std::uint64_t seed, int steps) {
  std::mt19937_64 rng(seed);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  std::vector<std::string> point_classes;
  for (const auto& c : s.classes())
    if (c != "greenway") point_classes.push_back(c);
  int edits = 0, undos = 0;
  for (int step = 0; step < steps; ++step) {
    const auto& c = s.city();
    const std::size_t what = pick(10);
    std::string did;
    try {
      if (what < 3) {  // add a facility at a parcel's centroid
        const auto& cls = point_classes[pick(point_classes.size())];
        const auto p = pick(s.parcels());
        s.add_facility(cls, s.parcel_centroid(p), pick(2) ? 0.0 : 50.0 + static_cast<double>(pick(500)));
        did = "add " + cls;
      } else if (what < 5 && !c.facilities.empty()) {
        const auto id = c.facilities[pick(c.facilities.size())].id;
        s.remove_facility(id);
        did = "remove facility " + std::to_string(id);
      } else if (what == 5 && !c.roads.empty()) {  // a greenway between two vertices of one road
        const auto& r = c.roads[pick(c.roads.size())];
        if (r.line.size() < 2) continue;
        const geo::Point a = r.line.front(), b = r.line.back();
        s.add_greenway({a, {(a.x + b.x) / 2 + 30, (a.y + b.y) / 2 + 30}, b});
        did = "greenway along road " + std::to_string(r.id);
      } else if (what == 6 && !c.roads.empty()) {
        const auto& r = c.roads[pick(c.roads.size())];
        const bool all = pick(2) == 0;
        if (!all && !r.drive) continue;
        s.close_road(r.id, all);
        did = "close road " + std::to_string(r.id);
      } else if (what == 7) {
        const auto p = pick(s.parcels());
        s.rezone(s.parcel_id(p), pick(2) ? "commercial" : "residential",
                 pick(2) ? std::optional<double>() : std::optional<double>(1000.0 * static_cast<double>(1 + pick(20))));
        did = "rezone";
      } else {
        if (!s.undo()) continue;
        did = "undo";
        ++undos;
        --edits;
      }
      if (did != "undo") ++edits;
    } catch (const core::InputError&) {
      continue;  // a refused edit changes nothing: checked below like any step
    }
    INFO("step " << step << ": " << did);
    REQUIRE(test::first_difference(s.result(), s.recomputed()) == "");
    REQUIRE(s.edit_count() == static_cast<std::size_t>(edits));
  }
  return {edits, undos};
}

}  // namespace

TEST_CASE("api: random edits and undos on the small city equal a recomputation after every step", "[api]") {
  auto m = api::Model::from(test::api_scenario(), test::api_city());
  const auto y = m.step();
  auto s = m.session();
  const auto [edits, undos] = random_walk(s, 14, 120);
  CHECK(edits > 5);
  CHECK(undos > 5);
  s.reset();
  CHECK(s.edit_count() == 0);
  CHECK(test::first_difference(s.result(), y).empty());
  random_walk(s, 15, 20);
}

TEST_CASE(
    "api: random edits and undos on central Chengdu equal a recomputation after every step, and the saved "
    "scenario reproduces the final state",
    "[api][chengdu][slow]") {
  api::OpenOptions o;
  // A session does not re-solve traffic, nor derive a rezoning's dwelling units (the population
  // model's, in a full run): both off, so that the saved what-if's run compares in every value.
  o.set = {"traffic.enabled=false", "population.enabled=false"};
  auto m = api::Model::open(std::string(UT_SOURCE_DIR) + "/scenarios/chengdu-center/baseline.toml", o);
  m.step();
  auto s = m.session();
  const auto [edits, undos] = random_walk(s, 2024, 40);
  CHECK(undos > 0);
  CHECK(edits > 0);
  const auto dir = std::filesystem::temp_directory_path() / ("ut-api-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto file = dir / "session.toml";
  s.save_scenario(file);
  auto fresh = api::Model::open(file);
  const auto& y = fresh.step();
  INFO(s.scenario_toml());
  CHECK(test::first_difference(s.result(), y) == "");
  std::filesystem::remove_all(dir);
}

TEST_CASE("api: load_run reads the run's scenario file and overrides from its manifest", "[api]") {
  const auto dir = std::filesystem::temp_directory_path() / ("ut-api-run-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string scenario = std::string(UT_SOURCE_DIR) + "/scenarios/chengdu-center/baseline.toml";
  auto write = [&](const std::string& path, const std::string& sha = "") {
    std::ofstream(dir / "manifest.json") << R"({"engine": "urbantwin", "kind": "run", "years": [2024, 2025, 2026],
      "inputs": [{"role": "scenario", "path": ")"
                                         << path << R"(", "sha256": ")" << sha << R"("}],
      "overrides": [{"key": "traffic.enabled", "value": "false"}, {"key": "seed", "value": "7"}]})";
  };
  write(scenario);
  const auto s = api::Model::load_run(dir);
  CHECK(s.name == "chengdu-center-baseline");
  CHECK(s.seed == 7);
  CHECK(!s.traffic.enabled);
  CHECK(s.end_year == 2026);
  CHECK(s.file == scenario);
  // The scenario file must be the one the run was made from (its SHA-256 in the manifest).
  write(scenario, core::sha256_file(scenario));
  CHECK(api::Model::load_run(dir).seed == 7);
  write(scenario, std::string(64, '0'));
  CHECK_THROWS_WITH(api::Model::load_run(dir), Catch::Contains("baseline.toml") && Catch::Contains("unchanged since the run"));
  write(scenario + ".gone");
  CHECK_THROWS_WITH(api::Model::load_run(dir), Catch::Contains("manifest.json") && Catch::Contains("must still exist"));
  std::filesystem::remove_all(dir);
  CHECK_THROWS_WITH(api::Model::load_run(dir), Catch::Contains("manifest.json"));
}

namespace ut::test {
std::int64_t api_example(const std::filesystem::path& scenario, const std::filesystem::path& whatif);
}

TEST_CASE("api: docs/api.md's example runs on central Chengdu and its what-if adds what the session said",
          "[api][chengdu]") {
  const std::string scenario = std::string(UT_SOURCE_DIR) + "/scenarios/chengdu-center/baseline.toml";
  const auto dir = std::filesystem::temp_directory_path() / ("ut-api-example-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::int64_t gained = test::api_example(scenario, dir / "whatif.toml");
  CHECK(gained > 0);
  // The saved what-if, simulated from scratch: its base year serves `gained` more residents.
  api::OpenOptions o;
  o.set = {"traffic.enabled=false"};
  auto before = api::Model::open(scenario, o);
  auto after = api::Model::open(dir / "whatif.toml");
  auto served = [](const sim::YearResult& y) {
    std::int64_t n = 0;
    for (const auto v : y.parcel_coverage[0].served) n += v;
    return n;
  };
  CHECK(served(after.step()) - served(before.step()) == gained);
  std::filesystem::remove_all(dir);
}

TEST_CASE("api: every kind of edit saved as a what-if gives, simulated from scratch, the session's values",
          "[api][chengdu]") {
  api::OpenOptions o;
  // Population off: a rezoning's dwelling units are the population model's, derived in a full run
  // (a session keeps the year's units); residents come from the parcels layer in both.
  o.set = {"traffic.enabled=false", "population.enabled=false"};
  auto m = api::Model::open(std::string(UT_SOURCE_DIR) + "/scenarios/chengdu-center/baseline.toml", o);
  m.step();
  auto s = m.session();
  const auto& c = s.city();
  const auto e = s.add_facility("health", s.parcel_centroid(100), 4321.5);
  REQUIRE(s.added_facility_id(e).has_value());
  s.add_facility("kindergarten", s.parcel_centroid(200));
  s.remove_facility(c.facilities.at(3).id);
  const auto& r = c.roads.at(50);
  s.add_greenway({r.line.front(), {r.line.front().x + 123.25, r.line.front().y - 80.5}});
  std::int64_t to_cars = -1;
  for (const auto& road : c.roads)
    if (road.drive && road.id != c.roads.at(60).id) to_cars = road.id;
  s.close_road(c.roads.at(60).id, true);
  s.close_road(to_cars);
  CHECK(s.last_delta().traffic_stale);
  s.rezone(s.parcel_id(10), "commercial", 12345.0);
  CHECK(s.last_delta().parcels_changed == std::vector<std::size_t>{10});
  CHECK(s.edit_count() == 7);
  REQUIRE(test::first_difference(s.result(), s.recomputed()) == "");
  const auto dir = std::filesystem::temp_directory_path() / ("ut-api-kinds-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  s.save_scenario(dir / "w.toml");
  CHECK_THROWS_WITH(s.save_scenario(dir / "w.toml"),
                    Catch::Contains("w.toml"));  // not over an earlier file without overwrite
  s.save_scenario(dir / "w.toml", true);
  const auto toml = s.scenario_toml();
  for (const char* key : {"[[add_facility]]", "capacity = 4321.5", "[[remove_facility]]", "[[add_greenway]]",
                          "to = \"all\"", "to = \"cars\"", "[[rezone]]", "land_use = \"commercial\""})
    CHECK(toml.find(key) != std::string::npos);
  auto fresh = api::Model::open(dir / "w.toml");
  const auto& y = fresh.step();
  INFO(toml);
  CHECK(test::first_difference(s.result(), y) == "");
  std::filesystem::remove_all(dir);
}

TEST_CASE("api: undo reaches back at most `history` edits, reset reverts them all, a removed facility comes back",
          "[api]") {
  auto m = api::Model::from(test::api_scenario(), test::api_city());
  const auto y = m.step();
  auto s = m.session(2);
  s.add_facility("kindergarten", {300, 195});
  s.add_facility("kindergarten", {700, 195});
  const auto after_two = s.result();
  s.add_facility("elderly_care", {500, 395});  // the class's first site: every parcel's tiers change
  CHECK(s.last_delta().class_name == "elderly_care");
  CHECK(s.last_delta().residents_newly_served > 0);
  CHECK(s.edit_count() == 3);
  CHECK(s.undo());
  CHECK(test::first_difference(s.result(), after_two).empty());
  CHECK(s.undo());
  CHECK(!s.undo());  // the first edit is beyond the history of 2: it stays
  CHECK(s.edit_count() == 1);
  s.reset();
  CHECK(s.edit_count() == 0);
  CHECK(test::first_difference(s.result(), y).empty());
  // The mapped kindergarten (id 1) closes: its residents lose it; undo brings it back.
  s.remove_facility(1);
  CHECK(s.last_delta().class_name == "kindergarten");
  CHECK(s.last_delta().residents_newly_served < 0);
  CHECK(s.sites(0) == 0);
  CHECK(test::first_difference(s.result(), s.recomputed()).empty());
  CHECK(s.undo());
  CHECK(s.sites(0) == 1);
  CHECK(test::first_difference(s.result(), y).empty());
}

TEST_CASE("api: a failed greenway changes nothing, history 0 keeps no undo, undo of a two-class facility counts its own class",
          "[api]") {
  auto m = api::Model::from(test::api_scenario(), test::api_city());
  const auto y = m.step();
  auto s = m.session();
  // Too far from the city for a walk network (its segment index would need 1e8 cells): refused,
  // and the session is exactly as before (no greenway left behind in the city or a saved what-if).
  const auto greenways = s.city().greenways.size();
  const auto text = s.scenario_toml();
  CHECK_THROWS_WITH(s.add_greenway({{0, 0}, {1.2e6, 0}}), Catch::Contains("add_greenway line") && Catch::Contains("within 50 km"));
  CHECK_THROWS_WITH(s.add_facility("kindergarten", {0, -9e5}), Catch::Contains("within 50 km"));
  CHECK(s.city().greenways.size() == greenways);
  CHECK(s.scenario_toml() == text);
  CHECK(s.edit_count() == 0);
  CHECK(test::first_difference(s.result(), y).empty());
  s.add_greenway({{0, 400}, {400, 400}});
  CHECK(test::first_difference(s.result(), s.recomputed()).empty());
  // Parcel accessors: an index out of range is bad input; a point that is not finite is on no parcel.
  CHECK_THROWS_AS(s.parcel_id(s.parcels()), core::InputError);
  CHECK_THROWS_AS(s.parcel_centroid(s.parcels() + 5), core::InputError);
  CHECK(!s.parcel_at({std::nan(""), 100}).has_value());
  // An added facility is saved with its session id, so the ids the loader gives metro stations
  // (after every [[add_facility]] without one) stay those [[remove_facility]] entries name.
  const auto e = s.add_facility("kindergarten", {1100, 195});
  REQUIRE(s.added_facility_id(e).has_value());
  CHECK(s.scenario_toml().find(fmt::format("id = {}\n", *s.added_facility_id(e))) != std::string::npos);

  // History 0: every edit stays applied, none can be undone, the values are still exact.
  auto m0 = api::Model::from(test::api_scenario(), test::api_city());
  m0.step();
  auto s0 = m0.session(0);
  const auto e0 = s0.add_facility("kindergarten", {1100, 195});
  CHECK(e0 > 0);
  CHECK(s0.edit_count() == 1);
  CHECK(!s0.undo());
  CHECK(test::first_difference(s0.result(), s0.recomputed()).empty());

  // A small park (class green) also counts for the park class when it is large enough; whatever
  // it serves, undoing it takes back exactly the residents its adding reported for green.
  auto m1 = api::Model::from(test::api_scenario(), test::api_city());
  m1.step();
  auto s1 = m1.session();
  s1.add_facility("green", {500, 395});
  const auto added = s1.last_delta();
  CHECK(added.class_name == "green");
  REQUIRE(s1.undo());
  CHECK(s1.last_delta().class_name == "green");
  CHECK(s1.last_delta().residents_newly_served == -added.residents_newly_served);
}
