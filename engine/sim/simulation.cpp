#include "sim/simulation.hpp"

#include <fmt/format.h>
#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>

#include <chrono>
#include <algorithm>
#include <cmath>

#include "city/networks.hpp"
#include "core/error.hpp"
#include "core/memory.hpp"
#include "scenario/limits.hpp"
#include "sim/access.hpp"
#include "sim/indicators.hpp"
#include "sim/rules.hpp"
#include "sim/snap.hpp"

namespace ut::sim {

namespace {

using snap::kParcelM;
using snap::kSiteM;

}  // namespace

Simulation::Simulation(const scenario::Scenario& s, const city::City& plan)
    : scenario_(s), plan_(plan), city_(city::at_year(plan, s.base_year)), year_(s.base_year) {
  params_ = population_params(s.profile);
  for (const auto& n : s.norms) any_drive_class_ |= n.network == scenario::Network::drive;
  // Barriers: the segments of water outlines and of railway, motorway and river lines.
  if (!plan.barriers.empty()) {
    std::vector<geo::Point> a, b;
    auto add = [&](const geo::LineString& l) {
      for (std::size_t i = 1; i < l.size(); ++i) {
        a.push_back(l[i - 1]);
        b.push_back(l[i]);
      }
    };
    for (const auto& br : plan.barriers) {
      for (const auto& poly : br.area)
        for (const auto& ring : poly.rings) add(ring);
      for (const auto& l : br.lines) add(l);
    }
    barriers_ = std::make_unique<geo::SegmentIndex>(std::move(a), std::move(b), 100.0);
  }
  timed("homes", [&] {
    const auto& hs = s.homes;
    const double estimate = homes::estimate_points(plan.parcels, hs.spacing_m);
    if (estimate > static_cast<double>(snap::kMaxHomePoints))
      throw core::InputError(core::Where{s.file.string(), "", "homes.spacing_m"},
                             fmt::format("the home-point lattice would need up to {:.0f} points, more than the {} a run may hold: "
                                         "give a larger spacing",
                                         estimate, snap::kMaxHomePoints),
                             fmt::format("{}", hs.spacing_m));
    std::vector<std::uint8_t> housing(plan.parcels.size());
    for (std::size_t p = 0; p < housing.size(); ++p)
      housing[p] = land_use_rule(s, plan.parcels.land_use[p]).residential_share > 0 ? 1 : 0;
    homes::Params hp;
    hp.spacing_m = hs.spacing_m;
    hp.min_building_cover = hs.min_building_cover;
    hp.default_levels = hs.default_levels;
    hp.residential_types = hs.residential_types;
    hp.generic_types = hs.generic_types;
    homes_ = homes::generate(plan, housing, hp);
  });
  stats_.home_points = homes_.size();
}

template <class F>
void Simulation::timed(const std::string& name, F&& f) {
  if (phase_observer_) phase_observer_(name);
  const core::PeakRise rise;
  if (seconds_.empty()) peak_before_phases_ = rise.start_kib();
  const auto t0 = std::chrono::steady_clock::now();
  f();
  const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::uint64_t added = rise.kib();
  if (year_seconds_ != nullptr) year_seconds_->emplace_back(name, sec);
  for (std::size_t i = 0; i < seconds_.size(); ++i)
    if (seconds_[i].first == name) {
      seconds_[i].second += sec;
      peak_added_[i].second += added;
      return;
    }
  seconds_.emplace_back(name, sec);
  peak_added_.emplace_back(name, added);
}

std::uint32_t Simulation::threshold(const scenario::Norm& n) {
  if (n.network == scenario::Network::drive)
    return static_cast<std::uint32_t>(std::llround((n.drive_min - n.turnout_min) * 600));  // 0.1 s
  return static_cast<std::uint32_t>(std::llround(n.radius_m * 10));                        // dm
}

std::uint32_t Simulation::search_bound(const scenario::Norm& n) {
  // Walk classes search 20 % beyond the radius so that near misses show in the distances.
  if (n.network == scenario::Network::walk) return static_cast<std::uint32_t>(std::llround(n.radius_m * 12));
  return threshold(n);
}

double Simulation::cost_to_unit(const scenario::Norm&, std::uint32_t cost) { return static_cast<double>(cost) / 10.0; }

void Simulation::build_networks() {
  ++sites_version_;  // new entry points: costs must be computed again
  ++walk_version_;
  timed("networks", [&] {
    walk_ = city::walk_graph(city_);
    drive_ = city::drive_graph(city_);
    walk_main_ = graph::largest_component_edges(walk_);
    drive_main_ = graph::largest_component_edges(drive_);
    walk_parts_ = graph::network_parts(walk_, scenario_.homes.min_fragment_m);
    drive_parts_ = graph::network_parts(drive_, scenario_.homes.min_fragment_m);
  });
  timed("attach", [&] {
    attach_parcels();
    attach_homes();
  });
  stats_.walk_parts = walk_parts_.length_m.size();
  stats_.walk_fragments = walk_parts_.fragments;
  stats_.walk_fragment_m = walk_parts_.fragment_length_m;
  stats_.drive_parts = drive_parts_.length_m.size();
  stats_.drive_fragments = drive_parts_.fragments;
  stats_.drive_fragment_m = drive_parts_.fragment_length_m;
  stats_.walk_nodes = walk_.node_count();
  stats_.walk_edges = walk_.edge_count();
  stats_.drive_nodes = drive_.node_count();
  stats_.drive_edges = drive_.edge_count();
  // A city without a street to walk on has no coverage at all: an input error, not "no data"
  // in every indicator (nor 0 % or 100 %). Later years may close roads; that is the scenario's result.
  if (!networks_built_ && walk_.edge_count() == 0)
    throw core::InputError(
        core::Where{scenario_.roads.source.string(), "layer " + scenario_.roads.layer, ""},
        "no usable roads: the base year's walk network has no street (roads open to walking, of non-zero length)",
        fmt::format("{} road lines", city_.roads.size()));
  networks_built_ = true;
}

// Home points attach to the nearest usable street of any network part (not only the largest),
// by a straight access leg that crosses no barrier (docs/access.md, "Attachment").
void Simulation::attach_homes() {
  const double max_m = scenario_.homes.attach_max_m;
  const std::span<const geo::Point> pts(homes_.xy);
  {
    const graph::EdgeLocator loc(walk_, walk_parts_.usable);
    access_in_.point_walk = loc.attach_all(pts, max_m, barriers_.get());
  }
  if (any_drive_class_) {
    const graph::EdgeLocator loc(drive_, drive_parts_.usable);
    access_in_.point_drive = loc.attach_all(pts, max_m, barriers_.get());
  } else {
    access_in_.point_drive.clear();
  }
  auto count = [&](const std::vector<graph::EntryPoint>& e, std::size_t& unattached, std::size_t& blocked, std::size_t& parcels) {
    unattached = blocked = parcels = 0;
    for (std::size_t p = 0; p < homes_.parcels(); ++p) {
      bool any = false;
      for (std::uint32_t i = homes_.offset[p]; i < homes_.offset[p + 1]; ++i) {
        if (e[i].edge != graph::kUnreached) {
          any = true;
          continue;
        }
        ++unattached;
        blocked += e[i].blocked ? 1 : 0;
      }
      parcels += any ? 0 : 1;
    }
  };
  count(access_in_.point_walk, stats_.points_unattached_walk, stats_.points_blocked_walk, stats_.parcels_unattached_walk);
  if (any_drive_class_)
    count(access_in_.point_drive, stats_.points_unattached_drive, stats_.points_blocked_drive, stats_.parcels_unattached_drive);
  else
    stats_.points_unattached_drive = stats_.points_blocked_drive = stats_.parcels_unattached_drive = 0;
}

// Traffic zones only: each parcel's centroid on the largest connected part (zone connectors and
// the zones' walk and transit skims; docs/traffic.md).
void Simulation::attach_parcels() {
  const graph::EdgeLocator walk_loc(walk_, walk_main_), drive_loc(drive_, drive_main_);
  const std::size_t n = city_.parcels.size();
  parcel_walk_.assign(n, graph::EntryPoint{});
  parcel_drive_.assign(n, graph::EntryPoint{});
  // Each parcel's entries depend on that parcel alone: in parallel, the same for any thread count.
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, 512), [&](const tbb::blocked_range<std::size_t>& range) {
  for (std::size_t p = range.begin(); p != range.end(); ++p) {
    if (auto e = walk_loc.attach(city_.parcels.centroid[p], kParcelM)) {
      // Residents live all over the block, not at its centroid: their mean walk to the block's
      // edge is (2/3) * area / perimeter (exact for squares and discs). The access leg is that,
      // or the centroid's distance to the street when shorter.
      double perimeter = 0;
      for (const auto& poly : city_.parcels.shape[p])
        if (!poly.rings.empty()) perimeter += geo::length(poly.rings[0]);
      if (perimeter > 0) {
        const double mean_leg_m = 2.0 / 3.0 * city_.parcels.area_m2[p] / perimeter;
        e->leg = std::min(e->leg, static_cast<std::uint32_t>(std::llround(mean_leg_m * 10)));
      }
      parcel_walk_[p] = *e;
    }
    if (auto e = drive_loc.attach(city_.parcels.centroid[p], kParcelM)) parcel_drive_[p] = *e;
  }
  });
}

