#pragma once
// A street graph as parallel arrays over dense 32-bit ids (see docs/conventions.md).
//
// Nodes are numbered along a Hilbert curve, so that nodes close in space are close in memory.
// An *edge* is one straight segment between two nodes as it came from the input lines (every
// input vertex is a node, so an edge has no inner geometry); it may be passable in one or both
// directions. An *arc* is one passable direction of an edge, stored in CSR by tail node.
//
// Costs are integers: decimetres for walking graphs, tenths of a second for driving graphs.
// Integer costs make shortest-path results exact and independent of evaluation order.
#include <cstdint>
#include <vector>

#include "geo/geometry.hpp"

namespace ut::graph {

inline constexpr std::uint32_t kUnreached = UINT32_MAX;

enum class CostUnit : std::uint8_t { decimetre, decisecond };

struct Graph {
  CostUnit unit = CostUnit::decimetre;
  std::vector<geo::Point> node_xy;

  std::vector<std::uint32_t> edge_u, edge_v;
  std::vector<std::uint32_t> edge_len_dm;
  std::vector<std::uint32_t> edge_cost_fwd;  // u -> v, kUnreached when not passable
  std::vector<std::uint32_t> edge_cost_bwd;  // v -> u, kUnreached when not passable
  std::vector<std::uint32_t> edge_line;      // index of the input line the edge came from

  std::vector<std::uint32_t> arc_offset;  // node_count() + 1
  std::vector<std::uint32_t> arc_head;
  std::vector<std::uint32_t> arc_cost;

  std::size_t node_count() const { return node_xy.size(); }
  std::size_t edge_count() const { return edge_u.size(); }
  std::size_t arc_count() const { return arc_head.size(); }
};

}  // namespace ut::graph
