#include <fmt/format.h>
#include <fmt/ranges.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>

#include "api/api.hpp"
#include "api/session_impl.hpp"
#include "city/networks.hpp"
#include "core/error.hpp"
#include "core/fixed_point.hpp"
#include "core/staging.hpp"
#include "core/suggest.hpp"
#include "output/run_dir.hpp"
#include "scenario/limits.hpp"
#include "sim/access.hpp"
#include "sim/indicators.hpp"

namespace ut::api {

namespace {

using graph::kUnreached;
using Changed = std::vector<std::vector<std::uint32_t>>;

const char* kWhere = "session";

[[noreturn]] void refuse(const std::string& what, const std::string& rule, const std::string& value) {
  throw core::InputError(core::Where{kWhere, "", what}, rule, value);
}

double supply_of(Wide acc) {
  return core::from_fixed(acc >= static_cast<Wide>(core::kFixedMaxRaw) ? core::kFixedMaxRaw
                                                                       : static_cast<std::int64_t>(acc));
}

std::vector<std::string> facility_classes(const scenario::Norm& n) {
  std::vector<std::string> out;
  for (const auto& src : n.sources)
    if (src != "greenway") out.push_back(src);
  return out;
}

bool finite(geo::Point p) { return std::isfinite(p.x) && std::isfinite(p.y); }

}  // namespace

const coverage::SiteReach& Session::Impl::Net::site_reach() const {
  if (!reach) reach = std::make_shared<coverage::SiteReach>(*g, *points);
  return *reach;
}

const graph::EdgeLocator& Session::Impl::Net::edge_locator() const {
  if (!locator) locator = std::make_shared<graph::EdgeLocator>(*g, parts->usable);
  return *locator;
}

Networks build_networks(const scenario::Scenario& s, const sim::Simulation& sim, const city::City& c, bool walk,
                        bool drive) {
  Networks n;
  const auto& h = sim.home_points();
  const std::span<const geo::Point> pts(h.xy);
  if (walk) {
    n.walk = city::walk_graph(c);
    n.walk_parts = graph::network_parts(n.walk, s.homes.min_fragment_m);
    const graph::EdgeLocator loc(n.walk, n.walk_parts.usable);
    n.point_walk = loc.attach_all(pts, s.homes.attach_max_m, sim.barriers());
  }
  if (drive) {
    n.drive = city::drive_graph(c);
    n.drive_parts = graph::network_parts(n.drive, s.homes.min_fragment_m);
    bool any_drive = false;
    for (const auto& norm : s.norms) any_drive |= norm.network == scenario::Network::drive;
    if (any_drive) {
      const graph::EdgeLocator loc(n.drive, n.drive_parts.usable);
      n.point_drive = loc.attach_all(pts, s.homes.attach_max_m, sim.barriers());
    }
  }
  return n;
}

Session::Impl::Impl(const scenario::Scenario& scen, const sim::Simulation& simulation, const sim::YearResult& year,
                    std::size_t hist)
    : s(scen), sim(simulation), history(hist), city(simulation.city()), y(year) {
  for (const auto& n : s.norms) names.push_back(n.name);
  const auto& in = sim.access_input();
  walk.g = in.walk;
  walk.parts = &sim.walk_parts();
  walk.points = &in.point_walk;
  drive.g = in.drive;
  drive.parts = &sim.drive_parts();
  drive.points = &in.point_drive;
  // Built now, before walk0/drive0 copy them: a reset keeps them.
  const graph::EdgeLocator &wl = walk.edge_locator(), &dl = drive.edge_locator();
  walk.site_reach();
  if (!drive.points->empty()) drive.site_reach();
  cls.resize(s.norms.size());
  for (std::size_t k = 0; k < s.norms.size(); ++k) {
    auto cs = sim::class_sites(s.norms[k], city, drive_class(k) ? dl : wl, sim.barriers());
    for (std::size_t i = 0; i < cs.input.sites.size(); ++i)
      cls[k].sites.push_back({cs.site_id[i], cs.greenway[i] != 0, next_uid++, std::move(cs.input.sites[i])});
  }
  uid0 = next_uid;
  facility_base = 900000000;
  for (const auto& f : sim.city().facilities) facility_base = std::max(facility_base, f.id + 1);
  greenway_base = 900000000;
  for (const auto& g : sim.city().greenways) greenway_base = std::max(greenway_base, g.id + 1);
  const auto& h = sim.home_points();
  point_parcel.resize(h.size());
  for (std::size_t p = 0; p < h.parcels(); ++p)
    for (std::uint32_t i = h.offset[p]; i < h.offset[p + 1]; ++i) point_parcel[i] = static_cast<std::uint32_t>(p);
  for (const auto& shape : city.parcels.shape) parcel_box.push_back(geo::bbox(shape));
  for (const auto& b : parcel_box) {
    city_box.add({b.min_x, b.min_y});
    city_box.add({b.max_x, b.max_y});
  }
  far.assign(city.parcels.size(), std::nan(""));
  city0 = city;
  y0 = y;
  walk0 = walk;
  drive0 = drive;
  cls0 = cls;
}

std::size_t Session::Impl::class_index(const std::string& name, const std::string& what) const {
  for (std::size_t k = 0; k < names.size(); ++k)
    if (names[k] == name) return k;
  const std::string near = core::nearest(name, names);
  refuse(what,
         near.empty() ? fmt::format("must be a coverage class of the scenario: {}", fmt::join(names, ", "))
                      : "must be a coverage class of the scenario; did you mean '" + near + "'?",
         name);
}

// The index of class k: every site's reach within the search bound, per point; and 2SFCA's exact
// sums. Built once, on the first edit that touches the class (one bounded search per site).
void Session::Impl::ensure_index(std::size_t k) {
  Cls& c = cls[k];
  if (c.indexed) return;
  const auto& n = net(k);
  const auto& reach = n.site_reach();
  const auto& spec = sim.access_input().classes[k].spec;
  const std::size_t points = n.points->size();
  std::vector<std::vector<std::pair<std::uint32_t, std::uint32_t>>> balls(c.sites.size()), catch_balls;
  if (spec.sfca) catch_balls.resize(c.sites.size());
  tbb::parallel_for(std::size_t{0}, c.sites.size(), [&](std::size_t i) {
    balls[i] = reach.points_within(c.sites[i].site, spec.bound);
    if (spec.sfca) catch_balls[i] = reach.points_within(c.sites[i].site, spec.catchment);
  });
  c.at.assign(points, {});
  for (std::size_t i = 0; i < c.sites.size(); ++i)
    for (const auto& [p, cost] : balls[i]) c.at[p].emplace_back(c.sites[i].uid, cost);
  if (spec.sfca) {
    c.acc.assign(points, 0);
    for (std::size_t i = 0; i < c.sites.size(); ++i) {
      const std::int64_t demand = coverage::site_demand(catch_balls[i], y.point_residents, spec.catchment);
      coverage::site_contributions(c.sites[i].site, demand, catch_balls[i], spec.catchment,
                                   [&](std::uint32_t p, std::int64_t add) { c.acc[p] += add; });
    }
  }
  c.indexed = true;
}

// 2SFCA: adds (sign +1) or removes (-1) one site's contributions to its class's exact sums.
void Session::Impl::shift_supply(std::size_t k, const coverage::Site& site, int sign, std::vector<std::uint32_t>& changed) {
  Cls& c = cls[k];
  const auto& reach = net(k).site_reach();
  const auto& spec = sim.access_input().classes[k].spec;
  auto& supply = y.coverage.classes[k].supply;
  const auto ball = reach.points_within(site, spec.catchment);
  coverage::site_contributions(site, coverage::site_demand(ball, y.point_residents, spec.catchment), ball,
                               spec.catchment, [&](std::uint32_t p, std::int64_t add) {
                                 c.acc[p] += sign * add;
                                 const double v = supply_of(c.acc[p]);
                                 if (v != supply[p]) {
                                   supply[p] = v;
                                   changed.push_back(p);
                                 }
                               });
}

void Session::Impl::add_site(std::size_t k, SiteRec rec, std::vector<std::uint32_t>& changed) {
  ensure_index(k);
  Cls& c = cls[k];
  const auto& reach = net(k).site_reach();
  const auto& spec = sim.access_input().classes[k].spec;
  auto& cost = y.coverage.classes[k].cost;
  for (const auto& [p, cst] : reach.points_within(rec.site, spec.bound)) {
    c.at[p].emplace_back(rec.uid, cst);
    if (cost[p] == kUnreached || cst < cost[p]) {
      cost[p] = cst;
      changed.push_back(p);
    }
  }
  if (spec.sfca) shift_supply(k, rec.site, +1, changed);
  c.sites.push_back(std::move(rec));
  ++y.sites[k];
}

void Session::Impl::remove_site(std::size_t k, std::size_t i, std::vector<std::uint32_t>& changed) {
  ensure_index(k);
  Cls& c = cls[k];
  const SiteRec rec = std::move(c.sites[i]);
  c.sites.erase(c.sites.begin() + static_cast<std::ptrdiff_t>(i));
  --y.sites[k];
  const auto& reach = net(k).site_reach();
  const auto& spec = sim.access_input().classes[k].spec;
  auto& cost = y.coverage.classes[k].cost;
  for (const auto& [p, cst] : reach.points_within(rec.site, spec.bound)) {
    auto& list = c.at[p];
    std::erase_if(list, [&](const auto& e) { return e.first == rec.uid; });
    if (cost[p] != cst) continue;  // another site is nearer
    std::uint32_t best = kUnreached;
    for (const auto& e : list) best = std::min(best, e.second);
    if (best != cost[p]) {
      cost[p] = best;
      changed.push_back(p);
    }
  }
  if (spec.sfca) shift_supply(k, rec.site, -1, changed);
}

void Session::Impl::insert_facility(const city::Facility& f, std::size_t index, const std::string& delta_cls,
                                    Changed& changed) {
  city.facilities.insert(city.facilities.begin() + static_cast<std::ptrdiff_t>(index), f);
  bool count_changed = false;
  for (std::size_t k = 0; k < s.norms.size(); ++k) {
    if (!sim::serves(f, s.norms[k])) continue;
    coverage::Site site = sim::facility_site(f, s.norms[k], net(k).edge_locator(), sim.barriers());
    if (site.entries.empty()) continue;
    count_changed |= y.sites[k] == 0;
    add_site(k, {f.id, false, next_uid++, std::move(site)}, changed[k]);
  }
  refresh(changed, count_changed, delta_cls);
}

void Session::Impl::erase_facility(std::int64_t id, const std::string& cls_of_delta, Changed& changed) {
  std::string delta_cls = cls_of_delta;
  bool count_changed = false;
  for (std::size_t k = 0; k < s.norms.size(); ++k)
    for (std::size_t i = 0; i < cls[k].sites.size(); ++i)
      if (!cls[k].sites[i].greenway && cls[k].sites[i].id == id) {
        remove_site(k, i, changed[k]);
        count_changed |= y.sites[k] == 0;
        if (delta_cls.empty()) delta_cls = names[k];
        break;
      }
  std::erase_if(city.facilities, [&](const city::Facility& f) { return f.id == id; });
  refresh(changed, count_changed, delta_cls);
}

void Session::Impl::rebuild(bool walk_net, bool drive_net) {
  auto nets = std::make_shared<Networks>(build_networks(s, sim, city, walk_net, drive_net));
  auto adopt = [&](Net& n, graph::Graph& g, graph::Parts& parts, std::vector<graph::EntryPoint>& points) {
    n.owned = std::shared_ptr<const graph::Graph>(nets, &g);
    n.g = n.owned.get();
    n.owned_parts = std::shared_ptr<const graph::Parts>(nets, &parts);
    n.parts = n.owned_parts.get();
    n.owned_points = std::shared_ptr<const std::vector<graph::EntryPoint>>(nets, &points);
    n.points = n.owned_points.get();
    n.reach.reset();
    n.locator.reset();
  };
  if (walk_net) adopt(walk, nets->walk, nets->walk_parts, nets->point_walk);
  if (drive_net) adopt(drive, nets->drive, nets->drive_parts, nets->point_drive);
  coverage::Input in;
  in.walk = walk.g;
  in.drive = drive.g;
  in.point_walk = *walk.points;
  in.point_drive = *drive.points;
  in.residents = y.point_residents;
  std::vector<std::size_t> redo;
  const graph::EdgeLocator &wl = walk.edge_locator(), &dl = drive.edge_locator();
  for (std::size_t k = 0; k < s.norms.size(); ++k) {
    if (!(drive_class(k) ? drive_net : walk_net)) continue;
    redo.push_back(k);
    auto cs = sim::class_sites(s.norms[k], city, drive_class(k) ? dl : wl, sim.barriers());
    Cls fresh;
    for (std::size_t i = 0; i < cs.input.sites.size(); ++i)
      fresh.sites.push_back({cs.site_id[i], cs.greenway[i] != 0, next_uid++, cs.input.sites[i]});
    cls[k] = std::move(fresh);
    y.sites[k] = cs.input.sites.size();
    in.classes.push_back(std::move(cs.input));
  }
  auto r = coverage::compute(in);
  for (std::size_t i = 0; i < redo.size(); ++i) y.coverage.classes[redo[i]] = std::move(r.classes[i]);
}

void Session::Impl::refresh_all(const std::string& delta_cls) {
  struct Before {  // the per-parcel values only (not the per-point ones): what the delta compares
    std::vector<sim::ParcelCoverage> parcel_coverage;
    std::vector<double> tier_share[3];
  } before_parcels{y.parcel_coverage, {y.tier_share[0], y.tier_share[1], y.tier_share[2]}};
  sim::aggregate(s.norms, sim.home_points(), y);
  sim::compute_indicators(s, city, y);
  delta = {};
  delta.class_name = delta_cls;
  const std::size_t np = city.parcels.size();
  for (std::size_t p = 0; p < np; ++p) {
    bool diff = false;
    for (std::size_t k = 0; k < s.norms.size() && !diff; ++k) {
      const auto &a = before_parcels.parcel_coverage[k], &b = y.parcel_coverage[k];
      diff = a.served[p] != b.served[p] || a.share[p] != b.share[p] || a.cost[p] != b.cost[p] ||
             (!b.supply.empty() && a.supply[p] != b.supply[p]);
    }
    for (int t = 0; t < 3 && !diff; ++t) diff = before_parcels.tier_share[t][p] != y.tier_share[t][p];
    if (diff) delta.parcels_changed.push_back(p);
  }
  for (std::size_t k = 0; k < s.norms.size(); ++k)
    if (names[k] == delta_cls)
      for (std::size_t p = 0; p < np; ++p)
        delta.residents_newly_served += static_cast<std::int64_t>(y.parcel_coverage[k].served[p]) -
                                        static_cast<std::int64_t>(before_parcels.parcel_coverage[k].served[p]);
}

void Session::Impl::refresh(const Changed& changed, bool sites_count_changed, const std::string& delta_cls) {
  // A class that gains its first site or loses its last changes which classes each tier needs:
  // every point's tiers are recomputed then.
  if (sites_count_changed) {
    refresh_all(delta_cls);
    return;
  }
  const auto& h = sim.home_points();
  const auto& norms = s.norms;
  std::vector<std::uint32_t> parcels;
  std::vector<std::uint32_t> points;
  for (const auto& ch : changed)
    for (const std::uint32_t p : ch) {
      points.push_back(p);
      parcels.push_back(point_parcel[p]);
    }
  std::sort(points.begin(), points.end());
  points.erase(std::unique(points.begin(), points.end()), points.end());
  std::sort(parcels.begin(), parcels.end());
  parcels.erase(std::unique(parcels.begin(), parcels.end()), parcels.end());
  // Tiers of the changed points (sim::tier_flags for these points).
  std::vector<std::uint32_t> thresholds(norms.size());
  for (std::size_t k = 0; k < norms.size(); ++k) thresholds[k] = sim::Simulation::threshold(norms[k]);
  auto within = [&](std::size_t k, std::uint32_t p) {
    const auto c = y.coverage.classes[k].cost[p];
    return c != kUnreached && c <= thresholds[k];
  };
  bool has_data[3] = {false, false, false};
  for (int t = 0; t < 3; ++t)
    for (std::size_t k = 0; k < norms.size(); ++k)
      has_data[t] |= norms[k].tier == sim::kTierMinutes[t] && y.sites[k] != 0;
  for (const std::uint32_t p : points)
    for (int t = 0; t < 3; ++t) {
      std::uint8_t ok = has_data[t] ? 1 : 0;
      for (std::size_t k = 0; k < norms.size() && ok; ++k)
        if (norms[k].tier == sim::kTierMinutes[t] && y.sites[k] != 0) ok = within(k, p) ? ok : 0;
      y.point_tier_ok[t][p] = ok;
    }
  delta = {};
  delta.class_name = delta_cls;
  for (const std::uint32_t p : parcels) {
    bool diff = false;
    for (std::size_t k = 0; k < norms.size(); ++k) {
      auto& pc = y.parcel_coverage[k];
      const auto& cr = y.coverage.classes[k];
      // sim::parcel_share_at with ok = within the threshold (same weights, same order of sums).
      std::uint32_t served = 0;
      double w = 0, in = 0;
      {
        std::uint64_t total = 0;
        for (std::uint32_t i = h.offset[p]; i < h.offset[p + 1]; ++i) total += y.point_residents[i];
        for (std::uint32_t i = h.offset[p]; i < h.offset[p + 1]; ++i) {
          const double wi = total > 0 ? static_cast<double>(y.point_residents[i]) : h.weight[i];
          w += wi;
          if (within(k, i)) {
            in += wi;
            served += y.point_residents[i];
          }
        }
      }
      const double share = w > 0 ? in / w : 0.0;
      const std::uint32_t median = sim::parcel_median_at(h, y.point_residents, cr.cost, p);
      if (names[k] == delta_cls)
        delta.residents_newly_served += static_cast<std::int64_t>(served) - static_cast<std::int64_t>(pc.served[p]);
      diff |= served != pc.served[p] || share != pc.share[p] || median != pc.cost[p];
      pc.served[p] = served;
      pc.share[p] = share;
      pc.cost[p] = median;
      if (!cr.supply.empty()) {
        const double v = sim::parcel_mean_at(h, y.point_residents, cr.supply, p);
        diff |= v != pc.supply[p];
        pc.supply[p] = v;
      }
    }
    for (int t = 0; t < 3; ++t) {
      std::uint32_t served = 0;
      double v = sim::parcel_share_at(h, y.point_residents, y.point_tier_ok[t], p, &served);
      if (!has_data[t]) v = 0.0;
      diff |= v != y.tier_share[t][p] || served != y.tier_served[t][p];
      y.tier_share[t][p] = v;
      y.tier_served[t][p] = served;
    }
    if (diff) delta.parcels_changed.push_back(p);
  }
  sim::compute_indicators(s, city, y);
}

void Session::Impl::apply_inverse(const Edit& e) {
  Changed changed = no_change();
  switch (e.kind) {
    case Edit::add_facility:
      erase_facility(e.facility.id, e.cls, changed);
      break;
    case Edit::remove_facility:
      insert_facility(e.facility, e.index, e.cls, changed);
      break;
    case Edit::add_greenway:
      std::erase_if(city.greenways, [&](const city::Greenway& g) { return g.id == e.greenway.id; });
      rebuild(true, false);
      refresh_all(e.cls);
      break;
    case Edit::close_road: {
      bool walk_net = false, drive_net = false;
      for (auto it = e.roads.rbegin(); it != e.roads.rend(); ++it) {
        if (e.to_all)
          city.roads.insert(city.roads.begin() + static_cast<std::ptrdiff_t>(it->first), it->second);
        else
          city.roads[it->first] = it->second;
        walk_net |= e.to_all && it->second.walk;
        drive_net |= it->second.drive;
      }
      rebuild(walk_net, drive_net);
      refresh_all("");
      delta.traffic_stale = true;
      break;
    }
    case Edit::rezone: {
      city.parcels.land_use[e.parcel] = e.land_use;
      city.parcels.floor_area_m2[e.parcel] = e.floor_area_m2;
      y.land_use[e.parcel] = e.land_use;
      y.floor_area_m2[e.parcel] = e.floor_area_m2;
      far[e.parcel] = e.far;
      sim::compute_indicators(s, city, y);
      delta = {};
      delta.parcels_changed = {e.parcel};
      break;
    }
  }
}

// ---------------------------------------------------------------------------------------------

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;
Session::~Session() = default;

int Session::year() const { return impl_->y.year; }
const std::vector<std::string>& Session::classes() const { return impl_->names; }
std::size_t Session::parcels() const { return impl_->city.parcels.size(); }
std::int64_t Session::parcel_id(std::size_t i) const {
  if (i >= parcels()) refuse("parcel index", fmt::format("must be below the session's {} parcels", parcels()), std::to_string(i));
  return impl_->city.parcels.id[i];
}
geo::Point Session::parcel_centroid(std::size_t i) const {
  if (i >= parcels()) refuse("parcel index", fmt::format("must be below the session's {} parcels", parcels()), std::to_string(i));
  return impl_->city.parcels.centroid[i];
}

std::optional<std::size_t> Session::parcel_at(geo::Point p) const {
  const auto& m = *impl_;
  if (!finite(p)) return std::nullopt;
  for (std::size_t i = 0; i < m.parcel_box.size(); ++i) {
    const auto& b = m.parcel_box[i];
    if (p.x < b.min_x || p.x > b.max_x || p.y < b.min_y || p.y > b.max_y) continue;
    if (geo::contains(m.city.parcels.shape[i], p)) return i;
  }
  return std::nullopt;
}

EditId Session::Impl::push(Edit e) {
  const EditId id = e.id;
  edits.push_back(std::move(e));
  ++applied;
  if (edits.size() > history) edits.pop_front();  // stays applied; no longer undoable (history 0: none is)
  return id;
}

EditId Session::add_facility(const std::string& cls, geo::Point at, double capacity) {
  auto& m = *impl_;
  const std::size_t k = m.class_index(cls, "add_facility class");
  const auto& n = m.s.norms[k];
  const auto classes = facility_classes(n);
  if (classes.empty())
    refuse("add_facility class", "must be a class served by facilities (greenways are lines, not sites)", cls);
  if (!finite(at))
    refuse("add_facility point", "must be a finite point in the scenario's CRS", fmt::format("{}, {}", at.x, at.y));
  if (const auto& b = m.city_box; at.x < b.min_x - scenario::limits::kMaxMarginM || at.x > b.max_x + scenario::limits::kMaxMarginM ||
                                  at.y < b.min_y - scenario::limits::kMaxMarginM || at.y > b.max_y + scenario::limits::kMaxMarginM)
    refuse("add_facility point", fmt::format("must lie within {:g} km of the parcels", scenario::limits::kMaxMarginM / 1000),
           fmt::format("{}, {}", at.x, at.y));
  if (!(capacity >= 0 && capacity <= scenario::limits::kMaxCapacity))
    refuse("add_facility capacity",
           fmt::format("must be 0 (the class's default) .. {:g}", scenario::limits::kMaxCapacity),
           fmt::format("{}", capacity));
  city::Facility f;
  f.id = m.facility_base;
  for (const auto& e : m.edits)
    if (e.kind == Impl::Edit::add_facility) f.id = std::max(f.id, e.facility.id + 1);
  for (const auto& x : m.city.facilities) f.id = std::max(f.id, x.id + 1);
  f.name = fmt::format("session {} {}", cls, m.next_id);
  f.classes = classes;
  f.capacity = capacity > 0 ? capacity : -1;
  f.location = at;
  f.origin = "scenario";
  {
    if (sim::facility_site(f, n, m.net(k).edge_locator(), m.sim.barriers()).entries.empty())
      refuse("add_facility point",
             fmt::format("must lie within {:g} m of a usable street of the {} network (no barrier between)", 300.0,
                         m.drive_class(k) ? "drive" : "walk"),
             fmt::format("{:.1f}, {:.1f}", at.x, at.y));
  }
  Changed changed = m.no_change();
  m.insert_facility(f, m.city.facilities.size(), cls, changed);
  Impl::Edit e;
  e.kind = Impl::Edit::add_facility;
  e.id = m.next_id++;
  e.cls = cls;
  e.facility = f;
  e.index = m.city.facilities.size() - 1;
  return m.push(std::move(e));
}

std::optional<std::int64_t> Session::added_facility_id(EditId id) const {
  for (const auto& e : impl_->edits)
    if (e.id == id && e.kind == Impl::Edit::add_facility) return e.facility.id;
  return std::nullopt;
}

EditId Session::remove_facility(std::int64_t facility_id) {
  auto& m = *impl_;
  std::size_t index = m.city.facilities.size();
  for (std::size_t i = 0; i < m.city.facilities.size(); ++i)
    if (m.city.facilities[i].id == facility_id) index = i;
  if (index == m.city.facilities.size())
    refuse("remove_facility id", fmt::format("must be the id of a facility open in {}", m.y.year),
           std::to_string(facility_id));
  Impl::Edit e;
  e.kind = Impl::Edit::remove_facility;
  e.facility = m.city.facilities[index];
  e.index = index;
  Changed changed = m.no_change();
  m.erase_facility(facility_id, "", changed);
  e.cls = m.delta.class_name;
  e.id = m.next_id++;
  return m.push(std::move(e));
}

EditId Session::add_greenway(const geo::LineString& line) {
  auto& m = *impl_;
  if (line.size() < 2)
    refuse("add_greenway line", "must have at least two points", std::to_string(line.size()) + " point(s)");
  for (const auto& p : line)
    if (!finite(p))
      refuse("add_greenway line", "must have finite coordinates in the scenario's CRS",
             fmt::format("{}, {}", p.x, p.y));
  if (geo::length(line) <= 0) refuse("add_greenway line", "must have a non-zero length", "0 m");
  {
    const auto& b = m.city_box;
    const double e = scenario::limits::kMaxMarginM;
    for (const auto& p : line)
      if (p.x < b.min_x - e || p.x > b.max_x + e || p.y < b.min_y - e || p.y > b.max_y + e)
        refuse("add_greenway line", fmt::format("must lie within {:g} km of the parcels", e / 1000),
               fmt::format("{}, {}", p.x, p.y));
  }
  city::Greenway g;
  g.id = m.greenway_base;
  for (const auto& x : m.city.greenways) g.id = std::max(g.id, x.id + 1);
  g.name = fmt::format("session greenway {}", m.next_id);
  g.level = "community";
  g.line = line;
  g.origin = "scenario";
  m.city.greenways.push_back(g);
  try {
    m.rebuild(true, false);
  } catch (...) {
    m.city.greenways.pop_back();  // all or nothing: the session stays as it was
    m.rebuild(true, false);
    throw;
  }
  std::string cls;
  for (std::size_t k = 0; k < m.s.norms.size() && cls.empty(); ++k)
    for (const auto& src : m.s.norms[k].sources)
      if (src == "greenway") cls = m.names[k];
  m.refresh_all(cls);
  Impl::Edit e;
  e.kind = Impl::Edit::add_greenway;
  e.id = m.next_id++;
  e.cls = cls;
  e.greenway = g;
  return m.push(std::move(e));
}

EditId Session::close_road(std::int64_t road_id, bool to_all) {
  auto& m = *impl_;
  std::size_t index = m.city.roads.size();
  for (std::size_t i = 0; i < m.city.roads.size(); ++i)
    if (m.city.roads[i].id == road_id && (to_all || m.city.roads[i].drive)) index = i;
  if (index == m.city.roads.size())
    refuse("close_road id", fmt::format("must be the id of a road open {}in {}", to_all ? "" : "to cars ", m.y.year),
           std::to_string(road_id));
  // A road id may name several pieces (a scenario's road of several lines): all of them close.
  Impl::Edit e;
  e.kind = Impl::Edit::close_road;
  e.to_all = to_all;
  bool walk_changed = false, drive_changed = false;
  for (std::size_t i = m.city.roads.size(); i-- > 0;) {
    auto& r = m.city.roads[i];
    if (r.id != road_id) continue;
    e.roads.emplace_back(i, r);
    walk_changed |= to_all && r.walk;
    drive_changed |= r.drive;
    if (to_all)
      m.city.roads.erase(m.city.roads.begin() + static_cast<std::ptrdiff_t>(i));
    else
      r.drive = false;
  }
  m.rebuild(walk_changed, drive_changed);
  m.refresh_all("");
  m.delta.traffic_stale = true;
  e.id = m.next_id++;
  return m.push(std::move(e));
}

EditId Session::rezone(std::int64_t parcel_id, const std::string& land_use, std::optional<double> floor_area_m2) {
  auto& m = *impl_;
  auto& P = m.city.parcels;
  std::size_t p = P.size();
  for (std::size_t i = 0; i < P.size(); ++i)
    if (P.id[i] == parcel_id) p = i;
  if (p == P.size()) refuse("rezone parcel", "must be the id of a parcel", std::to_string(parcel_id));
  if (!land_use.empty() && !m.s.profile.land_uses.count(land_use) && !m.s.land_uses.count(land_use)) {
    std::vector<std::string> known;
    for (const auto& [k, v] : m.s.profile.land_uses) known.push_back(k);
    for (const auto& [k, v] : m.s.land_uses) known.push_back(k);
    const std::string near = core::nearest(land_use, known);
    refuse("rezone land_use",
           near.empty() ? "must be a land use of the profile or the scenario"
                        : "must be a known land use; did you mean '" + near + "'?",
           "\"" + land_use + "\"");
  }
  double floor = P.floor_area_m2[p], far = m.far[p];
  if (floor_area_m2) {
    far = *floor_area_m2 / P.area_m2[p];
    if (!(std::isfinite(far) && far >= 0 && far <= 100))
      refuse("rezone floor_area_m2",
             fmt::format("must give a floor-area ratio of 0..100 on the parcel's {:.0f} m2", P.area_m2[p]),
             fmt::format("{}", *floor_area_m2));
    floor = far * P.area_m2[p];  // as [[rezone]] far = ... gives it in a full run
  }
  Impl::Edit e;
  e.kind = Impl::Edit::rezone;
  e.parcel = p;
  e.land_use = P.land_use[p];
  e.floor_area_m2 = P.floor_area_m2[p];
  e.far = m.far[p];
  m.far[p] = far;
  if (!land_use.empty()) P.land_use[p] = land_use;
  P.floor_area_m2[p] = floor;
  m.y.land_use[p] = P.land_use[p];
  m.y.floor_area_m2[p] = floor;
  sim::compute_indicators(m.s, m.city, m.y);
  m.delta = {};
  m.delta.parcels_changed = {p};
  e.id = m.next_id++;
  return m.push(std::move(e));
}

bool Session::undo() {
  auto& m = *impl_;
  if (m.edits.empty()) return false;
  m.apply_inverse(m.edits.back());  // popped only once reverted: a failure leaves the edit undoable
  m.edits.pop_back();
  --m.applied;
  return true;
}

void Session::reset() {
  auto& m = *impl_;
  const sim::YearResult before = m.y;
  m.city = m.city0;
  m.walk = m.walk0;
  m.drive = m.drive0;
  m.cls = m.cls0;
  m.next_uid = m.uid0;
  m.y = m.y0;
  m.edits.clear();
  m.applied = 0;
  m.far.assign(m.city.parcels.size(), std::nan(""));
  m.delta = {};
  for (std::size_t p = 0; p < m.city.parcels.size(); ++p) {
    bool diff = before.land_use[p] != m.y.land_use[p] || before.floor_area_m2[p] != m.y.floor_area_m2[p];
    for (std::size_t k = 0; k < m.names.size() && !diff; ++k) {
      const auto &a = before.parcel_coverage[k], &b = m.y.parcel_coverage[k];
      diff = a.served[p] != b.served[p] || a.share[p] != b.share[p] || a.cost[p] != b.cost[p] ||
             (!b.supply.empty() && a.supply[p] != b.supply[p]);
    }
    for (int t = 0; t < 3 && !diff; ++t) diff = before.tier_share[t][p] != m.y.tier_share[t][p];
    if (diff) m.delta.parcels_changed.push_back(p);
  }
}

std::size_t Session::edit_count() const { return impl_->applied; }
const Delta& Session::last_delta() const { return impl_->delta; }
const std::vector<sim::Indicator>& Session::indicators() const { return impl_->y.indicators; }
const sim::ParcelCoverage& Session::parcel_coverage(std::size_t k) const { return impl_->y.parcel_coverage.at(k); }
const std::vector<double>& Session::tier_share(int tier) const {
  if (tier < 0 || tier > 2) throw std::out_of_range("Session::tier_share: tier must be 0, 1 or 2");
  return impl_->y.tier_share[tier];
}
const sim::YearResult& Session::result() const { return impl_->y; }
std::size_t Session::sites(std::size_t k) const { return impl_->y.sites.at(k); }
const city::City& Session::city() const { return impl_->city; }

namespace {
// A TOML float that reads back as the same double (shortest round trip; never an integer).
std::string toml_float(double v) {
  std::string t = fmt::format("{}", v);
  if (t.find_first_of(".eEn") == std::string::npos) t += ".0";
  return t;
}
std::string quoted(const std::string& v) {
  std::string o = "\"";
  for (const char c : v) {
    if (c == '"' || c == '\\') o += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    o += c;
  }
  return o + "\"";
}
}  // namespace

std::string Session::scenario_toml() const {
  const auto& m = *impl_;
  const int year = m.y.year;
  std::string name = m.s.name.substr(0, 100) + "-session";
  std::string o = fmt::format(
      "# What-if written by an edit session (docs/api.md) on {} in {}: its edits as interventions dated {}.\n"
      "# Paths are absolute. Run it with `urbantwin run`; residents respond to the edits in the years after {}.\n",
      std::filesystem::absolute(m.s.file).lexically_normal().string(), year, year, year);
  o += output::credit_comment(output::run_credit(m.city0));  // the city's layers' credit
  o += scenario::toml_with_absolute_paths(m.s, name);
  o += "\n";
  auto has_facility = [](const city::City& c, std::int64_t id) {
    return std::any_of(c.facilities.begin(), c.facilities.end(), [&](const city::Facility& f) { return f.id == id; });
  };
  for (const auto& f : m.city.facilities) {
    if (has_facility(m.city0, f.id)) continue;
    std::vector<std::string> cl;
    for (const auto& c : f.classes) cl.push_back(quoted(c));
    // With its session id: the ids the loader gives metro stations (after every [[add_facility]]
    // without one) stay what [[remove_facility]] entries name.
    o += fmt::format("\n[[add_facility]]\nyear = {}\nid = {}\nname = {}\nclasses = [{}]\n", year, f.id, quoted(f.name),
                     fmt::join(cl, ", "));
    if (f.capacity >= 0) o += fmt::format("capacity = {}\n", toml_float(f.capacity));
    o += fmt::format("x = {}\ny = {}\ncrs = {}\n", toml_float(f.location.x), toml_float(f.location.y),
                     quoted(m.city.crs));
  }
  for (const auto& f : m.city0.facilities)
    if (!has_facility(m.city, f.id)) o += fmt::format("\n[[remove_facility]]\nyear = {}\nid = {}\n", year, f.id);
  for (const auto& g : m.city.greenways) {
    if (std::any_of(m.city0.greenways.begin(), m.city0.greenways.end(),
                    [&](const city::Greenway& x) { return x.id == g.id; }))
      continue;
    std::vector<std::string> pts;
    for (const auto& p : g.line) pts.push_back(toml_float(p.x) + " " + toml_float(p.y));
    o += fmt::format("\n[[add_greenway]]\nyear = {}\nname = {}\nlevel = {}\nwkt = \"LINESTRING({})\"\ncrs = {}\n", year,
                     quoted(g.name), quoted(g.level), fmt::join(pts, ", "), quoted(m.city.crs));
  }
  std::vector<std::int64_t> to_cars, to_all;
  for (const auto& r : m.city0.roads) {
    bool present = false, drive = false;
    for (const auto& x : m.city.roads)
      if (x.id == r.id) {
        present = true;
        drive |= x.drive;
      }
    auto add = [](std::vector<std::int64_t>& v, std::int64_t id) {
      if (std::find(v.begin(), v.end(), id) == v.end()) v.push_back(id);
    };
    if (!present)
      add(to_all, r.id);
    else if (r.drive && !drive)
      add(to_cars, r.id);
  }
  if (!to_cars.empty())
    o += fmt::format("\n[[close_road]]\nyear = {}\nroads = [{}]\nto = \"cars\"\n", year, fmt::join(to_cars, ", "));
  if (!to_all.empty())
    o += fmt::format("\n[[close_road]]\nyear = {}\nroads = [{}]\nto = \"all\"\n", year, fmt::join(to_all, ", "));
  const auto &P = m.city.parcels, &P0 = m.city0.parcels;
  for (std::size_t p = 0; p < P.size(); ++p) {
    if (P.land_use[p] == P0.land_use[p] && P.floor_area_m2[p] == P0.floor_area_m2[p]) continue;
    o += fmt::format("\n[[rezone]]\nyear = {}\nparcels = [{}]\n", year, P.id[p]);
    if (P.land_use[p] != P0.land_use[p]) o += fmt::format("land_use = {}\n", quoted(P.land_use[p]));
    if (P.floor_area_m2[p] != P0.floor_area_m2[p]) o += fmt::format("far = {}\n", toml_float(m.far[p]));
  }
  return o;
}

void Session::save_scenario(const std::filesystem::path& out, bool overwrite) const {
  const std::string text = scenario_toml();
  // Replaced only when it is an earlier what-if of an edit session (never another file of the
  // user's, whatever `overwrite` says).
  if (overwrite && std::filesystem::exists(out)) {
    std::ifstream in(out);
    std::string first;
    std::getline(in, first);
    if (first.rfind("# What-if written by an edit session", 0) != 0)
      throw core::OutputError(core::Where{out.string(), "", "save_scenario"},
                              "may replace only an earlier what-if saved by an edit session (its first line says so)",
                              first.substr(0, 80));
  }
  core::Staging staging(core::Staging::Spec{out, core::Staging::Kind::file, "scenario", overwrite,
                                            output::scenario_inputs(impl_->s), "save_scenario"});
  staging.write_and_commit([&](const std::filesystem::path& tmp) { core::write_file(tmp, text); });
}

sim::YearResult Session::recomputed() const {
  const auto& m = *impl_;
  Networks n = build_networks(m.s, m.sim, m.city, true, true);
  coverage::Input in;
  in.walk = &n.walk;
  in.drive = &n.drive;
  in.point_walk = n.point_walk;
  in.point_drive = n.point_drive;
  in.residents = m.y.point_residents;
  sim::YearResult y = m.y;
  y.sites.clear();
  const graph::EdgeLocator wl(n.walk, n.walk_parts.usable), dl(n.drive, n.drive_parts.usable);
  for (std::size_t k = 0; k < m.s.norms.size(); ++k) {
    auto cs = sim::class_sites(m.s.norms[k], m.city, m.drive_class(k) ? dl : wl, m.sim.barriers());
    y.sites.push_back(cs.input.sites.size());
    in.classes.push_back(std::move(cs.input));
  }
  y.coverage = coverage::compute(in);
  sim::aggregate(m.s.norms, m.sim.home_points(), y);
  sim::compute_indicators(m.s, m.city, y);
  return y;
}

}  // namespace ut::api
