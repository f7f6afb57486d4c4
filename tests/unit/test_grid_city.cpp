// The tiny grid city: a 3 x 3 grid of streets 100 m apart, three parcels, one kindergarten.
// Every expected value below is worked out by hand in the comments.
#include <catch2/catch.hpp>
#include <tbb/global_control.h>

#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>

#include "core/fixed_point.hpp"
#include "fixtures.hpp"
#include "models/coverage/coverage.hpp"

using namespace ut;

namespace {

coverage::Input grid_city(const graph::Graph& g, const std::vector<geo::Point>& parcels,
                          const std::vector<std::uint32_t>& residents, const std::vector<geo::Point>& sites,
                          const std::vector<double>& capacity, std::uint32_t bound_dm, std::uint32_t catchment_dm) {
  const graph::EdgeLocator loc(g);
  coverage::Input in;
  in.walk = &g;
  in.drive = &g;
  for (const auto& p : parcels) in.point_walk.push_back(*loc.attach(p, 500));
  in.point_drive = in.point_walk;
  in.residents = residents;
  coverage::ClassInput ci;
  ci.spec = {"kindergarten", coverage::Network::walk, bound_dm, catchment_dm > 0, catchment_dm};
  for (std::size_t j = 0; j < sites.size(); ++j) ci.sites.push_back({{*loc.attach(sites[j], 500)}, capacity[j]});
  in.classes.push_back(ci);
  return in;
}

double gaussian(double d, double D) {  // the 2SFCA weight, written out independently of the engine
  if (d >= D) return 0;
  return (std::exp(-0.5 * (d / D) * (d / D)) - std::exp(-0.5)) / (1 - std::exp(-0.5));
}

}  // namespace

TEST_CASE("grid city: network distances along edges plus access legs", "[coverage]") {
  const auto g = test::grid(3, 100);
  REQUIRE(g.node_count() == 9);
  REQUIRE(g.edge_count() == 12);
  // Kindergarten K on the junction (0,0).
  // P1 (50,20): on street y=0 at x=50, leg 20 m: 0 + 50 + 20 = 70 m.
  // P2 (150,190): on street y=200 at x=150, leg 10 m: junction (100,200) is 300 m from K,
  //   + 50 + 10 = 360 m (the other end (200,200) is 400 m away: 460 m).
  // P3 (200,150): on street x=200 at y=150, leg 0: (200,100) is 300 m from K, + 50 = 350 m.
  const auto in = grid_city(g, {{50, 20}, {150, 190}, {200, 150}}, {1000, 500, 2000}, {{0, 0}}, {100}, 3600, 0);
  const auto r = coverage::compute(in);
  REQUIRE(r.classes[0].cost == std::vector<std::uint32_t>{700, 3600, 3500});

  SECTION("costs beyond the bound are unreached") {
    auto in2 = in;
    in2.classes[0].spec.bound = 3550;  // P2 at 360 m is out, P3 at 350 m in
    const auto r2 = coverage::compute(in2);
    CHECK(r2.classes[0].cost == std::vector<std::uint32_t>{700, graph::kUnreached, 3500});
  }
}

TEST_CASE("grid city: 2SFCA by hand", "[coverage]") {
  const auto g = test::grid(3, 100);
  // One kindergarten of 100 seats at (0,0), catchment D = 400 m, residents 1000 / 500 / 2000 at
  // 70 / 360 / 350 m. Demand = sum P_i f(d_i); R = 100 / demand; A_i = 1000 * R * f(d_i).
  const auto in = grid_city(g, {{50, 20}, {150, 190}, {200, 150}}, {1000, 500, 2000}, {{0, 0}}, {100}, 4800, 4000);
  const auto r = coverage::compute(in);
  const double f1 = gaussian(70, 400), f2 = gaussian(360, 400), f3 = gaussian(350, 400);
  const double demand = 1000 * f1 + 500 * f2 + 2000 * f3;
  const double R = 100 / demand;
  CHECK(r.classes[0].supply[0] == Approx(1000 * R * f1).epsilon(1e-4));
  CHECK(r.classes[0].supply[1] == Approx(1000 * R * f2).epsilon(1e-4));
  CHECK(r.classes[0].supply[2] == Approx(1000 * R * f3).epsilon(1e-4));
  // f(70 m) = 0.9613..., f(350 m) = 0.1217..., so P1 gets about 7.9x the supply of P3.
  CHECK(f1 == Approx(0.96138).epsilon(1e-4));
  // Classic 2SFCA conserves supply when every resident is inside a catchment:
  // sum_i P_i A_i / 1000 = sum_j S_j = 100 seats.
  const double served = (1000 * r.classes[0].supply[0] + 500 * r.classes[0].supply[1] + 2000 * r.classes[0].supply[2]) / 1000;
  CHECK(served == Approx(100).epsilon(1e-6));
}

