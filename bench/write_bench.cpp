// Issue 15: writing a run directory's year tables at city scale, without a simulation. Synthetic
// results for N square parcels and Y years (values spread like a run's: shares to 6 decimals,
// distances in decimetres, some beyond the search bound, 2SFCA supplies) go through
// output::RunWriter, the code `urbantwin run` writes with, with central Chengdu's profile and
// norms (the same columns as a Chengdu run), and 4 home points per parcel. Prints the seconds of each part of the writing.
//
//   bench_write PARCELS YEARS OUT_DIR [--keep parcels|full] [--threads N]
//   bench_write 1000000 12 /tmp/wb          # the 1 M parcels x 12 years
#include <sys/resource.h>
#include <tbb/global_control.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "city/city.hpp"
#include "core/staging.hpp"
#include "geo/geometry.hpp"
#include "graph/graph.hpp"
#include "output/run_dir.hpp"
#include "scenario/scenario.hpp"
#include "sim/simulation.hpp"

using namespace ut;

namespace {

// A value in [0, 1) from (parcel, year, salt): deterministic, spread like real data.
double unit(std::uint64_t p, int year, std::uint64_t salt) {
  std::uint64_t x = p * 0x9E3779B97F4A7C15ULL ^ (static_cast<std::uint64_t>(year) << 32) ^ (salt * 0xC2B2AE3D27D4EB4FULL);
  x ^= x >> 31;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 29;
  return static_cast<double>(x >> 11) * 0x1.0p-53;
}

// kHomes home points per parcel (a 21 M city has about 4 per parcel): the final year's
// home_points layer.
constexpr std::size_t kHomes = 4;

sim::YearResult year_result(const scenario::Scenario& s, std::size_t n, int year) {
  sim::YearResult y;
  const std::size_t points = n * kHomes;
  y.point_residents.resize(points);
  for (std::size_t i = 0; i < points; ++i) y.point_residents[i] = static_cast<std::uint32_t>(unit(i, year, 2) * 15);
  for (std::size_t k = 0; k < s.norms.size(); ++k) {
    coverage::ClassResult c;
    c.cost.resize(points);
    for (std::size_t i = 0; i < points; ++i) {
      const double u = unit(i, year, 30 + k);
      c.cost[i] = u < 0.3 ? graph::kUnreached : static_cast<std::uint32_t>(u * 12000);
    }
    y.coverage.classes.push_back(std::move(c));
  }
  for (int t = 0; t < 3; ++t) {
    y.point_tier_ok[t].resize(points);
    for (std::size_t i = 0; i < points; ++i) y.point_tier_ok[t][i] = unit(i, year, 60 + t) < 0.5 ? 1 : 0;
  }
  y.year = year;
  y.indicators = {{"year", static_cast<double>(year)}, {"population", 21e6}, {"coverage_15min_pct", 55.5}};
  y.residents.resize(n);
  auto& pr = y.population;
  pr.ran = true;
  for (auto* v : {&pr.households_per_parcel, &pr.units_per_parcel, &pr.occupied_per_parcel, &pr.children_per_parcel}) v->resize(n);
  for (std::size_t p = 0; p < n; ++p) {
    y.residents[p] = static_cast<std::uint32_t>(unit(p, year, 1) * 60);
    pr.households_per_parcel[p] = y.residents[p] / 3;
    pr.units_per_parcel[p] = y.residents[p] / 3 + 2;
    pr.occupied_per_parcel[p] = y.residents[p] / 3;
    pr.children_per_parcel[p] = y.residents[p] / 10;
  }
  for (std::size_t k = 0; k < s.norms.size(); ++k) {
    y.sites.push_back(100);
    sim::ParcelCoverage c;
    c.served.resize(n);
    c.share.resize(n);
    c.cost.resize(n);
    if (s.norms[k].sfca) c.supply.resize(n);
    for (std::size_t p = 0; p < n; ++p) {
      const double u = unit(p, year, 10 + k);
      c.cost[p] = u < 0.3 ? graph::kUnreached : static_cast<std::uint32_t>(u * 12000);  // decimetres or tenths of a second
      c.served[p] = static_cast<std::uint32_t>(u * y.residents[p]);
      c.share[p] = y.residents[p] ? static_cast<double>(c.served[p]) / y.residents[p] : u;
      if (!c.supply.empty()) c.supply[p] = u * 37.0 / 3.0;
    }
    y.parcel_coverage.push_back(std::move(c));
  }
  for (int t = 0; t < 3; ++t) {
    y.tier_share[t].resize(n);
    y.tier_served[t].resize(n);
    for (std::size_t p = 0; p < n; ++p) {
      y.tier_share[t][p] = unit(p, year, 50 + t) / 3.0;
      y.tier_served[t][p] = static_cast<std::uint32_t>(y.tier_share[t][p] * y.residents[p]);
    }
  }
  return y;
}

double peak_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: bench_write PARCELS YEARS OUT_DIR [--keep parcels|full] [--threads N]\n");
    return 2;
  }
  const std::size_t n = std::strtoull(argv[1], nullptr, 10);
  const int years = std::atoi(argv[2]);
  const std::filesystem::path out = argv[3];
  output::Keep keep = output::Keep::full;
  int threads = 2;
  for (int i = 4; i + 1 < argc; i += 2) {
    const std::string o = argv[i], v = argv[i + 1];
    if (o == "--keep") keep = v == "parcels" ? output::Keep::parcels : output::Keep::full;
    else if (o == "--threads") threads = std::atoi(v.c_str());
  }
  tbb::global_control threads_control(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));

  scenario::Scenario s;
  s.name = "write-bench";
  s.file = std::string(UT_SOURCE_DIR) + "/scenarios/chengdu-center/baseline.toml";
  s.profile = scenario::load_profile(std::string(UT_SOURCE_DIR) + "/gis-data/chengdu-center/profile.toml");
  s.norms = scenario::default_norms(s.profile);
  s.base_year = 2024;
  s.end_year = 2024 + years - 1;
  city::City c;
  c.crs = "EPSG:32648";
  const auto side = static_cast<std::size_t>(std::ceil(std::sqrt(static_cast<double>(n))));
  for (std::size_t p = 0; p < n; ++p) {
    const double x0 = 400000 + static_cast<double>(p % side) * 100, y0 = 3300000 + static_cast<double>(p / side) * 100;
    geo::LineString r{{x0, y0}, {x0 + 84, y0}, {x0 + 84, y0 + 84}, {x0, y0 + 84}, {x0, y0}};
    c.parcels.id.push_back(static_cast<std::int64_t>(p + 1));
    c.parcels.land_use.push_back("residential");
    c.parcels.area_m2.push_back(84.0 * 84.0);
    c.parcels.floor_area_m2.push_back(84.0 * 84.0 * 2.5);
    c.parcels.residents.push_back(30);
    c.parcels.centroid.push_back({x0 + 42, y0 + 42});
    c.parcels.shape.push_back({geo::Polygon{{r}}});
  }
  homes::HomePoints homes;
  std::vector<graph::EntryPoint> walk;
  homes.offset.push_back(0);
  for (std::size_t p = 0; p < n; ++p) {
    const double x0 = 400000 + static_cast<double>(p % side) * 100, y0 = 3300000 + static_cast<double>(p / side) * 100;
    for (std::size_t k = 0; k < kHomes; ++k) {
      const std::size_t i = homes.xy.size();
      homes.xy.push_back({x0 + 21 + 42 * static_cast<double>(k % 2), y0 + 21 + 42 * static_cast<double>(k / 2)});
      homes.weight.push_back(1.0 / kHomes);
      homes.source.push_back(homes::Source::lattice);
      homes.parcel.push_back(static_cast<std::uint32_t>(p));
      graph::EntryPoint e;
      if (unit(i, 0, 3) < 0.95) {
        e.edge = 0;
        e.leg_m = static_cast<float>(unit(i, 0, 4) * 200);
      } else {
        e.blocked = unit(i, 0, 5) < 0.5;
      }
      walk.push_back(e);
    }
    homes.offset.push_back(static_cast<std::uint32_t>(homes.xy.size()));
  }
  std::printf("bench_write: %zu parcels x %d years (%zu parcel-year rows), %zu home points, %zu classes, keep %s, %d threads\n", n, years,
              n * static_cast<std::size_t>(years), homes.size(), s.norms.size(), output::keep_name(keep), threads);

  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  core::Staging staging(output::run_output_spec(out, s, true));
  double make_s = 0;
  {
    output::RunWriter writer(staging, s, c, keep);
    for (int k = 0; k < years; ++k) {
      const auto tm = clock::now();
      sim::YearResult y = year_result(s, n, s.base_year + k);
      make_s += std::chrono::duration<double>(clock::now() - tm).count();
      writer.add_year(std::move(y));
    }
    output::RunInfo info;
    info.threads = static_cast<unsigned>(threads);
    info.homes = &homes;
    info.home_walk = &walk;
    writer.finish(info);
    for (const auto& [name, sec] : writer.seconds()) std::printf("  %-26s %8.2f s\n", name.c_str(), sec);
  }
  const double total = std::chrono::duration<double>(clock::now() - t0).count();
  std::printf("  %-26s %8.2f s (not writing)\n", "synthetic results", make_s);
  std::printf("  %-26s %8.2f s, peak RSS %.0f MiB, %.0f parcel-year rows/s written\n", "total", total, peak_mib(),
              static_cast<double>(n) * years / std::max(1e-9, total - make_s));
  return 0;
}
