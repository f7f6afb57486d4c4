#pragma once
// The simulation: owns the state of one scenario run and steps it through named phases.
// So far the base year only: networks -> attach -> coverage -> indicators.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "city/city.hpp"
#include "graph/entry.hpp"
#include "graph/graph.hpp"
#include "models/coverage/coverage.hpp"
#include "scenario/scenario.hpp"

namespace ut::sim {

struct Indicator {
  std::string name;
  std::optional<double> value;  // nullopt: no data (written as an empty cell)
};

// The traffic model's outcome for one year: per directed road link of the drive network (zone
// connectors left out), and the zone-level summary the indicators use.
struct TrafficResult {
  bool ran = false;
  std::vector<std::uint32_t> edge;     // drive-graph edge
  std::vector<std::uint8_t> reverse;   // 1: the link runs v -> u along the edge
  std::vector<std::int64_t> road_id;   // id of the road it lies on
  std::vector<double> capacity, volume, time_ff_min, time_min, length_m;
  std::vector<geo::LineString> line;   // tail -> head
  std::size_t zones = 0, links = 0;
  double person_trips = 0, mode_trips[3] = {0, 0, 0};  // car, transit, walk/bike (peak hour)
  double mean_commute_min = 0, green_share_pct = 0, congestion_index = 0, vkt_million = 0;
  double relative_gap = 0;
  int assignment_iterations = 0;
};

// Results of one simulated year, as plain data for the writers and the viewer.
struct YearResult {
  int year = 0;
  std::vector<Indicator> indicators;
  coverage::Result coverage;       // per class (same order as the scenario's norms)
  std::vector<std::size_t> sites;  // per class: number of serving sites
  std::vector<std::uint8_t> tier_ok[3];  // per parcel: covered at the 5-, 10-, 15-minute tier
  TrafficResult traffic;
};

struct NetworkStats {
  std::size_t walk_nodes = 0, walk_edges = 0, drive_nodes = 0, drive_edges = 0;
  std::size_t parcels_unattached_walk = 0, parcels_unattached_drive = 0;
  std::size_t sites_unattached = 0;
};

class Simulation {
 public:
  Simulation(const scenario::Scenario& s, const city::City& c);

  // Phases, in order; each records its wall time under its name.
  void build_networks();
  YearResult step_base_year();

  const NetworkStats& network_stats() const { return stats_; }
  const std::vector<std::pair<std::string, double>>& phase_seconds() const { return seconds_; }
  std::vector<std::string> notes() const;

  // Cost unit of a class's values: metres (walk) or seconds (drive).
  static double cost_to_unit(const scenario::Norm& n, std::uint32_t cost);
  // The class's pass threshold in its network's cost unit.
  static std::uint32_t threshold(const scenario::Norm& n);

 private:
  const scenario::Scenario& scenario_;
  const city::City& city_;
  graph::Graph walk_, drive_;
  std::vector<bool> walk_main_, drive_main_;  // edges of the largest connected component
  std::vector<graph::EntryPoint> parcel_walk_, parcel_drive_;
  NetworkStats stats_;
  std::vector<std::pair<std::string, double>> seconds_;
  std::vector<std::string> no_data_;

  coverage::Input coverage_input();
  void traffic_phase(YearResult& y);  // sim/traffic.cpp
};

}  // namespace ut::sim
