// End-to-end on the bundled central-Chengdu data: the what-if moves the indicators it should,
// and results do not depend on the thread count.
#include <catch2/catch.hpp>
#include <tbb/global_control.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include "api/api.hpp"
#include "core/credit.hpp"
#include "gis_io/load.hpp"
#include "output/run_dir.hpp"
#include "scenario/scenario.hpp"
#include "sim/simulation.hpp"

using namespace ut;

namespace {

struct Run {
  std::vector<sim::YearResult> years;
  sim::YearResult year;  // the last one
  std::map<std::string, double> ind;  // of the last year
  std::string csv;
  std::vector<std::int64_t> parcel_id;
};

// Runs a bundled scenario from its base year to `last_year` (default: the base year only).
Run run(const std::string& scenario_file, std::size_t threads = 2, int last_year = 0) {
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
  api::OpenOptions o;
  if (last_year) o.until = last_year;
  auto s = api::Model::load(std::string(UT_SOURCE_DIR) + "/scenarios/chengdu-center/" + scenario_file, o);
  if (!last_year) s.end_year = s.base_year;
  auto model = api::Model::open(std::move(s));
  const auto& c = model.plan();
  Run r;
  r.years = model.run();
  r.year = r.years.back();
  for (const auto& i : r.year.indicators)
    if (i.value) r.ind[i.name] = *i.value;
  r.csv = output::indicators_csv(r.years);
  r.parcel_id = c.parcels.id;
  return r;
}

std::map<std::string, double> indicators(const sim::YearResult& y) {
  std::map<std::string, double> m;
  for (const auto& i : y.indicators)
    if (i.value) m[i.name] = *i.value;
  return m;
}

// Before its first intervention year a what-if is the baseline, bit for bit.
void same_until(const Run& b, const Run& w, int year) {
  for (std::size_t k = 0; k < b.years.size() && b.years[k].year < year; ++k) {
    CHECK(output::indicators_csv({b.years[k]}) == output::indicators_csv({w.years[k]}));
    CHECK(b.years[k].residents == w.years[k].residents);
  }
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

TEST_CASE("Chengdu 2024-2027: population conserved every year, capacity never exceeded, indicators sane", "[chengdu][population]") {
  const auto b = run("baseline.toml", 2, 2027);
  REQUIRE(b.years.size() == 4);
  CHECK(b.years[0].population.persons == 922621);  // the synthetic population holds the parcels' residents
  for (std::size_t k = 1; k < b.years.size(); ++k) {
    const auto& p = b.years[k].population;
    // The change in residents counted parcel by parcel equals the year's accounts.
    auto residents_of = [](const sim::YearResult& y) {
      std::int64_t n = 0;
      for (const auto r : y.residents) n += r;
      return n;
    };
    const std::int64_t accounts = static_cast<std::int64_t>(p.births) - static_cast<std::int64_t>(p.deaths) +
                                  static_cast<std::int64_t>(p.in_migrants) - static_cast<std::int64_t>(p.out_migrants);
    CHECK(residents_of(b.years[k]) - residents_of(b.years[k - 1]) == accounts);
    CHECK(p.change == accounts);
    std::uint64_t residents = 0;
    for (std::size_t q = 0; q < p.units_per_parcel.size(); ++q) {
      REQUIRE(p.occupied_per_parcel[q] <= p.units_per_parcel[q]);
      residents += b.years[k].residents[q];
    }
    CHECK(residents == p.persons);
    const auto ind = indicators(b.years[k]);
    CHECK(ind.at("population") == static_cast<double>(p.persons));
    CHECK(ind.at("births") > 0);
    CHECK(ind.at("deaths") > 0);
    CHECK(ind.at("mean_age") > indicators(b.years[k - 1]).at("mean_age"));  // Chengdu ages
    CHECK(ind.at("households") <= ind.at("dwelling_units") + ind.at("unplaced_households"));
    // The control total (0.5 % a year) is met to within one household.
    CHECK(std::abs(static_cast<double>(p.persons) - static_cast<double>(p.control_total)) <= 10);
  }
}

TEST_CASE("Chengdu what-if: a new metro line (2028) raises the green share and lowers car kilometres", "[chengdu][traffic]") {
  const auto b = run("baseline.toml", 2, 2028);
  const auto w = run("whatif-metro-line.toml", 2, 2028);
  same_until(b, w, 2028);
  CHECK(w.ind.at("metro_800m_pct") > b.ind.at("metro_800m_pct") + 1);
  CHECK(w.ind.at("green_mode_share_pct") > b.ind.at("green_mode_share_pct"));
  CHECK(w.ind.at("vkt_million") < b.ind.at("vkt_million"));
  CHECK(w.ind.at("congestion_index") <= b.ind.at("congestion_index"));
}

TEST_CASE("Chengdu what-if: closing ring-road segments (2026) raises congestion and commute times", "[chengdu][traffic]") {
  const auto b = run("baseline.toml", 2, 2026);
  const auto w = run("whatif-road-closure.toml", 2, 2026);
  same_until(b, w, 2026);
  CHECK(w.ind.at("congestion_index") > b.ind.at("congestion_index"));
  CHECK(w.ind.at("mean_commute_min") > b.ind.at("mean_commute_min"));
  CHECK(w.ind.at("green_mode_share_pct") > b.ind.at("green_mode_share_pct"));  // some drivers switch
  for (auto id : w.year.traffic.road_id) REQUIRE((id != 455 && id != 401 && id != 403 && id != 68));
  CHECK(w.year.traffic.links < b.year.traffic.links);
}

TEST_CASE("Chengdu what-if: community services (2026) move the indicators up", "[chengdu]") {
  const auto b = run("baseline.toml", 2, 2026);
  const auto w = run("whatif-community-services.toml", 2, 2026);
  same_until(b, w, 2026);
  CHECK(w.ind.at("access_kindergarten_pct") > b.ind.at("access_kindergarten_pct"));
  CHECK(w.ind.at("coverage_5min_pct") > b.ind.at("coverage_5min_pct"));
  CHECK(w.ind.at("access_health_pct") > b.ind.at("access_health_pct"));
  CHECK(w.ind.at("supply_kindergarten_per_1000") > b.ind.at("supply_kindergarten_per_1000"));
  CHECK(w.ind.at("greenway_km") == Approx(b.ind.at("greenway_km") + 1.135).margin(0.01));
  // No home point is farther from a kindergarten than before.
  const auto kg = 0;  // kindergarten is the first norm
  for (std::size_t p = 0; p < b.year.coverage.classes[kg].cost.size(); ++p)
    REQUIRE(w.year.coverage.classes[kg].cost[p] <= b.year.coverage.classes[kg].cost[p]);
}

TEST_CASE("Chengdu what-if: greenway links (2027) bring greenways within reach of many more residents", "[chengdu]") {
  const auto b = run("baseline.toml", 2, 2027);
  const auto w = run("whatif-greenway-links.toml", 2, 2027);
  same_until(b, w, 2027);
  CHECK(w.ind.at("greenway_km") > b.ind.at("greenway_km") + 15);
  CHECK(w.ind.at("greenway_access_pct") > b.ind.at("greenway_access_pct") + 5);
  CHECK(w.ind.at("green_mode_share_pct") > b.ind.at("green_mode_share_pct"));  // greenway access favours walking and cycling
}

TEST_CASE("Chengdu what-if: upzoning near metro (2026) adds housing there and residents follow", "[chengdu][population]") {
  const auto b = run("baseline.toml", 2, 2028);
  const auto w = run("whatif-upzoning-metro.toml", 2, 2028);
  same_until(b, w, 2026);
  CHECK(w.ind.at("dwelling_units") > b.ind.at("dwelling_units") + 10000);
  CHECK(w.ind.at("unplaced_households") <= b.ind.at("unplaced_households"));
  CHECK(w.ind.at("metro_800m_pct") > b.ind.at("metro_800m_pct"));
  // Residents of the upzoned blocks: more than in the baseline.
  const auto s = scenario::load_scenario(std::string(UT_SOURCE_DIR) + "/scenarios/chengdu-center/whatif-upzoning-metro.toml");
  std::uint64_t rb = 0, rw = 0;
  for (const auto id : s.rezones.at(0).parcels) {
    const auto p = static_cast<std::size_t>(std::find(b.parcel_id.begin(), b.parcel_id.end(), id) - b.parcel_id.begin());
    rb += b.year.residents[p];
    rw += w.year.residents[p];
  }
  CHECK(rw > rb);
  CHECK(w.ind.at("population") == b.ind.at("population"));  // the same control totals
}

TEST_CASE("Chengdu 2024-2026: every year identical for 1, 2 and 8 threads", "[chengdu][determinism]") {
  const auto one = run("whatif-community-services.toml", 1, 2026);
  for (std::size_t t : {2u, 8u}) {
    const auto other = run("whatif-community-services.toml", t, 2026);
    CHECK(other.csv == one.csv);
    for (std::size_t k = 0; k < one.years.size(); ++k) {
      CHECK(other.years[k].residents == one.years[k].residents);
      CHECK(other.years[k].population.households_per_parcel == one.years[k].population.households_per_parcel);
      CHECK(other.years[k].traffic.volume == one.years[k].traffic.volume);
      for (std::size_t c = 0; c < one.years[k].coverage.classes.size(); ++c) {
        CHECK(other.years[k].coverage.classes[c].cost == one.years[k].coverage.classes[c].cost);
        CHECK(other.years[k].coverage.classes[c].supply == one.years[k].coverage.classes[c].supply);
      }
    }
  }
}

TEST_CASE("Chengdu interventions take effect in their year: removed school, new road, rezoning by polygon, road closed to all",
          "[chengdu][interventions]") {
  const std::string gpkg = std::string(UT_SOURCE_DIR) + "/gis-data/chengdu-center/chengdu-center.gpkg";
  const auto file = std::filesystem::temp_directory_path() / "ut_interventions.toml";
  {
    std::ofstream o(file);
    o << "name = \"interventions\"\nseed = 5\nbase_year = 2024\nend_year = 2026\ncrs = \"EPSG:32648\"\n";
    o << "profile = \"" << UT_SOURCE_DIR << "/gis-data/chengdu-center/profile.toml\"\n";
    for (const char* role : {"parcels", "roads", "greenways", "facilities"})
      o << "[layers." << role << "]\nsource = \"" << gpkg << "\"\nlayer = \"" << role << "\"\n";
    o << "[traffic]\nfeedback_iterations = 1\n"
         "[[remove_facility]]\nyear = 2025\nid = 136\n"
         "[[add_road]]\nyear = 2026\nclass = \"tertiary\"\ncrs = \"EPSG:32648\"\n"
         "wkt = \"LINESTRING(412921.5813052539 3394202.361488879, 413113.2188433289 3394396.056120003)\"\n"
         "[[close_road]]\nyear = 2026\nroads = [16]\nto = \"all\"\n"
         "[[rezone]]\nyear = 2025\nland_use = \"residential\"\nunits = 5000\ncrs = \"EPSG:32648\"\n"
         "polygon = \"POLYGON((412000 3394000, 413000 3394000, 413000 3395000, 412000 3395000, 412000 3394000))\"\n";
  }
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 2);
  auto model = api::Model::open(file);
  const auto& s = model.scenario();
  const auto& plan = model.plan();
  REQUIRE(s.rezones.size() == 1);
  REQUIRE(!plan.rezonings.at(0).parcels.empty());
  const auto years = model.run();
  REQUIRE(years.size() == 3);
  std::size_t ms = 0;
  while (s.norms[ms].name != "middle_school") ++ms;
  // The school closes in 2025: sites drop by one and nobody gets closer to a middle school.
  CHECK(years[1].sites[ms] == years[0].sites[ms] - 1);
  for (std::size_t p = 0; p < years[0].coverage.classes[ms].cost.size(); ++p)
    REQUIRE(years[1].coverage.classes[ms].cost[p] >= years[0].coverage.classes[ms].cost[p]);
  // The rezoned parcels hold 5000 units each from 2025 and fill with residents.
  for (const auto p : plan.rezonings[0].parcels) {
    CHECK(years[0].population.units_per_parcel[p] < 5000);
    CHECK(years[1].population.units_per_parcel[p] == 5000);
    CHECK(years[1].land_use[p] == "residential");
  }
  // The new road carries traffic from 2026; road 16 is gone for cars and walkers from 2026.
  auto has_road = [](const sim::TrafficResult& t, auto pred) { return std::any_of(t.road_id.begin(), t.road_id.end(), pred); };
  const auto added = [](std::int64_t id) { return id >= 900000000; };
  const auto sixteen = [](std::int64_t id) { return id == 16; };
  CHECK(!has_road(years[1].traffic, added));
  CHECK(has_road(years[2].traffic, added));
  CHECK(has_road(years[1].traffic, sixteen));
  CHECK(!has_road(years[2].traffic, sixteen));
  const auto notes = model.simulation().notes();
  CHECK(std::any_of(notes.begin(), notes.end(), [](const std::string& n) { return n.find("networks rebuilt in 2026") != std::string::npos; }));
  std::filesystem::remove(file);
}

TEST_CASE("Chengdu: a greenway added from a layer acts like the same lines given as WKT", "[chengdu][interventions]") {
  const std::string dir = std::string(UT_SOURCE_DIR) + "/scenarios/chengdu-center/";
  auto wkt = scenario::load_scenario(dir + "whatif-greenway-links.toml");
  auto layer = wkt;
  layer.add_greenways.clear();
  scenario::AddGreenway g;
  g.key = "add_greenway[1]";
  g.year = 2025;
  g.name = "links";
  g.level = "community";
  g.source = std::string(UT_SOURCE_DIR) + "/tests/data/greenway_links.geojson";
  g.layer = "greenway_links";
  layer.add_greenways.push_back(g);
  for (auto& a : wkt.add_greenways) a.year = 2025;
  wkt.end_year = layer.end_year = 2025;
  wkt.traffic.enabled = layer.traffic.enabled = false;
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 2);
  auto last = [](const scenario::Scenario& s) { return indicators(api::Model::open(s).run().back()); };
  const auto a = last(wkt), b = last(layer);
  CHECK(b.at("greenway_km") == Approx(a.at("greenway_km")).epsilon(1e-9));
  CHECK(b.at("greenway_access_pct") == a.at("greenway_access_pct"));
  CHECK(b.at("greenway_access_pct") > 10);
}

