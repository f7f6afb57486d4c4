#pragma once
// The small hand-made city the unit tests share (test_access, test_api, test_siting): builders
// for parcels, roads and facilities, a scenario on central Chengdu's profile with the population
// and traffic models off, and a street grid of 17 blocks whose figures the tests work out by hand.
#include <cstdint>
#include <string>
#include <utility>

#include "city/city.hpp"
#include "geo/geometry.hpp"
#include "scenario/norms.hpp"
#include "scenario/profile.hpp"
#include "scenario/scenario.hpp"

namespace ut::test {

inline geo::MultiPolygon rect(double x0, double y0, double x1, double y1) {
  geo::LineString r{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}};
  return {geo::Polygon{{r}}};
}

// A residential parcel: floor area = area, the given residents.
inline void add_parcel(city::City& c, std::int64_t id, const geo::MultiPolygon& shape, std::uint32_t residents) {
  auto& P = c.parcels;
  P.id.push_back(id);
  P.land_use.push_back("residential");
  P.area_m2.push_back(geo::area(shape));
  P.floor_area_m2.push_back(geo::area(shape));
  P.residents.push_back(residents);
  P.centroid.push_back(geo::centroid(shape));
  P.shape.push_back(shape);
}

// A residential street (25 km/h), open to walking and driving.
inline void add_road(city::City& c, std::int64_t id, geo::LineString line) {
  city::Road r;
  r.id = id;
  r.road_class = "residential";
  r.speed_kmh = 25;
  r.walk = r.drive = true;
  r.line = std::move(line);
  c.roads.push_back(std::move(r));
}

// A point facility of one class from the input layers (capacity: the class's default).
inline city::Facility facility(std::int64_t id, const std::string& cls, geo::Point at, std::string name = "") {
  city::Facility f;
  f.id = id;
  f.name = std::move(name);
  f.classes = {cls};
  f.location = at;
  f.origin = "layer";
  return f;
}

// Central Chengdu's profile and norms (only the kindergarten's unless all_norms); no population
// or traffic model.
inline scenario::Scenario small_scenario(const std::string& name, const std::string& file, bool all_norms) {
  scenario::Scenario s;
  s.name = name;
  s.file = file;
  s.profile = scenario::load_profile(std::string(UT_SOURCE_DIR) + "/gis-data/chengdu-center/profile.toml");
  s.norms = scenario::default_norms(s.profile);
  if (!all_norms) std::erase_if(s.norms, [](const scenario::Norm& n) { return n.name != "kindergarten"; });
  s.population.enabled = false;
  s.traffic.enabled = false;
  return s;
}

// A street grid 1,200 m x 600 m (a street every 200 m, vertices every 50 m) and 17 blocks of
// 180 m x 180 m, ids 1..17 row by row from the south-west, with 100 x ((id x 7) mod 12 + 1)
// residents: 11,600 in all; the north-east block (i = 5, j = 2) is missing. No facility.
inline city::City grid_city() {
  city::City c;
  c.crs = "EPSG:32648";
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
  return c;
}

}  // namespace ut::test
