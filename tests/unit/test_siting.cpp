// Site selection (docs/site-select.md) with known answers: a covering problem where plain greedy
// is not optimal and the swap search fixes it; lazy greedy equal to plain greedy; greedy + swap
// equal to an exhaustive search on a small city; on central Chengdu better than the best of 100
// random placements, with a non-increasing gain curve.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>

#include "core/error.hpp"
#include "geo/geometry.hpp"
#include "gis_io/load.hpp"
#include "scenario/profile.hpp"
#include "scenario/scenario.hpp"
#include "sim/simulation.hpp"
#include "siting/covering.hpp"
#include "siting/siting.hpp"

using namespace ut;

namespace {

// Plain greedy without lazy evaluation: the largest marginal gain, ties to the lower index.
std::vector<std::uint32_t> plain_greedy(const siting::Problem& p, std::size_t k) {
  std::vector<std::uint32_t> chosen;
  for (std::size_t r = 0; r < k; ++r) {
    std::uint64_t best_g = 0;
    std::uint32_t best = UINT32_MAX;
    const std::uint64_t now = siting::covered_weight(p, chosen);
    for (std::uint32_t c = 0; c < p.covers.size(); ++c) {
      if (std::find(chosen.begin(), chosen.end(), c) != chosen.end()) continue;
      auto with = chosen;
      with.push_back(c);
      const std::uint64_t g = siting::covered_weight(p, with) - now;
      if (best == UINT32_MAX || g > best_g) best = c, best_g = g;
    }
    chosen.push_back(best);
  }
  return chosen;
}

siting::Problem random_problem(std::mt19937_64& rng, std::size_t elements, std::size_t candidates) {
  siting::Problem p;
  for (std::size_t e = 0; e < elements; ++e) p.weight.push_back(rng() % 50);
  for (std::size_t c = 0; c < candidates; ++c) {
    std::vector<std::uint32_t> set;
    const std::size_t size = 1 + rng() % (elements / 3);
    for (std::size_t i = 0; i < size; ++i) set.push_back(static_cast<std::uint32_t>(rng() % elements));
    std::sort(set.begin(), set.end());
    set.erase(std::unique(set.begin(), set.end()), set.end());
    p.covers.push_back(set);
  }
  return p;
}

void check_ranked(const siting::Problem& p, const siting::Solution& s, std::size_t k) {
  REQUIRE(s.chosen.size() == k);
  REQUIRE(s.gain.size() == k);
  CHECK(siting::covered_weight(p, s.chosen) == s.total);
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < k; ++i) {
    sum += s.gain[i];
    if (i > 0) CHECK(s.gain[i] <= s.gain[i - 1]);
  }
  CHECK(sum == s.total);
}

}  // namespace

TEST_CASE("siting covering: greedy is not optimal here, the swap search finds the optimum", "[siting]") {
  // Six households of one resident each. Candidate 0 covers four (0-3) and is greedy's first
  // choice; then 1 and 2 each add one (ties to 1): greedy = 5. Candidates 1 and 2 together
  // cover all six: swapping 0 for 2 gives the optimum 6.
  siting::Problem p;
  p.weight = {1, 1, 1, 1, 1, 1};
  p.covers = {{0, 1, 2, 3}, {0, 1, 4}, {2, 3, 5}};
  const auto g = siting::greedy(p, 2);
  CHECK(g.chosen == std::vector<std::uint32_t>{0, 1});
  CHECK(g.total == 5);
  const auto s = siting::solve(p, 2);
  CHECK(s.greedy_total == 5);
  CHECK(s.total == 6);
  CHECK(s.swaps == 1);
  CHECK(s.chosen == std::vector<std::uint32_t>{1, 2});  // equal gains 3, 3: lower index first
  CHECK(s.gain == std::vector<std::uint64_t>{3, 3});
  const auto x = siting::exhaustive(p, 2);
  CHECK(x.total == 6);
  CHECK(x.chosen == s.chosen);
  CHECK_THROWS_AS(siting::solve(p, 4), std::invalid_argument);
  CHECK_THROWS_AS(siting::solve(p, 0), std::invalid_argument);
}

