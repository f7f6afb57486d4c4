// Frank-Wolfe: the plain, independent cross-check of Algorithm B (docs/traffic.md).
#include <oneapi/tbb/enumerable_thread_specific.h>
#include <oneapi/tbb/parallel_for.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>

#include "models/traffic/assign.hpp"
#include "models/traffic/detail.hpp"
#include "models/traffic/shortest_path.hpp"

namespace ut::traffic {

namespace {

// All-or-nothing flows at `costs`, per origin in parallel; per-origin vectors summed in origin order
// would cost origins x links memory, so origins are processed in fixed blocks whose partial
// vectors are summed in block order (deterministic for any thread count).
void all_or_nothing(const Network& net, const Demand& dm, const std::vector<double>& costs, std::vector<double>& y) {
  const std::size_t m = net.link_count();
  const std::size_t block = 16;
  const std::size_t blocks = (dm.origin_count() + block - 1) / block;
  std::vector<std::vector<double>> partial(blocks, std::vector<double>(m, 0.0));
  struct Local {
    SpWorkspace ws;
    std::vector<double> node_flow;
  };
  tbb::enumerable_thread_specific<Local> tls;
  tbb::parallel_for(std::size_t{0}, blocks, [&](std::size_t bl) {
    auto& loc = tls.local();
    for (std::size_t k = bl * block; k < std::min(dm.origin_count(), (bl + 1) * block); ++k) {
      const std::uint32_t o = dm.origin[k];
      shortest_paths(net, costs.data(), o, loc.ws);
      for (std::uint32_t i = dm.offset[k]; i < dm.offset[k + 1]; ++i)
        if (loc.ws.dist[dm.dest[i]] == kInf) detail::unreachable(net, o, dm.dest[i]);
      load_tree(net, loc.ws, &dm.dest[dm.offset[k]], &dm.trips[dm.offset[k]], dm.offset[k + 1] - dm.offset[k],
                loc.node_flow, partial[bl].data());
    }
  });
  y.assign(m, 0.0);
  for (const auto& p : partial)
    for (std::size_t a = 0; a < m; ++a) y[a] += p[a];
}

}  // namespace

Result assign_frank_wolfe(const Network& net, const Demand& dm, const Options& opt) {
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  const std::uint32_t m = net.link_count();
  Result res;
  res.demand = dm.total;
  res.intrazonal = dm.intrazonal;
  std::vector<double> x(m), y(m), costs(m);
  for (std::uint32_t a = 0; a < m; ++a) {
    costs[a] = net.cost(a, 0.0);
    if (!std::isfinite(costs[a]))
      detail::not_finite(net, "the free-flow cost of " + detail::link_name(net, a), costs[a]);
  }
  all_or_nothing(net, dm, costs, x);
  for (int it = 1; it <= opt.max_iterations; ++it) {
    for (std::uint32_t a = 0; a < m; ++a) {
      costs[a] = net.cost(a, x[a]);
      if (!std::isfinite(costs[a])) detail::not_finite(net, "the cost of " + detail::link_name(net, a), costs[a]);
    }
    all_or_nothing(net, dm, costs, y);
    // Gap from the same shortest paths: SPTT = sum_a y_a c_a(x).
    double tstt = 0, sptt = 0;
    for (std::uint32_t a = 0; a < m; ++a) {
      tstt += x[a] * costs[a];
      sptt += y[a] * costs[a];
    }
    if (!std::isfinite(tstt)) detail::not_finite(net, "the total travel cost (TSTT)", tstt);
    if (!std::isfinite(sptt)) detail::not_finite(net, "the total shortest-path cost (SPTT)", sptt);
    res.iterations = it;
    const double gap = sptt > 0 ? (tstt - sptt) / sptt : 0.0;
    if (opt.progress) opt.progress(it, gap);
    if (gap <= opt.gap) break;
    // Exact line search on the Beckmann objective: bisection on its derivative in lambda.
    double lo = 0, hi = 1;
    for (int k = 0; k < 60; ++k) {
      const double mid = 0.5 * (lo + hi);
      double g = 0;
      for (std::uint32_t a = 0; a < m; ++a) g += (y[a] - x[a]) * net.cost(a, x[a] + mid * (y[a] - x[a]));
      (g > 0 ? hi : lo) = mid;
    }
    const double lambda = 0.5 * (lo + hi);
    for (std::uint32_t a = 0; a < m; ++a) x[a] += lambda * (y[a] - x[a]);
  }
  res.flow = x;
  res.cost.resize(m);
  for (std::uint32_t a = 0; a < m; ++a) res.cost[a] = net.cost(a, x[a]);
  res.eval = evaluate(net, dm, x);
  res.seconds_solve = std::chrono::duration<double>(clock::now() - t0).count();
  return res;
}

}  // namespace ut::traffic
