// Coverage for 8 classes on a synthetic walk graph: a 1000 x 1000 street grid (1,000,000 nodes,
// 50 m blocks), 1,000,000 parcels and 2,000 facilities per class; 3 of the 8 classes also
// compute 2SFCA. Usage: bench_coverage [threads] [grid side] [repeats]
#include <tbb/global_control.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "graph/builder.hpp"
#include "graph/entry.hpp"
#include "models/coverage/coverage.hpp"

using namespace ut;
using Clock = std::chrono::steady_clock;

static double secs(Clock::time_point a) { return std::chrono::duration<double>(Clock::now() - a).count(); }

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  const int n = argc > 2 ? std::atoi(argv[2]) : 1000;
  const int repeats = argc > 3 ? std::atoi(argv[3]) : 3;
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
  const double step = 50;
  auto t0 = Clock::now();
  std::vector<graph::LineInput> lines;
  for (int i = 0; i < n; ++i) {
    graph::LineInput h, v;
    for (int j = 0; j < n; ++j) {
      h.points.push_back({j * step, i * step});
      v.points.push_back({i * step, j * step});
    }
    lines.push_back(std::move(h));
    lines.push_back(std::move(v));
  }
  const auto g = graph::build_graph(lines, {graph::CostUnit::decimetre, 0.01, 0});
  std::printf("graph: %zu nodes, %zu edges, built in %.2f s\n", g.node_count(), g.edge_count(), secs(t0));

  // Deterministic pseudo-random positions (splitmix64), independent of the engine's RNG.
  std::uint64_t state = 42;
  auto next = [&] {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  };
  auto coord = [&] { return static_cast<double>(next() % static_cast<std::uint64_t>((n - 1) * step * 100)) / 100.0; };
  t0 = Clock::now();
  const graph::EdgeLocator loc(g);
  coverage::Input in;
  in.walk = &g;
  in.drive = &g;
  const std::size_t parcels = static_cast<std::size_t>(n) * static_cast<std::size_t>(n);
  in.point_walk.reserve(parcels);
  for (std::size_t p = 0; p < parcels; ++p) {
    in.point_walk.push_back(*loc.attach({coord(), coord()}, 100));
    in.residents.push_back(static_cast<std::uint32_t>(next() % 200));
  }
  in.point_drive = in.point_walk;
  const double radius[8] = {300, 300, 500, 1000, 1000, 800, 500, 300};
  for (int k = 0; k < 8; ++k) {
    coverage::ClassInput ci;
    ci.spec.name = "class" + std::to_string(k);
    ci.spec.bound = static_cast<std::uint32_t>(radius[k] * 12);
    ci.spec.sfca = k < 3;
    ci.spec.catchment = 10000;  // 1 km
    for (int j = 0; j < 2000; ++j) ci.sites.push_back({{*loc.attach({coord(), coord()}, 100)}, 100.0 + static_cast<double>(next() % 500)});
    in.classes.push_back(std::move(ci));
  }
  std::printf("attach: %zu parcels, 8 x 2000 sites in %.2f s\n", parcels, secs(t0));
  double best = 1e9;
  for (int r = 0; r < repeats; ++r) {
    t0 = Clock::now();
    const auto res = coverage::compute(in);
    const double s = secs(t0);
    best = std::min(best, s);
    std::size_t reached = 0;
    for (auto c : res.classes[0].cost) reached += c != graph::kUnreached;
    std::printf("coverage, 8 classes (3 with 2SFCA), %d threads: %.3f s (class 0 reaches %zu parcels)\n", threads, s, reached);
  }
  std::printf("best of %d: %.3f s\n", repeats, best);
  return 0;
}
