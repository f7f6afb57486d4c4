// The access model with known answers (issue 10, docs/access.md): home points inside their
// parcels, residents spread exactly, attachment that never crosses a barrier, coverage shares on
// hand-made cities, notes with the right counts. Every expected figure is worked out by hand in
// the comments next to it.
#include <tbb/global_control.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "city/city.hpp"
#include "geo/geometry.hpp"
#include "geo/segment_index.hpp"
#include "graph/builder.hpp"
#include "graph/entry.hpp"
#include "homes/homes.hpp"
#include "scenario/norms.hpp"
#include "scenario/scenario.hpp"
#include "output/run_dir.hpp"
#include "sim/compliance.hpp"
#include "sim/simulation.hpp"
#include "small_city.hpp"

using namespace ut;
using test::add_parcel;
using test::add_road;
using test::rect;

namespace {

geo::LineString ring(std::initializer_list<geo::Point> pts) {
  geo::LineString r(pts);
  r.push_back(r.front());
  return r;
}

// A horizontal street at height y through the given x vertices (a node at each).
geo::LineString along_x(double y, std::initializer_list<double> xs) {
  geo::LineString l;
  for (double x : xs) l.push_back({x, y});
  return l;
}
geo::LineString along_y(double x, std::initializer_list<double> ys) {
  geo::LineString l;
  for (double y : ys) l.push_back({x, y});
  return l;
}

void add_kindergarten(city::City& c, std::int64_t id, geo::Point at) {
  c.facilities.push_back(test::facility(id, "kindergarten", at, "kindergarten " + std::to_string(id)));
}

// Population and traffic off; only the kindergarten class (walk, 300 m) unless all_norms. The
// land uses and facility capacities are central Chengdu's profile's.
scenario::Scenario make_scenario(bool all_norms = false) { return test::small_scenario("access", "", all_norms); }

std::size_t class_index(const scenario::Scenario& s, const std::string& name) {
  for (std::size_t k = 0; k < s.norms.size(); ++k)
    if (s.norms[k].name == name) return k;
  FAIL("no class " << name);
  return 0;
}

// Index of the home point at (x, y); fails when there is none.
std::size_t point_at(const homes::HomePoints& h, double x, double y) {
  for (std::size_t i = 0; i < h.size(); ++i)
    if (h.xy[i].x == x && h.xy[i].y == y) return i;
  FAIL("no home point at (" << x << ", " << y << ")");
  return 0;
}

std::optional<double> indicator(const sim::YearResult& y, const std::string& name) {
  for (const auto& i : y.indicators)
    if (i.name == name) return i.value;
  FAIL("no indicator " << name);
  return std::nullopt;
}

bool any_note(const std::vector<std::string>& notes, const std::string& part) {
  return std::any_of(notes.begin(), notes.end(),
                     [&](const std::string& n) { return n.find(part) != std::string::npos; });
}

std::string note_with(const std::vector<std::string>& notes, const std::string& part) {
  for (const auto& n : notes)
    if (n.find(part) != std::string::npos) return n;
  return {};
}

// ---- The river city.
//
//   y=410  +------+------+          +------+------+
//          | W3   | W4   |  water   | E3   | E4   |
//   y=210  +------+------K==bridge==+------+------+      (bridge only when `bridge`)
//          | W1   | W2   |  x 410   | E1   | E2   |
//   y=10   +------+------+  ..590   +------+------+
//         x=0   200    400        600    800   1000
//
// Streets: verticals x = 0, 200, 400 and 600, 800, 1000 (y 10..410), horizontals y = 10, 210,
// 410 on each bank, a node at every crossing. Vertical streets lie on multiples of 50 and
// horizontal ones 10 m off them, so a lattice point (25 + 50k) is never equally far from a
// vertical and a horizontal street: no point's street is decided by a tie.
// Kindergarten K at the junction (400, 210), the bridge's west end. West parcels: 160
// residents (10 per point), east parcels 320 (20 per point); 16 lattice points each.
struct RiverOptions {
  bool bridge = true;
  bool extra_east = false;  // two more columns of east blocks' streets: the east part is larger
  bool island = false;      // an island in the river (a hole in the water) with a parcel and a kindergarten
};

city::City river_city(const RiverOptions& o) {
  city::City c;
  c.crs = "EPSG:32648";
  add_parcel(c, 101, rect(0, 10, 200, 210), 160);
  add_parcel(c, 102, rect(200, 10, 400, 210), 160);
  add_parcel(c, 103, rect(0, 210, 200, 410), 160);
  add_parcel(c, 104, rect(200, 210, 400, 410), 160);
  add_parcel(c, 201, rect(600, 10, 800, 210), 320);
  add_parcel(c, 202, rect(800, 10, 1000, 210), 320);
  add_parcel(c, 203, rect(600, 210, 800, 410), 320);
  add_parcel(c, 204, rect(800, 210, 1000, 410), 320);
  std::int64_t id = 1;
  for (double x : {0.0, 200.0, 400.0, 600.0, 800.0, 1000.0}) add_road(c, id++, along_y(x, {10, 210, 410}));
  for (double y : {10.0, 210.0, 410.0}) {
    add_road(c, id++, along_x(y, {0, 200, 400}));
    add_road(c, id++, along_x(y, {600, 800, 1000}));
  }
  if (o.bridge) add_road(c, 100, along_x(210, {400, 600}));
  if (o.extra_east) {
    for (double y : {10.0, 210.0, 410.0}) add_road(c, id++, along_x(y, {1000, 1200, 1400}));
    for (double x : {1200.0, 1400.0}) add_road(c, id++, along_y(x, {10, 210, 410}));
  }
  add_kindergarten(c, 7, {400, 210});
  city::Barrier water;
  water.id = 1;
  water.kind = "water";
  water.area = {geo::Polygon{{ring({{410, -200}, {590, -200}, {590, 800}, {410, 800}})}}};
  if (o.island) {
    water.area[0].rings.push_back(ring({{460, 260}, {540, 260}, {540, 340}, {460, 340}}));
    add_parcel(c, 301, rect(460, 260, 540, 340), 40);  // 4 lattice points (475|525, 275|325), 10 each
    add_kindergarten(c, 8, {500, 300});
  }
  c.barriers.push_back(water);
  return c;
}

// Expected kindergarten shares of the parcels W1..W4, E1..E4 (see the river-city test case).
const std::vector<double> kWestShare = {1 / 16.0, 9 / 16.0, 3 / 16.0, 11 / 16.0};
const std::vector<double> kEastShareBridge = {1 / 16.0, 0, 3 / 16.0, 0};

}  // namespace