std::vector<coverage::Site> Simulation::attach_points(std::size_t k, const std::vector<geo::Point>& points) const {
  const auto& n = scenario_.norms.at(k);
  const bool drive = n.network == scenario::Network::drive;
  const graph::EdgeLocator loc(drive ? drive_ : walk_, drive ? drive_parts_.usable : walk_parts_.usable);
  std::vector<coverage::Site> sites(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    sites[i].capacity = n.default_capacity;
    const graph::EntryPoint e = loc.attach(points[i], kSiteM, barriers_.get());
    if (e.edge != graph::kUnreached) sites[i].entries.push_back(e);
  }
  return sites;
}

void Simulation::refresh_sites() {
  ++sites_version_;
  auto& in = access_in_;
  in.walk = &walk_;
  in.drive = &drive_;
  in.classes.clear();
  const graph::EdgeLocator walk_loc(walk_, walk_parts_.usable), drive_loc(drive_, drive_parts_.usable);
  no_data_.clear();
  site_gaps_.assign(scenario_.norms.size(), {});
  stats_.sites_unattached = 0;
  std::size_t serving_total = 0;
  for (std::size_t k = 0; k < scenario_.norms.size(); ++k) {
    const auto& n = scenario_.norms[k];
    const bool drive = n.network == scenario::Network::drive;
    ClassSites cs = class_sites(n, city_, drive ? drive_loc : walk_loc, barriers_.get());
    stats_.sites_unattached += cs.unattached.size();
    site_gaps_[k].ids = std::move(cs.unattached);
    site_gaps_[k].blocked = cs.blocked;
    if (cs.input.sites.empty()) no_data_.emplace_back(n.name, cs.serving);
    serving_total += cs.serving;
    in.classes.push_back(std::move(cs.input));
  }
  no_facilities_ = serving_total == 0;
}