namespace {

struct RandomCity {
  graph::Graph g;
  std::vector<geo::Point> parcels, sites;
  std::vector<std::uint32_t> residents;
  std::vector<double> capacity;
};

RandomCity random_city(unsigned seed, int n, int parcels, int sites) {
  RandomCity c;
  std::mt19937 rng(seed);  // test data only; the engine never uses <random>
  std::uniform_real_distribution<double> u(0, (n - 1) * 50.0);
  // A grid with some streets removed at random, so paths detour.
  std::vector<graph::LineInput> lines;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j + 1 < n; ++j) {
      if (rng() % 5 != 0) lines.push_back({{{j * 50.0, i * 50.0}, {(j + 1) * 50.0, i * 50.0}}, true, true, 1});
      if (rng() % 5 != 0) lines.push_back({{{i * 50.0, j * 50.0}, {i * 50.0, (j + 1) * 50.0}}, true, true, 1});
    }
  c.g = graph::build_graph(lines, {});
  for (int p = 0; p < parcels; ++p) {
    c.parcels.push_back({u(rng), u(rng)});
    c.residents.push_back(static_cast<std::uint32_t>(rng() % 3000));
  }
  for (int s = 0; s < sites; ++s) {
    c.sites.push_back({u(rng), u(rng)});
    c.capacity.push_back(static_cast<double>(50 + rng() % 300));
  }
  return c;
}

}  // namespace

TEST_CASE("multi-source result equals the minimum over single-source searches", "[coverage][property]") {
  for (unsigned seed : {1u, 2u, 3u}) {
    const auto c = random_city(seed, 30, 300, 12);
    const auto all = coverage::compute(grid_city(c.g, c.parcels, c.residents, c.sites, c.capacity, 12000, 0));
    std::vector<std::uint32_t> best(c.parcels.size(), graph::kUnreached);
    for (std::size_t j = 0; j < c.sites.size(); ++j) {
      const auto one = coverage::compute(grid_city(c.g, c.parcels, c.residents, {c.sites[j]}, {c.capacity[j]}, 12000, 0));
      for (std::size_t p = 0; p < best.size(); ++p) best[p] = std::min(best[p], one.classes[0].cost[p]);
    }
    CHECK(all.classes[0].cost == best);
  }
}

TEST_CASE("adding a facility never lengthens any distance", "[coverage][property]") {
  const auto c = random_city(7, 30, 400, 6);
  const auto before = coverage::compute(grid_city(c.g, c.parcels, c.residents, c.sites, c.capacity, 20000, 0));
  auto sites = c.sites;
  auto cap = c.capacity;
  sites.push_back({700, 700});
  cap.push_back(100);
  const auto after = coverage::compute(grid_city(c.g, c.parcels, c.residents, sites, cap, 20000, 0));
  std::size_t shorter = 0;
  for (std::size_t p = 0; p < c.parcels.size(); ++p) {
    REQUIRE(after.classes[0].cost[p] <= before.classes[0].cost[p]);
    shorter += after.classes[0].cost[p] < before.classes[0].cost[p];
  }
  CHECK(shorter > 0);  // the new site is somewhere useful, so the property was really exercised
}

TEST_CASE("2SFCA conserves supply on a random city", "[coverage][property]") {
  // With a catchment wide enough to put every resident in reach of some site, classic 2SFCA
  // hands out exactly the total capacity: sum_i P_i A_i / 1000 = sum_j S_j.
  const auto c = random_city(11, 20, 200, 5);
  const auto r = coverage::compute(grid_city(c.g, c.parcels, c.residents, c.sites, c.capacity, 40000, 40000));
  double served = 0, capacity = 0;
  for (std::size_t p = 0; p < c.parcels.size(); ++p) served += c.residents[p] * r.classes[0].supply[p] / 1000;
  for (double s : c.capacity) capacity += s;
  CHECK(served == Approx(capacity).epsilon(1e-6));
}

