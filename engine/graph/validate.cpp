#include "graph/validate.hpp"

#include <fmt/format.h>

namespace ut::graph {

std::vector<std::string> validate(const Graph& g) {
  std::vector<std::string> problems;
  const std::size_t n = g.node_count();
  const std::size_t m = g.edge_count();
  if (g.arc_offset.size() != n + 1) {
    problems.push_back(fmt::format("arc_offset has {} entries, expected node count + 1 = {}", g.arc_offset.size(), n + 1));
    return problems;
  }
  if (g.arc_offset.front() != 0) problems.push_back("arc_offset[0] must be 0");
  for (std::size_t i = 1; i <= n; ++i)
    if (g.arc_offset[i] < g.arc_offset[i - 1]) problems.push_back(fmt::format("arc_offset decreases at node {}", i - 1));
  if (g.arc_offset.back() != g.arc_head.size() || g.arc_head.size() != g.arc_cost.size())
    problems.push_back("arc arrays disagree in length with arc_offset");
  for (std::size_t a = 0; a < g.arc_head.size(); ++a) {
    if (g.arc_head[a] >= n) problems.push_back(fmt::format("arc {} points to node {} outside 0..{}", a, g.arc_head[a], n));
    if (a < g.arc_cost.size() && (g.arc_cost[a] == 0 || g.arc_cost[a] == kUnreached))
      problems.push_back(fmt::format("arc {} has cost {}, must be in 1..2^32-2", a, g.arc_cost[a]));
  }
  for (auto* arr : {&g.edge_v, &g.edge_len_dm, &g.edge_cost_fwd, &g.edge_cost_bwd, &g.edge_line})
    if (arr->size() != m) problems.push_back("edge arrays differ in length");
  if (!problems.empty()) return problems;
  for (std::size_t e = 0; e < m; ++e) {
    if (g.edge_u[e] >= n || g.edge_v[e] >= n) problems.push_back(fmt::format("edge {} has an endpoint outside 0..{}", e, n));
    else if (g.edge_u[e] == g.edge_v[e]) problems.push_back(fmt::format("edge {} is a self-loop at node {}", e, g.edge_u[e]));
    if (g.edge_len_dm[e] == 0) problems.push_back(fmt::format("edge {} has zero length", e));
  }
  return problems;
}

}  // namespace ut::graph
