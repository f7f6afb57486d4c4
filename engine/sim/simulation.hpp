#pragma once
// The simulation: owns the state of one scenario run and steps it year by year through fixed,
// named phases (docs/architecture.md, "The yearly loop"):
//   interventions -> networks/attach (when roads or greenways changed) -> access (when sites or
//   networks changed) -> population -> coverage -> traffic -> indicators.
#include <array>
#include <functional>
#include <memory>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "city/city.hpp"
#include "graph/entry.hpp"
#include "geo/segment_index.hpp"
#include "graph/graph.hpp"
#include "homes/homes.hpp"
#include "models/coverage/coverage.hpp"
#include "models/traffic/assign.hpp"
#include "models/population/population.hpp"
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
  int assignment_iterations = 0;  // Algorithm B's outer iterations, summed over the feedback loops
  std::vector<std::uint32_t> parcel_zone;  // per parcel: its traffic zone
  std::vector<double> zone_commute_min;    // per zone: mean door-to-door time of the trips it produces
};

// The population model's outcome for one year.
struct PopulationResult {
  bool ran = false;
  std::uint64_t persons = 0, households = 0, units = 0, unplaced_households = 0, children_6_14 = 0;
  std::uint64_t births = 0, deaths = 0, in_migrants = 0, out_migrants = 0, movers = 0, placed = 0, refused_households = 0;
  std::uint64_t households_formed = 0, control_total = 0;
  std::int64_t change = 0;  // persons now minus persons the year before
  double mean_age = 0;
  int rounds = 0;
  std::vector<std::uint32_t> households_per_parcel, units_per_parcel, occupied_per_parcel, children_per_parcel;
};

// One class's coverage of each parcel, from its home points (docs/access.md, "Shares").
struct ParcelCoverage {
  std::vector<std::uint32_t> served;  // residents whose home point is within the class's threshold
  std::vector<double> share;          // served / residents; without residents, the share of the point weights
  std::vector<std::uint32_t> cost;    // weighted median cost over the points; kUnreached beyond the search bound
  std::vector<double> supply;         // 2SFCA: resident-weighted mean over the points; empty if the class has none
};

// Results of one simulated year, as plain data for the writers and the viewer.
struct YearResult {
  int year = 0;
  std::vector<Indicator> indicators;
  coverage::Result coverage;       // per class (same order as the scenario's norms), per home point
  std::vector<ParcelCoverage> parcel_coverage;  // per class, per parcel
  std::vector<std::size_t> sites;  // per class: number of serving sites
  std::vector<std::uint32_t> point_residents;   // per home point
  std::vector<std::uint8_t> point_tier_ok[3];   // per home point: every class of the tier within reach
  std::vector<double> tier_share[3];            // per parcel: share of residents passing the 5-, 10-, 15-minute tier
  std::vector<std::uint32_t> tier_served[3];    // per parcel: residents passing the tier
  std::vector<std::uint32_t> residents;  // per parcel
  std::vector<std::string> land_use;     // per parcel, after this year's rezonings
  std::vector<double> floor_area_m2;     // per parcel, after this year's rezonings
  TrafficResult traffic;
  PopulationResult population;
  std::vector<std::pair<std::string, double>> phase_seconds;
};

struct NetworkStats {
  std::size_t walk_nodes = 0, walk_edges = 0, drive_nodes = 0, drive_edges = 0;
  std::size_t walk_parts = 0, walk_fragments = 0;  // connected parts; those below homes.min_fragment_m
  double walk_fragment_m = 0;
  std::size_t drive_parts = 0, drive_fragments = 0;
  double drive_fragment_m = 0;
  std::size_t home_points = 0;
  std::size_t points_unattached_walk = 0, points_blocked_walk = 0;  // no usable street; of those, behind a barrier
  std::size_t points_unattached_drive = 0, points_blocked_drive = 0;
  std::size_t parcels_unattached_walk = 0, parcels_unattached_drive = 0;  // parcels with no attached home point
  std::size_t sites_unattached = 0;
};

