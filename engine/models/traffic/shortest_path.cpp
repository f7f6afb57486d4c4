#include "models/traffic/shortest_path.hpp"

#include <algorithm>
#include <functional>

namespace ut::traffic {

void shortest_paths(const Network& net, const double* costs, std::uint32_t origin, SpWorkspace& ws) {
  const std::uint32_t n = net.node_count;
  ws.dist.assign(n, kInf);
  ws.pred.assign(n, kNoLink);
  ws.order.clear();
  auto& heap = ws.heap;
  heap.clear();
  // Min-heap on (dist, node): std::greater turns the max-heap algorithms into a min-heap.
  const auto cmp = std::greater<std::pair<double, std::uint32_t>>();
  ws.dist[origin] = 0;
  heap.emplace_back(0.0, origin);
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), cmp);
    const auto [d, u] = heap.back();
    heap.pop_back();
    if (d > ws.dist[u]) continue;
    ws.order.push_back(u);
    if (!net.passable(u, origin)) continue;
    for (std::uint32_t k = net.out_offset[u]; k < net.out_offset[u + 1]; ++k) {
      const std::uint32_t a = net.out_link[k];
      const std::uint32_t v = net.head[a];
      const double nd = d + costs[a];
      if (nd < ws.dist[v]) {
        ws.dist[v] = nd;
        ws.pred[v] = a;
        heap.emplace_back(nd, v);
        std::push_heap(heap.begin(), heap.end(), cmp);
      }
    }
  }
}

void load_tree(const Network& net, const SpWorkspace& ws, const std::uint32_t* dest, const double* trips,
               std::size_t count, std::vector<double>& node_flow, double* flow) {
  node_flow.assign(net.node_count, 0.0);
  for (std::size_t i = 0; i < count; ++i) node_flow[dest[i]] += trips[i];
  for (std::size_t k = ws.order.size(); k-- > 1;) {
    const std::uint32_t v = ws.order[k];
    const double f = node_flow[v];
    if (f == 0) continue;
    const std::uint32_t a = ws.pred[v];
    flow[a] += f;
    node_flow[net.tail[a]] += f;
  }
}

}  // namespace ut::traffic
