#include "graph/dijkstra.hpp"

#include <algorithm>
#include <functional>

namespace ut::graph {

void Workspace::prepare(std::size_t nodes) {
  if (dist.size() != nodes) dist.assign(nodes, kUnreached);
  touched.clear();
  heap.clear();
}

namespace detail {

void run(const Graph& g, std::span<const Seed> seeds, std::uint32_t bound, std::uint32_t* dist,
         std::vector<std::uint32_t>& touched, std::vector<std::uint64_t>& heap, bool record) {
  const auto greater = std::greater<std::uint64_t>();
  heap.clear();
  for (const Seed& s : seeds) {
    if (s.cost > bound || s.cost >= dist[s.node]) continue;
    if (dist[s.node] == kUnreached && record) touched.push_back(s.node);
    dist[s.node] = s.cost;
    heap.push_back((static_cast<std::uint64_t>(s.cost) << 32) | s.node);
  }
  std::make_heap(heap.begin(), heap.end(), greater);
  const std::uint32_t* offset = g.arc_offset.data();
  const std::uint32_t* head = g.arc_head.data();
  const std::uint32_t* cost = g.arc_cost.data();
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), greater);
    const std::uint64_t top = heap.back();
    heap.pop_back();
    const auto u = static_cast<std::uint32_t>(top);
    const auto du = static_cast<std::uint32_t>(top >> 32);
    if (du != dist[u]) continue;  // stale entry
    for (std::uint32_t a = offset[u]; a < offset[u + 1]; ++a) {
      const std::uint64_t nd64 = static_cast<std::uint64_t>(du) + cost[a];
      if (nd64 > bound) continue;
      const auto nd = static_cast<std::uint32_t>(nd64);
      const std::uint32_t v = head[a];
      if (nd < dist[v]) {
        if (record && dist[v] == kUnreached) touched.push_back(v);
        dist[v] = nd;
        heap.push_back((static_cast<std::uint64_t>(nd) << 32) | v);
        std::push_heap(heap.begin(), heap.end(), greater);
      }
    }
  }
}

}  // namespace detail

void multi_source(const Graph& g, std::span<const Seed> seeds, std::uint32_t bound, std::vector<std::uint32_t>& out,
                  Workspace& ws) {
  out.assign(g.node_count(), kUnreached);
  detail::run(g, seeds, bound, out.data(), ws.touched, ws.heap, false);
}

}  // namespace ut::graph