TEST_CASE("Credits follow the data: Chengdu's layers declare OpenStreetMap's, other declared credits replace it", "[chengdu][credit]") {
  const auto s = api::Model::load(std::string(UT_SOURCE_DIR) + "/scenarios/chengdu-center/baseline.toml", {});
  const city::City c = gis_io::load_city(s);
  REQUIRE(c.attribution.size() == 1);  // every layer from one GeoPackage, its `about` table
  CHECK(c.attribution[0].find("© OpenStreetMap contributors") == 0);
  CHECK(c.undeclared_sources == 0);
  const auto osm = output::run_credit(c);
  CHECK(osm.text == output::kAttribution);  // the run's bytes as before
  CHECK(osm.osm);
  // A source that declares a credit of its own, not OpenStreetMap's (bench/citygen's): that credit only.
  city::City own;
  own.attribution = {"Synthetic city made by bench/citygen (seed 1)."};
  const auto syn = output::run_credit(own);
  CHECK(syn.text == "Synthetic city made by bench/citygen (seed 1).");
  CHECK_FALSE(syn.osm);
  CHECK(syn.license.find("OpenStreetMap") == std::string::npos);
  // Another layer source declaring nothing is taken to be OpenStreetMap's: both credits.
  own.undeclared_sources = 1;
  CHECK(output::run_credit(own).text == std::string(output::kAttribution) + " Synthetic city made by bench/citygen (seed 1).");
  // A city whose sources declare nothing at all (a GeoJSON fixture): OpenStreetMap's, as always.
  CHECK(output::run_credit(city::City{}).text == output::kAttribution);
}