namespace {

bool sites_equal(const std::vector<city::Facility>& a, const std::vector<city::Facility>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].id != b[i].id) return false;
  return true;
}

bool lines_equal(const city::City& a, const city::City& b) {
  if (a.roads.size() != b.roads.size() || a.greenways.size() != b.greenways.size()) return false;
  for (std::size_t i = 0; i < a.roads.size(); ++i)
    if (a.roads[i].id != b.roads[i].id || a.roads[i].drive != b.roads[i].drive || a.roads[i].walk != b.roads[i].walk) return false;
  for (std::size_t i = 0; i < a.greenways.size(); ++i)
    if (a.greenways[i].id != b.greenways[i].id) return false;
  return true;
}

}  // namespace

void Simulation::apply_rezonings(int year) {
  auto& P = city_.parcels;
  for (const auto& z : city_.rezonings) {
    if (z.year != year) continue;
    for (const std::uint32_t p : z.parcels) {
      const double old_res = P.floor_area_m2[p] * land_use_rule(scenario_, P.land_use[p]).residential_share;
      if (!z.land_use.empty()) P.land_use[p] = z.land_use;
      if (z.far >= 0) P.floor_area_m2[p] = z.far * P.area_m2[p];
      if (units_exact_.empty()) continue;  // population model off
      const double new_res = P.floor_area_m2[p] * land_use_rule(scenario_, P.land_use[p]).residential_share;
      if (z.units >= 0) units_exact_[p] = z.units;
      else if (old_res > 0 && units_exact_[p] > 0) units_exact_[p] *= new_res / old_res;
      else units_exact_[p] = new_res / scenario_.profile.housing.unit_floor_m2;
      // Units derived from a floor area that grew many times over can exceed what a parcel holds.
      if (!(units_exact_[p] <= static_cast<double>(scenario::limits::kMaxUnitsPerParcel)))
        throw core::InputError(
            core::Where{scenario_.file.string(), "", "key " + z.key},
            fmt::format("the dwelling units derived for parcel {} must be at most {} (give units = N)", P.id[p],
                        scenario::limits::kMaxUnitsPerParcel),
            fmt::format("{:.0f}", units_exact_[p]));
    }
  }
}