// ---------------------------------------------------------------------------------------------
// 1. Geometry: lattice points and points on surface.

TEST_CASE("lattice: square of 200 m at the origin holds 16 points at (25,25)..(175,175)", "[access][homes]") {
  std::vector<geo::Point> pts;
  geo::lattice_points(rect(0, 0, 200, 200), 50, pts);
  REQUIRE(pts.size() == 16);
  // Row by row from the south, west to east.
  std::size_t i = 0;
  for (double y : {25.0, 75.0, 125.0, 175.0})
    for (double x : {25.0, 75.0, 125.0, 175.0}) CHECK(pts[i++] == geo::Point{x, y});
  // Anchored at the CRS origin, not at the parcel: shifted by 10 m, the same 16 points.
  pts.clear();
  geo::lattice_points(rect(10, 10, 210, 210), 50, pts);
  REQUIRE(pts.size() == 16);
  CHECK(pts.front() == geo::Point{25, 25});
  CHECK(pts.back() == geo::Point{175, 175});
  // Strictly inside: a row or column exactly on the boundary is left out (x = 175, y = 175).
  pts.clear();
  geo::lattice_points(rect(0, 0, 175, 200), 50, pts);
  CHECK(pts.size() == 12);
  pts.clear();
  geo::lattice_points(rect(0, 0, 200, 175), 50, pts);
  CHECK(pts.size() == 12);
}

TEST_CASE("lattice: concave and holed parcels keep every point inside, none in the notch or hole", "[access][homes]") {
  std::vector<geo::Point> pts;
  SECTION("L-shape: 200 x 100 base plus a 100 x 100 arm: 8 + 4 points") {
    const geo::MultiPolygon L = {
        geo::Polygon{{ring({{0, 0}, {200, 0}, {200, 100}, {100, 100}, {100, 200}, {0, 200}})}}};
    geo::lattice_points(L, 50, pts);
    CHECK(pts.size() == 12);
    for (const auto& q : pts) {
      CHECK(geo::contains(L, q));
      CHECK_FALSE((q.x > 100 && q.y > 100));  // the notch
    }
  }
  SECTION("square with a hole: 16 points minus the 4 in the hole (75|125, 75|125)") {
    geo::MultiPolygon H = rect(0, 0, 200, 200);
    H[0].rings.push_back(ring({{50, 50}, {150, 50}, {150, 150}, {50, 150}}));
    geo::lattice_points(H, 50, pts);
    CHECK(pts.size() == 12);
    for (const auto& q : pts) {
      CHECK(geo::contains(H, q));
      CHECK_FALSE((q.x > 50 && q.x < 150 && q.y > 50 && q.y < 150));
    }
  }
  SECTION("C-shape: 300 x 300 minus the notch (100..300) x (100..200): 36 - 8 points") {
    const geo::MultiPolygon C = {
        geo::Polygon{{ring({{0, 0}, {300, 0}, {300, 100}, {100, 100}, {100, 200}, {300, 200}, {300, 300}, {0, 300}})}}};
    geo::lattice_points(C, 50, pts);
    CHECK(pts.size() == 28);
    for (const auto& q : pts) CHECK(geo::contains(C, q));
  }
}

TEST_CASE("lattice: random star-shaped parcels with holes: exactly the lattice points they contain",
          "[access][homes]") {
  std::mt19937 rng(20240610);
  std::uniform_real_distribution<double> u(0, 1);
  for (int n = 0; n < 200; ++n) {
    const double cx = 1000 * u(rng) - 500, cy = 1000 * u(rng) - 500, r0 = 40 + 300 * u(rng);
    const int k = 5 + static_cast<int>(20 * u(rng));
    geo::LineString outer;
    for (int i = 0; i < k; ++i) {
      const double a = 2 * std::numbers::pi * i / k, r = r0 * (0.35 + 0.65 * u(rng));  // concave in places
      outer.push_back({cx + r * std::cos(a), cy + r * std::sin(a)});
    }
    outer.push_back(outer.front());
    geo::MultiPolygon mp = {geo::Polygon{{outer}}};
    const double h = 0.25 * r0;  // a hole around the centre, inside the smallest radius
    mp[0].rings.push_back(ring({{cx - h, cy - h}, {cx + h, cy - h}, {cx + h, cy + h}, {cx - h, cy + h}}));
    std::vector<geo::Point> pts;
    geo::lattice_points(mp, 50, pts);
    // Brute force over the lattice points of the box.
    const geo::BBox b = geo::bbox(mp);
    std::size_t expected = 0;
    for (double y = (std::ceil(b.min_y / 50 - 0.5) + 0.5) * 50; y <= b.max_y; y += 50)
      for (double x = (std::ceil(b.min_x / 50 - 0.5) + 0.5) * 50; x <= b.max_x; x += 50)
        expected += geo::contains(mp, {x, y});
    CHECK(pts.size() == expected);
    for (const auto& q : pts) {
      CHECK(geo::contains(mp, q));
      CHECK_FALSE((std::abs(q.x - cx) < h && std::abs(q.y - cy) < h));
    }
  }
}