TEST_CASE("Outputs made from runs join the runs' recorded credits, each once", "[credit]") {
  const std::string osm = output::kAttribution;
  const std::string syn = "Synthetic city made by bench/citygen (seed 1).";
  const std::string own = "Greenways: Chengdu Park City Bureau, CC BY 4.0.";
  // What a run's manifest.json records, read back.
  const auto r_osm = core::recorded_credit(osm);
  CHECK(r_osm.osm);
  CHECK(r_osm.others.empty());
  CHECK(r_osm.text == osm);
  CHECK(r_osm.license == output::kOsmLicense);
  const auto r_syn = core::recorded_credit(syn);
  CHECK_FALSE(r_syn.osm);
  CHECK(r_syn.text == syn);
  const auto r_both = core::recorded_credit(osm + " " + own);
  CHECK(r_both.osm);
  REQUIRE(r_both.others.size() == 1);
  CHECK(r_both.others[0] == own);
  // A run written before runs recorded their credit: OpenStreetMap's.
  CHECK(core::recorded_credit(std::nullopt).text == osm);
  CHECK(core::recorded_credit(std::string()).text == osm);
  // Unions: each credit once, OpenStreetMap's first, the others in the order given.
  CHECK(core::credit_union({r_osm, r_osm}).text == osm);  // Chengdu's outputs: the bytes as before
  CHECK(core::credit_union({r_syn, r_syn}).text == syn);  // a synthetic city's: no OpenStreetMap
  CHECK_FALSE(core::credit_union({r_syn, r_syn}).osm);
  CHECK(core::credit_union({r_syn, r_osm}).text == osm + " " + syn);
  CHECK(core::credit_union({r_both, r_syn, r_osm}).text == osm + " " + own + " " + syn);
  CHECK(core::credit_union({r_both, r_both}).text == osm + " " + own);
  CHECK(core::credit_union({}).text == osm);  // no runs done: what a source declaring none gets
  // A city with one OpenStreetMap layer and one layer with its own credit: both, the what-if
  // header one comment line each.
  city::City mixed;
  mixed.attribution = {osm, own};
  const auto m = output::run_credit(mixed);
  CHECK(m.text == osm + " " + own);
  CHECK(output::credit_comment(m) ==
        "# © OpenStreetMap contributors, ODbL (where the scenario's layers come from OpenStreetMap).\n# " + own + "\n");
  city::City synthetic;
  synthetic.attribution = {syn};
  CHECK(output::credit_comment(output::run_credit(synthetic)) == "# " + syn + "\n");
}

