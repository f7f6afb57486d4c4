// An edit session's answer time (engine/api, docs/api.md): one facility added, then removed, per
// edit; median and 95th percentile over the edits. Two inputs:
//   chengdu: central Chengdu's baseline, base year (traffic off: a session does not re-solve it),
//            kindergartens added at parcel centroids (every 7th parcel with residents).
//   grid:    the coverage bench's 1,000 x 1,000 street grid (1,000,000 nodes, 50 m apart), 10,000
//            parcels of 500 m with home points every 50 m (about 1,000,000), 2,000 kindergartens.
// The first edit of a class builds its index (one bounded search per site): timed apart.
// Usage: bench_session chengdu|grid [edits] [threads]
#include <tbb/global_control.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "api/api.hpp"

using namespace ut;
using Clock = std::chrono::steady_clock;

static double ms(Clock::time_point a) { return std::chrono::duration<double, std::milli>(Clock::now() - a).count(); }

static void report(const char* what, std::vector<double> t) {
  std::sort(t.begin(), t.end());
  const double median = t[t.size() / 2];
  const double p95 = t[std::min(t.size() - 1, t.size() * 95 / 100)];
  std::printf("%-8s %zu edits: median %.2f ms, p95 %.2f ms, max %.2f ms\n", what, t.size(), median, p95, t.back());
}

static geo::MultiPolygon rect(double x0, double y0, double x1, double y1) {
  geo::LineString r{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}};
  return {geo::Polygon{{r}}};
}

static api::Model grid_model() {
  scenario::Scenario s;
  s.name = "session-grid";
  s.file = "session-grid.toml";
  s.profile = scenario::load_profile(std::string(UT_SOURCE_DIR) + "/gis-data/chengdu-center/profile.toml");
  s.norms = scenario::default_norms(s.profile);
  std::erase_if(s.norms, [](const scenario::Norm& n) { return n.name != "kindergarten"; });
  s.population.enabled = false;
  s.traffic.enabled = false;
  city::City c;
  c.crs = "EPSG:32648";
  const int n = 1000;
  const double step = 50;
  for (int i = 0; i < n; ++i) {
    city::Road h, v;
    h.id = 2 * i + 1;
    v.id = 2 * i + 2;
    h.road_class = v.road_class = "residential";
    h.speed_kmh = v.speed_kmh = 25;
    for (int j = 0; j < n; ++j) {
      h.line.push_back({j * step, i * step});
      v.line.push_back({i * step, j * step});
    }
    c.roads.push_back(std::move(h));
    c.roads.push_back(std::move(v));
  }
  std::int64_t id = 1;
  for (int j = 0; j < 100; ++j)
    for (int i = 0; i < 100; ++i, ++id) {
      const auto shape = rect(i * 499.5 + 1, j * 499.5 + 1, i * 499.5 + 498, j * 499.5 + 498);
      auto& P = c.parcels;
      P.id.push_back(id);
      P.land_use.push_back("residential");
      P.area_m2.push_back(geo::area(shape));
      P.floor_area_m2.push_back(geo::area(shape));
      P.residents.push_back(static_cast<std::uint32_t>(1000 + (id * 7919) % 9000));
      P.centroid.push_back(geo::centroid(shape));
      P.shape.push_back(shape);
    }
  std::uint64_t state = 42;
  auto next = [&] {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  };
  for (int k = 0; k < 2000; ++k) {
    city::Facility f;
    f.id = k + 1;
    f.classes = {"kindergarten"};
    f.location = {static_cast<double>(next() % 4995000) / 100.0, static_cast<double>(next() % 4995000) / 100.0};
    f.origin = "layer";
    c.facilities.push_back(f);
  }
  return api::Model::from(std::move(s), std::move(c));
}

int main(int argc, char** argv) {
  const std::string input = argc > 1 ? argv[1] : "chengdu";
  const int edits = argc > 2 ? std::atoi(argv[2]) : 200;
  const int threads = argc > 3 ? std::atoi(argv[3]) : 2;
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
  auto t = Clock::now();
  api::OpenOptions o;
  o.set = {"traffic.enabled=false"};
  auto m = input == "grid" ? grid_model()
                           : api::Model::open(std::string(UT_SOURCE_DIR) + "/scenarios/chengdu-center/baseline.toml", o);
  m.step();
  std::printf("%s: opened and base year simulated in %.1f s\n", input.c_str(), ms(t) / 1000);
  t = Clock::now();
  auto s = m.session();
  std::printf("session: %zu parcels, %zu home points, started in %.1f ms\n", s.parcels(), s.result().point_residents.size(), ms(t));
  // Candidate points: parcel centroids with residents.
  std::vector<geo::Point> at;
  for (std::size_t p = 0; p < s.parcels(); p += 7)
    if (s.result().residents[p] > 0) at.push_back(s.parcel_centroid(p));
  t = Clock::now();
  std::size_t i = 0;
  for (;; ++i) {  // the first edit that attaches builds the class's index
    try {
      const auto e = s.add_facility("kindergarten", at[i % at.size()]);
      s.remove_facility(*s.added_facility_id(e));
      break;
    } catch (const core::InputError&) {
    }
  }
  std::printf("first edit (index of the class built): %.1f ms\n", ms(t));
  std::vector<double> add, remove, undo;
  std::int64_t gained = 0;
  for (int k = 0; static_cast<int>(add.size()) < edits && k < 100 * edits; ++k) {
    const geo::Point p = at[(i + static_cast<std::size_t>(k) * 13) % at.size()];
    t = Clock::now();
    api::EditId e = 0;
    try {
      e = s.add_facility("kindergarten", p);
    } catch (const core::InputError&) {
      continue;  // no street in reach
    }
    add.push_back(ms(t));
    gained += s.last_delta().residents_newly_served;
    t = Clock::now();
    s.remove_facility(*s.added_facility_id(e));
    remove.push_back(ms(t));
    t = Clock::now();
    s.undo();  // the removal: the facility is back
    s.undo();  // the addition
    undo.push_back(ms(t) / 2);
  }
  report("add", add);
  report("remove", remove);
  report("undo", undo);
  std::printf("mean residents newly served per added kindergarten: %.0f; edits left: %zu\n",
              static_cast<double>(gained) / static_cast<double>(add.size()), s.edit_count());
  return 0;
}
