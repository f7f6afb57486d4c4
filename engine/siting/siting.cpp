#include "siting/siting.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "core/error.hpp"
#include "core/fixed_point.hpp"
#include "core/suggest.hpp"
#include "sim/simulation.hpp"

namespace ut::siting {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// One candidate per parcel with residents: the parcel's home point nearest its street on the
// class's network (smallest access leg; ties to the earlier point), i.e. inside the block and
// next to the street it is entered from.
std::vector<Candidate> parcel_candidates(const city::City& c, const homes::HomePoints& h,
                                         const std::vector<graph::EntryPoint>& entries,
                                         const std::vector<std::uint32_t>& residents) {
  std::vector<Candidate> out;
  for (std::size_t p = 0; p < h.parcels(); ++p) {
    if (residents[p] == 0) continue;
    std::uint32_t best = graph::kUnreached;
    for (std::uint32_t i = h.offset[p]; i < h.offset[p + 1]; ++i) {
      if (entries[i].edge == graph::kUnreached) continue;
      if (best == graph::kUnreached || entries[i].leg < entries[best].leg) best = i;
    }
    if (best == graph::kUnreached) continue;
    out.push_back({c.parcels.id[p], c.parcels.id[p], h.xy[best]});
  }
  return out;
}

}  // namespace

std::size_t class_index(const scenario::Scenario& s, const std::string& cls) {
  std::vector<std::string> names;
  for (std::size_t k = 0; k < s.norms.size(); ++k) {
    if (s.norms[k].name == cls) return k;
    names.push_back(s.norms[k].name);
  }
  const std::string near = core::nearest(cls, names);
  const std::string all = fmt::format("{}", fmt::join(names, ", "));
  throw core::InputError(core::Where{s.file.string(), "", "option --class"},
                         near.empty() ? "must be a coverage class of the scenario: " + all
                                      : "must be a coverage class of the scenario; did you mean '" + near + "'?",
                         cls);
}

const char* objective_name(Objective o) { return o == Objective::supply ? "supply" : "coverage"; }

Objective parse_objective(const std::string& name, const std::string& file) {
  if (name == "coverage") return Objective::coverage;
  if (name == "supply") return Objective::supply;
  const std::string near = core::nearest(name, {"coverage", "supply"});
  throw core::InputError(
      core::Where{file, "", "option --objective"},
      near.empty() ? "must be coverage or supply" : "must be coverage or supply; did you mean '" + near + "'?", name);
}

SupplyNorm supply_norm(const scenario::Scenario& s, std::size_t k) {
  const auto& n = s.norms.at(k);
  const core::Where where{s.file.string(), "", "option --objective"};
  if (!n.sfca || n.catchment_m <= 0) {
    std::vector<std::string> with;
    for (const auto& m : s.norms)
      if (m.sfca && m.catchment_m > 0) with.push_back(m.name);
    throw core::InputError(
        where,
        fmt::format("supply needs a class with 2SFCA supply (a catchment); {} has none (classes "
                    "with one: {})",
                    n.name, with.empty() ? std::string("none") : fmt::format("{}", fmt::join(with, ", "))),
        "supply");
  }
  SupplyNorm out;
  out.indicator = "supply_" + n.name + "_per_1000";
  const scenario::ComplianceNorm* c = nullptr;
  for (const auto& x : s.profile.compliance)
    if (x.indicator == out.indicator && (x.op == scenario::CompareOp::ge || x.op == scenario::CompareOp::gt)) {
      c = &x;
      break;
    }
  if (c == nullptr)
    throw core::InputError(where,
                           fmt::format("supply needs the city profile ({}) to set the class's capacity norm: a "
                                       "[[compliance]] table with indicator = \"{}\", op = \">=\" and its target "
                                       "(e.g. 30 seats per 1,000 residents)",
                                       s.profile.file.string(), out.indicator),
                           "supply");
  if (!(n.default_capacity > 0))
    throw core::InputError(where,
                           fmt::format("supply needs a standard capacity for a new {} site: the city profile's "
                                       "[facility_capacity] {} ({})",
                                       n.name, n.name, s.profile.file.string()),
                           "supply");
  if (!(c->op == scenario::CompareOp::ge ? c->target <= core::kFixedMax : c->target < core::kFixedMax))
    throw core::InputError(
        where,
        fmt::format("supply needs a norm that a 2SFCA supply can meet (at most {}); the city "
                    "profile's ({}) is {} {} {}",
                    core::kFixedMax, s.profile.file.string(), out.indicator, scenario::op_text(c->op), c->target),
        "supply");
  out.op = scenario::op_text(c->op);
  out.target = c->target;
  out.source = c->clause + "; " + c->source;
  out.site_capacity = n.default_capacity;
  out.capacity_unit = n.capacity_unit;
  return out;
}