// Where residents cannot be served, for the notes (docs/access.md, "Notes"): counted over the
// home points of the year they describe.
struct AccessGaps {
  int year = 0;
  std::uint64_t residents_unattached_walk = 0, residents_blocked_walk = 0;
  std::vector<std::int64_t> parcels_unattached_walk;  // first ids of parcels with residents at unattached points
  std::size_t parcels_unattached_walk_total = 0;
  std::uint64_t residents_unattached_drive = 0;
  struct ClassGap {
    std::string name;
    std::uint64_t residents_without_site = 0;  // attached, on a network part with no site of the class
    std::size_t parts_without_site = 0;
    std::vector<std::int64_t> parcels;         // first parcels concerned
    std::size_t parcels_total = 0;
    std::vector<std::int64_t> sites_unattached;  // facility (or greenway) ids that could not be attached
    std::size_t sites_blocked = 0;               // of those, with a nearer street behind a barrier
  };
  std::vector<ClassGap> classes;
};

class Simulation {
 public:
  // `plan` is the city with every scenario intervention tagged with its years (gis_io::load_city).
  Simulation(const scenario::Scenario& s, const city::City& plan);

  // The base year's networks (what `validate` reports); step_base_year calls it when needed.
  void build_networks();
  // The base year: synthetic population, coverage, traffic, indicators.
  YearResult step_base_year();
  // The next year: interventions, population, traffic, coverage, indicators.
  YearResult step_next_year();
  // Every year from base_year to end_year.
  std::vector<YearResult> run(const std::function<void(int)>& on_year = {});

  // Called with each named phase's name when it starts (a command's progress bar); empty: none.
  void set_phase_observer(std::function<void(const std::string& phase)> f) { phase_observer_ = std::move(f); }

  const NetworkStats& network_stats() const { return stats_; }
  // Where residents live (fixed for the run) and where the notes' figures come from.
  const homes::HomePoints& home_points() const { return homes_; }
  const std::vector<graph::EntryPoint>& home_walk_entries() const { return access_in_.point_walk; }
  // The current year's coverage input: networks, home points' entries and residents, each class's
  // sites (what site selection searches from).
  const coverage::Input& access_input() const { return access_in_; }
  // Sites of class k (norms order) at these points, attached to the class's network exactly as
  // the year's point facilities are (snap::kSiteM, barriers, usable parts): an added facility at
  // one of the points gets these entries. A point with no street within reach gets none.
  std::vector<coverage::Site> attach_points(std::size_t k, const std::vector<geo::Point>& points) const;
  // The city as it stands in the year last stepped (after its interventions and rezonings), its
  // networks' usable parts and the barriers home points and sites attach across (an edit
  // session starts from these).
  const city::City& city() const { return city_; }
  const graph::Parts& walk_parts() const { return walk_parts_; }
  const graph::Parts& drive_parts() const { return drive_parts_; }
  const geo::SegmentIndex* barriers() const { return barriers_.get(); }
  // Wall seconds per phase, summed over the years so far, in the order phases first ran.
  const std::vector<std::pair<std::string, double>>& phase_seconds() const { return seconds_; }
  // KiB by which each phase raised the process's peak resident memory, summed over the years so
  // far (the phases of phase_seconds()); the peak before the first phase (loading and what came
  // before it): timings.json's phase_peak_rss_added_mib.
  const std::vector<std::pair<std::string, std::uint64_t>>& phase_peak_added_kib() const { return peak_added_; }
  std::uint64_t peak_before_phases_kib() const { return peak_before_phases_; }
  std::vector<std::string> notes() const;

  // Cost unit of a class's values: metres (walk) or seconds (drive).
  static double cost_to_unit(const scenario::Norm& n, std::uint32_t cost);
  // The class's pass threshold in its network's cost unit.
  static std::uint32_t threshold(const scenario::Norm& n);
  // How far the class's search goes, in the same unit: beyond it a cost is unmeasured (kUnreached).
  static std::uint32_t search_bound(const scenario::Norm& n);

