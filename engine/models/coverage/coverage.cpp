#include "models/coverage/coverage.hpp"

#include <stdexcept>

#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_invoke.h>

#include <algorithm>
#include <atomic>
#include <cmath>

#include "core/fixed_point.hpp"
#include "graph/dijkstra.hpp"

namespace ut::coverage {

using graph::kUnreached;

std::int64_t gaussian_weight(std::uint32_t d, std::uint32_t catchment) {
  if (catchment == 0 || d >= catchment) return 0;
  const double r = static_cast<double>(d) / static_cast<double>(catchment);
  const double e = std::exp(-0.5);
  const double f = (std::exp(-0.5 * r * r) - e) / (1 - e);
  return static_cast<std::int64_t>(std::llround(f * static_cast<double>(kWeightScale)));
}

namespace {

// Home points indexed by the nodes of their entry edge: lets a search from a facility find the
// points it reaches by walking over the nodes it settles.
struct NodeParcels {
  std::vector<std::uint32_t> offset;
  std::vector<std::uint32_t> parcel;
  NodeParcels(std::size_t nodes, const std::vector<graph::EntryPoint>& entries) : offset(nodes + 1, 0) {
    for (const auto& e : entries)
      if (e.edge != kUnreached) {
        ++offset[e.u + 1];
        ++offset[e.v + 1];
      }
    for (std::size_t i = 1; i < offset.size(); ++i) offset[i] += offset[i - 1];
    parcel.resize(offset.back());
    std::vector<std::uint32_t> fill(offset.begin(), offset.end() - 1);
    for (std::uint32_t p = 0; p < entries.size(); ++p) {
      const auto& e = entries[p];
      if (e.edge == kUnreached) continue;
      parcel[fill[e.u]++] = p;
      parcel[fill[e.v]++] = p;
    }
  }
};

// Home points by the edge they attach to: a site on the same edge reaches them directly.
struct EdgePoints {
  std::vector<std::uint32_t> offset;
  std::vector<std::uint32_t> point;
  EdgePoints() = default;
  EdgePoints(std::size_t edges, const std::vector<graph::EntryPoint>& entries) : offset(edges + 1, 0) {
    for (const auto& e : entries)
      if (e.edge != kUnreached) ++offset[e.edge + 1];
    for (std::size_t i = 1; i < offset.size(); ++i) offset[i] += offset[i - 1];
    point.resize(offset.back());
    std::vector<std::uint32_t> fill(offset.begin(), offset.end() - 1);
    for (std::uint32_t p = 0; p < entries.size(); ++p)
      if (entries[p].edge != kUnreached) point[fill[entries[p].edge]++] = p;
  }
  // Visits (point, cost) for the points on the site entry's edge, straight along it.
  template <class F>
  void along(const graph::EntryPoint& site, const std::vector<graph::EntryPoint>& entries, F&& f) const {
    if (site.edge == kUnreached || site.edge + 1 >= offset.size()) return;
    for (std::uint32_t k = offset[site.edge]; k < offset[site.edge + 1]; ++k) {
      const std::uint32_t p = point[k];
      const std::uint32_t c = graph::along_edge(site, entries[p]);
      if (c != kUnreached) f(p, c);
    }
  }
};

struct Scratch {
  graph::Workspace ws;
  std::vector<graph::Seed> seeds;
  std::vector<std::uint32_t> best;     // per parcel, kUnreached when untouched
  std::vector<std::uint32_t> touched;  // parcels whose best was set
};

// Visits each parcel within the catchment of one site with its exact cost
// (node cost + along-edge part + access leg).
template <class Visit>
void for_parcels_in_ball(const graph::Graph& g, const NodeParcels& np, const EdgePoints& ep,
                         const std::vector<graph::EntryPoint>& entries, const Site& site, std::uint32_t bound, Scratch& s,
                         Visit&& visit) {
  s.seeds.clear();
  for (const auto& e : site.entries) graph::append_seeds(e, s.seeds);
  if (s.best.size() != entries.size()) s.best.assign(entries.size(), kUnreached);
  graph::ball(g, s.seeds, bound, s.ws, [&](std::uint32_t node, std::uint32_t cost) {
    for (std::uint32_t k = np.offset[node]; k < np.offset[node + 1]; ++k) {
      const std::uint32_t p = np.parcel[k];
      const auto& e = entries[p];
      const std::uint32_t along = node == e.u ? e.u_to_point : e.v_to_point;
      if (along == kUnreached) continue;
      const std::uint64_t c = static_cast<std::uint64_t>(cost) + along + e.leg;
      if (c > bound) continue;
      if (s.best[p] == kUnreached) s.touched.push_back(p);
      s.best[p] = std::min(s.best[p], static_cast<std::uint32_t>(c));
    }
  });
  for (const auto& se : site.entries)
    ep.along(se, entries, [&](std::uint32_t p, std::uint32_t c) {
      if (c > bound) return;
      if (s.best[p] == kUnreached) s.touched.push_back(p);
      s.best[p] = std::min(s.best[p], c);
    });
  for (std::uint32_t p : s.touched) visit(p, s.best[p]);
  for (std::uint32_t p : s.touched) s.best[p] = kUnreached;
  s.touched.clear();
}

void nearest_costs(const graph::Graph& g, const EdgePoints& ep, const std::vector<graph::EntryPoint>& entries,
                   const ClassInput& ci, ClassResult& out, graph::Workspace& ws) {
  std::vector<graph::Seed> seeds;
  for (const auto& site : ci.sites)
    for (const auto& e : site.entries) graph::append_seeds(e, seeds);
  std::vector<std::uint32_t> dist;
  graph::multi_source(g, seeds, ci.spec.bound, dist, ws);
  out.cost.assign(entries.size(), kUnreached);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, entries.size(), 4096), [&](const auto& r) {
    for (std::size_t p = r.begin(); p != r.end(); ++p) {
      const std::uint32_t c = graph::reach(entries[p], dist.data());
      out.cost[p] = c <= ci.spec.bound ? c : kUnreached;
    }
  });
  // A site and a home on the same street segment: straight along it (serial: few points each).
  for (const auto& site : ci.sites)
    for (const auto& se : site.entries)
      ep.along(se, entries, [&](std::uint32_t p, std::uint32_t c) {
        if (c <= ci.spec.bound && (out.cost[p] == kUnreached || c < out.cost[p])) out.cost[p] = c;
      });
}

