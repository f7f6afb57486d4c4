#include "sim/access.hpp"

#include <algorithm>
#include <cmath>

#include "graph/graph.hpp"
#include "sim/simulation.hpp"
#include "sim/snap.hpp"

namespace ut::sim {

std::vector<std::vector<std::uint8_t>> within_threshold(const std::vector<scenario::Norm>& norms, const coverage::Result& r) {
  std::vector<std::vector<std::uint8_t>> out(norms.size());
  for (std::size_t k = 0; k < norms.size() && k < r.classes.size(); ++k) {
    const std::uint32_t t = Simulation::threshold(norms[k]);
    const auto& cost = r.classes[k].cost;
    out[k].resize(cost.size());
    for (std::size_t p = 0; p < cost.size(); ++p) out[k][p] = cost[p] != graph::kUnreached && cost[p] <= t;
  }
  return out;
}

Tiers tier_flags(const std::vector<scenario::Norm>& norms, const std::vector<std::vector<std::uint8_t>>& within,
                 const std::vector<std::size_t>& sites, std::size_t parcels) {  // parcels: points
  Tiers t;
  for (int i = 0; i < 3; ++i) {
    auto& ok = t.ok[static_cast<std::size_t>(i)];
    ok.assign(parcels, 1);
    for (std::size_t k = 0; k < norms.size(); ++k) {
      if (norms[k].tier != kTierMinutes[i] || k >= sites.size() || sites[k] == 0) continue;
      t.has_data[static_cast<std::size_t>(i)] = true;
      for (std::size_t p = 0; p < parcels; ++p) ok[p] &= within[k][p];
    }
    if (!t.has_data[static_cast<std::size_t>(i)]) ok.assign(parcels, 0);
  }
  return t;
}

namespace {
// The weights of parcel p's points: residents, or the fixed point weights when it has none.
template <class F>
void for_weights(const homes::HomePoints& h, const std::vector<std::uint32_t>& residents, std::size_t p, F&& f) {
  std::uint64_t total = 0;
  for (std::uint32_t i = h.offset[p]; i < h.offset[p + 1]; ++i) total += residents[i];
  for (std::uint32_t i = h.offset[p]; i < h.offset[p + 1]; ++i)
    f(i, total > 0 ? static_cast<double>(residents[i]) : h.weight[i]);
}
}  // namespace

double parcel_share_at(const homes::HomePoints& h, const std::vector<std::uint32_t>& residents,
                       const std::vector<std::uint8_t>& ok, std::size_t p, std::uint32_t* served) {
  double w = 0, in = 0;
  std::uint32_t s = 0;
  for_weights(h, residents, p, [&](std::uint32_t i, double wi) {
    w += wi;
    if (ok[i]) {
      in += wi;
      s += residents[i];
    }
  });
  if (served) *served = s;
  return w > 0 ? in / w : 0.0;
}

std::vector<double> parcel_share(const homes::HomePoints& h, const std::vector<std::uint32_t>& residents,
                                 const std::vector<std::uint8_t>& ok, std::vector<std::uint32_t>* served) {
  const std::size_t np = h.parcels();
  std::vector<double> share(np, 0.0);
  if (served) served->assign(np, 0);
  for (std::size_t p = 0; p < np; ++p) share[p] = parcel_share_at(h, residents, ok, p, served ? &(*served)[p] : nullptr);
  return share;
}

std::uint32_t parcel_median_at(const homes::HomePoints& h, const std::vector<std::uint32_t>& residents,
                               const std::vector<std::uint32_t>& cost, std::size_t p) {
  thread_local std::vector<std::pair<std::uint32_t, double>> cw;
  cw.clear();
  double total = 0;
  for_weights(h, residents, p, [&](std::uint32_t i, double wi) {
    cw.emplace_back(cost[i], wi);
    total += wi;
  });
  if (cw.empty()) return graph::kUnreached;
  std::sort(cw.begin(), cw.end());
  double acc = 0;
  for (const auto& [c, wi] : cw) {
    acc += wi;
    if (acc >= total / 2) return c;
  }
  return graph::kUnreached;
}

std::vector<std::uint32_t> parcel_median(const homes::HomePoints& h, const std::vector<std::uint32_t>& residents,
                                         const std::vector<std::uint32_t>& cost) {
  const std::size_t np = h.parcels();
  std::vector<std::uint32_t> out(np, graph::kUnreached);
  for (std::size_t p = 0; p < np; ++p) out[p] = parcel_median_at(h, residents, cost, p);
  return out;
}

double parcel_mean_at(const homes::HomePoints& h, const std::vector<std::uint32_t>& residents,
                      const std::vector<double>& value, std::size_t p) {
  double w = 0, s = 0;
  for_weights(h, residents, p, [&](std::uint32_t i, double wi) {
    w += wi;
    s += wi * value[i];
  });
  return w > 0 ? s / w : 0.0;
}

std::vector<double> parcel_mean(const homes::HomePoints& h, const std::vector<std::uint32_t>& residents,
                                const std::vector<double>& value) {
  const std::size_t np = h.parcels();
  std::vector<double> out(np, 0.0);
  for (std::size_t p = 0; p < np; ++p) out[p] = parcel_mean_at(h, residents, value, p);
  return out;
}

bool serves(const city::Facility& f, const scenario::Norm& n) {
  for (const auto& c : f.classes)
    for (const auto& s : n.sources)
      if (c == s) return f.shape.empty() || f.area_m2 >= n.min_area_m2;
  return false;
}

coverage::Site facility_site(const city::Facility& f, const scenario::Norm& n, const graph::EdgeLocator& loc,
                             const geo::SegmentIndex* barriers, bool* blocked) {
  coverage::Site site;
  site.capacity = f.capacity >= 0 ? f.capacity : n.default_capacity;
  // Point sites enter where they stand; area sites (parks, campuses) by gates along their
  // boundary wherever a path passes close by.
  const std::vector<geo::Point> gates =
      f.shape.empty() ? std::vector<geo::Point>{f.location} : geo::boundary_samples(f.shape, snap::kParkGateStepM);
  const double reach_m = f.shape.empty() ? snap::kSiteM : snap::kParkGateM;
  for (const auto& p : gates) {
    const graph::EntryPoint e = loc.attach(p, reach_m, barriers);
    if (e.edge != graph::kUnreached) site.entries.push_back(e);
    else if (blocked) *blocked |= e.blocked;
  }
  return site;
}

coverage::Site greenway_site(const city::Greenway& g, const graph::EdgeLocator& loc) {
  coverage::Site site;
  for (const auto& p : g.line)
    if (auto e = loc.attach(p, 1.0, nullptr); e.edge != graph::kUnreached) site.entries.push_back(e);
  return site;
}

ClassSites class_sites(const scenario::Norm& n, const city::City& c, const graph::EdgeLocator& loc,
                       const geo::SegmentIndex* barriers) {
  ClassSites out;
  auto& ci = out.input;
  const bool drive = n.network == scenario::Network::drive;
  ci.spec.name = n.name;
  ci.spec.network = drive ? coverage::Network::drive : coverage::Network::walk;
  ci.spec.bound = Simulation::search_bound(n);
  ci.spec.sfca = n.sfca;
  ci.spec.catchment = static_cast<std::uint32_t>(std::llround(n.catchment_m * 10));
  for (const auto& f : c.facilities) {
    if (!serves(f, n)) continue;
    ++out.serving;
    bool blocked = false;
    coverage::Site site = facility_site(f, n, loc, barriers, &blocked);
    if (site.entries.empty()) {
      out.unattached.push_back(f.id);
      out.blocked += blocked ? 1 : 0;
      continue;
    }
    ci.sites.push_back(std::move(site));
    out.site_id.push_back(f.id);
    out.greenway.push_back(0);
  }
  for (const auto& s : n.sources) {
    if (s != "greenway") continue;
    // Greenways are part of the walk network: each vertex is an entry where it meets a usable part.
    for (const auto& gw : c.greenways) {
      ++out.serving;
      coverage::Site site = greenway_site(gw, loc);
      if (site.entries.empty()) {
        out.unattached.push_back(gw.id);
        continue;
      }
      ci.sites.push_back(std::move(site));
      out.site_id.push_back(gw.id);
      out.greenway.push_back(1);
    }
  }
  return out;
}

void aggregate(const std::vector<scenario::Norm>& norms, const homes::HomePoints& h, YearResult& y) {
  const auto within = within_threshold(norms, y.coverage);
  const std::size_t np = h.parcels();
  y.parcel_coverage.assign(norms.size(), {});
  for (std::size_t k = 0; k < norms.size(); ++k) {
    auto& pc = y.parcel_coverage[k];
    const auto& cr = y.coverage.classes[k];
    pc.share = parcel_share(h, y.point_residents, within[k], &pc.served);
    pc.cost = parcel_median(h, y.point_residents, cr.cost);
    if (!cr.supply.empty()) pc.supply = parcel_mean(h, y.point_residents, cr.supply);
  }
  auto tiers = tier_flags(norms, within, y.sites, h.size());
  for (int t = 0; t < 3; ++t) {
    const auto i = static_cast<std::size_t>(t);
    y.point_tier_ok[t] = std::move(tiers.ok[i]);
    y.tier_share[t] = parcel_share(h, y.point_residents, y.point_tier_ok[t], &y.tier_served[t]);
    if (!tiers.has_data[i]) y.tier_share[t].assign(np, 0.0);
  }
}

}  // namespace ut::sim