std::uint64_t Simulation::control_total(int year) const {
  const auto& cts = scenario_.control_totals;
  const double p0 = static_cast<double>(base_population_);
  if (cts.empty())
    return static_cast<std::uint64_t>(std::llround(p0 * std::pow(1 + scenario_.profile.mobility.growth_pct_per_year / 100, year - scenario_.base_year)));
  // Linear between the base year's population and the control totals; held after the last one.
  int y0 = scenario_.base_year;
  double v0 = p0;
  for (const auto& c : cts) {
    if (year <= c.year)
      return static_cast<std::uint64_t>(std::llround(v0 + (c.population - v0) * (year - y0) / (c.year - y0)));
    y0 = c.year;
    v0 = c.population;
  }
  return static_cast<std::uint64_t>(std::llround(v0));
}

population::ParcelUtility Simulation::parcel_utility() const {
  const auto& P = city_.parcels;
  const auto& ps = scenario_.profile.location_choice;
  const std::size_t np = P.size();
  population::ParcelUtility u;
  u.base.assign(np, 0.0f);
  u.school.assign(np, 0.0f);
  // What a mover sees of a parcel: the share of its residents within reach of each class and
  // tier (the same shares the outputs report).
  const auto within = within_threshold(scenario_.norms, access_);
  std::vector<std::vector<double>> share(within.size());
  for (std::size_t k = 0; k < within.size(); ++k) share[k] = parcel_share(homes_, access_in_.residents, within[k], nullptr);
  const std::vector<double> none(np, 0.0);
  auto of = [&](const char* name) -> const std::vector<double>& {
    for (std::size_t k = 0; k < scenario_.norms.size(); ++k)
      if (scenario_.norms[k].name == name && !within[k].empty()) return share[k];
    return none;
  };
  const auto &park = of("park"), &gw = of("greenway"), &metro = of("metro");
  const auto &primary = of("primary_school"), &middle = of("middle_school");
  std::vector<std::size_t> sites;
  for (const auto& c : access_in_.classes) sites.push_back(c.sites.size());
  const auto tier = tier_flags(scenario_.norms, within, sites, homes_.size());
  std::vector<double> tiers(np, 0.0);  // tiers passed, 0-3, as shares of the residents
  for (const auto& ok : tier.ok) {
    const auto t = parcel_share(homes_, access_in_.residents, ok, nullptr);
    for (std::size_t p = 0; p < np; ++p) tiers[p] += t[p];
  }
  const auto& tr = last_traffic_;
  for (std::size_t p = 0; p < np; ++p) {
    const double km = std::hypot(P.centroid[p].x - centre_.x, P.centroid[p].y - centre_.y) / 1000;
    const double ln_price = ps.price_per_km * km + ps.price_metro * metro[p] + ps.price_park * park[p];
    const double commute = tr.ran && p < tr.parcel_zone.size() ? tr.zone_commute_min[tr.parcel_zone[p]] : 0.0;
    const double v = params_.beta_tier * tiers[p] + params_.beta_park * park[p] + params_.beta_greenway * gw[p] +
                     params_.beta_metro * metro[p] + params_.beta_commute * commute + params_.beta_price * ln_price;
    u.base[p] = static_cast<float>(v);
    u.school[p] = static_cast<float>(params_.beta_school * (primary[p] + middle[p]) / 2.0);
  }
  return u;
}