namespace {
// The options checked against the scenario; r's class, objective (and the supply norm),
// facility classes and year set.
Result checked(const scenario::Scenario& s, const Options& o) {
  const std::size_t k = class_index(s, o.cls);
  const auto& norm = s.norms[k];
  Result r;
  r.cls = o.cls;
  r.objective = o.objective;
  if (o.objective == Objective::supply) r.norm = supply_norm(s, k);
  for (const auto& src : norm.sources)
    if (src != "greenway") r.facility_classes.push_back(src);
  if (r.facility_classes.empty())
    throw core::InputError(core::Where{s.file.string(), "", "option --class"},
                           "must be a class served by facilities (greenways are lines, not sites)", o.cls);
  r.year = o.year == 0 ? s.base_year : o.year;
  if (r.year < s.base_year || r.year > s.end_year)
    throw core::InputError(
        core::Where{s.file.string(), "", "option --year"},
        fmt::format("must be a year the scenario simulates (base_year..end_year = {}..{})", s.base_year, s.end_year),
        std::to_string(r.year));
  if (o.count < 1)
    throw core::InputError(core::Where{s.file.string(), "", "option --count"}, "must be at least 1",
                           std::to_string(o.count));
  return r;
}
}  // namespace

Result select(const scenario::Scenario& s, const city::City& plan, const Options& o) {
  checked(s, o);
  // The population and the sites of the year: the simulation run to it.
  const auto t = Clock::now();
  sim::Simulation simulation(s, plan);
  sim::YearResult y = simulation.step_base_year();
  const int year = o.year == 0 ? s.base_year : o.year;
  while (y.year < year) y = simulation.step_next_year();
  Result r = select_at(s, plan, simulation, y, o);
  r.seconds_simulate = since(t) - r.seconds_search - r.seconds_choose;
  return r;
}

namespace {

// Coverage: each candidate's home points within the threshold that no existing site serves.
void covering_problem(const std::vector<coverage::Site>& sites, const coverage::SiteReach& reach,
                      const std::vector<std::uint32_t>& cost, std::uint32_t threshold,
                      const std::vector<std::uint32_t>& residents, Result& r, std::vector<std::uint8_t>& useful) {
  Problem& prob = r.problem;
  prob.weight.resize(residents.size());
  for (std::size_t p = 0; p < residents.size(); ++p) {
    const bool served = cost[p] != graph::kUnreached && cost[p] <= threshold;
    if (served) r.served_before += residents[p];
    prob.weight[p] = served ? 0 : residents[p];
  }
  // One bounded search per candidate, in parallel; each result lands in its candidate's slot, so
  // the problem is the same for any thread count.
  std::vector<std::vector<std::uint32_t>> covers(sites.size());
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, sites.size(), 8), [&](const auto& range) {
    for (std::size_t i = range.begin(); i != range.end(); ++i) {
      if (sites[i].entries.empty()) continue;
      for (const auto& [p, c] : reach.points_within(sites[i], threshold))
        if (prob.weight[p] > 0) covers[i].push_back(p);
    }
  });
  for (std::size_t i = 0; i < sites.size(); ++i) {
    if (covers[i].empty()) continue;
    prob.covers.push_back(std::move(covers[i]));
    useful[i] = 1;
  }
}

// Supply: today's 2SFCA supply of every home point, summed exactly as the run sums it; each
// point's shortfall to the norm; each candidate's contributions (coverage::site_contributions,
// at the class's standard capacity) to the points below the norm. Classic 2SFCA: a site's demand
// is the residents in its catchment, whichever other sites serve them, so contributions add up
// and a new site leaves the existing sites' contributions unchanged.
void supply_problem(const sim::Simulation& simulation, std::size_t k, const sim::YearResult& y,
                    const std::vector<coverage::Site>& sites, const coverage::SiteReach& reach, Result& r,
                    std::vector<std::uint8_t>& useful) {
  const auto& ci = simulation.access_input().classes.at(k);
  const std::uint32_t D = ci.spec.catchment;
  const auto& residents = y.point_residents;
  const std::size_t n = residents.size();
  // Saturating integer sums of non-negative addends: the same in any order.
  std::vector<std::int64_t> acc(n, 0);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, ci.sites.size(), 1), [&](const auto& range) {
    for (std::size_t j = range.begin(); j != range.end(); ++j) {
      const auto ball = reach.points_within(ci.sites[j], D);
      coverage::site_contributions(ci.sites[j], coverage::site_demand(ball, residents, D), ball, D,
                                   [&](std::uint32_t p, std::int64_t add) { core::add_saturating(acc[p], add); });
    }
  });
  const auto& supply = y.coverage.classes.at(k).supply;
  for (std::size_t p = 0; p < n; ++p)
    if (supply.size() != n || core::from_fixed(acc[p]) != supply[p])
      throw std::logic_error(fmt::format("siting: the 2SFCA supply of home point {} differs from the year's", p));

  // The smallest fixed-point supply that meets the norm, as the run compares it (a double).
  const bool strict = r.norm.op == ">";
  const auto meets = [&](std::int64_t raw) {
    const double v = core::from_fixed(raw);
    return strict ? v > r.norm.target : v >= r.norm.target;
  };
  if (!meets(core::kFixedMaxRaw)) throw std::logic_error("siting: the supply norm is beyond any 2SFCA supply");
  std::int64_t lo = -1, hi = core::kFixedMaxRaw;  // meets(hi), !meets(lo) (lo = -1: none below 0)
  while (hi - lo > 1) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    (meets(mid) ? hi : lo) = mid;
  }
  SupplyProblem& prob = r.supply_problem;
  prob.weight.assign(n, 0);
  prob.need.assign(n, 1);
  for (std::size_t p = 0; p < n; ++p) {
    if (acc[p] >= hi) {
      r.served_before += residents[p];
      continue;
    }
    prob.weight[p] = residents[p];
    prob.need[p] = hi - acc[p];
  }
  // One bounded search per candidate, in parallel, each into its own slot. A contribution above a
  // point's need counts as its need: the same points meet the norm, and sums stay small.
  std::vector<std::vector<SupplyAdd>> adds(sites.size());
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, sites.size(), 8), [&](const auto& range) {
    for (std::size_t i = range.begin(); i != range.end(); ++i) {
      if (sites[i].entries.empty()) continue;
      const auto ball = reach.points_within(sites[i], D);
      coverage::site_contributions(sites[i], coverage::site_demand(ball, residents, D), ball, D,
                                   [&](std::uint32_t p, std::int64_t add) {
                                     if (prob.weight[p] > 0 && add > 0)
                                       adds[i].push_back({p, std::min(add, prob.need[p])});
                                   });
    }
  });
  for (std::size_t i = 0; i < sites.size(); ++i) {
    if (adds[i].empty()) continue;
    prob.adds.push_back(std::move(adds[i]));
    useful[i] = 1;
  }
}

}  // namespace