TEST_CASE("point on surface: inside a thin sliver and a C whose centroid lies outside", "[access][homes]") {
  // A diagonal sliver 1 m high (0.7 m wide): the line y = (1 + 1000) / 2 = 500.5 crosses it
  // between x = 499.5 and 500.5, so the point is (500, 500.5).
  const geo::MultiPolygon sliver = {geo::Polygon{{ring({{0, 0}, {1000, 1000}, {1000, 1001}, {0, 1}})}}};
  const geo::Point s = geo::point_on_surface(sliver);
  CHECK(geo::contains(sliver, s));
  CHECK(s.x == Approx(500));
  CHECK(s.y == Approx(500.5));
  // The C: area 90,000 - 20,000; centroid x = (90,000 * 150 - 20,000 * 200) / 70,000 = 135.7,
  // y = 150: in the notch. The surface point: y = (100 + 200) / 2 = 150, the interval 0..100: (50, 150).
  const geo::MultiPolygon C = {
      geo::Polygon{{ring({{0, 0}, {300, 0}, {300, 100}, {100, 100}, {100, 200}, {300, 200}, {300, 300}, {0, 300}})}}};
  const geo::Point cen = geo::centroid(C);
  CHECK(cen.x == Approx(9.5e6 / 7e4));
  CHECK_FALSE(geo::contains(C, cen));
  const geo::Point p = geo::point_on_surface(C);
  CHECK(geo::contains(C, p));
  CHECK(p == geo::Point{50, 150});

  // homes::generate: the sliver has no lattice point, so its one home point is on its surface;
  // the C gets its 28 lattice points, none in the notch.
  city::City c;
  add_parcel(c, 1, sliver, 7);
  add_parcel(c, 2, C, 28);
  homes::Params prm;
  const auto h = homes::generate(c, {1, 1}, prm);
  REQUIRE(h.parcels() == 2);
  REQUIRE(h.offset[1] - h.offset[0] == 1);
  CHECK(h.source[0] == homes::Source::surface);
  CHECK(geo::contains(sliver, h.xy[0]));
  CHECK(h.offset[2] - h.offset[1] == 28);
  for (std::uint32_t i = h.offset[1]; i < h.offset[2]; ++i) {
    CHECK(h.source[i] == homes::Source::lattice);
    CHECK(geo::contains(C, h.xy[i]));
    CHECK(h.parcel[i] == 1);
  }
  CHECK(h.parcels_on_surface == 1);
  CHECK(h.parcels_from_lattice == 1);
}

// ---------------------------------------------------------------------------------------------
// 2. homes::spread.

TEST_CASE("spread: largest remainder by hand", "[access][homes]") {
  auto make = [](std::vector<std::vector<double>> parcels) {
    homes::HomePoints h;
    h.offset.push_back(0);
    for (std::size_t p = 0; p < parcels.size(); ++p) {
      for (double w : parcels[p]) {
        h.xy.push_back({0, 0});
        h.weight.push_back(w);
        h.source.push_back(homes::Source::lattice);
        h.parcel.push_back(static_cast<std::uint32_t>(p));
      }
      h.offset.push_back(static_cast<std::uint32_t>(h.xy.size()));
    }
    return h;
  };
  // 10 over 1,1,1: quotas 3.33 each, floors 3,3,3, the one left to the earliest point: 4,3,3.
  // 7 over 1,2,3,4: quotas 0.7, 1.4, 2.1, 2.8, floors 0,1,2,2 (5), remainders .7 .4 .1 .8:
  // the two left go to the 4th and the 1st point: 1,1,2,3.
  // 5 over one point: 5. 0 over 1,1: 0,0. 3 over 1,1,1,1,1 (0.6 each): 1,1,1,0,0.
  const auto h = make({{1, 1, 1}, {1, 2, 3, 4}, {2.5}, {1, 1}, {1, 1, 1, 1, 1}});
  std::vector<std::uint32_t> out;
  homes::spread(h, {10, 7, 5, 0, 3}, out);
  CHECK(out == std::vector<std::uint32_t>{4, 3, 3, 1, 1, 2, 3, 5, 0, 0, 1, 1, 1, 0, 0});
}

TEST_CASE("spread: residents conserved exactly for random weights over many parcels", "[access][homes]") {
  std::mt19937 rng(7);
  homes::HomePoints h;
  h.offset.push_back(0);
  std::vector<std::uint32_t> residents;
  const std::size_t np = 20000;
  for (std::size_t p = 0; p < np; ++p) {
    const auto n = 1 + rng() % 40;
    for (std::uint32_t i = 0; i < n; ++i) {
      h.xy.push_back({0, 0});
      // Weights over ten orders of magnitude, as footprint x storeys or raster values give.
      h.weight.push_back(std::pow(10.0, static_cast<double>(rng() % 1000) / 100.0 - 5) *
                         static_cast<double>(1 + rng() % 7));
      h.source.push_back(homes::Source::lattice);
      h.parcel.push_back(static_cast<std::uint32_t>(p));
    }
    h.offset.push_back(static_cast<std::uint32_t>(h.xy.size()));
    residents.push_back(p % 97 == 0 ? 0
                                    : (p % 13 == 0 ? 4'000'000'000u - static_cast<std::uint32_t>(rng() % 1000)
                                                   : static_cast<std::uint32_t>(rng() % 5000)));
  }
  std::vector<std::uint32_t> out;
  homes::spread(h, residents, out);
  REQUIRE(out.size() == h.size());
  for (std::size_t p = 0; p < np; ++p) {
    std::uint64_t sum = 0;
    double W = 0;
    for (std::uint32_t i = h.offset[p]; i < h.offset[p + 1]; ++i) W += h.weight[i];
    bool fair = true;  // each point gets its quota rounded down or up: |out - quota| < 1
    for (std::uint32_t i = h.offset[p]; i < h.offset[p + 1]; ++i) {
      sum += out[i];
      const double q = residents[p] * h.weight[i] / W;
      fair &= std::abs(static_cast<double>(out[i]) - q) < 1 + 1e-9 * q;
    }
    REQUIRE(sum == residents[p]);
    CHECK(fair);
  }
  // The same for any thread count.
  std::vector<std::uint32_t> one;
  {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 1);
    homes::spread(h, residents, one);
  }
  CHECK(one == out);
}

// ---------------------------------------------------------------------------------------------
// 3. A barrier between a point and its nearest street sends it to the next street.

