#pragma once
// One-to-all shortest paths on the assignment network with real-valued link costs, honouring
// the zone rule (a path never passes through a zone other than its origin). Shared by the gap
// evaluation, Frank-Wolfe's all-or-nothing loading and the bushes' initial trees.
#include <cstdint>
#include <limits>
#include <vector>

#include "models/traffic/network.hpp"

namespace ut::traffic {

inline constexpr std::uint32_t kNoLink = std::numeric_limits<std::uint32_t>::max();
inline constexpr double kInf = std::numeric_limits<double>::infinity();

struct SpWorkspace {
  std::vector<double> dist;          // per node; kInf where unreachable
  std::vector<std::uint32_t> pred;   // per node: the link into it on the tree; kNoLink for the origin/unreached
  std::vector<std::uint32_t> order;  // reached nodes in settling order (a topological order of the tree)
  std::vector<std::pair<double, std::uint32_t>> heap;
};

// Dijkstra from `origin` with costs[link]. Ties between equal distances settle the lower node
// index first, so the tree is a function of the costs only.
void shortest_paths(const Network& net, const double* costs, std::uint32_t origin, SpWorkspace& ws);

// All-or-nothing: adds the demand of `origin` (dest/trips ranges) along the tree in ws to flow.
void load_tree(const Network& net, const SpWorkspace& ws, const std::uint32_t* dest, const double* trips,
               std::size_t count, std::vector<double>& node_scratch, double* flow);

}  // namespace ut::traffic