TEST_CASE("Chengdu 2024-2026 with feedback from the last year's car times: the base year unchanged and later years in fewer iterations",
          "[chengdu][traffic][warm]") {
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 2);
  auto years = [](bool from_last_year) {
    auto s = api::Model::load(std::string(UT_SOURCE_DIR) + "/scenarios/chengdu-center/baseline.toml", {});
    s.end_year = 2026;
    s.traffic.feedback_from_last_year = from_last_year;
    auto model = api::Model::open(std::move(s));
    return model.run();
  };
  const auto free_flow = years(false), last_year = years(true);
  REQUIRE(free_flow.size() == 3);
  REQUIRE(last_year.size() == 3);
  // The base year has no last year: its first skim is at free flow either way, bit for bit.
  CHECK(output::indicators_csv({free_flow[0]}) == output::indicators_csv({last_year[0]}));
  CHECK(free_flow[0].traffic.volume == last_year[0].traffic.volume);
  for (std::size_t k = 1; k < 3; ++k) {
    INFO("year " << free_flow[k].year);
    // Both meet the scenario's gap; starting near last year's equilibrium costs fewer iterations.
    CHECK(last_year[k].traffic.relative_gap <= 1e-6);
    CHECK(free_flow[k].traffic.relative_gap <= 1e-6);
    CHECK(last_year[k].traffic.assignment_iterations < free_flow[k].traffic.assignment_iterations);
    // A different start of the averaging, the same model: car times within a few per cent.
    const auto a = indicators(free_flow[k]), b = indicators(last_year[k]);
    CHECK(std::abs(b.at("mean_commute_min") / a.at("mean_commute_min") - 1) < 0.05);
  }
}