TEST_CASE("attach: a railway between a point and the nearer street sends it to the farther one", "[access][attach]") {
  // Two parallel streets 400 m long, y = 0 and y = 100; the point (50, 30); a railway at y = 20.
  std::vector<graph::LineInput> lines(2);
  lines[0].points = {{0, 0}, {400, 0}};
  lines[1].points = {{0, 100}, {400, 100}};
  const auto g = graph::build_graph(lines, {});
  const graph::EdgeLocator loc(g);
  const geo::Point p{50, 30};
  auto street_y = [&](const graph::EntryPoint& e) {
    REQUIRE(e.edge != graph::kUnreached);
    CHECK(g.node_xy[e.u].y == g.node_xy[e.v].y);
    return g.node_xy[e.u].y;
  };

  SECTION("no barrier: the street at y = 0, leg 30 m") {
    const auto e = loc.attach(p, 500, nullptr);
    CHECK(street_y(e) == 0);
    CHECK(e.leg_m == 30);
    CHECK(e.leg == 300);  // decimetres
    CHECK_FALSE(e.blocked);
  }
  SECTION("railway at y = 20: the street at y = 100, leg 70 m") {
    const geo::SegmentIndex rail({{-1000, 20}}, {{1000, 20}}, 100);
    const auto e = loc.attach(p, 500, &rail);
    CHECK(street_y(e) == 100);
    CHECK(e.leg_m == 70);
    CHECK(e.leg == 700);
    CHECK_FALSE(e.blocked);
    // Along the edge: the foot (50, 100) is 50 m from (0, 100) and 350 m from (400, 100).
    const bool u_west = g.node_xy[e.u].x == 0;
    CHECK((u_west ? e.u_to_point : e.v_to_point) == 500);
    CHECK((u_west ? e.v_to_point : e.u_to_point) == 3500);
    // Within 50 m only the street behind the railway: unattached, and it says why.
    const auto near = loc.attach(p, 50, &rail);
    CHECK(near.edge == graph::kUnreached);
    CHECK(near.blocked);
  }
  SECTION("railways at y = 20 and y = 60: both streets behind one: unattached, blocked") {
    const geo::SegmentIndex rails({{-1000, 20}, {-1000, 60}}, {{1000, 20}, {1000, 60}}, 100);
    const auto e = loc.attach(p, 500, &rails);
    CHECK(e.edge == graph::kUnreached);
    CHECK(e.blocked);
  }
  SECTION("nothing within reach at all: unattached, not blocked") {
    const geo::SegmentIndex rail({{-1000, 20}}, {{1000, 20}}, 100);
    const auto e = loc.attach({50, 1000}, 500, &rail);
    CHECK(e.edge == graph::kUnreached);
    CHECK_FALSE(e.blocked);
  }
  SECTION("a railway that ends short of the leg does not block it") {
    const geo::SegmentIndex rail({{100, 20}}, {{1000, 20}}, 100);
    const auto e = loc.attach(p, 500, &rail);
    CHECK(street_y(e) == 0);
    CHECK(e.leg_m == 30);
  }
}

TEST_CASE("attach: fragments shorter than the minimum are not usable", "[access][attach]") {
  // A 400 m street and, 20 m from the point, an isolated 100 m service road.
  std::vector<graph::LineInput> lines(2);
  lines[0].points = {{0, 0}, {400, 0}};
  lines[1].points = {{0, 70}, {100, 70}};
  const auto g = graph::build_graph(lines, {});
  const auto parts = graph::network_parts(g, 300);
  CHECK(parts.length_m.size() == 2);
  CHECK(parts.fragments == 1);
  CHECK(parts.fragment_length_m == Approx(100));
  const graph::EdgeLocator all(g), usable(g, parts.usable);
  const auto e_all = all.attach({50, 50}, 500, nullptr);
  CHECK(e_all.leg_m == 20);
  const auto e = usable.attach({50, 50}, 500, nullptr);
  REQUIRE(e.edge != graph::kUnreached);
  CHECK(g.node_xy[e.u].y == 0);
  CHECK(e.leg_m == 50);
}

// ---------------------------------------------------------------------------------------------
// 4. A large block with a kindergarten inside: covered on its near side, not on its far side.

namespace {
// One block 1000 m x 400 m, (0,0)-(1000,400); its only street runs along the south side (1000 m,
// a node every 50 m at x = 0, 50, ..., 1000); the kindergarten stands inside the block at (500, 20).
// Spacing 50: 20 columns x = 25..975 by 8 rows y = 25..375 = 160 points, 320 residents (2 each).
city::City big_block(bool nodes_every_50m) {
  city::City c;
  add_parcel(c, 1, rect(0, 0, 1000, 400), 320);
  geo::LineString south;
  if (nodes_every_50m) {
    for (int i = 0; i <= 20; ++i) south.push_back({50.0 * i, 0});
  } else {
    south = {{0, 0}, {1000, 0}};  // one straight edge, as OSM often draws a block's side
  }
  add_road(c, 1, south);
  add_kindergarten(c, 1, {500, 20});
  return c;
}
}  // namespace

