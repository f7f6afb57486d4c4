#pragma once
// Bounded Dijkstra searches over a Graph's arcs, with integer costs.
#include <cstdint>
#include <span>
#include <vector>

#include "graph/graph.hpp"

namespace ut::graph {

// A search starts at `node` having already spent `cost` (e.g. the walk from an entry point).
struct Seed {
  std::uint32_t node;
  std::uint32_t cost;
};

// Reusable per-thread scratch: no allocation inside the search loops once warmed up.
class Workspace {
 public:
  void prepare(std::size_t nodes);
  std::vector<std::uint32_t> dist;     // kUnreached where not settled
  std::vector<std::uint32_t> touched;  // nodes whose dist was set, in settle order
  std::vector<std::uint64_t> heap;     // (cost << 32 | node), min-heap
};

// Distance from the nearest seed to every node, or kUnreached beyond `bound`. `out` is resized
// to the node count. Ties are irrelevant: only the minimum cost is kept.
void multi_source(const Graph& g, std::span<const Seed> seeds, std::uint32_t bound, std::vector<std::uint32_t>& out,
                  Workspace& ws);

// Settles every node within `bound` of the seeds, then calls visit(node, cost) once per reached
// node with its final cost, in first-reached order (deterministic). ws.dist is restored to
// all-kUnreached before returning, so the cost of a ball is proportional to its size.
template <class Visit>
void ball(const Graph& g, std::span<const Seed> seeds, std::uint32_t bound, Workspace& ws, Visit&& visit);

namespace detail {
void run(const Graph& g, std::span<const Seed> seeds, std::uint32_t bound, std::uint32_t* dist,
         std::vector<std::uint32_t>& touched, std::vector<std::uint64_t>& heap, bool record);
}

template <class Visit>
void ball(const Graph& g, std::span<const Seed> seeds, std::uint32_t bound, Workspace& ws, Visit&& visit) {
  ws.prepare(g.node_count());
  detail::run(g, seeds, bound, ws.dist.data(), ws.touched, ws.heap, true);
  for (std::uint32_t v : ws.touched) visit(v, ws.dist[v]);
  for (std::uint32_t v : ws.touched) ws.dist[v] = kUnreached;
  ws.touched.clear();
}

}  // namespace ut::graph