void Simulation::population_phase(YearResult& y) {
  auto& out = y.population;
  out.ran = true;
  const std::uint64_t before = pop_.persons.size();
  population::Demography d;
  population::Migration m;
  population::Placement pl;
  const std::uint64_t seed = scenario_.seed;
  timed("demography", [&] { d = population::demography(pop_, params_, seed, y.year); });
  timed("migration", [&] { m = population::migrate(pop_, params_, size_by_age_, control_total(y.year), seed, y.year); });
  timed("relocation", [&] {
    const auto u = parcel_utility();
    pl = population::relocate(pop_, params_, u, m, seed, y.year);
  });
  out.births = d.births;
  out.deaths = d.deaths;
  out.households_formed = d.households_formed;
  out.in_migrants = pl.in_persons;
  out.out_migrants = m.out_persons;
  out.movers = pl.movers;
  out.placed = pl.placed;
  out.refused_households = pl.refused_households;
  out.rounds = static_cast<int>(pl.rounds);
  out.control_total = m.target;
  out.change = static_cast<std::int64_t>(pop_.persons.size()) - static_cast<std::int64_t>(before);
}

void Simulation::finish_year(YearResult& y) {
  const std::size_t np = city_.parcels.size();
  if (!units_exact_.empty()) {
    auto& out = y.population;
    out.ran = true;
    const auto c = population::count(pop_, np);
    city_.parcels.residents = c.residents;
    out.persons = pop_.persons.size();
    out.households = pop_.households.size();
    out.units = 0;
    for (const auto u : pop_.units) out.units += u;
    out.unplaced_households = 0;
    for (const auto pl : pop_.households.placed) out.unplaced_households += pl ? 0 : 1;
    out.unplaced_households += out.refused_households;
    out.children_6_14 = 0;
    for (const auto k : c.children_6_14) out.children_6_14 += k;
    out.mean_age = population::mean_age(pop_);
    out.households_per_parcel = c.households;
    out.occupied_per_parcel = c.occupied;
    out.units_per_parcel = pop_.units;
    out.children_per_parcel = c.children_6_14;
  }
  y.residents = city_.parcels.residents;
  y.land_use = city_.parcels.land_use;
  y.floor_area_m2 = city_.parcels.floor_area_m2;
  timed("coverage", [&] {
    homes::spread(homes_, city_.parcels.residents, access_in_.residents);
    y.point_residents = access_in_.residents;
    // Only 2SFCA depends on residents: the costs of last year (or of this year's access phase)
    // are reused while the networks and sites are the same.
    y.coverage = costs_version_ == sites_version_ ? coverage::compute_residents_changed(access_in_, access_)
                                                  : coverage::compute(access_in_);
    costs_version_ = sites_version_;
  });
  access_ = y.coverage;
  for (const auto& c : access_in_.classes) y.sites.push_back(c.sites.size());
  timed("shares", [&] { aggregate(y); });
  if (scenario_.traffic.enabled) timed("traffic", [&] { traffic_phase(y); });
  last_traffic_ = y.traffic;
  timed("indicators", [&] { compute_indicators(scenario_, city_, y); });
}

