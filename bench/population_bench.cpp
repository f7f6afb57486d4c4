// One yearly population step (demography, migration to a control total, move decision and
// location choice with capacity) on a synthetic population of N persons.
// Usage: bench_population PERSONS [threads] [years] [residents_per_parcel]
// Prints per-phase seconds for each simulated year and the peak resident memory.
#include <sys/resource.h>
#include <tbb/global_control.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <numeric>

#include "models/population/population.hpp"
#include "scenario/profile.hpp"
#include "sim/rules.hpp"

using namespace ut::population;
using Clock = std::chrono::steady_clock;

static double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

int main(int argc, char** argv) {
  const std::uint64_t persons = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  const int years = argc > 3 ? std::atoi(argv[3]) : 3;
  const std::uint32_t per_parcel = argc > 4 ? static_cast<std::uint32_t>(std::atoi(argv[4])) : 500;
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
  const std::size_t parcels = static_cast<std::size_t>((persons + per_parcel - 1) / per_parcel);
  std::vector<std::int64_t> ids(parcels);
  std::iota(ids.begin(), ids.end(), 1);
  std::vector<std::uint32_t> residents(parcels, per_parcel);
  residents.back() = static_cast<std::uint32_t>(persons - per_parcel * (parcels - 1));
  const Params p = ut::sim::population_params(
      ut::scenario::load_profile(std::string(UT_SOURCE_DIR) + "/gis-data/chengdu-center/profile.toml"));
  const std::uint64_t seed = 20240101;
  State s;
  auto t0 = Clock::now();
  synthesize(s, p, ids, residents, 0.06, seed, 2024);
  std::printf("synthesis: %zu persons, %zu households, %zu parcels in %.2f s\n", s.persons.size(), s.households.size(), parcels, since(t0));
  // A utility surface with structure: better towards the middle of the parcel range.
  ParcelUtility u;
  u.base.resize(parcels);
  u.school.resize(parcels);
  for (std::size_t q = 0; q < parcels; ++q) {
    const double x = static_cast<double>(q) / static_cast<double>(parcels) - 0.5;
    u.base[q] = static_cast<float>(1.0 - 4.0 * x * x);
    u.school[q] = static_cast<float>(static_cast<double>(q % 3) * 0.3);
  }
  const auto table = fit_size_by_age(p);
  for (int y = 2025; y < 2025 + years; ++y) {
    for (auto& units : s.units) units = static_cast<std::uint32_t>(units * 1.008 + 0.5);
    const auto start = Clock::now();
    t0 = Clock::now();
    const auto d = demography(s, p, seed, y);
    const double td = since(t0);
    t0 = Clock::now();
    const auto m = migrate(s, p, table, static_cast<std::uint64_t>(static_cast<double>(s.persons.size()) * 1.005), seed, y);
    const double tm = since(t0);
    t0 = Clock::now();
    const auto pl = relocate(s, p, u, m, seed, y);
    const double tr = since(t0);
    std::printf("year %d: %.3f s (demography %.3f, migration %.3f, relocation %.3f); persons %zu, births %llu, deaths %llu, "
                "movers %llu, placed %llu, rounds %llu, unplaced %llu\n",
                y, since(start), td, tm, tr, s.persons.size(), static_cast<unsigned long long>(d.births),
                static_cast<unsigned long long>(d.deaths), static_cast<unsigned long long>(pl.movers),
                static_cast<unsigned long long>(pl.placed), static_cast<unsigned long long>(pl.rounds),
                static_cast<unsigned long long>(pl.unplaced_households));
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("peak resident memory: %.0f MiB\n", static_cast<double>(ru.ru_maxrss) / 1024.0);
  return 0;
}