TEST_CASE("siting covering: lazy greedy picks what plain greedy picks, swap never loses, within 1 - 1/e of the optimum",
          "[siting][property]") {
  std::mt19937_64 rng(14);
  std::size_t improved = 0;
  for (int trial = 0; trial < 200; ++trial) {
    const auto p = random_problem(rng, 24, 12);
    for (std::size_t k : {1, 2, 3, 4}) {
      const auto g = siting::greedy(p, k);
      REQUIRE(g.chosen == plain_greedy(p, k));
      const auto s = siting::solve(p, k);
      check_ranked(p, s, k);
      CHECK(s.total >= g.total);
      improved += s.total > g.total;
      const auto x = siting::exhaustive(p, k);
      CHECK(s.total <= x.total);
      CHECK(static_cast<double>(g.total) >= (1 - std::exp(-1.0)) * static_cast<double>(x.total));
      if (k == 1) CHECK(s.total == x.total);  // greedy is exact for one site
    }
  }
  CHECK(improved > 0);  // the swap search mattered somewhere
}

namespace {

geo::MultiPolygon rect(double x0, double y0, double x1, double y1) {
  geo::LineString r{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}};
  return {geo::Polygon{{r}}};
}

void add_parcel(city::City& c, std::int64_t id, const geo::MultiPolygon& shape, std::uint32_t residents) {
  auto& P = c.parcels;
  P.id.push_back(id);
  P.land_use.push_back("residential");
  P.area_m2.push_back(geo::area(shape));
  P.floor_area_m2.push_back(geo::area(shape));
  P.residents.push_back(residents);
  P.centroid.push_back(geo::centroid(shape));
  P.shape.push_back(shape);
}

void add_road(city::City& c, std::int64_t id, geo::LineString line) {
  city::Road r;
  r.id = id;
  r.road_class = "residential";
  r.speed_kmh = 25;
  r.walk = r.drive = true;
  r.line = std::move(line);
  c.roads.push_back(std::move(r));
}

scenario::Scenario make_scenario() {
  scenario::Scenario s;
  s.name = "siting";
  s.file = "siting-fixture.toml";
  s.profile = scenario::load_profile(std::string(UT_SOURCE_DIR) + "/gis-data/chengdu-center/profile.toml");
  s.norms = scenario::default_norms(s.profile);
  std::erase_if(s.norms, [](const scenario::Norm& n) { return n.name != "kindergarten"; });
  s.population.enabled = false;
  s.traffic.enabled = false;
  return s;
}

// A street grid 1,200 m x 800 m (a street every 200 m, nodes every 50 m), twelve 200 m blocks
// with 100 to 1,200 residents, one existing kindergarten in the south-west corner.
city::City small_city() {
  city::City c;
  std::int64_t id = 1;
  for (int j = 0; j < 3; ++j)
    for (int i = 0; i < 6; ++i, ++id)
      if (!(i == 5 && j == 2))
        add_parcel(c, id, rect(200.0 * i + 10, 200.0 * j + 10, 200.0 * i + 190, 200.0 * j + 190),
                   static_cast<std::uint32_t>(100 * ((id * 7) % 12 + 1)));
  std::int64_t road = 1;
  for (int j = 0; j <= 3; ++j) {
    geo::LineString l;
    for (int x = 0; x <= 1200; x += 50) l.push_back({static_cast<double>(x), 200.0 * j});
    add_road(c, road++, l);
  }
  for (int i = 0; i <= 6; ++i) {
    geo::LineString l;
    for (int y = 0; y <= 600; y += 50) l.push_back({200.0 * i, static_cast<double>(y)});
    add_road(c, road++, l);
  }
  city::Facility f;
  f.id = 1;
  f.name = "kindergarten 1";
  f.classes = {"kindergarten"};
  f.location = {100, 15};
  f.origin = "layer";
  c.facilities.push_back(std::move(f));
  return c;
}

}  // namespace

