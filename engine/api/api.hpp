#pragma once
// The public engine API (docs/api.md): open a scenario, step its years and read the results
// (Model), and an edit session on one simulated year that answers coverage and indicators
// incrementally (Session). The CLI, batch, the viewer and the tests drive the engine through it.
//
// Errors: bad input (a scenario, a layer, an edit's argument) throws core::InputError naming the
// file or argument, the rule and the bad value; an edit that throws changes nothing.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "city/city.hpp"
#include "geo/geometry.hpp"
#include "scenario/scenario.hpp"
#include "sim/simulation.hpp"

namespace ut::api {

struct OpenOptions {
  std::vector<std::string> set;        // "key=value" overrides of the scenario's scalar keys (`--set`), in order
  std::optional<std::uint64_t> seed;   // replaces the scenario's seed (after `set`)
  // Further overrides, applied after `set` and `seed` (the CLI passes `--seed` as typed here, so
  // that a bad value is reported as the user wrote it).
  std::vector<scenario::Override> overrides;
  // Simulate to this year instead of the scenario's end_year (`run --until`); must lie in
  // base_year..end_year (InputError naming "option --until" otherwise).
  std::optional<int> until;
};

class Session;

// One scenario: its profile and layers (read with GDAL), and the Simulation that steps it.
class Model {
 public:
  // The scenario file with the options' overrides applied (no layers read): lets a command check
  // its outputs before any work, then open(load(...)).
  static scenario::Scenario load(const std::filesystem::path& scenario, const OpenOptions& options = {});
  // Loads the scenario and its layers. core::InputError on bad input (exit 2).
  static Model open(const std::filesystem::path& scenario, const OpenOptions& options = {});
  // Loads the layers of a scenario already loaded.
  static Model open(scenario::Scenario s);
  // A city given as data (tests, benchmarks): `plan` as gis_io::load_city would return it.
  static Model from(scenario::Scenario s, city::City plan);

  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;
  ~Model();

  const scenario::Scenario& scenario() const;
  // The city with every scenario intervention tagged with its years (as loaded).
  const city::City& plan() const;
  double load_seconds() const;  // reading the layers (0 for from())
  int base_year() const;
  int end_year() const;
  int year() const;  // last simulated year (base_year() - 1 before the first step)
  bool done() const { return year() >= end_year(); }

  // Builds the base year's networks without simulating (what `validate` reports); step() does it
  // when needed.
  void build_networks();
  // Simulates the next year: the base year first. Throws std::logic_error after end_year.
  const sim::YearResult& step();
  // The last simulated year's results (step() at least once).
  const sim::YearResult& last() const;
  // Steps to end_year; on_year(year) before each.
  std::vector<sim::YearResult> run(const std::function<void(int)>& on_year = {});

  // An edit session on the last simulated year's state (step() at least once). `history`: the
  // most edits undo() can revert (older ones stay applied; reset() still reverts them). The
  // session refers to this Model, which must outlive it and not step while it is in use.
  Session session(std::size_t history = 64) const;

  // Called with each named phase's name when it starts (a progress bar).
  void set_phase_observer(std::function<void(const std::string& phase)> f);
  // The simulation itself, read-only: network statistics, notes, home points, phase times.
  const sim::Simulation& simulation() const;

 private:
  struct Impl;
  explicit Model(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  friend class Session;
};

using EditId = std::uint32_t;

// What the last edit (or undo) changed, for the HUD.
struct Delta {
  std::string class_name;                    // the class the edit concerned ("" for road closures and rezonings: several or none)
  std::int64_t residents_newly_served = 0;   // residents within the class's threshold now minus before (may be < 0)
  std::vector<std::size_t> parcels_changed;  // parcel indices whose any shown value changed, ascending
  bool traffic_stale = false;                // a road closure: traffic indicators are still the year's (not re-solved)
};

// One simulated year's state taking edits. Residents stay where the year put them (they respond
// in the next years of a full run); traffic is not re-solved. Results after any sequence of
// edits and undos equal a full recomputation on the edited city, bit for bit.
class Session {
 public:
  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  ~Session();

  int year() const;
  const std::vector<std::string>& classes() const;  // coverage classes, norms order
  std::size_t parcels() const;
  std::int64_t parcel_id(std::size_t i) const;
  std::optional<std::size_t> parcel_at(geo::Point p) const;  // scenario CRS (projected metres); for taps
  geo::Point parcel_centroid(std::size_t i) const;

  // A facility of class `cls` (a coverage class: its facility classes, as site-select adds) at
  // `at`, with `capacity` (0: the class's default). InputError: unknown class, a point with no
  // usable street within reach, a capacity outside 0..1,000,000.
  EditId add_facility(const std::string& cls, geo::Point at, double capacity = 0);
  // The id of the facility an add_facility edit created (nullopt: not such an edit, or undone).
  std::optional<std::int64_t> added_facility_id(EditId e) const;
  // Closes a facility open this year: a mapped one or an added one (added_facility_id).
  EditId remove_facility(std::int64_t facility_id);
  // A greenway along `line` (scenario CRS, at least two points): joins the walk network.
  EditId add_greenway(const geo::LineString& line);
  // Closes road `road_id` to cars (to_all: to walking too), as [[close_road]] does.
  EditId close_road(std::int64_t road_id, bool to_all = false);
  // Gives parcel `parcel_id` a land use (a known one) and, when given, a floor area (as far =
  // floor_area_m2 / area, 0..100). Coverage does not change (residents are fixed in a session).
  EditId rezone(std::int64_t parcel_id, const std::string& land_use, std::optional<double> floor_area_m2 = {});

  bool undo();   // reverts the last edit; false when there is none (or the history limit dropped it)
  void reset();  // reverts every edit
  std::size_t edit_count() const;  // edits in effect
  const Delta& last_delta() const;

  // Current values (after the edits): the same definitions and order as sim::YearResult.
  const std::vector<sim::Indicator>& indicators() const;
  const sim::ParcelCoverage& parcel_coverage(std::size_t cls) const;
  const std::vector<double>& tier_share(int tier) const;  // tier 0,1,2 = 5,10,15 minutes, per parcel
  // Everything at once: the year's result with the edits applied (traffic and population as the
  // year's).
  const sim::YearResult& result() const;
  const city::City& city() const;  // the year's city with the edits

  // The same values computed from scratch from the edited city (networks, sites, coverage,
  // shares, indicators): what the incremental answers must equal. Slow (a full coverage pass).
  sim::YearResult recomputed() const;

  // The edits as a what-if scenario (interventions dated to year()) that `urbantwin run` accepts;
  // written through core::Staging: `out` may replace only an earlier saved session scenario with
  // `overwrite`, never an input. The scenario's own paths are made absolute.
  void save_scenario(const std::filesystem::path& out, bool overwrite = false) const;
  std::string scenario_toml() const;  // what save_scenario writes

 private:
  struct Impl;
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  friend class Model;
};

}  // namespace ut::api
