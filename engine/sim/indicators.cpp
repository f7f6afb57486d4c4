#include "sim/indicators.hpp"

#include <algorithm>

#include "sim/access.hpp"

namespace ut::sim {

void compute_indicators(const scenario::Scenario& s, const city::City& c, YearResult& y) {
  const auto& norms = s.norms;
  const std::size_t np = c.parcels.size();
  const auto& res = c.parcels.residents;
  std::uint64_t population = 0;
  for (std::uint32_t r : res) population += r;
  // Resident-weighted over the home points: whole residents served, summed as integers.
  auto pct = [&](const std::vector<std::uint32_t>& served) -> std::optional<double> {
    if (population == 0) return std::nullopt;
    std::uint64_t covered = 0;
    for (std::size_t p = 0; p < np; ++p) covered += served[p];
    return 100.0 * static_cast<double>(covered) / static_cast<double>(population);
  };
  y.indicators.clear();
  y.indicators.push_back({"year", y.year});
  y.indicators.push_back({"population", static_cast<double>(population)});
  // Tiers do not nest (GB 50180-2018); classes without data are left out (and named in the
  // manifest's notes). A tier without any class with data has no data.
  for (int t = 0; t < 3; ++t) {
    bool has_data = false;
    for (std::size_t k = 0; k < norms.size(); ++k) has_data |= norms[k].tier == kTierMinutes[t] && y.sites[k] > 0;
    y.indicators.push_back({"coverage_" + std::to_string(kTierMinutes[t]) + "min_pct", has_data ? pct(y.tier_served[t]) : std::nullopt});
  }
  auto find = [&](const std::string& name) -> std::ptrdiff_t {
    for (std::size_t k = 0; k < norms.size(); ++k)
      if (norms[k].name == name) return static_cast<std::ptrdiff_t>(k);
    return -1;
  };
  for (std::size_t k = 0; k < norms.size(); ++k)
    y.indicators.push_back({"access_" + norms[k].name + "_pct", y.sites[k] ? pct(y.parcel_coverage[k].served) : std::nullopt});
  const std::pair<const char*, const char*> named[] = {{"park_500m_pct", "park"},
                                                       {"green_300m_pct", "green"},
                                                       {"greenway_access_pct", "greenway"},
                                                       {"metro_800m_pct", "metro"},
                                                       {"fire_5min_pct", "fire"}};
  for (const auto& [col, cls] : named) {
    const auto k = find(cls);
    y.indicators.push_back({col, k >= 0 && y.sites[static_cast<std::size_t>(k)] ? pct(y.parcel_coverage[static_cast<std::size_t>(k)].served) : std::nullopt});
  }
  // Capacity-aware supply: resident-weighted mean of the home points' 2SFCA values.
  for (std::size_t k = 0; k < norms.size(); ++k) {
    if (!norms[k].sfca) continue;
    std::optional<double> v;
    if (y.sites[k] && population > 0) {
      double sum = 0;  // serial, fixed order: deterministic
      const auto& supply = y.coverage.classes[k].supply;
      for (std::size_t i = 0; i < supply.size(); ++i) sum += supply[i] * y.point_residents[i];
      v = sum / static_cast<double>(population);
    }
    y.indicators.push_back({"supply_" + norms[k].name + "_per_1000", v});
  }
  double park_m2 = 0;
  for (const auto& f : c.facilities)
    for (const auto& cls : f.classes)
      if (cls == "park") park_m2 += f.area_m2;
  y.indicators.push_back({"park_m2_per_capita", population ? std::optional<double>(park_m2 / static_cast<double>(population)) : std::nullopt});
  double gw = 0;
  for (const auto& g : c.greenways) gw += geo::length(g.line);
  y.indicators.push_back({"greenway_km", gw / 1000});
  // Population: households, housing and schools.
  const auto& pr = y.population;
  auto pop = [&](const char* name, double v) { y.indicators.push_back({name, pr.ran ? std::optional<double>(v) : std::nullopt}); };
  pop("households", static_cast<double>(pr.households));
  pop("unplaced_households", static_cast<double>(pr.unplaced_households));
  pop("dwelling_units", static_cast<double>(pr.units));
  pop("mean_age", pr.mean_age);
  pop("births", static_cast<double>(pr.births));
  pop("deaths", static_cast<double>(pr.deaths));
  pop("net_migration", static_cast<double>(pr.in_migrants) - static_cast<double>(pr.out_migrants));
  pop("movers", static_cast<double>(pr.movers));
  {
    // School seats (primary and middle schools open this year) minus children aged 6-14.
    double seats = 0;
    for (const auto& n : norms) {
      if (n.name != "primary_school" && n.name != "middle_school") continue;
      for (const auto& f : c.facilities)
        for (const auto& cls : f.classes)
          if (std::find(n.sources.begin(), n.sources.end(), cls) != n.sources.end()) {
            seats += f.capacity >= 0 ? f.capacity : n.default_capacity;
            break;
          }
    }
    pop("school_seat_balance", seats - static_cast<double>(pr.children_6_14));
  }
  const auto& t = y.traffic;
  auto traffic = [&](const char* name, double v) { y.indicators.push_back({name, t.ran ? std::optional<double>(v) : std::nullopt}); };
  traffic("mean_commute_min", t.mean_commute_min);
  traffic("green_mode_share_pct", t.green_share_pct);
  traffic("congestion_index", t.congestion_index);
  traffic("vkt_million", t.vkt_million);
  traffic("assignment_relative_gap", t.relative_gap);
}

}  // namespace ut::sim
