// Load and graph-build time of the bundled central-Chengdu data, and one base-year coverage step.
// Usage: bench_chengdu [threads] [repeats]
#include <tbb/global_control.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "gis_io/load.hpp"
#include "scenario/scenario.hpp"
#include "sim/simulation.hpp"

using namespace ut;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 5;
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
  const auto s = scenario::load_scenario(std::string(UT_SOURCE_DIR) + "/scenarios/chengdu-center/baseline.toml");
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = Clock::now();
    const auto c = gis_io::load_city(s);
    const double load = std::chrono::duration<double>(Clock::now() - t0).count();
    sim::Simulation simulation(s, c);
    simulation.build_networks();
    const auto y = simulation.step_base_year();
    std::printf("load %.3f s", load);
    for (const auto& [name, sec] : simulation.phase_seconds()) std::printf(", %s %.3f s", name.c_str(), sec);
    std::printf(" (%zu parcels, %zu walk nodes)\n", c.parcels.size(), simulation.network_stats().walk_nodes);
  }
  return 0;
}