TEST_CASE("large block: a kindergarten inside covers its near side, not its far side", "[access][coverage]") {
  // The kindergarten attaches to the node (500, 0) by a 20 m leg. A point (x, y) attaches to the
  // street straight south of it (leg y, foot (x, 0) halfway along a 50 m edge), so its walk is
  // 20 + |x - 500| + y. With |x - 500| = 25 + 50a and y = 25 + 50b: 70 + 50 (a + b) <= 300
  // <=> a + b <= 4: 15 pairs (a, b) on each side of x = 500, 30 points of 160.
  const auto s = make_scenario();
  const auto c = big_block(true);
  sim::Simulation sim(s, c);
  const auto y = sim.step_base_year();
  const auto& h = sim.home_points();
  REQUIRE(h.size() == 160);
  REQUIRE(h.xy.front() == geo::Point{25, 25});
  REQUIRE(h.xy.back() == geo::Point{975, 375});
  for (const auto r : y.point_residents) REQUIRE(r == 2);
  const auto& cost = y.coverage.classes[0].cost;
  // Costs by hand (dm): (525, 25): 20 + 25 + 25 = 70 m; (475, 225): 20 + 25 + 225 = 270 m;
  // (725, 25): 20 + 225 + 25 = 270 m; (775, 25): 20 + 275 + 25 = 320 m, not served.
  CHECK(cost[point_at(h, 525, 25)] == 700);
  CHECK(cost[point_at(h, 475, 225)] == 2700);
  CHECK(cost[point_at(h, 725, 25)] == 2700);
  CHECK(cost[point_at(h, 775, 25)] == 3200);
  // Every point by the formula: within 300 m exactly when a + b <= 4; beyond the 360 m search
  // bound (1.2 x radius) unreached.
  std::size_t served_points = 0;
  for (std::size_t i = 0; i < h.size(); ++i) {
    const double walk = 20 + std::abs(h.xy[i].x - 500) + h.xy[i].y;
    const auto expected = walk <= 360 ? static_cast<std::uint32_t>(walk * 10) : graph::kUnreached;
    CHECK(cost[i] == expected);
    served_points += walk <= 300;
    if (h.xy[i].y >= 275) CHECK(cost[i] > 3000);  // the far side: never served
  }
  CHECK(served_points == 30);
  const auto& pc = y.parcel_coverage[0];
  CHECK(pc.served[0] == 60);
  CHECK(pc.share[0] == Approx(30.0 / 160.0));
  // Median: 42 points are within the bound, fewer than half of 160: unreached.
  CHECK(pc.cost[0] == graph::kUnreached);
  CHECK(*indicator(y, "access_kindergarten_pct") == Approx(100.0 * 60 / 320));
  // Near side: 10 of the 20 points of the first row; far side: none of the last four rows.
  // Rows y >= 225 (b >= 4): only (475, 225) and (525, 225) (a = 0, b = 4); y >= 275: none.
  std::size_t first_row = 0, row_225 = 0, far_rows = 0;
  for (std::size_t i = 0; i < h.size(); ++i) {
    const bool ok = cost[i] <= 3000;
    if (h.xy[i].y == 25) first_row += ok;
    if (h.xy[i].y == 225) row_225 += ok;
    if (h.xy[i].y >= 275) far_rows += ok;
  }
  CHECK(first_row == 10);
  CHECK(row_225 == 2);
  CHECK(far_rows == 0);
}

// A home point and a site attached to the SAME edge meet directly along it (graph::along_edge),
// not only through the edge's end nodes. With the block's south side drawn as one straight
// 1000 m line (as OSM usually draws it: no node between the corners), the kindergarten at
// (500, 20) and every home point sit on that one edge: the point (525, 25) costs 20 + 25 + 25 =
// 70 m, not 20 + 500 + 475 + 25 = 1020 m through a corner; the block's near side is covered
// (30/160), as with a node every 50 m.
TEST_CASE("large block drawn as one edge: same coverage as with a node every 50 m", "[access][coverage]") {
  const auto s = make_scenario();
  const auto c = big_block(false);
  sim::Simulation sim(s, c);
  const auto y = sim.step_base_year();
  const auto& h = sim.home_points();
  CHECK(y.coverage.classes[0].cost[point_at(h, 525, 25)] == 700);
  CHECK(y.parcel_coverage[0].share[0] == Approx(30.0 / 160.0));
}

// ---------------------------------------------------------------------------------------------
// 5. The river city: coverage never crosses the river except by the bridge.
//
// Network distances from K (400, 210): (200,210), (400,10), (400,410) 200 m; (0,210),
// (200,10), (200,410) 400 m; with the bridge, (600, 210) 200 m. Per point: the nearest side of
// its block (leg), then the cheaper end of that edge. West (by hand, every point):
//   W1 (0..200 x 10..210): only (175,175): right side, 200 + 35 + 25 = 260 m.        1/16
//   W2 (200..400 x 10..210): x=375 all four (60, 110, 160, 240 m); x=325: y=175 (110),
//      y=125 (160), y=25 (bottom: 200 + 75 + 15 = 290), not y=75 (bottom: 275 + 65 = 340);
//      x=275: y=175 (160); x=225: y=175 (left: 200 + 35 + 25 = 260).                   9/16
//   W3 (0..200 x 210..410): (175,225) 240, (175,275) 290, (125,225) 290.              3/16
//   W4 (200..400 x 210..410): x=375 all four (40, 90, 140, 190); x=325: 90, 140, 190,
//      not y=375 (top: 275 + 35 = 310); x=275: y=225 (140), y=275 (190); x=225: y=225
//      (190), y=275 (left: 200 + 65 + 25 = 290).                                      11/16
// East with the bridge: the mirror of W1 and W3 about the river, via (600, 210) at 200 m:
//   E1: (625,175) 200 + 35 + 25 = 260 m: 1/16; E3: (625,225) 240, (625,275) 290, (675,225)
//   290: 3/16; E2, E4: none (at least 400 m).