YearResult Simulation::step_base_year() {
  YearResult y;
  y.year = year_ = scenario_.base_year;
  year_seconds_ = &y.phase_seconds;
  if (!networks_built_) build_networks();
  timed("sites", [&] { refresh_sites(); });
  if (scenario_.population.enabled) {
    timed("synthesis", [&] {
      const auto& P = city_.parcels;
      size_by_age_ = population::fit_size_by_age(params_);
      population::synthesize(pop_, params_, P.id, P.residents, scenario_.profile.housing.vacancy_pct / 100, scenario_.seed, y.year);
      units_exact_.assign(pop_.units.begin(), pop_.units.end());
      double w = 0, x = 0, yy = 0;
      for (std::size_t p = 0; p < P.size(); ++p) {
        w += P.residents[p];
        x += P.residents[p] * P.centroid[p].x;
        yy += P.residents[p] * P.centroid[p].y;
      }
      centre_ = w > 0 ? geo::Point{x / w, yy / w} : geo::Point{0, 0};
      base_population_ = pop_.persons.size();
    });
  }
  // Rezonings dated in the base year change land use and floor area from the start.
  apply_rezonings(y.year);
  if (!units_exact_.empty())
    for (std::size_t p = 0; p < units_exact_.size(); ++p) pop_.units[p] = static_cast<std::uint32_t>(std::floor(units_exact_[p] + 1e-9));
  finish_year(y);
  year_seconds_ = nullptr;
  return y;
}

YearResult Simulation::step_next_year() {
  YearResult y;
  y.year = ++year_;
  year_seconds_ = &y.phase_seconds;
  bool networks_changed = false, sites_changed = false;
  timed("interventions", [&] {
    city::City next = city::at_year(plan_, y.year);
    networks_changed = !lines_equal(next, city_);
    sites_changed = networks_changed || !sites_equal(next.facilities, city_.facilities);  // greenways are part of the networks
    next.parcels = std::move(city_.parcels);
    city_ = std::move(next);
    // Redevelopment adds units everywhere; then the year's rezonings set their parcels' units.
    const double grow = 1 + scenario_.profile.housing.new_units_pct_per_year / 100;
    for (auto& u : units_exact_) u *= grow;
    apply_rezonings(y.year);
    for (std::size_t p = 0; p < units_exact_.size(); ++p) pop_.units[p] = static_cast<std::uint32_t>(std::floor(units_exact_[p] + 1e-9));
  });
  if (networks_changed) {
    build_networks();
    notes_.insert(fmt::format("networks rebuilt in {} (roads or greenways changed)", y.year));
  }
  if (sites_changed) {
    // Movers see this year's facilities: coverage of the new sites with last year's residents.
    timed("access", [&] {
      refresh_sites();  // access_in_.residents: last year's, spread over the home points
      access_ = coverage::compute(access_in_);
      costs_version_ = sites_version_;
    });
  }
  if (!units_exact_.empty()) population_phase(y);
  finish_year(y);
  year_seconds_ = nullptr;
  return y;
}

// Per parcel and class: served residents, share, median cost and mean supply over its home
// points; per point and parcel: the tiers (docs/access.md, "Shares").
void Simulation::aggregate(YearResult& y) const { sim::aggregate(scenario_.norms, homes_, y); }

