#pragma once
// Where to build (`urbantwin site-select`, docs/site-select.md): choose K sites of one coverage
// class, given the existing sites, at the population of one simulated year, that maximise
//  - coverage: the residents newly served within the class's threshold (the maximal covering
//    location problem; lazy greedy and swap search, siting/covering.hpp), or
//  - supply: the residents whose 2SFCA supply newly meets the city profile's per-1,000 norm for
//    the class, each new site with the class's standard capacity (greedy and swap search,
//    siting/supply.hpp).
// One bounded search per candidate (coverage::SiteReach) gives the home points it would reach.
// Pure computation over the simulation's state: no I/O.
#include <cstdint>
#include <string>
#include <vector>

#include "city/city.hpp"
#include "geo/geometry.hpp"
#include "scenario/scenario.hpp"
#include "sim/simulation.hpp"
#include "siting/covering.hpp"
#include "siting/supply.hpp"

namespace ut::siting {

struct Candidate {
  std::int64_t id = 0;          // parcel id (parcel candidates) or the feature's id in its layer
  std::int64_t parcel_id = -1;  // the parcel it stands for; -1 for a layer's points
  geo::Point xy;                // in the run's CRS
};

enum class Objective { coverage, supply };
const char* objective_name(Objective o);  // "coverage", "supply"

struct Options {
  std::string cls;          // coverage class (a norm's name)
  Objective objective = Objective::coverage;
  std::size_t count = 1;    // K
  int year = 0;             // 0: the base year
  bool from_layer = false;  // candidates given (layer) instead of one per parcel with residents
  std::vector<Candidate> layer_candidates;
  std::string candidates_what = "parcels";  // for messages: "parcels" or FILE[:LAYER]
};

struct Site {
  std::size_t rank = 0;  // 1..K
  Candidate candidate;
  std::uint64_t gain = 0;        // residents newly served (supply: newly meeting the norm) given the ranks before
  std::uint64_t cumulative = 0;  // ranks 1..rank together
};

// The capacity norm of the supply objective: a [[compliance]] norm of the city profile on the
// class's 2SFCA supply (`supply_<class>_per_1000 >= target`).
struct SupplyNorm {
  std::string indicator;      // supply_<class>_per_1000
  std::string op;             // ">=" or ">"
  double target = 0;          // capacity per 1,000 residents
  std::string source;         // the norm's clause and source, as the profile gives them
  double site_capacity = 0;   // a new site's capacity: the class's default (profile [facility_capacity])
  std::string capacity_unit;  // "seats", "residents served"
  double catchment = 0;       // 2SFCA catchment, in the class's unit
};

struct Result {
  std::string cls;
  Objective objective = Objective::coverage;
  std::vector<std::string> facility_classes;  // what an added facility must be to serve the class
  int year = 0;
  double threshold = 0;             // in the class's unit (metres walk, seconds drive)
  std::string unit;                 // "m" or "s"
  std::uint64_t residents = 0;      // all residents that year
  std::uint64_t served_before = 0;  // within the threshold of an existing site (supply: meeting the norm)
  SupplyNorm norm;                  // supply objective only
  std::size_t candidates = 0, candidates_attached = 0, candidates_useful = 0;
  std::vector<Site> sites;
  // The covering problem solved: elements are home points (weight: residents not yet served),
  // problem candidates are `usable` (candidates that would newly serve someone), in input order.
  Problem problem;               // coverage objective
  SupplyProblem supply_problem;  // supply objective: elements are home points (weight: residents not meeting the norm)
  std::vector<Candidate> usable;
  std::uint64_t greedy_total = 0;
  std::size_t swaps = 0, evaluations = 0;
  std::size_t starts = 1, best_start = 0;  // supply: greedy + swap runs, and the one kept (0: plain greedy)
  double seconds_simulate = 0, seconds_search = 0, seconds_choose = 0;
};

// Simulates base_year..year of the scenario, then chooses. Bad options (unknown class with the
// nearest suggested, a year outside the scenario, K < 1 or more than the candidates that can
// serve anyone; supply for a class without 2SFCA, a capacity or a norm in the profile) throw
// core::InputError naming the option; `scenario` names the file in messages.
Result select(const scenario::Scenario& s, const city::City& plan, const Options& o);

// select() on a simulation already stepped to the options' year (`y`: that year's result), so
// that a caller who opened the scenario through the engine API chooses without simulating again.
// seconds_simulate is left 0 (the caller's).
Result select_at(const scenario::Scenario& s, const city::City& plan, const sim::Simulation& simulation,
                 const sim::YearResult& y, const Options& o);

// The class's index in s.norms, or InputError naming --class with the nearest class suggested.
std::size_t class_index(const scenario::Scenario& s, const std::string& cls);

// "coverage" or "supply", or InputError naming --objective (and `file`) with the nearest suggested.
Objective parse_objective(const std::string& name, const std::string& file);

// The supply objective's norm for class k, or InputError naming --objective: the class must
// have 2SFCA, a positive default capacity and a `supply_<class>_per_1000` norm (>= or >) in the
// city profile's [[compliance]].
SupplyNorm supply_norm(const scenario::Scenario& s, std::size_t k);

}  // namespace ut::siting