TEST_CASE("river city: coverage by hand, the bridge, closing it, and a larger far bank", "[access][coverage]") {
  const auto s = make_scenario();
  auto run = [&](const RiverOptions& o) {
    const auto c = river_city(o);
    sim::Simulation sim(s, c);
    auto y = sim.step_base_year();
    return std::make_tuple(y, sim.home_points(), sim.notes(), sim.network_stats(), sim.home_walk_entries());
  };

  // (a) With the bridge.
  const auto [a, ha, notes_a, stats_a, legs_a] = run({.bridge = true});
  REQUIRE(ha.size() == 128);
  CHECK(stats_a.walk_parts == 1);
  CHECK(stats_a.points_unattached_walk == 0);
  const auto& ca = a.coverage.classes[0].cost;
  CHECK(ca[point_at(ha, 375, 225)] == 400);   // W4: right side, 15 + 25
  CHECK(ca[point_at(ha, 225, 275)] == 2900);  // W4: left side, 200 + 65 + 25
  CHECK(ca[point_at(ha, 325, 75)] == 3400);   // W2: bottom side, 200 + 75 + 65: not served
  // East of the river, only over the bridge: 200 (bridge) + 35 (x = 600 street) + 25 (leg).
  CHECK(ca[point_at(ha, 625, 175)] == 2600);
  CHECK(ca[point_at(ha, 625, 225)] == 2400);
  CHECK(ca[point_at(ha, 675, 175)] == 3100);  // top side: 200 + 75 + 35, not served
  for (std::size_t p = 0; p < 4; ++p) {
    CHECK(a.parcel_coverage[0].share[p] == Approx(kWestShare[p]));
    CHECK(a.parcel_coverage[0].share[4 + p] == Approx(kEastShareBridge[p]));
  }
  CHECK(a.parcel_coverage[0].served == std::vector<std::uint32_t>{10, 90, 30, 110, 20, 0, 60, 0});
  // 320 of 1,920 residents.
  CHECK(*indicator(a, "access_kindergarten_pct") == Approx(100.0 * 320 / 1920));
  CHECK_FALSE(any_note(notes_a, "no kindergarten site"));

  // (b) The bridge closed: no east point is served; the east bank attaches to its own streets.
  const auto [b, hb, notes_b, stats_b, legs_b] = run({.bridge = false});
  CHECK(stats_b.walk_parts == 2);
  CHECK(stats_b.walk_fragments == 0);
  CHECK(stats_b.points_unattached_walk == 0);
  for (std::size_t i = 0; i < hb.size(); ++i)
    if (hb.xy[i].x > 500) CHECK(b.coverage.classes[0].cost[i] == graph::kUnreached);
  CHECK(b.parcel_coverage[0].served == std::vector<std::uint32_t>{10, 90, 30, 110, 0, 0, 0, 0});
  for (std::size_t p = 0; p < 4; ++p) {
    CHECK(b.parcel_coverage[0].share[p] == a.parcel_coverage[0].share[p]);  // west unchanged
    CHECK(b.parcel_coverage[0].cost[p] == a.parcel_coverage[0].cost[p]);
    CHECK(b.parcel_coverage[0].share[4 + p] == 0);
  }
  CHECK(*indicator(b, "access_kindergarten_pct") == Approx(100.0 * 240 / 1920));
  CHECK(any_note(notes_b, "class kindergarten: 1280 residents in 4 parcels (201, 202, 203, 204) live on 1 network part with no"));
  // Every point's leg is the distance to the nearest side of its own block (at most 75 m; a
  // street across the water is at least 225 m away from any point).
  for (std::size_t i = 0; i < hb.size(); ++i) {
    const double x = hb.xy[i].x, yy = hb.xy[i].y;
    const double x0 = std::floor(x / 200) * 200, y0 = yy < 210 ? 10 : 210;
    const double side = std::min({x - x0, x0 + 200 - x, yy - y0, y0 + 200 - yy});
    CHECK(legs_b[i].edge != graph::kUnreached);
    CHECK(legs_b[i].leg_m == Approx(side));
    CHECK(side <= 75);
  }

  // (c) No bridge, and the east bank is the larger part (2,370 + 2,000 m against 2,370 m):
  // the west bank keeps its kindergarten coverage, the east bank still has none.
  const auto [cc, hc, notes_c, stats_c, legs_c] = run({.bridge = false, .extra_east = true});
  CHECK(stats_c.walk_parts == 2);
  CHECK(cc.parcel_coverage[0].served == b.parcel_coverage[0].served);
  CHECK(cc.parcel_coverage[0].share == b.parcel_coverage[0].share);
  CHECK(cc.parcel_coverage[0].cost == b.parcel_coverage[0].cost);
  CHECK(cc.coverage.classes[0].cost == b.coverage.classes[0].cost);
  CHECK(any_note(notes_c, "class kindergarten: 1280 residents in 4 parcels (201, 202, 203, 204) live on 1 network part with no"));
}

// ---------------------------------------------------------------------------------------------
// 6. Notes name the right counts.

TEST_CASE("notes: residents on a part without a site, an island behind the water, sites behind it", "[access][notes]") {
  const auto s = make_scenario();
  const auto c = river_city({.bridge = false, .island = true});
  sim::Simulation sim(s, c);
  const auto y = sim.step_base_year();
  const auto notes = sim.notes();
  INFO([&] {
    std::string all;
    for (const auto& n : notes) all += n + "\n";
    return all;
  }());
  // The island's 4 points: every street within 500 m is across the water: unattached, blocked.
  const auto& st = sim.network_stats();
  CHECK(st.points_unattached_walk == 4);
  CHECK(st.points_blocked_walk == 4);
  CHECK(st.parcels_unattached_walk == 1);
  CHECK(st.sites_unattached == 1);  // the island's kindergarten (id 8)
  // The east bank: 4 x 320 = 1,280 residents on one part without a kindergarten.
  const std::string east = note_with(notes, "no kindergarten site");
  CHECK_THAT(east, Catch::Contains("class kindergarten: 1280 residents in 4 parcels (201, 202, 203, 204) live on 1 network part "));
  CHECK_FALSE(east.find("301") != std::string::npos);  // the island is unattached, not on a part
  // The island: 40 residents, all with a nearer street behind the water.
  const std::string island = note_with(notes, "no usable walkable street");
  CHECK_THAT(island, Catch::StartsWith("2024: 40 residents") && Catch::Contains("301") &&
                         Catch::Contains("(40 of them have a nearer street behind one)"));
  // The island's kindergarten could not be attached: named, with the reason.
  const std::string site = note_with(notes, "not attached to a usable street");
  CHECK_THAT(site, Catch::Contains("class kindergarten: 1 site not attached") &&
                       Catch::Contains("(1 with a nearer street behind a barrier)") && Catch::EndsWith("ids 8"));
  // Never "not in the input" for a class that is in it.
  CHECK_FALSE(any_note(notes, "no facilities in the input"));
  CHECK_FALSE(any_note(notes, "no facility of any class"));
  CHECK_FALSE(any_note(notes, "fragments"));
  // Coverage: the island's 40 residents count as not served; the rest as in case (b).
  CHECK(y.parcel_coverage[0].served == std::vector<std::uint32_t>{10, 90, 30, 110, 0, 0, 0, 0, 0});
  CHECK(*indicator(y, "access_kindergarten_pct") == Approx(100.0 * 240 / 1960));

  SECTION("with every built-in class: the kindergarten is never said to be missing") {
    const auto s_all = make_scenario(true);
    sim::Simulation sim_all(s_all, c);
    const auto y_all = sim_all.step_base_year();
    const auto notes_all = sim_all.notes();
    CHECK_FALSE(any_note(notes_all, "class kindergarten: no facilities"));
    CHECK(any_note(notes_all, "class park: no facilities in the input"));  // truly absent
    CHECK(y_all.parcel_coverage[class_index(s_all, "kindergarten")].served == y.parcel_coverage[0].served);
  }
}