// Who cannot be served and why, for the notes: residents with no usable street within reach,
// residents on network parts that have no site of a class, sites that could not be attached.
// Of the year last stepped (its residents are still spread over the points in access_in_), and
// only when the notes are asked for: no work in the yearly loop.
AccessGaps Simulation::find_gaps() const {
  constexpr std::size_t kFirst = 10;  // ids named in a note
  AccessGaps g;
  g.year = year_;
  const auto& P = city_.parcels;
  const auto& R = access_in_.residents;
  // Before the first year there is nothing to say (and nothing spread yet).
  if (R.size() != homes_.size() || access_in_.point_walk.size() != homes_.size() ||
      access_in_.classes.size() != scenario_.norms.size() || site_gaps_.size() != scenario_.norms.size())
    return g;
  for (std::size_t p = 0; p < homes_.parcels(); ++p) {
    std::uint64_t lost = 0;
    for (std::uint32_t i = homes_.offset[p]; i < homes_.offset[p + 1]; ++i) {
      const auto& e = access_in_.point_walk[i];
      if (e.edge != graph::kUnreached) continue;
      lost += R[i];
      g.residents_blocked_walk += e.blocked ? R[i] : 0;
    }
    g.residents_unattached_walk += lost;
    g.parcels_unattached_walk_total += lost > 0 ? 1 : 0;
    if (lost > 0 && g.parcels_unattached_walk.size() < kFirst) g.parcels_unattached_walk.push_back(P.id[p]);
    if (!access_in_.point_drive.empty())
      for (std::uint32_t i = homes_.offset[p]; i < homes_.offset[p + 1]; ++i)
        if (access_in_.point_drive[i].edge == graph::kUnreached) g.residents_unattached_drive += R[i];
  }
  for (std::size_t k = 0; k < scenario_.norms.size(); ++k) {
    AccessGaps::ClassGap cg;
    cg.name = scenario_.norms[k].name;
    cg.sites_unattached = site_gaps_[k].ids;
    cg.sites_blocked = site_gaps_[k].blocked;
    const auto& ci = access_in_.classes[k];
    if (!ci.sites.empty()) {
      const bool drive = ci.spec.network == coverage::Network::drive;
      const auto& parts = drive ? drive_parts_ : walk_parts_;
      const auto& entries = drive ? access_in_.point_drive : access_in_.point_walk;
      std::vector<std::uint8_t> has_site(parts.length_m.size(), 0);
      for (const auto& site : ci.sites)
        for (const auto& e : site.entries) has_site[parts.edge_part[e.edge]] = 1;
      std::vector<std::uint8_t> counted(parts.length_m.size(), 0);
      for (std::size_t p = 0; p < homes_.parcels(); ++p) {
        std::uint64_t lost = 0;
        for (std::uint32_t i = homes_.offset[p]; i < homes_.offset[p + 1]; ++i) {
          const auto& e = entries[i];
          if (e.edge == graph::kUnreached || has_site[parts.edge_part[e.edge]]) continue;
          lost += R[i];
          const std::uint32_t part = parts.edge_part[e.edge];
          if (!counted[part] && R[i] > 0) {
            counted[part] = 1;
            ++cg.parts_without_site;
          }
        }
        cg.residents_without_site += lost;
        cg.parcels_total += lost > 0 ? 1 : 0;
        if (lost > 0 && cg.parcels.size() < kFirst) cg.parcels.push_back(P.id[p]);
      }
    }
    g.classes.push_back(std::move(cg));
  }
  return g;
}

std::vector<YearResult> Simulation::run(const std::function<void(int)>& on_year) {
  std::vector<YearResult> years;
  if (on_year) on_year(scenario_.base_year);
  years.push_back(step_base_year());
  while (year_ < scenario_.end_year) {
    if (on_year) on_year(year_ + 1);
    years.push_back(step_next_year());
  }
  return years;
}

