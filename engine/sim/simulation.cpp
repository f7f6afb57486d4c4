#include "sim/simulation.hpp"

#include <fmt/format.h>

#include <chrono>
#include <algorithm>
#include <cmath>

#include "city/networks.hpp"
#include "sim/indicators.hpp"
#include "sim/snap.hpp"

namespace ut::sim {

namespace {

using snap::kParcelM;
using snap::kSiteM;
using snap::kParkGateM;
using snap::kParkGateStepM;

template <class F>
void timed(std::vector<std::pair<std::string, double>>& out, const std::string& name, F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  out.emplace_back(name, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

bool serves(const city::Facility& f, const scenario::Norm& n) {
  for (const auto& c : f.classes)
    for (const auto& s : n.sources)
      if (c == s) return f.shape.empty() || f.area_m2 >= n.min_area_m2;
  return false;
}

}  // namespace

Simulation::Simulation(const scenario::Scenario& s, const city::City& c) : scenario_(s), city_(c) {}

std::uint32_t Simulation::threshold(const scenario::Norm& n) {
  if (n.network == scenario::Network::drive)
    return static_cast<std::uint32_t>(std::llround((n.drive_min - n.turnout_min) * 600));  // 0.1 s
  return static_cast<std::uint32_t>(std::llround(n.radius_m * 10));                        // dm
}

double Simulation::cost_to_unit(const scenario::Norm&, std::uint32_t cost) { return static_cast<double>(cost) / 10.0; }

void Simulation::build_networks() {
  timed(seconds_, "networks", [&] {
    walk_ = city::walk_graph(city_);
    drive_ = city::drive_graph(city_);
    walk_main_ = graph::largest_component_edges(walk_);
    drive_main_ = graph::largest_component_edges(drive_);
  });
  timed(seconds_, "attach", [&] {
    const graph::EdgeLocator walk_loc(walk_, walk_main_), drive_loc(drive_, drive_main_);
    const std::size_t n = city_.parcels.size();
    parcel_walk_.assign(n, graph::EntryPoint{});
    parcel_drive_.assign(n, graph::EntryPoint{});
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
  });
  stats_.walk_nodes = walk_.node_count();
  stats_.walk_edges = walk_.edge_count();
  stats_.drive_nodes = drive_.node_count();
  stats_.drive_edges = drive_.edge_count();
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
    for (const auto& f : city_.facilities) {
      if (!serves(f, n)) continue;
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
        coverage::Site site;
        for (const auto& p : gw.line)
          if (auto e = loc.attach(p, 1.0)) site.entries.push_back(*e);
        if (!site.entries.empty()) ci.sites.push_back(std::move(site));
      }
    }
    if (ci.sites.empty()) no_data_.push_back(n.name);
    in.classes.push_back(std::move(ci));
  }
  return in;
}

YearResult Simulation::step_base_year() {
  YearResult y;
  y.year = scenario_.base_year;
  coverage::Input in;
  timed(seconds_, "sites", [&] { in = coverage_input(); });
  for (const auto& c : in.classes) y.sites.push_back(c.sites.size());
  timed(seconds_, "coverage", [&] { y.coverage = coverage::compute(in); });
  if (scenario_.traffic.enabled) timed(seconds_, "traffic", [&] { traffic_phase(y); });
  timed(seconds_, "indicators", [&] { compute_indicators(scenario_, city_, y); });
  return y;
}

std::vector<std::string> Simulation::notes() const {
  std::vector<std::string> out;
  for (const auto& n : no_data_)
    out.push_back(fmt::format("class {}: no facilities in the input layers; its indicators are empty (no data) and "
                              "it is left out of the tier coverage",
                              n));
  if (stats_.parcels_unattached_walk > 0)
    out.push_back(fmt::format("{} parcels are more than {} m from any walkable street and count as not covered",
                              stats_.parcels_unattached_walk, kParcelM));
  if (stats_.sites_unattached > 0)
    out.push_back(fmt::format("{} facility sites are too far from the network to be reached and are ignored",
                              stats_.sites_unattached));
  return out;
}

}  // namespace ut::sim
