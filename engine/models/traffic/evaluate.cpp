// Gap and objective of a flow vector.
#include <oneapi/tbb/enumerable_thread_specific.h>
#include <oneapi/tbb/parallel_for.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "core/error.hpp"
#include "models/traffic/assign.hpp"
#include "models/traffic/detail.hpp"
#include "models/traffic/shortest_path.hpp"

namespace ut::traffic {

namespace detail {

[[noreturn]] void unreachable(const Network& net, std::uint32_t o, std::uint32_t d) {
  throw core::InputError("network " + net.name + ": demand from zone " + std::to_string(net.node_label[o]) +
                         " to zone " + std::to_string(net.node_label[d]) +
                         " cannot be served: no path (rule: every destination with demand must be reachable "
                         "without passing through another zone)");
}

[[noreturn]] void not_finite(const Network& net, const std::string& what, double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", std::isnan(value) ? std::abs(value) : value);  // "nan", never "-nan"
  throw core::InputError("network " + net.name + ": " + what + " is " + text +
                         " during the assignment (rule: every cost and path label must stay a finite number; "
                         "the network is beyond the input limits of docs/traffic.md)");
}

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

Evaluation link_totals(const Network& net, const std::vector<double>& flow) {
  Evaluation e;
  for (std::uint32_t a = 0; a < net.link_count(); ++a) {
    e.tstt += flow[a] * net.cost(a, flow[a]);
    e.objective += net.integral(a, flow[a]);
  }
  return e;
}

}  // namespace detail

Evaluation evaluate(const Network& net, const Demand& dm, const std::vector<double>& flow) {
  std::vector<double> costs(net.link_count());
  for (std::uint32_t a = 0; a < net.link_count(); ++a) costs[a] = net.cost(a, flow[a]);
  return detail::with_sptt(detail::link_totals(net, flow), detail::shortest_path_total(net, dm, costs));
}

}  // namespace ut::traffic