namespace {
std::string plural(std::size_t n, const char* word) { return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s"); }

// The first ten ids, and how many more there are.
std::string id_list(const std::vector<std::int64_t>& ids, std::size_t total) {
  std::string out;
  for (std::size_t i = 0; i < ids.size() && i < 10; ++i) out += (i ? ", " : "") + std::to_string(ids[i]);
  const std::size_t shown = std::min<std::size_t>(ids.size(), 10);
  if (total > shown) out += fmt::format(" and {} more", total - shown);
  return out;
}
}  // namespace

std::vector<std::string> Simulation::notes() const {
  std::vector<std::string> out;
  const AccessGaps g = find_gaps();
  if (no_facilities_)
    out.push_back(
        "no facility of any class in the input layers or the scenario: every coverage, access and supply "
        "indicator is empty (no data), neither 0 % nor 100 %");
  for (const auto& [n, serving] : no_data_) {
    if (serving == 0)
      out.push_back(
          fmt::format("class {}: no facilities in the input layers or the scenario; its indicators are empty (no data) and "
                      "it is left out of the tier coverage",
                      n));
    else
      out.push_back(
          fmt::format("class {}: none of its {} sites could be attached to a usable street; its indicators are empty "
                      "(no data) and it is left out of the tier coverage",
                      n, serving));
  }
  if (g.residents_unattached_walk > 0)
    out.push_back(fmt::format(
        "{}: {} residents (home points in {}: {}) have no usable walkable street within {} m{} and count as not "
        "served by any walk class",
        g.year, g.residents_unattached_walk, plural(g.parcels_unattached_walk_total, "parcel"),
        id_list(g.parcels_unattached_walk, g.parcels_unattached_walk_total),
        scenario_.homes.attach_max_m,
        g.residents_blocked_walk > 0 ? fmt::format(" that a walk can reach without crossing a barrier ({} of them have a nearer street behind one)", g.residents_blocked_walk) : ""));
  if (g.residents_unattached_drive > 0)
    out.push_back(fmt::format("{}: {} residents have no usable drivable street within {} m and count as not served by any drive class",
                              g.year, g.residents_unattached_drive, scenario_.homes.attach_max_m));
  for (const auto& c : g.classes) {
    if (c.residents_without_site > 0)
      out.push_back(fmt::format("{}: class {}: {} residents in {} ({}) live on {} with no {} site; they are not served by it",
                                g.year, c.name, c.residents_without_site, plural(c.parcels_total, "parcel"),
                                id_list(c.parcels, c.parcels_total), plural(c.parts_without_site, "network part"), c.name));
    if (!c.sites_unattached.empty())
      out.push_back(fmt::format("class {}: {} not attached to a usable street within reach{}, ignored: ids {}",
                                c.name, plural(c.sites_unattached.size(), "site"),
                                c.sites_blocked > 0 ? fmt::format(" ({} with a nearer street behind a barrier)", c.sites_blocked) : "",
                                id_list(c.sites_unattached, c.sites_unattached.size())));
  }
  if (stats_.walk_fragments > 0)
    out.push_back(fmt::format("{} ({:.0f} m in all) shorter than {} m each: data gaps, "
                              "no home or site attaches to them",
                              plural(stats_.walk_fragments, "walk network fragment"), stats_.walk_fragment_m, scenario_.homes.min_fragment_m));
  if (!homes_.parcels_all_water.empty())
    out.push_back(fmt::format("{} {} entirely in water areas; {} residents are placed at one point on the parcel (ids {})",
                              plural(homes_.parcels_all_water.size(), "parcel"), homes_.parcels_all_water.size() == 1 ? "lies" : "lie",
                              homes_.parcels_all_water.size() == 1 ? "its" : "their",
                              id_list(homes_.parcels_all_water, homes_.parcels_all_water.size())));
  for (const auto& n : notes_) out.push_back(n);
  return out;
}

}  // namespace ut::sim