namespace {
// A railway city: parcel 1 (0..100 x 0..100, 8 residents, 4 points) north of a railway at
// y = -10; its street at y = -20 south of the railway (2000 m, nodes at x = -1000, 0, 50, 100,
// 1000); parcel 2 (0..100 x -200..-100, 20 residents, 4 points) south of the street; the
// kindergarten at (50, -30); an isolated 100 m service road (0,300)-(100,300) north of parcel 1,
// within reach and on its side of the railway, but a fragment (< 300 m).
city::City rail_city() {
  city::City c;
  add_parcel(c, 1, rect(0, 0, 100, 100), 8);
  add_parcel(c, 2, rect(0, -200, 100, -100), 20);
  add_road(c, 1, along_x(-20, {-1000, 0, 50, 100, 1000}));
  add_road(c, 2, along_x(300, {0, 100}));
  add_kindergarten(c, 1, {50, -30});
  city::Barrier rail;
  rail.id = 1;
  rail.kind = "railway";
  rail.lines = {{{-3000, -10}, {3000, -10}}};
  c.barriers.push_back(rail);
  return c;
}
}  // namespace

TEST_CASE("notes: a parcel whose street is behind a railway, and a fragment", "[access][notes]") {
  const auto s = make_scenario();
  const auto c = rail_city();
  sim::Simulation sim(s, c);
  const auto y = sim.step_base_year();
  const auto notes = sim.notes();
  INFO([&] {
    std::string all;
    for (const auto& n : notes) all += n + "\n";
    return all;
  }());
  const auto& st = sim.network_stats();
  CHECK(st.walk_parts == 2);
  CHECK(st.walk_fragments == 1);
  CHECK(st.points_unattached_walk == 4);  // parcel 1: never the fragment, never across the railway
  CHECK(st.points_blocked_walk == 4);
  CHECK(st.parcels_unattached_walk == 1);
  const std::string blocked = note_with(notes, "no usable walkable street");
  CHECK_THAT(blocked, Catch::StartsWith("2024: 8 residents (home points in 1 parcel: 1)") &&
                          Catch::Contains("(8 of them have a nearer street behind one)"));
  const std::string frag = note_with(notes, "fragment");
  CHECK_THAT(frag, Catch::StartsWith("1 walk network fragment (100 m in all) shorter than 300 m each"));
  // Parcel 2: foot on the edge (0..50, -20) or (50..100, -20); kindergarten at node (50, -20)
  // by a 10 m leg: (25, -125): 10 + 25 + 105 = 140 m; (75, -175): 10 + 25 + 155 = 190 m.
  const auto& h = sim.home_points();
  CHECK(y.coverage.classes[0].cost[point_at(h, 25, -125)] == 1400);
  CHECK(y.coverage.classes[0].cost[point_at(h, 75, -175)] == 1900);
  CHECK(y.parcel_coverage[0].served == std::vector<std::uint32_t>{0, 20});
  CHECK(y.parcel_coverage[0].share == std::vector<double>{0.0, 1.0});
  CHECK(y.parcel_coverage[0].cost[0] == graph::kUnreached);
  CHECK(*indicator(y, "access_kindergarten_pct") == Approx(100.0 * 20 / 28));
}

