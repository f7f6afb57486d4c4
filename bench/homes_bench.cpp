// Home points at city scale (docs/access.md, docs/performance.md): a synthetic city of n x n
// square blocks (default 1000 x 1000 = 1,000,000 parcels of 160 m, 2.56 ha, 5 m inside the streets), bounded by a street
// grid of (n + 1)^2 nodes, with a river of water polygons and a railway crossing it as barriers.
// Measures: generating the home points (50 m lattice: about 10 M points), attaching them to the
// walk network (nearest usable street, no leg across a barrier), and coverage for 8 classes over
// the points (3 with 2SFCA). Usage: bench_homes [threads] [blocks per side] [repeats]
#include <tbb/global_control.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "graph/builder.hpp"
#include "graph/entry.hpp"
#include "homes/homes.hpp"
#include "models/coverage/coverage.hpp"

using namespace ut;
using Clock = std::chrono::steady_clock;

static double secs(Clock::time_point a) { return std::chrono::duration<double>(Clock::now() - a).count(); }

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  const int n = argc > 2 ? std::atoi(argv[2]) : 1000;
  const int repeats = argc > 3 ? std::atoi(argv[3]) : 3;
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
  const double step = 170;
  auto t0 = Clock::now();
  std::vector<graph::LineInput> lines;
  for (int i = 0; i <= n; ++i) {
    graph::LineInput h, v;
    for (int j = 0; j <= n; ++j) {
      h.points.push_back({j * step, i * step});
      v.points.push_back({i * step, j * step});
    }
    lines.push_back(std::move(h));
    lines.push_back(std::move(v));
  }
  const auto g = graph::build_graph(lines, {graph::CostUnit::decimetre, 0.01, 0});
  std::printf("graph: %zu nodes, %zu edges, built in %.2f s\n", g.node_count(), g.edge_count(), secs(t0));

  city::City c;
  auto& P = c.parcels;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      // Blocks inset 5 m from the street centre lines; every 7th block is L-shaped (concave).
      const double x0 = j * step + 5, y0 = i * step + 5, x1 = (j + 1) * step - 5, y1 = (i + 1) * step - 5;
      geo::Polygon poly;
      if ((i * n + j) % 7 == 0)
        poly.rings.push_back({{x0, y0}, {x1, y0}, {x1, (y0 + y1) / 2}, {(x0 + x1) / 2, (y0 + y1) / 2}, {(x0 + x1) / 2, y1}, {x0, y1}, {x0, y0}});
      else
        poly.rings.push_back({{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}});
      P.id.push_back(static_cast<std::int64_t>(P.id.size()) + 1);
      P.land_use.emplace_back("residential");
      P.area_m2.push_back(geo::area(poly));
      P.floor_area_m2.push_back(P.area_m2.back() * 2);
      P.residents.push_back(static_cast<std::uint32_t>(500 + (i * 31 + j * 17) % 1500));
      P.centroid.push_back(geo::centroid({poly}));
      P.shape.push_back({poly});
    }
  // A river along one row of blocks (a water polygon) and a railway along a column of streets.
  {
    city::Barrier river;
    river.kind = "water";
    const double y0 = (n / 2) * step + 20, y1 = (n / 2 + 1) * step - 20;
    river.area.push_back({{{{0, y0}, {n * step, y0}, {n * step, y1}, {0, y1}, {0, y0}}}});
    c.barriers.push_back(river);
    city::Barrier rail;
    rail.kind = "railway";
    rail.lines.push_back({{(n / 3) * step + 8, 0}, {(n / 3) * step + 8, n * step}});
    c.barriers.push_back(rail);
  }
  std::printf("city: %zu parcels\n", P.size());

  homes::Params hp;
  hp.spacing_m = 50;
  const std::vector<std::uint8_t> housing(P.size(), 1);
  double gen = 1e9, att = 1e9, cov = 1e9;
  homes::HomePoints h;
  std::vector<graph::EntryPoint> entries;
  for (int r = 0; r < repeats; ++r) {
    t0 = Clock::now();
    h = homes::generate(c, housing, hp);
    gen = std::min(gen, secs(t0));
    t0 = Clock::now();
    std::vector<geo::Point> a, b;
    for (const auto& br : c.barriers) {
      for (const auto& poly : br.area)
        for (const auto& ring : poly.rings)
          for (std::size_t k = 1; k < ring.size(); ++k) a.push_back(ring[k - 1]), b.push_back(ring[k]);
      for (const auto& l : br.lines)
        for (std::size_t k = 1; k < l.size(); ++k) a.push_back(l[k - 1]), b.push_back(l[k]);
    }
    const geo::SegmentIndex barriers(std::move(a), std::move(b), 100.0);
    const auto parts = graph::network_parts(g, 300);
    const graph::EdgeLocator loc(g, parts.usable);
    entries = loc.attach_all(h.xy, 500, &barriers);
    att = std::min(att, secs(t0));
  }
  std::size_t blocked = 0, unattached = 0;
  for (const auto& e : entries) {
    unattached += e.edge == graph::kUnreached;
    blocked += e.blocked;
  }
  std::printf("home points: %zu (%zu in water dropped), generated in %.3f s (best of %d)\n", h.size(), h.lattice_in_water, gen, repeats);
  std::printf("attached to the walk network in %.3f s (best of %d); %zu unattached, %zu of them behind a barrier\n", att, repeats,
              unattached, blocked);
  std::printf("home points generated and attached, %d threads: %.3f s\n", threads, gen + att);

  // Coverage: 8 classes, 2,000 sites each at pseudo-random street points (splitmix64).
  coverage::Input in;
  in.walk = &g;
  in.drive = &g;
  in.point_walk = std::move(entries);
  homes::spread(h, P.residents, in.residents);
  std::uint64_t state = 42;
  auto next = [&] {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  };
  auto coord = [&] { return static_cast<double>(next() % static_cast<std::uint64_t>(n * step * 100)) / 100.0; };
  const graph::EdgeLocator any(g);
  const double radius[8] = {300, 300, 500, 1000, 1000, 800, 500, 300};
  for (int k = 0; k < 8; ++k) {
    coverage::ClassInput ci;
    ci.spec.name = "class" + std::to_string(k);
    ci.spec.bound = static_cast<std::uint32_t>(radius[k] * 12);
    ci.spec.sfca = k < 3;
    ci.spec.catchment = 10000;  // 1 km
    for (int j = 0; j < 2000; ++j) ci.sites.push_back({{*any.attach({coord(), coord()}, 200)}, 100.0 + static_cast<double>(next() % 500)});
    in.classes.push_back(std::move(ci));
  }
  for (int r = 0; r < repeats; ++r) {
    t0 = Clock::now();
    const auto res = coverage::compute(in);
    cov = std::min(cov, secs(t0));
    std::size_t reached = 0;
    for (auto v : res.classes[0].cost) reached += v != graph::kUnreached;
    if (r == 0) std::printf("coverage: class 0 reaches %zu of %zu points\n", reached, in.residents.size());
  }
  std::printf("coverage, 8 classes (3 with 2SFCA) over %zu home points, %d threads: %.3f s (best of %d)\n", in.residents.size(),
              threads, cov, repeats);
  return 0;
}
