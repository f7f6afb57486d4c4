#include <catch2/catch.hpp>

#include "fixtures.hpp"
#include "graph/builder.hpp"
#include "graph/dijkstra.hpp"
#include "graph/validate.hpp"

using namespace ut;

TEST_CASE("builder: shared vertices become one node, dangling ends snap within 5 m", "[graph]") {
  std::vector<graph::LineInput> lines = {
      {{{0, 0}, {100, 0}}, true, true, 1},
      {{{100, 0}, {100, 100}}, true, true, 1},  // shares (100,0): a junction
      {{{103, 50}, {200, 50}}, true, true, 1},  // ends 3 m from the line x=100... but not at a vertex
      {{{0, 3}, {-100, 3}}, true, true, 1},     // dangling end 3 m from node (0,0): snapped
      {{{0, 20}, {-100, 20}}, true, true, 1},   // 20 m away: stays apart
  };
  const auto g = graph::build_graph(lines, {});
  CHECK(graph::validate(g).empty());
  // Nodes: (0,0) (100,0) (100,100) (103,50) (200,50) [(0,3) merged into (0,0)] (-100,3) (0,20) (-100,20)
  CHECK(g.node_count() == 8);
  CHECK(g.edge_count() == 5);
  graph::Workspace ws;
  std::vector<std::uint32_t> dist;
  // From (-100,3): 100 m to the snapped end, i.e. node (0,0) is 100 m away (the 3 m gap is bridged
  // at the merged node's position), then 100 m to (100,0).
  std::uint32_t start = 0, target = 0;
  for (std::uint32_t v = 0; v < g.node_count(); ++v) {
    if (g.node_xy[v] == geo::Point{-100, 3}) start = v;
    if (g.node_xy[v] == geo::Point{100, 0}) target = v;
  }
  const graph::Seed s{start, 0};
  graph::multi_source(g, {&s, 1}, 100000, dist, ws);
  CHECK(dist[target] == 2000);
}

TEST_CASE("builder: node ids follow the Hilbert curve and one-way lines give one arc", "[graph]") {
  const auto g = test::grid(8, 10);
  geo::BBox box;
  for (const auto& p : g.node_xy) box.add(p);
  for (std::size_t v = 1; v < g.node_count(); ++v)
    CHECK(geo::hilbert_index(g.node_xy[v - 1], box) < geo::hilbert_index(g.node_xy[v], box));
  const auto one = graph::build_graph({{{{0, 0}, {10, 0}}, true, false, 10}}, {graph::CostUnit::decisecond, 0.01, 5});
  REQUIRE(one.arc_count() == 1);
  CHECK(one.arc_cost[0] == 10);  // 10 m at 10 m/s = 1 s = 10 ds
  CHECK(one.node_xy[one.arc_head[0]] == geo::Point{10, 0});
}

TEST_CASE("validators catch broken graphs", "[graph]") {
  auto g = test::grid(3, 100);
  REQUIRE(graph::validate(g).empty());
  auto bad_head = g;
  bad_head.arc_head[3] = 99;
  CHECK(!graph::validate(bad_head).empty());
  auto bad_offset = g;
  std::swap(bad_offset.arc_offset[2], bad_offset.arc_offset[3]);
  CHECK(!graph::validate(bad_offset).empty());
  auto zero_cost = g;
  zero_cost.arc_cost[0] = 0;
  CHECK(!graph::validate(zero_cost).empty());
  auto loop = g;
  loop.edge_v[0] = loop.edge_u[0];
  CHECK(!graph::validate(loop).empty());
}

TEST_CASE("bounded search stops at the bound", "[graph]") {
  const auto g = test::grid(5, 100);  // 5 x 5 junctions, 100 m apart
  graph::Workspace ws;
  std::uint32_t corner = 0;
  for (std::uint32_t v = 0; v < g.node_count(); ++v)
    if (g.node_xy[v] == geo::Point{0, 0}) corner = v;
  const graph::Seed s{corner, 0};
  std::size_t reached = 0;
  graph::ball(g, {&s, 1}, 2000, ws, [&](std::uint32_t, std::uint32_t c) {
    CHECK(c <= 2000);
    ++reached;
  });
  CHECK(reached == 6);  // Manhattan distance <= 200 m from a corner: 1 + 2 + 3 junctions
  for (auto d : ws.dist) REQUIRE(d == graph::kUnreached);  // workspace left clean
}
