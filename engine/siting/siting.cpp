#include "siting/siting.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "core/error.hpp"
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

namespace {
// The options checked against the scenario; r's class, facility classes and year set.
Result checked(const scenario::Scenario& s, const Options& o) {
  const std::size_t k = class_index(s, o.cls);
  const auto& norm = s.norms[k];
  Result r;
  r.cls = o.cls;
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
  const auto& cost = y.coverage.classes[k].cost;
  const auto& residents = y.point_residents;
  Problem prob;
  prob.weight.resize(residents.size());
  for (std::size_t p = 0; p < residents.size(); ++p) {
    r.residents += residents[p];
    const bool served = cost[p] != graph::kUnreached && cost[p] <= threshold;
    if (served) r.served_before += residents[p];
    prob.weight[p] = served ? 0 : residents[p];
  }

  const std::vector<Candidate> all =
      o.from_layer ? o.layer_candidates : parcel_candidates(plan, simulation.home_points(), entries, y.residents);
  r.candidates = all.size();
  std::vector<geo::Point> xy;
  for (const auto& c : all) xy.push_back(c.xy);
  const auto sites = simulation.attach_points(k, xy);
  // One bounded search per candidate, in parallel; each result lands in its candidate's slot, so
  // the problem is the same for any thread count.
  const coverage::SiteReach reach(g, entries);
  std::vector<std::vector<std::uint32_t>> covers(all.size());
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, all.size(), 8), [&](const auto& range) {
    for (std::size_t i = range.begin(); i != range.end(); ++i) {
      if (sites[i].entries.empty()) continue;
      for (const auto& [p, c] : reach.points_within(sites[i], threshold))
        if (prob.weight[p] > 0) covers[i].push_back(p);
    }
  });
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (!sites[i].entries.empty()) ++r.candidates_attached;
    if (covers[i].empty()) continue;
    prob.covers.push_back(std::move(covers[i]));
    r.usable.push_back(all[i]);
  }
  r.candidates_useful = r.usable.size();
  r.seconds_search = since(t);
  if (o.count > r.usable.size())
    throw core::InputError(
        core::Where{o.from_layer ? o.candidates_what : s.file.string(), "", "option --count"},
        fmt::format(
            "must be at most the candidates that would newly serve residents ({} of {} candidates, {} attached to "
            "the {} network)",
            r.usable.size(), r.candidates, r.candidates_attached, drive ? "drive" : "walk"),
        std::to_string(o.count));

  t = Clock::now();
  const Solution sol = solve(prob, o.count);
  r.seconds_choose = since(t);
  r.greedy_total = sol.greedy_total;
  r.swaps = sol.swaps;
  r.evaluations = sol.evaluations;
  std::uint64_t cum = 0;
  for (std::size_t i = 0; i < sol.chosen.size(); ++i) {
    cum += sol.gain[i];
    r.sites.push_back({i + 1, r.usable[sol.chosen[i]], sol.gain[i], cum});
  }
  r.problem = std::move(prob);
  return r;
}

}  // namespace ut::siting
