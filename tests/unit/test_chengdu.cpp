// End-to-end on the bundled central-Chengdu data: the what-if moves the indicators it should,
// and results do not depend on the thread count.
#include <catch2/catch.hpp>
#include <tbb/global_control.h>

#include <map>

#include "gis_io/load.hpp"
#include "output/run_dir.hpp"
#include "scenario/scenario.hpp"
#include "sim/simulation.hpp"

using namespace ut;

namespace {

struct Run {
  sim::YearResult year;
  std::map<std::string, double> ind;
  std::string csv;
};

Run run(const std::string& scenario_file, std::size_t threads = 2) {
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
  const auto s = scenario::load_scenario(std::string(UT_SOURCE_DIR) + "/scenarios/chengdu-center/" + scenario_file);
  const auto c = gis_io::load_city(s);
  sim::Simulation simulation(s, c);
  simulation.build_networks();
  Run r;
  r.year = simulation.step_base_year();
  for (const auto& i : r.year.indicators)
    if (i.value) r.ind[i.name] = *i.value;
  r.csv = output::indicators_csv({r.year});
  return r;
}

}  // namespace

TEST_CASE("Chengdu baseline: plausible indicators", "[chengdu]") {
  const auto b = run("baseline.toml");
  CHECK(b.ind.at("population") == 922621);  // the residents allocated by prepare-osm
  CHECK(b.ind.count("access_elderly_care_pct") == 0);  // no data in OSM: empty, never invented
  for (const auto& [k, v] : b.ind)
    if (k.size() > 4 && k.substr(k.size() - 4) == "_pct") {
      CHECK(v >= 0);
      CHECK(v <= 100);
    }
  // Tiers do not nest, but a tier can never exceed the access of any of its classes.
  CHECK(b.ind.at("coverage_15min_pct") <= b.ind.at("access_middle_school_pct"));
  CHECK(b.ind.at("coverage_15min_pct") <= b.ind.at("access_metro_pct"));
  CHECK(b.ind.at("greenway_km") > 5);
  // Traffic: the assignment converged, shares and indices in range, flows on every link >= 0.
  CHECK(b.ind.at("assignment_relative_gap") <= 1e-6);
  CHECK(b.ind.at("green_mode_share_pct") > 50);
  CHECK(b.ind.at("green_mode_share_pct") < 90);
  CHECK(b.ind.at("congestion_index") >= 1.0);
  CHECK(b.ind.at("mean_commute_min") > 5);
  CHECK(b.ind.at("vkt_million") > 0);
  const auto& t = b.year.traffic;
  CHECK(t.zones > 20);
  CHECK(t.person_trips == Approx(922621 * 2.2 * 0.12).epsilon(1e-9));  // generation: residents x rate
  for (double v : t.volume) REQUIRE(v >= 0);
}

TEST_CASE("Chengdu what-if: a new metro line raises the green share and lowers car kilometres", "[chengdu][traffic]") {
  const auto b = run("baseline.toml");
  const auto w = run("whatif-metro-line.toml");
  CHECK(w.ind.at("metro_800m_pct") > b.ind.at("metro_800m_pct"));
  CHECK(w.ind.at("green_mode_share_pct") > b.ind.at("green_mode_share_pct"));
  CHECK(w.ind.at("vkt_million") < b.ind.at("vkt_million"));
  CHECK(w.ind.at("congestion_index") <= b.ind.at("congestion_index"));
}

TEST_CASE("Chengdu what-if: closing ring-road segments raises congestion and commute times", "[chengdu][traffic]") {
  const auto b = run("baseline.toml");
  const auto w = run("whatif-road-closure.toml");
  CHECK(w.ind.at("congestion_index") > b.ind.at("congestion_index"));
  CHECK(w.ind.at("mean_commute_min") > b.ind.at("mean_commute_min"));
  CHECK(w.ind.at("green_mode_share_pct") > b.ind.at("green_mode_share_pct"));  // some drivers switch
  for (auto id : w.year.traffic.road_id) REQUIRE((id != 455 && id != 401 && id != 403 && id != 68));
  CHECK(w.year.traffic.links < b.year.traffic.links);
}

TEST_CASE("Chengdu what-if: new kindergartens, health centre and greenway move the indicators up", "[chengdu]") {
  const auto b = run("baseline.toml");
  const auto w = run("whatif-community-services.toml");
  CHECK(w.ind.at("access_kindergarten_pct") > b.ind.at("access_kindergarten_pct"));
  CHECK(w.ind.at("coverage_5min_pct") > b.ind.at("coverage_5min_pct"));
  CHECK(w.ind.at("access_health_pct") > b.ind.at("access_health_pct"));
  CHECK(w.ind.at("supply_kindergarten_per_1000") > b.ind.at("supply_kindergarten_per_1000"));
  CHECK(w.ind.at("greenway_km") == Approx(b.ind.at("greenway_km") + 1.07).margin(0.01));
  CHECK(w.ind.at("greenway_access_pct") >= b.ind.at("greenway_access_pct"));
  // Untouched classes do not move.
  CHECK(w.ind.at("metro_800m_pct") == b.ind.at("metro_800m_pct"));
  CHECK(w.ind.at("fire_5min_pct") == b.ind.at("fire_5min_pct"));
  // No parcel is farther from a kindergarten than before.
  const auto kg = 0;  // kindergarten is the first norm
  for (std::size_t p = 0; p < b.year.coverage.classes[kg].cost.size(); ++p)
    REQUIRE(w.year.coverage.classes[kg].cost[p] <= b.year.coverage.classes[kg].cost[p]);
}

TEST_CASE("Chengdu: indicators and parcel values identical for 1, 2 and 8 threads", "[chengdu][determinism]") {
  const auto one = run("whatif-community-services.toml", 1);
  for (std::size_t t : {2u, 8u}) {
    const auto other = run("whatif-community-services.toml", t);
    CHECK(other.csv == one.csv);
    CHECK(other.year.traffic.volume == one.year.traffic.volume);
    for (std::size_t k = 0; k < one.year.coverage.classes.size(); ++k) {
      CHECK(other.year.coverage.classes[k].cost == one.year.coverage.classes[k].cost);
      CHECK(other.year.coverage.classes[k].supply == one.year.coverage.classes[k].supply);
    }
  }
}