// The note lists the first ids of the parcels without a usable street and says how many more
// there are: never suggests more than there are.
TEST_CASE("notes: the ids of unattached parcels end without 'more' when all are named", "[access][notes]") {
  const auto s = make_scenario();
  const auto c = rail_city();
  sim::Simulation sim(s, c);
  sim.step_base_year();
  const std::string blocked = note_with(sim.notes(), "no usable walkable street");
  CHECK_THAT(blocked, Catch::Contains("(home points in 1 parcel: 1)"));
  CHECK_FALSE(blocked.find("more") != std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// 7. Determinism.

TEST_CASE("river city: shares and indicators identical for 1 and 4 threads", "[access][determinism]") {
  const auto s = make_scenario(true);
  const auto c = river_city({.bridge = true, .island = true});
  auto run = [&](std::size_t threads) {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
    sim::Simulation sim(s, c);
    auto y = sim.step_base_year();
    return std::make_tuple(y, sim.notes(), sim.home_points().xy);
  };
  const auto [y1, n1, p1] = run(1);
  const auto [y4, n4, p4] = run(4);
  CHECK(p1 == p4);
  CHECK(n1 == n4);
  REQUIRE(y1.parcel_coverage.size() == y4.parcel_coverage.size());
  for (std::size_t k = 0; k < y1.parcel_coverage.size(); ++k) {
    CHECK(y1.parcel_coverage[k].served == y4.parcel_coverage[k].served);
    CHECK(y1.parcel_coverage[k].share == y4.parcel_coverage[k].share);
    CHECK(y1.parcel_coverage[k].cost == y4.parcel_coverage[k].cost);
    CHECK(y1.parcel_coverage[k].supply == y4.parcel_coverage[k].supply);
    CHECK(y1.coverage.classes[k].cost == y4.coverage.classes[k].cost);
    CHECK(y1.coverage.classes[k].supply == y4.coverage.classes[k].supply);
  }
  for (int t = 0; t < 3; ++t) CHECK(y1.tier_share[t] == y4.tier_share[t]);
  REQUIRE(y1.indicators.size() == y4.indicators.size());
  for (std::size_t i = 0; i < y1.indicators.size(); ++i) {
    CHECK(y1.indicators[i].name == y4.indicators[i].name);
    CHECK(y1.indicators[i].value == y4.indicators[i].value);
  }
  // And the river-city answer itself (kindergarten class).
  const auto k = class_index(s, "kindergarten");
  CHECK(y1.parcel_coverage[k].served == std::vector<std::uint32_t>{10, 90, 30, 110, 20, 0, 60, 0, 0});
}

TEST_CASE("compliance: the large block's kindergarten share against three norms, by hand", "[access][compliance]") {
  // The large block above: 60 of 320 residents within 300 m of the kindergarten, 18.75 %.
  // Only the kindergarten class is simulated, so access_elderly_care_pct is not in the year.
  const auto s = make_scenario();
  const auto c = big_block(true);
  sim::Simulation sim(s, c);
  const auto y = sim.step_base_year();
  REQUIRE(*indicator(y, "access_kindergarten_pct") == 18.75);
  using scenario::CompareOp;
  const std::vector<scenario::ComplianceNorm> norms{
      {"access_kindergarten_pct", CompareOp::ge, 18.75, "at least 18.75 %", "test", "test"},   // equal: pass
      {"access_kindergarten_pct", CompareOp::gt, 18.75, "above 18.75 %", "test", "test"},      // equal: fail
      {"access_kindergarten_pct", CompareOp::le, 10, "at most 10 %", "test", "test"},          // 18.75: fail
      {"access_elderly_care_pct", CompareOp::ge, 100, "every home", "test", "test"},           // no data
      {"population", CompareOp::lt, 321, "fewer than 321", "test", "test"}};                   // 320: pass
  const auto rows = sim::evaluate_compliance(norms, y.year, y.indicators);
  REQUIRE(rows.size() == 5);
  CHECK(rows[0].status == sim::ComplianceStatus::pass);
  CHECK(rows[1].status == sim::ComplianceStatus::fail);
  CHECK(rows[2].status == sim::ComplianceStatus::fail);
  CHECK(rows[3].status == sim::ComplianceStatus::no_data);
  CHECK(!rows[3].value);
  CHECK(rows[4].status == sim::ComplianceStatus::pass);
  CHECK(*rows[0].value == 18.75);
  CHECK(*rows[4].value == 320);
  CHECK(rows[2].norm == &norms[2]);
  CHECK(std::string(sim::status_name(rows[3].status)) == "no data");
}

TEST_CASE("compliance: an indicator without a value is no data -- values judged as indicators.csv writes them",
          "[compliance]") {
  using scenario::CompareOp;
  const std::vector<scenario::ComplianceNorm> norms{{"a_pct", CompareOp::ge, 100, "", "", ""},
                                                    {"b_pct", CompareOp::ge, 100, "", "", ""},
                                                    {"c", CompareOp::le, 0.5, "", "", ""}};
  // 99.9999996 is written 100.000000 and passes; 99.999999 is written as is and fails.
  const std::vector<sim::Indicator> ind{{"a_pct", 99.9999996}, {"b_pct", 99.999999}, {"c", std::nullopt}};
  const auto rows = sim::evaluate_compliance(norms, 2030, ind);
  CHECK(rows[0].status == sim::ComplianceStatus::pass);
  CHECK(*rows[0].value == 100);
  CHECK(rows[1].status == sim::ComplianceStatus::fail);
  CHECK(rows[2].status == sim::ComplianceStatus::no_data);
  CHECK(rows[2].year == 2030);
}

TEST_CASE("indicators.csv: the assignment gap to 6 significant digits -- counts whole and other values to 6 decimals",
          "[compliance]") {
  using scenario::CompareOp;
  // A gap of 8.193724e-07 was written 0.000001 (and 4.4e-07 as 0.000000) before: now 8.19372e-07.
  CHECK(output::format_indicator("assignment_relative_gap", 8.193724e-07) == "8.19372e-07");
  CHECK(output::format_indicator("assignment_relative_gap", 0) == "0");
  CHECK(output::format_indicator("access_park_pct", 13.97123456) == "13.971235");
  CHECK(output::format_indicator("population", 974653) == "974653");
  CHECK(output::show_indicator("population", 974653) == "974653");
  CHECK(output::format_statistic("assignment_relative_gap", 4.4e-07) == "4.4e-07");  // a study's tables
  CHECK(output::format_statistic("population", 974653.5) == "974653.500000");
  CHECK(output::show_indicator("congestion_index", 1.0571) == "1.06");
  CHECK(output::show_indicator("assignment_relative_gap", 8.193724e-07) == "8.19e-07");
  CHECK(sim::indicator_is_diagnostic("assignment_relative_gap"));
  CHECK_FALSE(sim::indicator_is_diagnostic("congestion_index"));
  // A norm on the gap is judged on the value as written: 1.0000004e-06 is written 1e-06.
  const std::vector<scenario::ComplianceNorm> norms{{"assignment_relative_gap", CompareOp::le, 1e-6, "", "", ""}};
  const std::vector<sim::Indicator> ind{{"assignment_relative_gap", 1.0000004e-06}};
  const auto rows = sim::evaluate_compliance(norms, 2030, ind);
  CHECK(rows[0].status == sim::ComplianceStatus::pass);
  CHECK(*rows[0].value == 1e-6);
}

TEST_CASE("compliance: the indicators a profile may name are exactly those a run writes", "[access][compliance]") {
  // With every built-in class: the names of a year's indicators after `year`.
  const auto s = make_scenario(true);
  const auto c = big_block(true);
  sim::Simulation sim(s, c);
  const auto y = sim.step_base_year();
  std::vector<std::string> names;
  for (const auto& i : y.indicators)
    if (i.name != "year") names.push_back(i.name);
  CHECK(names == scenario::compliance_indicators(s.norms));
}
