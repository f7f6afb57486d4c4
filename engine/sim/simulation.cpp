#include "sim/simulation.hpp"

#include <fmt/format.h>

#include <chrono>
#include <algorithm>
#include <cmath>

#include "city/networks.hpp"
#include "core/error.hpp"
#include "scenario/limits.hpp"
#include "sim/access.hpp"
#include "sim/indicators.hpp"
#include "sim/rules.hpp"
#include "sim/snap.hpp"

namespace ut::sim {

namespace {

using snap::kParcelM;
using snap::kSiteM;
using snap::kParkGateM;
using snap::kParkGateStepM;

bool serves(const city::Facility& f, const scenario::Norm& n) {
  for (const auto& c : f.classes)
    for (const auto& s : n.sources)
      if (c == s) return f.shape.empty() || f.area_m2 >= n.min_area_m2;
  return false;
}

}  // namespace

Simulation::Simulation(const scenario::Scenario& s, const city::City& plan)
    : scenario_(s), plan_(plan), city_(city::at_year(plan, s.base_year)), year_(s.base_year) {
  params_ = population::Params::chengdu();
  const auto& ps = s.population;
  params_.beta_tier = ps.beta_tier;
  params_.beta_park = ps.beta_park;
  params_.beta_greenway = ps.beta_greenway;
  params_.beta_metro = ps.beta_metro;
  params_.beta_school = ps.beta_school;
  params_.beta_commute = ps.beta_commute;
  params_.beta_price = ps.beta_price;
}

template <class F>
void Simulation::timed(const std::string& name, F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (year_seconds_ != nullptr) year_seconds_->emplace_back(name, sec);
  for (auto& [n, v] : seconds_)
    if (n == name) {
      v += sec;
      return;
    }
  seconds_.emplace_back(name, sec);
}

std::uint32_t Simulation::threshold(const scenario::Norm& n) {
  if (n.network == scenario::Network::drive)
    return static_cast<std::uint32_t>(std::llround((n.drive_min - n.turnout_min) * 600));  // 0.1 s
  return static_cast<std::uint32_t>(std::llround(n.radius_m * 10));                        // dm
}

double Simulation::cost_to_unit(const scenario::Norm&, std::uint32_t cost) { return static_cast<double>(cost) / 10.0; }

void Simulation::build_networks() {
  timed("networks", [&] {
    walk_ = city::walk_graph(city_);
    drive_ = city::drive_graph(city_);
    walk_main_ = graph::largest_component_edges(walk_);
    drive_main_ = graph::largest_component_edges(drive_);
  });
  timed("attach", [&] { attach_parcels(); });
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

void Simulation::attach_parcels() {
  const graph::EdgeLocator walk_loc(walk_, walk_main_), drive_loc(drive_, drive_main_);
  const std::size_t n = city_.parcels.size();
  parcel_walk_.assign(n, graph::EntryPoint{});
  parcel_drive_.assign(n, graph::EntryPoint{});
  stats_.parcels_unattached_walk = stats_.parcels_unattached_drive = 0;
  for (std::size_t p = 0; p < n; ++p) {
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
    } else {
      ++stats_.parcels_unattached_walk;
    }
    if (auto e = drive_loc.attach(city_.parcels.centroid[p], kParcelM)) parcel_drive_[p] = *e;
    else ++stats_.parcels_unattached_drive;
  }
}

coverage::Input Simulation::coverage_input() {
  coverage::Input in;
  in.walk = &walk_;
  in.drive = &drive_;
  in.parcel_walk = parcel_walk_;
  in.parcel_drive = parcel_drive_;
  in.residents = city_.parcels.residents;
  const graph::EdgeLocator walk_loc(walk_, walk_main_), drive_loc(drive_, drive_main_);
  no_data_.clear();
  stats_.sites_unattached = 0;
  std::size_t serving_total = 0;
  for (const auto& n : scenario_.norms) {
    coverage::ClassInput ci;
    const bool drive = n.network == scenario::Network::drive;
    const graph::EdgeLocator& loc = drive ? drive_loc : walk_loc;
    ci.spec.name = n.name;
    ci.spec.network = drive ? coverage::Network::drive : coverage::Network::walk;
    // Walk classes search 20 % beyond the radius so that near misses show in the distances.
    ci.spec.bound = drive ? threshold(n) : static_cast<std::uint32_t>(std::llround(n.radius_m * 12));
    ci.spec.sfca = n.sfca;
    ci.spec.catchment = static_cast<std::uint32_t>(std::llround(n.catchment_m * 10));
    std::size_t serving = 0;  // facilities of the class, attached or not
    for (const auto& f : city_.facilities) {
      if (!serves(f, n)) continue;
      ++serving;
      coverage::Site site;
      site.capacity = f.capacity >= 0 ? f.capacity : n.default_capacity;
      if (f.shape.empty()) {
        if (auto e = loc.attach(f.location, kSiteM)) site.entries.push_back(*e);
      } else {
        for (const auto& p : geo::boundary_samples(f.shape, kParkGateStepM))
          if (auto e = loc.attach(p, kParkGateM)) site.entries.push_back(*e);
      }
      if (site.entries.empty()) {
        ++stats_.sites_unattached;
        continue;
      }
      ci.sites.push_back(std::move(site));
    }
    for (const auto& s : n.sources) {
      if (s != "greenway") continue;
      for (const auto& gw : city_.greenways) {
        ++serving;
        coverage::Site site;
        for (const auto& p : gw.line)
          if (auto e = loc.attach(p, 1.0)) site.entries.push_back(*e);
        if (!site.entries.empty()) ci.sites.push_back(std::move(site));
      }
    }
    if (ci.sites.empty()) no_data_.emplace_back(n.name, serving);
    serving_total += serving;
    in.classes.push_back(std::move(ci));
  }
  no_facilities_ = serving_total == 0;
  return in;
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
      else units_exact_[p] = new_res / scenario_.population.unit_floor_m2;
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
    return static_cast<std::uint64_t>(std::llround(p0 * std::pow(1 + scenario_.population.growth_pct_per_year / 100, year - scenario_.base_year)));
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
  const auto& ps = scenario_.population;
  const std::size_t np = P.size();
  population::ParcelUtility u;
  u.base.assign(np, 0.0f);
  u.school.assign(np, 0.0f);
  const auto within = within_threshold(scenario_.norms, access_);
  const std::vector<std::uint8_t> none(np, 0);
  auto of = [&](const char* name) -> const std::vector<std::uint8_t>& {
    for (std::size_t k = 0; k < scenario_.norms.size(); ++k)
      if (scenario_.norms[k].name == name && !within[k].empty()) return within[k];
    return none;
  };
  const auto &park = of("park"), &gw = of("greenway"), &metro = of("metro");
  const auto &primary = of("primary_school"), &middle = of("middle_school");
  std::vector<std::size_t> sites;
  for (const auto& c : access_in_.classes) sites.push_back(c.sites.size());
  const auto tier = tier_flags(scenario_.norms, within, sites, np);
  std::vector<int> tiers(np, 0);  // tiers passed, 0-3
  for (const auto& ok : tier.ok)
    for (std::size_t p = 0; p < np; ++p) tiers[p] += ok[p];
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
    access_in_.residents = city_.parcels.residents;
    y.coverage = coverage::compute(access_in_);
  });
  access_ = y.coverage;
  for (const auto& c : access_in_.classes) y.sites.push_back(c.sites.size());
  if (scenario_.traffic.enabled) timed("traffic", [&] { traffic_phase(y); });
  last_traffic_ = y.traffic;
  timed("indicators", [&] { compute_indicators(scenario_, city_, y); });
}

