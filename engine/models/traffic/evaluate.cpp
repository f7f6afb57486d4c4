// Gap and objective of a flow vector; Frank-Wolfe cross-check.
#include <oneapi/tbb/enumerable_thread_specific.h>
#include <oneapi/tbb/parallel_for.h>

#include <chrono>
#include <cmath>
#include <string>

#include "core/error.hpp"
#include "models/traffic/assign.hpp"
#include "models/traffic/shortest_path.hpp"

namespace ut::traffic {

namespace detail {

void unreachable(const Network& net, std::uint32_t o, std::uint32_t d) {
  throw core::InputError("network " + net.name + ": demand from zone " + std::to_string(net.node_label[o]) +
                         " to zone " + std::to_string(net.node_label[d]) +
                         " cannot be served: no path (rule: every destination with demand must be reachable "
                         "without passing through another zone)");
}

// SPTT at `costs`, one Dijkstra per origin in parallel, summed in origin order.
double shortest_path_total(const Network& net, const Demand& dm, const std::vector<double>& costs) {
  std::vector<double> per_origin(dm.origin_count(), 0.0);
  tbb::enumerable_thread_specific<SpWorkspace> tls;
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, dm.origin_count(), 4), [&](const auto& r) {
    auto& ws = tls.local();
    for (std::size_t k = r.begin(); k < r.end(); ++k) {
      const std::uint32_t o = dm.origin[k];
      shortest_paths(net, costs.data(), o, ws);
      double s = 0;
      for (std::uint32_t i = dm.offset[k]; i < dm.offset[k + 1]; ++i) {
        const double dist = ws.dist[dm.dest[i]];
        if (dist == kInf) unreachable(net, o, dm.dest[i]);
        s += dm.trips[i] * dist;
      }
      per_origin[k] = s;
    }
  });
  double total = 0;
  for (double s : per_origin) total += s;
  return total;
}

}  // namespace detail

Evaluation evaluate(const Network& net, const Demand& dm, const std::vector<double>& flow) {
  Evaluation e;
  std::vector<double> costs(net.link_count());
  for (std::uint32_t a = 0; a < net.link_count(); ++a) {
    costs[a] = net.cost(a, flow[a]);
    e.tstt += flow[a] * costs[a];
    e.objective += net.integral(a, flow[a]);
  }
  e.sptt = detail::shortest_path_total(net, dm, costs);
  e.relative_gap = e.sptt > 0 ? (e.tstt - e.sptt) / e.sptt : 0.0;
  return e;
}

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
  for (std::uint32_t a = 0; a < m; ++a) costs[a] = net.cost(a, 0.0);
  all_or_nothing(net, dm, costs, x);
  for (int it = 1; it <= opt.max_iterations; ++it) {
    for (std::uint32_t a = 0; a < m; ++a) costs[a] = net.cost(a, x[a]);
    all_or_nothing(net, dm, costs, y);
    // Gap from the same shortest paths: SPTT = sum_a y_a c_a(x).
    double tstt = 0, sptt = 0;
    for (std::uint32_t a = 0; a < m; ++a) {
      tstt += x[a] * costs[a];
      sptt += y[a] * costs[a];
    }
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