TEST_CASE("coverage is bit-identical for 1, 2 and 8 threads", "[coverage][determinism]") {
  const auto c = random_city(5, 60, 3000, 40);
  auto in = grid_city(c.g, c.parcels, c.residents, c.sites, c.capacity, 12000, 10000);
  in.classes.push_back(in.classes[0]);  // two classes, so they also run side by side
  in.classes[1].spec.bound = 6000;
  std::vector<coverage::Result> results;
  for (int threads : {1, 2, 8}) {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
    results.push_back(coverage::compute(in));
  }
  for (std::size_t t = 1; t < results.size(); ++t)
    for (std::size_t k = 0; k < 2; ++k) {
      CHECK(results[t].classes[k].cost == results[0].classes[k].cost);
      CHECK(results[t].classes[k].supply == results[0].classes[k].supply);  // exact double equality
    }
}

TEST_CASE("coverage with other residents: costs reused, 2SFCA recomputed, same as a full computation",
          "[coverage][determinism]") {
  const auto c = random_city(5, 60, 3000, 40);
  auto in = grid_city(c.g, c.parcels, c.residents, c.sites, c.capacity, 12000, 10000);
  in.classes.push_back(in.classes[0]);
  in.classes[1].spec.sfca = false;  // a class without 2SFCA: its supply stays empty
  const auto before = coverage::compute(in);
  // Other residents (a year later): every point's count changes, so every site's demand does.
  for (std::size_t p = 0; p < in.residents.size(); ++p) in.residents[p] = in.residents[p] * 3 + static_cast<std::uint32_t>(p % 7);
  const auto full = coverage::compute(in);
  const auto reused = coverage::compute_residents_changed(in, before);
  REQUIRE(full.classes.size() == 2);
  REQUIRE(reused.classes.size() == 2);
  CHECK(full.classes[0].supply != before.classes[0].supply);  // the residents matter to 2SFCA
  for (std::size_t k = 0; k < 2; ++k) {
    CHECK(reused.classes[k].cost == full.classes[k].cost);
    CHECK(reused.classes[k].supply == full.classes[k].supply);  // exact double equality
  }
  CHECK(reused.classes[1].supply.empty());
  // A previous result of another shape is a programming error, not a silent reuse.
  coverage::Result wrong = before;
  wrong.classes.pop_back();
  CHECK_THROWS_AS(coverage::compute_residents_changed(in, wrong), std::logic_error);
}

TEST_CASE("fixed point: the domain of to_fixed is explicit, sums saturate instead of overflowing",
          "[coverage][validation]") {
  CHECK(core::to_fixed(1.5) == 1'500'000'000);
  CHECK(core::to_fixed(0) == 0);
  CHECK(core::to_fixed(-3) == 0);
  CHECK(core::to_fixed(std::nan("")) == 0);
  CHECK(core::to_fixed(core::kFixedMax) == core::kFixedMaxRaw);
  CHECK(core::to_fixed(1e300) == core::kFixedMaxRaw);
  CHECK(core::to_fixed(std::numeric_limits<double>::infinity()) == core::kFixedMaxRaw);
  std::int64_t acc = core::kFixedMaxRaw - 5;
  core::add_saturating(acc, 3);
  CHECK(acc == core::kFixedMaxRaw - 2);
  core::add_saturating(acc, core::kFixedMaxRaw);
  CHECK(acc == core::kFixedMaxRaw);
}

TEST_CASE("2SFCA: a site with almost no demand never gives negative supply", "[coverage][validation]") {
  // One kindergarten of the largest capacity at (0,0). Its only resident lives at the edge of the
  // 400 m catchment (weight ~1/2^20); a parcel without residents sits next to it. Ratio x weight
  // is ~1e15 per 1,000 residents there: beyond to_fixed's domain, so it saturates (it used to
  // overflow int64 into a negative supply).
  const auto g = test::grid(3, 100);
  const auto in = grid_city(g, {{10, 0}, {199.9, 200}}, {0, 1}, {{0, 0}}, {1e6}, 4800, 4000);
  const auto r = coverage::compute(in);
  REQUIRE(r.classes[0].supply.size() == 2);
  CHECK(r.classes[0].supply[0] == core::from_fixed(core::kFixedMaxRaw));
  CHECK(r.classes[0].supply[1] > 0);
  CHECK(r.classes[0].supply[1] <= core::kFixedMax);
}