 private:
  const scenario::Scenario& scenario_;
  const city::City& plan_;
  city::City city_;
  int year_ = 0;
  bool networks_built_ = false;
  graph::Graph walk_, drive_;
  std::vector<bool> walk_main_, drive_main_;  // edges of the largest connected component (traffic zones)
  graph::Parts walk_parts_, drive_parts_;     // connected parts; `usable` excludes tiny fragments
  std::vector<graph::EntryPoint> parcel_walk_, parcel_drive_;  // parcel centroids: traffic zones only
  homes::HomePoints homes_;
  std::unique_ptr<geo::SegmentIndex> barriers_;                // null: no barriers layer
  bool any_drive_class_ = false;
  NetworkStats stats_;
  struct SiteGap {
    std::vector<std::int64_t> ids;
    std::size_t blocked = 0;
  };
  std::vector<SiteGap> site_gaps_;  // per class, from the last refresh_sites()
  std::vector<std::pair<std::string, double>> seconds_;
  // KiB the process's peak resident memory rose during each phase, summed over the years (same
  // order as seconds_); and the peak before the first phase.
  std::vector<std::pair<std::string, std::uint64_t>> peak_added_;
  std::uint64_t peak_before_phases_ = 0;
  std::function<void(const std::string&)> phase_observer_;
  std::vector<std::pair<std::string, double>>* year_seconds_ = nullptr;
  std::vector<std::pair<std::string, std::size_t>> no_data_;  // classes without a reachable site, and their facilities
  bool no_facilities_ = false;                                // no facility of any class at all
  std::set<std::string> notes_;

  // Population state and what it needs from the other models.
  population::Params params_;
  population::State pop_;
  std::array<std::array<double, population::kAgeBands>, population::kSizes> size_by_age_{};
  std::vector<double> units_exact_;  // per parcel, before rounding down
  geo::Point centre_;                // resident-weighted centre of the base year (price proxy)
  std::uint64_t base_population_ = 0;
  coverage::Input access_in_;  // holds the home points' entries (point_walk, point_drive) too
  coverage::Result access_;  // coverage of the current sites and networks (movers' access)
  // Nearest-site costs do not depend on residents: access_'s costs stay valid until the networks
  // or the sites change (each change bumps sites_version_); only 2SFCA is computed again.
  std::uint64_t sites_version_ = 0;
  std::uint64_t costs_version_ = ~std::uint64_t{0};  // the sites_version_ access_ was computed at
  TrafficResult last_traffic_;
  // Algorithm B's bushes from the last assignment: the next feedback loop and the next year start
  // from them while the drive network is unchanged (docs/traffic.md, "Warm start").
  traffic::WarmStart traffic_warm_;
  // The last year's final link costs and the network they belong to (same nodes, first through
  // node and links): with traffic.feedback_from_last_year the next year's first car skim uses them.
  struct LastCosts {
    std::uint32_t node_count = 0, first_thru = 0;
    std::vector<std::uint32_t> tail, head;
    std::vector<double> cost;
  } traffic_last_costs_;
  // The traffic phase's walk distances (dm, kUnreached: none) between the zones' representative
  // parcels, kept while the walk network is unchanged (walk_version_, bumped by build_networks): a
  // year searches again only from and to the zones whose representative changed (traffic.cpp).
  std::uint64_t walk_version_ = 0;
  struct WalkSkim {
    std::uint64_t version = ~std::uint64_t{0};
    bool symmetric = false;  // every walk edge costs the same both ways
    std::vector<std::int64_t> rep;
    std::vector<std::uint32_t> dm;
  } walk_skim_;

  template <class F>
  void timed(const std::string& name, F&& f);
  void attach_parcels();
  void attach_homes();
  void spread_residents(YearResult& y);
  void aggregate(YearResult& y) const;
  AccessGaps find_gaps() const;
  void refresh_sites();  // access_in_.classes from this year's facilities and greenways
  void apply_rezonings(int year);
  std::uint64_t control_total(int year) const;
  population::ParcelUtility parcel_utility() const;
  void population_phase(YearResult& y);
  void finish_year(YearResult& y);
  void traffic_phase(YearResult& y);  // sim/traffic.cpp
};

}  // namespace ut::sim