YearResult Simulation::step_base_year() {
  YearResult y;
  y.year = year_ = scenario_.base_year;
  year_seconds_ = &y.phase_seconds;
  if (!networks_built_) build_networks();
  timed("sites", [&] { access_in_ = coverage_input(); });
  if (scenario_.population.enabled) {
    timed("synthesis", [&] {
      const auto& P = city_.parcels;
      size_by_age_ = population::fit_size_by_age(params_);
      population::synthesize(pop_, params_, P.id, P.residents, scenario_.population.vacancy_pct / 100, scenario_.seed, y.year);
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
    const double grow = 1 + scenario_.population.new_units_pct_per_year / 100;
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
      access_in_ = coverage_input();
      access_in_.residents = city_.parcels.residents;
      access_ = coverage::compute(access_in_);
    });
  }
  if (!units_exact_.empty()) population_phase(y);
  finish_year(y);
  year_seconds_ = nullptr;
  return y;
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

std::vector<std::string> Simulation::notes() const {
  std::vector<std::string> out;
  if (no_facilities_)
    out.push_back(
        "no facility of any class in the input layers or the scenario: every coverage, access and supply "
        "indicator is empty (no data), neither 0 % nor 100 %");
  for (const auto& [n, serving] : no_data_) {
    if (serving == 0)
      out.push_back(
          fmt::format("class {}: no facilities in the input layers; its indicators are empty (no data) and "
                      "it is left out of the tier coverage",
                      n));
    else
      out.push_back(
          fmt::format("class {}: none of its {} facilities is near enough to the network to be reached; its "
                      "indicators are empty (no data) and it is left out of the tier coverage",
                      n, serving));
  }
  if (stats_.parcels_unattached_walk > 0)
    out.push_back(fmt::format("{} parcels are more than {} m from any walkable street and count as not covered",
                              stats_.parcels_unattached_walk, kParcelM));
  for (const auto& n : notes_) out.push_back(n);
  if (stats_.sites_unattached > 0)
    out.push_back(fmt::format("{} facility sites are too far from the network to be reached and are ignored",
                              stats_.sites_unattached));
  return out;
}

}  // namespace ut::sim