Result select_at(const scenario::Scenario& s, const city::City& plan, const sim::Simulation& simulation,
                 const sim::YearResult& y, const Options& o) {
  Result r = checked(s, o);
  if (y.year != r.year)
    throw std::logic_error(fmt::format("siting::select_at: the simulation is at {}, the options ask for {}", y.year, r.year));
  const std::size_t k = class_index(s, o.cls);
  const auto& norm = s.norms[k];
  auto t = Clock::now();
  const auto& in = simulation.access_input();
  const bool drive = norm.network == scenario::Network::drive;
  const graph::Graph& g = drive ? *in.drive : *in.walk;
  const auto& entries = drive ? in.point_drive : in.point_walk;
  const std::uint32_t threshold = sim::Simulation::threshold(norm);
  r.threshold = sim::Simulation::cost_to_unit(norm, threshold);
  r.unit = std::string(drive ? "s" : "m");
  for (std::uint32_t n : y.point_residents) r.residents += n;

  const std::vector<Candidate> all =
      o.from_layer ? o.layer_candidates : parcel_candidates(plan, simulation.home_points(), entries, y.residents);
  r.candidates = all.size();
  std::vector<geo::Point> xy;
  for (const auto& c : all) xy.push_back(c.xy);
  const auto sites = simulation.attach_points(k, xy);
  for (const auto& site : sites) r.candidates_attached += !site.entries.empty();
  const coverage::SiteReach reach(g, entries);
  std::vector<std::uint8_t> useful(all.size(), 0);
  if (o.objective == Objective::supply) {
    r.norm.catchment = sim::Simulation::cost_to_unit(norm, in.classes[k].spec.catchment);
    supply_problem(simulation, k, y, sites, reach, r, useful);
  } else {
    covering_problem(sites, reach, y.coverage.classes[k].cost, threshold, y.point_residents, r, useful);
  }
  for (std::size_t i = 0; i < all.size(); ++i)
    if (useful[i]) r.usable.push_back(all[i]);
  r.candidates_useful = r.usable.size();
  r.seconds_search = since(t);
  if (o.count > r.usable.size())
    throw core::InputError(
        core::Where{o.from_layer ? o.candidates_what : s.file.string(), "", "option --count"},
        fmt::format(
            "must be at most the candidates that would {} ({} of {} candidates, {} attached to the {} network)",
            o.objective == Objective::supply ? "add supply to residents below the norm" : "newly serve residents",
            r.usable.size(), r.candidates, r.candidates_attached, drive ? "drive" : "walk"),
        std::to_string(o.count));

  t = Clock::now();
  const Solution sol =
      o.objective == Objective::supply
          ? supply_solve(r.supply_problem, o.count, supply_starts(o.count, r.supply_problem.adds.size()))
          : solve(r.problem, o.count);
  r.seconds_choose = since(t);
  r.greedy_total = sol.greedy_total;
  r.swaps = sol.swaps;
  r.evaluations = sol.evaluations;
  r.starts = sol.starts;
  r.best_start = sol.best_start;
  std::uint64_t cum = 0;
  for (std::size_t i = 0; i < sol.chosen.size(); ++i) {
    cum += sol.gain[i];
    r.sites.push_back({i + 1, r.usable[sol.chosen[i]], sol.gain[i], cum});
  }
  return r;
}

}  // namespace ut::siting
