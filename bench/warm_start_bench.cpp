// Warm start of Algorithm B, cold against warm (docs/performance.md, "Warm start").
//   bench_warm_start tntp NET TRIPS SCALE GAP [THREADS] [TOLL_FACTOR DISTANCE_FACTOR]
//     solves NET with TRIPS, then with every entry of TRIPS times SCALE twice: from scratch and
//     from the first solve's bushes; prints iterations, seconds and objectives of both.
//   bench_warm_start chengdu [THREADS]
//     runs scenarios/chengdu-center/baseline.toml to its end year with [traffic] warm_start off,
//     then on; prints per year the assignment iterations (over the feedback loops) and the traffic
//     phase's seconds of both, and the largest relative difference of the traffic indicators.
#include <tbb/global_control.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "gis_io/load.hpp"
#include "models/traffic/assign.hpp"
#include "scenario/scenario.hpp"
#include "sim/simulation.hpp"
#include "tntp/tntp.hpp"

using namespace ut;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

void print(const char* what, const traffic::Result& r, double wall) {
  std::printf("%-14s iterations %3d  wall %8.3f s  solve %8.3f s  gap-check %7.3f s  gap %.3e  objective %.15g\n", what,
              r.iterations, wall, r.seconds_solve, r.seconds_gap, r.eval.relative_gap, r.eval.objective);
}

int tntp_case(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: bench_warm_start tntp NET TRIPS SCALE GAP [THREADS] [TOLL DISTANCE]\n");
    return 2;
  }
  const double scale = std::atof(argv[4]);
  const int threads = argc > 6 ? std::atoi(argv[6]) : 2;
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
  auto net = tntp::read_net(argv[2]);
  const auto base = tntp::read_trips(argv[3], net);
  net.set_cost_factors(argc > 8 ? std::atof(argv[7]) : 0.0, argc > 8 ? std::atof(argv[8]) : 0.0);
  auto scaled = base;
  for (double& t : scaled.trips) t *= scale;
  scaled.total *= scale;
  traffic::Options opt;
  opt.gap = std::atof(argv[5]);
  traffic::WarmStart warm;
  auto t = Clock::now();
  const auto first = traffic::assign_bush(net, base, opt, &warm);
  print("base, cold", first, since(t));
  t = Clock::now();
  const auto cold = traffic::assign_bush(net, scaled, opt);
  print("scaled, cold", cold, since(t));
  t = Clock::now();
  const auto hot = traffic::assign_bush(net, scaled, opt, &warm);
  print("scaled, warm", hot, since(t));
  std::printf("objective warm/cold - 1 = %.3e\n", hot.eval.objective / cold.eval.objective - 1);
  return 0;
}

int chengdu_case(int argc, char** argv) {
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
  const auto loaded = scenario::load_scenario(std::string(UT_SOURCE_DIR) + "/scenarios/chengdu-center/baseline.toml");
  std::vector<sim::YearResult> years[2];
  for (int warm = 0; warm < 2; ++warm) {
    auto s = loaded;
    s.traffic.warm_start = warm == 1;
    const auto c = gis_io::load_city(s);
    sim::Simulation simulation(s, c);
    years[warm] = simulation.run();
  }
  const char* names[] = {"mean_commute_min", "green_share_pct", "congestion_index", "vkt_million"};
  double worst = 0;
  std::printf("year  iterations cold/warm  traffic s cold/warm  relative gap cold/warm\n");
  for (std::size_t i = 0; i < years[0].size(); ++i) {
    const auto& a = years[0][i];
    const auto& b = years[1][i];
    auto traffic_s = [](const sim::YearResult& y) {
      for (const auto& [n, s] : y.phase_seconds)
        if (n == "traffic") return s;
      return 0.0;
    };
    std::printf("%d  %3d / %3d  %7.3f / %7.3f  %.2e / %.2e\n", a.year, a.traffic.assignment_iterations,
                b.traffic.assignment_iterations, traffic_s(a), traffic_s(b), a.traffic.relative_gap, b.traffic.relative_gap);
    const double va[] = {a.traffic.mean_commute_min, a.traffic.green_share_pct, a.traffic.congestion_index, a.traffic.vkt_million};
    const double vb[] = {b.traffic.mean_commute_min, b.traffic.green_share_pct, b.traffic.congestion_index, b.traffic.vkt_million};
    for (int k = 0; k < 4; ++k) {
      const double d = std::abs(vb[k] / va[k] - 1);
      if (d > worst) {
        worst = d;
        std::printf("  largest so far: %s %.12g / %.12g\n", names[k], va[k], vb[k]);
      }
    }
  }
  std::printf("largest relative difference of a traffic indicator, warm vs cold: %.3e\n", worst);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string what = argc > 1 ? argv[1] : "";
  if (what == "tntp") return tntp_case(argc, argv);
  if (what == "chengdu") return chengdu_case(argc, argv);
  std::fprintf(stderr, "usage: bench_warm_start tntp NET TRIPS SCALE GAP [THREADS] | chengdu [THREADS]\n");
  return 2;
}
