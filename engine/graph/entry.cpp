#include "graph/entry.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>

namespace ut::graph {

namespace {
std::uint32_t part(std::uint32_t cost, double fraction) {
  if (cost == kUnreached) return kUnreached;
  return static_cast<std::uint32_t>(std::llround(static_cast<double>(cost) * fraction));
}
std::uint32_t add(std::uint32_t a, std::uint32_t b) {
  const std::uint64_t s = static_cast<std::uint64_t>(a) + b;
  return s >= kUnreached ? kUnreached : static_cast<std::uint32_t>(s);
}

// Weakly connected components: per node, its root (the lowest node id of its component).
std::vector<std::uint32_t> component_roots(const Graph& g) {
  const std::size_t n = g.node_count();
  std::vector<std::uint32_t> parent(n);
  for (std::uint32_t i = 0; i < n; ++i) parent[i] = i;
  auto find = [&](std::uint32_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  for (std::size_t e = 0; e < g.edge_count(); ++e) {
    const std::uint32_t a = find(g.edge_u[e]), b = find(g.edge_v[e]);
    if (a != b) parent[std::max(a, b)] = std::min(a, b);
  }
  for (std::uint32_t i = 0; i < n; ++i) parent[i] = find(i);
  return parent;
}

}  // namespace

std::vector<bool> largest_component_edges(const Graph& g) {
  const std::size_t n = g.node_count();
  const auto root = component_roots(g);
  std::vector<std::uint32_t> size(n, 0);
  for (std::uint32_t i = 0; i < n; ++i) ++size[root[i]];
  std::uint32_t best = 0;
  for (std::uint32_t i = 0; i < n; ++i)
    if (size[i] > size[best]) best = i;
  std::vector<bool> mask(g.edge_count());
  for (std::size_t e = 0; e < g.edge_count(); ++e) mask[e] = root[g.edge_u[e]] == best;
  return mask;
}

Parts network_parts(const Graph& g, double min_total_m) {
  const auto root = component_roots(g);
  Parts out;
  std::vector<std::uint32_t> part_of_root(g.node_count(), kUnreached);
  out.edge_part.resize(g.edge_count());
  for (std::size_t e = 0; e < g.edge_count(); ++e) {
    std::uint32_t& id = part_of_root[root[g.edge_u[e]]];
    if (id == kUnreached) {
      id = static_cast<std::uint32_t>(out.length_m.size());
      out.length_m.push_back(0);
    }
    out.edge_part[e] = id;
    out.length_m[id] += g.edge_len_dm[e] / 10.0;
  }
  out.usable.resize(g.edge_count());
  for (std::size_t e = 0; e < g.edge_count(); ++e) out.usable[e] = out.length_m[out.edge_part[e]] >= min_total_m;
  for (const double len : out.length_m)
    if (len < min_total_m) {
      ++out.fragments;
      out.fragment_length_m += len;
    }
  return out;
}

EdgeLocator::EdgeLocator(const Graph& g, const std::vector<bool>& mask) : g_(g) {
  std::vector<geo::Point> a, b;
  for (std::size_t e = 0; e < g.edge_count(); ++e) {
    if (!mask.empty() && !mask[e]) continue;
    edge_of_.push_back(static_cast<std::uint32_t>(e));
    a.push_back(g.node_xy[g.edge_u[e]]);
    b.push_back(g.node_xy[g.edge_v[e]]);
  }
  index_ = std::make_unique<geo::SegmentIndex>(std::move(a), std::move(b), 100.0);
}

std::optional<EntryPoint> EdgeLocator::attach(const geo::Point& p, double max_m) const {
  const geo::NearestSegment ns = index_->nearest(p, max_m);
  if (ns.segment == UINT32_MAX) return std::nullopt;
  return entry(ns.segment, ns.t, ns.distance);
}

EntryPoint EdgeLocator::attach(const geo::Point& p, double max_m, const geo::SegmentIndex* barriers) const {
  const geo::NearestSegment ns = index_->nearest_if(p, max_m, [&](std::uint32_t s, double t, double) {
    if (barriers == nullptr) return true;
    const geo::Point& a = g_.node_xy[g_.edge_u[edge_of_[s]]];
    const geo::Point& b = g_.node_xy[g_.edge_v[edge_of_[s]]];
    return !barriers->any_crossing(p, {a.x + t * (b.x - a.x), a.y + t * (b.y - a.y)});
  });
  if (ns.segment == UINT32_MAX) {
    EntryPoint none;
    none.blocked = ns.refused;
    return none;
  }
  return entry(ns.segment, ns.t, ns.distance);
}

std::vector<EntryPoint> EdgeLocator::attach_all(std::span<const geo::Point> points, double max_m,
                                                const geo::SegmentIndex* barriers) const {
  std::vector<EntryPoint> out(points.size());
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, points.size(), 2048), [&](const auto& r) {
    for (std::size_t i = r.begin(); i != r.end(); ++i) out[i] = attach(points[i], max_m, barriers);
  });
  return out;
}

EntryPoint EdgeLocator::entry(std::uint32_t segment, double t, double distance) const {
  const std::uint32_t e = edge_of_[segment];
  const struct {
    double t, distance;
  } ns{t, distance};
  EntryPoint ep;
  ep.edge = e;
  ep.u = g_.edge_u[e];
  ep.v = g_.edge_v[e];
  // Travelling u -> v uses the forward cost; the point sits at fraction t from u.
  ep.u_to_point = part(g_.edge_cost_fwd[e], ns.t);
  ep.point_to_v = part(g_.edge_cost_fwd[e], 1 - ns.t);
  ep.v_to_point = part(g_.edge_cost_bwd[e], 1 - ns.t);
  ep.point_to_u = part(g_.edge_cost_bwd[e], ns.t);
  ep.leg_m = static_cast<float>(ns.distance);
  ep.leg = g_.unit == CostUnit::decimetre ? static_cast<std::uint32_t>(std::llround(ns.distance * 10)) : 0;
  return ep;
}

void append_seeds(const EntryPoint& e, std::vector<Seed>& seeds) {
  if (e.edge == kUnreached) return;
  if (e.point_to_u != kUnreached) seeds.push_back({e.u, add(e.leg, e.point_to_u)});
  if (e.point_to_v != kUnreached) seeds.push_back({e.v, add(e.leg, e.point_to_v)});
}

std::uint32_t reach(const EntryPoint& e, const std::uint32_t* dist) {
  if (e.edge == kUnreached) return kUnreached;
  const std::uint32_t via_u = add(dist[e.u], e.u_to_point);
  const std::uint32_t via_v = add(dist[e.v], e.v_to_point);
  return add(std::min(via_u, via_v), e.leg);
}

std::uint32_t along_edge(const EntryPoint& from, const EntryPoint& to) {
  if (from.edge == kUnreached || from.edge != to.edge) return kUnreached;
  // Both positions are stored as (rounded) costs from u in the u -> v direction and from v in the
  // v -> u direction; the rounding is monotone, so the difference is the cost between them.
  std::uint32_t best = kUnreached;
  if (from.u_to_point != kUnreached && to.u_to_point != kUnreached && to.u_to_point >= from.u_to_point)
    best = to.u_to_point - from.u_to_point;  // travelling u -> v
  if (from.v_to_point != kUnreached && to.v_to_point != kUnreached && to.v_to_point >= from.v_to_point)
    best = std::min(best, to.v_to_point - from.v_to_point);  // travelling v -> u
  if (best == kUnreached) return kUnreached;
  return add(add(from.leg, best), to.leg);
}

}  // namespace ut::graph
