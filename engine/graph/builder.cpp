#include "graph/builder.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <unordered_map>

namespace ut::graph {

namespace {

struct KeyHash {
  std::size_t operator()(const std::pair<std::int64_t, std::int64_t>& k) const {
    return std::hash<std::int64_t>()(k.first * 0x9E3779B97F4A7C15LL ^ k.second);
  }
};

// Largest coordinate the builder accepts (metres): grid keys of 1 cm stay exact in int64.
constexpr double kMaxCoordinate = 1e12;

std::uint32_t find(std::vector<std::uint32_t>& parent, std::uint32_t x) {
  while (parent[x] != x) x = parent[x] = parent[parent[x]];
  return x;
}

}  // namespace

Graph build_graph(const std::vector<LineInput>& lines, const BuildOptions& options) {
  // 0. Coordinates are validated by gis_io (finite, within scenario::limits::kMaxCoordinateM);
  // anything else here is a bug, and converting it to a grid key below would be undefined.
  for (const auto& line : lines)
    for (const auto& p : line.points)
      if (!(std::abs(p.x) <= kMaxCoordinate && std::abs(p.y) <= kMaxCoordinate))
        throw std::invalid_argument(
            fmt::format("build_graph: coordinate ({}, {}) outside +-{:g}", p.x, p.y, kMaxCoordinate));
  if (!(options.merge_m >= 1e-6 && options.snap_m >= 0))
    throw std::invalid_argument(fmt::format("build_graph: merge_m {} / snap_m {}", options.merge_m, options.snap_m));

  // 1. Vertices -> provisional nodes (exact match on a merge_m grid).
  std::unordered_map<std::pair<std::int64_t, std::int64_t>, std::uint32_t, KeyHash> key_to_node;
  std::vector<geo::Point> xy;
  std::vector<std::vector<std::uint32_t>> line_nodes(lines.size());
  for (std::size_t li = 0; li < lines.size(); ++li) {
    for (const auto& p : lines[li].points) {
      const std::pair<std::int64_t, std::int64_t> key{std::llround(p.x / options.merge_m),
                                                      std::llround(p.y / options.merge_m)};
      auto [it, inserted] = key_to_node.try_emplace(key, static_cast<std::uint32_t>(xy.size()));
      if (inserted) xy.push_back(p);
      line_nodes[li].push_back(it->second);
    }
  }
  const auto n0 = static_cast<std::uint32_t>(xy.size());

  // 2. Degree, then snap dangling line ends to the nearest node of another line.
  std::vector<std::uint32_t> degree(n0, 0);
  std::vector<std::uint32_t> first_line(n0, UINT32_MAX);
  std::vector<bool> multi_line(n0, false);
  for (std::size_t li = 0; li < lines.size(); ++li) {
    const auto& ln = line_nodes[li];
    for (std::size_t k = 0; k < ln.size(); ++k) {
      if (k > 0 && ln[k] != ln[k - 1]) ++degree[ln[k]];
      if (k + 1 < ln.size() && ln[k] != ln[k + 1]) ++degree[ln[k]];
      if (first_line[ln[k]] == UINT32_MAX) first_line[ln[k]] = static_cast<std::uint32_t>(li);
      else if (first_line[ln[k]] != li) multi_line[ln[k]] = true;
    }
  }
  std::vector<std::uint32_t> parent(n0);
  std::iota(parent.begin(), parent.end(), 0u);
  if (options.snap_m > 0 && n0 > 0) {
    const double cell = options.snap_m;
    std::unordered_map<std::pair<std::int64_t, std::int64_t>, std::vector<std::uint32_t>, KeyHash> grid;
    for (std::uint32_t i = 0; i < n0; ++i)
      grid[{static_cast<std::int64_t>(std::floor(xy[i].x / cell)), static_cast<std::int64_t>(std::floor(xy[i].y / cell))}]
          .push_back(i);
    for (std::uint32_t i = 0; i < n0; ++i) {
      if (degree[i] != 1 || multi_line[i]) continue;
      const auto gx = static_cast<std::int64_t>(std::floor(xy[i].x / cell));
      const auto gy = static_cast<std::int64_t>(std::floor(xy[i].y / cell));
      std::uint32_t best = UINT32_MAX;
      double best_d = options.snap_m;
      for (std::int64_t dy = -1; dy <= 1; ++dy) {
        for (std::int64_t dx = -1; dx <= 1; ++dx) {
          auto it = grid.find({gx + dx, gy + dy});
          if (it == grid.end()) continue;
          for (std::uint32_t j : it->second) {
            if (j == i || first_line[j] == first_line[i]) continue;
            const double d = geo::distance(xy[i], xy[j]);
            if (d < best_d || (d == best_d && j < best)) {
              best_d = d;
              best = j;
            }
          }
        }
      }
      if (best != UINT32_MAX) parent[find(parent, i)] = find(parent, best);
    }
  }

  // 3. Edges between consecutive vertices (on representative nodes); drop zero-length ones.
  struct RawEdge {
    std::uint32_t u, v, line;
  };
  std::vector<RawEdge> raw;
  std::vector<bool> used(n0, false);
  for (std::size_t li = 0; li < lines.size(); ++li) {
    const auto& ln = line_nodes[li];
    for (std::size_t k = 1; k < ln.size(); ++k) {
      const std::uint32_t u = find(parent, ln[k - 1]);
      const std::uint32_t v = find(parent, ln[k]);
      if (u == v) continue;
      raw.push_back({u, v, static_cast<std::uint32_t>(li)});
      used[u] = used[v] = true;
    }
  }

  // 4. Hilbert renumbering of the nodes that carry edges.
  geo::BBox box;
  for (std::uint32_t i = 0; i < n0; ++i)
    if (used[i]) box.add(xy[i]);
  std::vector<std::pair<std::uint64_t, std::uint32_t>> order;
  for (std::uint32_t i = 0; i < n0; ++i)
    if (used[i]) order.emplace_back(geo::hilbert_index(xy[i], box), i);
  std::sort(order.begin(), order.end());
  std::vector<std::uint32_t> new_id(n0, UINT32_MAX);
  Graph g;
  g.unit = options.unit;
  g.node_xy.reserve(order.size());
  for (std::size_t k = 0; k < order.size(); ++k) {
    new_id[order[k].second] = static_cast<std::uint32_t>(k);
    g.node_xy.push_back(xy[order[k].second]);
  }

  // 5. Edge arrays.
  const std::size_t m = raw.size();
  g.edge_u.resize(m);
  g.edge_v.resize(m);
  g.edge_len_dm.resize(m);
  g.edge_cost_fwd.resize(m);
  g.edge_cost_bwd.resize(m);
  g.edge_line.resize(m);
  for (std::size_t e = 0; e < m; ++e) {
    const auto& r = raw[e];
    const auto& line = lines[r.line];
    g.edge_u[e] = new_id[r.u];
    g.edge_v[e] = new_id[r.v];
    g.edge_line[e] = r.line;
    const double len_m = geo::distance(g.node_xy[g.edge_u[e]], g.node_xy[g.edge_v[e]]);
    g.edge_len_dm[e] = static_cast<std::uint32_t>(std::max<long long>(1, std::llround(len_m * 10)));
    const std::uint32_t cost =
        options.unit == CostUnit::decimetre
            ? g.edge_len_dm[e]
            : static_cast<std::uint32_t>(std::max<long long>(1, std::llround(len_m / line.speed_mps * 10)));
    g.edge_cost_fwd[e] = line.forward ? cost : kUnreached;
    g.edge_cost_bwd[e] = line.backward ? cost : kUnreached;
  }

  // 6. CSR of arcs by tail; within a tail by (head, cost) so the layout is canonical.
  struct Arc {
    std::uint32_t tail, head, cost;
  };
  std::vector<Arc> arcs;
  arcs.reserve(2 * m);
  for (std::size_t e = 0; e < m; ++e) {
    if (g.edge_cost_fwd[e] != kUnreached) arcs.push_back({g.edge_u[e], g.edge_v[e], g.edge_cost_fwd[e]});
    if (g.edge_cost_bwd[e] != kUnreached) arcs.push_back({g.edge_v[e], g.edge_u[e], g.edge_cost_bwd[e]});
  }
  std::sort(arcs.begin(), arcs.end(), [](const Arc& a, const Arc& b) {
    return std::tie(a.tail, a.head, a.cost) < std::tie(b.tail, b.head, b.cost);
  });
  g.arc_offset.assign(g.node_count() + 1, 0);
  for (const auto& a : arcs) ++g.arc_offset[a.tail + 1];
  for (std::size_t i = 1; i < g.arc_offset.size(); ++i) g.arc_offset[i] += g.arc_offset[i - 1];
  g.arc_head.reserve(arcs.size());
  g.arc_cost.reserve(arcs.size());
  for (const auto& a : arcs) {
    g.arc_head.push_back(a.head);
    g.arc_cost.push_back(a.cost);
  }
  return g;
}

}  // namespace ut::graph