TEST_CASE("siting: site-select on a small city: greedy + swap equals the exhaustive optimum for K = 2, 3", "[siting]") {
  const auto s = make_scenario();
  const auto c = small_city();
  for (std::size_t k : {2, 3}) {
    siting::Options o;
    o.cls = "kindergarten";
    o.count = k;
    const auto r = siting::select(s, c, o);
    REQUIRE(r.sites.size() == k);
    CHECK(r.candidates == 17);  // one per parcel with residents
    const auto x = siting::exhaustive(r.problem, k);
    CHECK(r.sites.back().cumulative == x.total);
    // The chosen sites newly serve exactly what a simulation with them added serves more.
    city::City with = c;
    for (const auto& site : r.sites) {
      city::Facility f;
      f.id = 100 + static_cast<std::int64_t>(site.rank);
      f.classes = {"kindergarten"};
      f.location = site.candidate.xy;
      f.origin = "layer";
      with.facilities.push_back(f);
    }
    sim::Simulation before(s, c), after(s, with);
    const auto yb = before.step_base_year(), ya = after.step_base_year();
    std::uint64_t served_b = 0, served_a = 0;
    for (std::size_t p = 0; p < c.parcels.size(); ++p) {
      served_b += yb.parcel_coverage[0].served[p];
      served_a += ya.parcel_coverage[0].served[p];
    }
    CHECK(served_b == r.served_before);
    CHECK(served_a - served_b == r.sites.back().cumulative);
    CHECK(r.residents == 11600);  // 100 x (8+3+10+5+12+7+2+9+4+11+6+1+8+3+10+5+12)
  }
}

TEST_CASE("siting: site-select bad options name the option", "[siting]") {
  const auto s = make_scenario();
  const auto c = small_city();
  siting::Options o;
  o.cls = "kindergarden";
  o.count = 1;
  CHECK_THROWS_WITH(siting::select(s, c, o),
                    Catch::Contains("option --class") && Catch::Contains("did you mean 'kindergarten'"));
  o.cls = "kindergarten";
  o.count = 0;
  CHECK_THROWS_WITH(siting::select(s, c, o), Catch::Contains("option --count"));
  o.count = 18;
  CHECK_THROWS_WITH(siting::select(s, c, o), Catch::Contains("option --count") && Catch::Contains("at most"));
  o.count = 1;
  o.year = 1999;
  CHECK_THROWS_WITH(siting::select(s, c, o), Catch::Contains("option --year"));
}

TEST_CASE("siting: site-select on central Chengdu: 10 kindergartens beat the best of 100 random placements",
          "[siting][chengdu]") {
  const auto s = scenario::load_scenario(std::string(UT_SOURCE_DIR) + "/scenarios/chengdu-center/baseline.toml");
  const auto c = gis_io::load_city(s);
  siting::Options o;
  o.cls = "kindergarten";
  o.count = 10;
  const auto r = siting::select(s, c, o);
  REQUIRE(r.sites.size() == 10);
  for (std::size_t i = 1; i < r.sites.size(); ++i) CHECK(r.sites[i].gain <= r.sites[i - 1].gain);
  std::vector<std::uint32_t> chosen;
  for (const auto& site : r.sites)
    chosen.push_back(
        static_cast<std::uint32_t>(std::find_if(r.usable.begin(), r.usable.end(),
                                                [&](const siting::Candidate& x) { return x.id == site.candidate.id; }) -
                                   r.usable.begin()));
  CHECK(siting::covered_weight(r.problem, chosen) == r.sites.back().cumulative);
  CHECK(r.sites.back().cumulative >= r.greedy_total);
  std::mt19937_64 rng(20240101);
  std::uint64_t best_random = 0;
  const std::size_t n = r.problem.covers.size();
  for (int trial = 0; trial < 100; ++trial) {
    std::vector<std::uint32_t> pick;
    while (pick.size() < 10) {
      const auto c2 = static_cast<std::uint32_t>(rng() % n);
      if (std::find(pick.begin(), pick.end(), c2) == pick.end()) pick.push_back(c2);
    }
    best_random = std::max(best_random, siting::covered_weight(r.problem, pick));
  }
  INFO("site-select " << r.sites.back().cumulative << ", best random " << best_random);
  CHECK(r.sites.back().cumulative > best_random);
}