void two_step(const graph::Graph& g, const EdgePoints& ep, const std::vector<graph::EntryPoint>& entries,
              const std::vector<std::uint32_t>& residents, const ClassInput& ci, ClassResult& out,
              tbb::enumerable_thread_specific<Scratch>& scratch) {
  const NodeParcels np(g.node_count(), entries);
  const std::uint32_t D = ci.spec.catchment;
  // Step 1 (per facility): weighted demand in its catchment, exact integers.
  std::vector<std::int64_t> demand(ci.sites.size(), 0);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, ci.sites.size(), 1), [&](const auto& r) {
    Scratch& s = scratch.local();
    for (std::size_t j = r.begin(); j != r.end(); ++j) {
      std::int64_t sum = 0;
      for_parcels_in_ball(g, np, ep, entries, ci.sites[j], D, s, [&](std::uint32_t p, std::uint32_t c) {
        sum += static_cast<std::int64_t>(residents[p]) * gaussian_weight(c, D);
      });
      demand[j] = sum;
    }
  });
  // Step 2 (scatter from each facility): supply-to-demand ratio times weight, in fixed point;
  // integer addition is associative, so the order of the atomic adds does not matter. A parcel
  // without residents next to a site with almost no demand can get an unbounded ratio: the sum
  // saturates at core::kFixedMax (same result in any order) instead of overflowing.
  std::vector<std::int64_t> acc(entries.size(), 0);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, ci.sites.size(), 1), [&](const auto& r) {
    Scratch& s = scratch.local();
    for (std::size_t j = r.begin(); j != r.end(); ++j) {
      if (demand[j] <= 0 || ci.sites[j].capacity <= 0) continue;
      // ratio per weighted resident, times 1,000 residents
      const double ratio = ci.sites[j].capacity * 1000.0 / (static_cast<double>(demand[j]) / kWeightScale);
      for_parcels_in_ball(g, np, ep, entries, ci.sites[j], D, s, [&](std::uint32_t p, std::uint32_t c) {
        const std::int64_t w = gaussian_weight(c, D);
        if (w == 0) return;
        const std::int64_t add = core::to_fixed(ratio * static_cast<double>(w) / kWeightScale);
        core::add_saturating(acc[p], add);
      });
    }
  });
  out.supply.resize(entries.size());
  for (std::size_t p = 0; p < entries.size(); ++p) out.supply[p] = core::from_fixed(acc[p]);
}

}  // namespace

