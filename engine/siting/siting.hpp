#pragma once
// Where to build (`urbantwin site-select`, docs/site-select.md): choose K sites of one coverage
// class that maximise the residents newly served within the class's threshold, given the
// existing sites, at the population of one simulated year. One bounded search per candidate
// (coverage::SiteReach) gives the home points it would newly serve; then lazy greedy and swap
// search (siting/covering.hpp). Pure computation over the simulation's state: no I/O.
#include <cstdint>
#include <string>
#include <vector>

#include "city/city.hpp"
#include "geo/geometry.hpp"
#include "scenario/scenario.hpp"
#include "siting/covering.hpp"
#include "sim/simulation.hpp"

namespace ut::siting {

struct Candidate {
  std::int64_t id = 0;          // parcel id (parcel candidates) or the feature's id in its layer
  std::int64_t parcel_id = -1;  // the parcel it stands for; -1 for a layer's points
  geo::Point xy;                // in the run's CRS
};

struct Options {
  std::string cls;          // coverage class (a norm's name)
  std::size_t count = 1;    // K
  int year = 0;             // 0: the base year
  bool from_layer = false;  // candidates given (layer) instead of one per parcel with residents
  std::vector<Candidate> layer_candidates;
  std::string candidates_what = "parcels";  // for messages: "parcels" or FILE[:LAYER]
};

struct Site {
  std::size_t rank = 0;  // 1..K
  Candidate candidate;
  std::uint64_t gain = 0;        // residents newly served given the ranks before
  std::uint64_t cumulative = 0;  // ranks 1..rank together
};

struct Result {
  std::string cls;
  std::vector<std::string> facility_classes;  // what an added facility must be to serve the class
  int year = 0;
  double threshold = 0;             // in the class's unit (metres walk, seconds drive)
  std::string unit;                 // "m" or "s"
  std::uint64_t residents = 0;      // all residents that year
  std::uint64_t served_before = 0;  // within the threshold of an existing site
  std::size_t candidates = 0, candidates_attached = 0, candidates_useful = 0;
  std::vector<Site> sites;
  // The covering problem solved: elements are home points (weight: residents not yet served),
  // problem candidates are `usable` (candidates that would newly serve someone), in input order.
  Problem problem;
  std::vector<Candidate> usable;
  std::uint64_t greedy_total = 0;
  std::size_t swaps = 0, evaluations = 0;
  double seconds_simulate = 0, seconds_search = 0, seconds_choose = 0;
};

// Simulates base_year..year of the scenario, then chooses. Bad options (unknown class with the
// nearest suggested, a year outside the scenario, K < 1 or more than the candidates that can
// serve anyone) throw core::InputError naming the option; `scenario` names the file in messages.
Result select(const scenario::Scenario& s, const city::City& plan, const Options& o);

// select() on a simulation already stepped to the options' year (`y`: that year's result), so
// that a caller who opened the scenario through the engine API chooses without simulating again.
// seconds_simulate is left 0 (the caller's).
Result select_at(const scenario::Scenario& s, const city::City& plan, const sim::Simulation& simulation,
                 const sim::YearResult& y, const Options& o);

// The class's index in s.norms, or InputError naming --class with the nearest class suggested.
std::size_t class_index(const scenario::Scenario& s, const std::string& cls);

}  // namespace ut::siting