Result compute(const Input& in) {
  Result res;
  res.classes.resize(in.classes.size());
  tbb::enumerable_thread_specific<graph::Workspace> workspaces;
  tbb::enumerable_thread_specific<Scratch> scratch;
  bool uses[2] = {false, false};
  for (const auto& ci : in.classes) uses[ci.spec.network == Network::drive ? 1 : 0] = true;
  EdgePoints walk_ep, drive_ep;
  tbb::parallel_invoke([&] { if (uses[0] && in.walk) walk_ep = EdgePoints(in.walk->edge_count(), in.point_walk); },
                       [&] { if (uses[1] && in.drive) drive_ep = EdgePoints(in.drive->edge_count(), in.point_drive); });
  // Across classes in parallel; inside each class the parcel pass and the 2SFCA passes are
  // parallel too (nested parallel_for is fine with TBB's work stealing).
  tbb::parallel_for(std::size_t{0}, in.classes.size(), [&](std::size_t k) {
    const ClassInput& ci = in.classes[k];
    const bool drive = ci.spec.network == Network::drive;
    const graph::Graph& g = drive ? *in.drive : *in.walk;
    const auto& entries = drive ? in.point_drive : in.point_walk;
    const EdgePoints& ep = drive ? drive_ep : walk_ep;
    nearest_costs(g, ep, entries, ci, res.classes[k], workspaces.local());
    if (ci.spec.sfca) two_step(g, ep, entries, in.residents, ci, res.classes[k], scratch);
  });
  return res;
}

Result compute_residents_changed(const Input& in, const Result& previous) {
  if (previous.classes.size() != in.classes.size())
    throw std::logic_error("coverage::compute_residents_changed: the previous result has another number of classes");
  Result res;
  res.classes.resize(in.classes.size());
  tbb::enumerable_thread_specific<Scratch> scratch;
  bool uses[2] = {false, false};
  for (const auto& ci : in.classes)
    if (ci.spec.sfca) uses[ci.spec.network == Network::drive ? 1 : 0] = true;
  EdgePoints walk_ep, drive_ep;
  tbb::parallel_invoke([&] { if (uses[0] && in.walk) walk_ep = EdgePoints(in.walk->edge_count(), in.point_walk); },
                       [&] { if (uses[1] && in.drive) drive_ep = EdgePoints(in.drive->edge_count(), in.point_drive); });
  tbb::parallel_for(std::size_t{0}, in.classes.size(), [&](std::size_t k) {
    const ClassInput& ci = in.classes[k];
    const bool drive = ci.spec.network == Network::drive;
    const auto& entries = drive ? in.point_drive : in.point_walk;
    if (previous.classes[k].cost.size() != entries.size())
      throw std::logic_error("coverage::compute_residents_changed: the previous result has another number of home points");
    res.classes[k].cost = previous.classes[k].cost;
    if (ci.spec.sfca) two_step(drive ? *in.drive : *in.walk, drive ? drive_ep : walk_ep, entries, in.residents, ci, res.classes[k], scratch);
  });
  return res;
}

struct SiteReach::Impl {
  const graph::Graph& g;
  const std::vector<graph::EntryPoint>& entries;
  NodeParcels np;
  EdgePoints ep;
  mutable tbb::enumerable_thread_specific<Scratch> scratch;
  Impl(const graph::Graph& graph, const std::vector<graph::EntryPoint>& e)
      : g(graph), entries(e), np(graph.node_count(), e), ep(graph.edge_count(), e) {}
};

SiteReach::SiteReach(const graph::Graph& g, const std::vector<graph::EntryPoint>& entries)
    : impl_(std::make_unique<Impl>(g, entries)) {}
SiteReach::~SiteReach() = default;

std::vector<std::pair<std::uint32_t, std::uint32_t>> SiteReach::points_within(const Site& site, std::uint32_t bound) const {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> out;
  Scratch& s = impl_->scratch.local();
  for_parcels_in_ball(impl_->g, impl_->np, impl_->ep, impl_->entries, site, bound, s,
                      [&](std::uint32_t p, std::uint32_t c) { out.emplace_back(p, c); });
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace ut::coverage
