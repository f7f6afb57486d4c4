#include "app/assign_cmd.hpp"

#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/progress.hpp"
#include "core/staging.hpp"
#include "models/traffic/assign.hpp"
#include "tntp/tntp.hpp"

namespace ut::app {

namespace {
// Numeric options: finite and within a readable range (main.cpp's CLI11 checks let nan through,
// and print the largest double in full when they refuse inf).
void check_option(const char* name, double v, double lo, bool lo_open, double hi, const char* range) {
  if (!std::isfinite(v) || (lo_open ? !(v > lo) : !(v >= lo)) || !(v <= hi))
    throw core::InputError(fmt::format("{}: must be {} (got {})", name, range, v));
}

double peak_rss_mib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}
}  // namespace

int cmd_assign(const AssignArgs& a) {
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  check_option("--gap", a.gap, 0, true, 1, "a number greater than 0 and at most 1");
  check_option("--toll-factor", a.toll_factor, 0, false, traffic::kMaxCostFactor, "a number between 0 and 1e6");
  check_option("--distance-factor", a.distance_factor, 0, false, traffic::kMaxCostFactor, "a number between 0 and 1e6");
  if (a.flow_batch < -1 || a.flow_batch > 256)
    throw core::InputError(fmt::format("--flow-batch: must be an integer between 0 and 256 (got {})", a.flow_batch));
  if (a.max_iter < 1 || a.max_iter > 1'000'000)
    throw core::InputError(fmt::format("--max-iter: must be an integer between 1 and 1000000 (got {})", a.max_iter));
  // --flows-out is checked (never an input, an earlier file only with --overwrite) and locked
  // before the network is read.
  std::optional<core::Staging> staging;
  if (!a.flows_out.empty())
    staging.emplace(core::Staging::Spec{a.flows_out, core::Staging::Kind::file, "flows", a.overwrite, {a.net, a.trips}, "--flows-out"});
  auto net = tntp::read_net(a.net, a.strict);
  const auto demand = tntp::read_trips(a.trips, net, a.strict);
  // What the reader tolerated (docs/traffic.md, "TNTP reader"): on stderr unless --quiet, and in
  // --json; --strict made each of them an error above.
  std::vector<std::string> warnings = net.warnings;
  warnings.insert(warnings.end(), demand.warnings.begin(), demand.warnings.end());
  if (!a.common.quiet)
    for (const auto& w : warnings) fmt::print(stderr, "urbantwin: warning: {}\n", w);
  net.set_cost_factors(a.toll_factor, a.distance_factor);
  // Input limits (docs/traffic.md): every link's cost and slope at a flow equal to the total
  // demand stay finite and below 1e200, checked once here so that no solver can overflow.
  if (const auto breach = traffic::check_cost_limits(net, demand.total)) {
    const std::uint32_t l = breach->link;
    throw core::InputError(
        core::Where{a.net.string(),
                    net.source_line.empty() ? std::string() : fmt::format("line {}", net.source_line[l]),
                    fmt::format("link {} -> {}", net.node_label[net.tail[l]], net.node_label[net.head[l]])},
        fmt::format("{} (total demand from {}, --toll-factor {}, --distance-factor {})", breach->rule, a.trips.string(),
                    a.toll_factor, a.distance_factor),
        fmt::format("{}", breach->value));
  }
  const double parse_s = std::chrono::duration<double>(clock::now() - t0).count();

  traffic::Options opt;
  opt.gap = a.gap;
  opt.max_iterations = a.max_iter;
  opt.flow_batch = a.flow_batch;
  // The bar: by iterations and by the gap's way down to --gap on a log scale, whichever is ahead.
  core::ProgressBar bar("urbantwin assign", a.common.show_progress());
  double first_gap = 0;
  if (bar.enabled())
    opt.progress = [&](int it, double g) {
      if (it == 1 || first_gap <= 0) first_gap = g;
      double f = static_cast<double>(it) / a.max_iter;
      if (g <= a.gap) f = 1;
      else if (first_gap > a.gap && std::isfinite(g)) f = std::max(f, std::log(first_gap / g) / std::log(first_gap / a.gap));
      bar.update(f, fmt::format("iteration {}, relative gap {:.3e}", it, g));
    };
  const auto ts = clock::now();
  traffic::Result res;
  try {
    res = a.algorithm == "fw" ? traffic::assign_frank_wolfe(net, demand, opt) : traffic::assign_bush(net, demand, opt);
  } catch (const core::InputError& e) {  // the network cannot serve the trip table: name both files
    throw core::InputError(a.net.string() + " with " + a.trips.string() + ": " + e.what());
  }
  const double solve_s = std::chrono::duration<double>(clock::now() - ts).count();
  bar.finish();
  // Never report or write a result that is not a number (the solvers check too).
  bool finite = std::isfinite(res.eval.relative_gap) && std::isfinite(res.eval.objective) &&
                std::isfinite(res.eval.tstt) && std::isfinite(res.eval.sptt);
  for (std::uint32_t l = 0; finite && l < net.link_count(); ++l)
    finite = std::isfinite(res.flow[l]) && std::isfinite(res.cost[l]);
  if (!finite)
    throw core::InputError(a.net.string() + " with " + a.trips.string() +
                           ": the assignment produced a result that is not a finite number (rule: the network must "
                           "stay within the input limits of docs/traffic.md)");

  if (staging) {
    std::string text = "from to volume cost\n";
    for (std::uint32_t l = 0; l < net.link_count(); ++l)
      text += fmt::format("{} {} {:.17g} {:.17g}\n", net.node_label[net.tail[l]], net.node_label[net.head[l]], res.flow[l], res.cost[l]);
    staging->write_and_commit([&](const std::filesystem::path& tmp) { core::write_file(tmp, text); });
  }
  const double total_s = std::chrono::duration<double>(clock::now() - t0).count();
  if (a.common.json) {
    nlohmann::ordered_json j;
    j["network"] = net.name;
    j["algorithm"] = a.algorithm == "fw" ? "frank-wolfe" : "algorithm-b";
    j["zones"] = net.zone_count;
    j["nodes"] = net.node_count;
    j["links"] = net.link_count();
    j["toll_factor"] = a.toll_factor;
    j["distance_factor"] = a.distance_factor;
    j["demand"] = res.demand;
    j["intrazonal_demand"] = res.intrazonal;
    j["unreachable_demand"] = demand.unreachable;
    j["unreachable_pairs"] = demand.unreachable_pairs;
    j["iterations"] = res.iterations;
    j["relative_gap"] = res.eval.relative_gap;
    j["average_excess_cost"] = res.aec();
    j["objective"] = res.eval.objective;
    j["tstt"] = res.eval.tstt;
    j["sptt"] = res.eval.sptt;
    j["seconds"] = total_s;
    j["seconds_parse"] = parse_s;
    j["seconds_solve"] = solve_s;
    j["seconds_init"] = res.seconds_init;
    j["seconds_gap"] = res.seconds_gap;
    j["exact_gap_checks"] = res.exact_checks;
    j["exact_gap_checks_stopped"] = res.exact_checks_stopped;
    j["bush_arcs"] = res.bush_arcs;
    j["flow_batch"] = res.flow_batch;
    j["peak_rss_mib"] = peak_rss_mib();
    j["warnings"] = warnings;
    print_json(j);
  } else if (!a.common.quiet) {
    fmt::print("{}: {} zones, {} nodes, {} links, {:.1f} trips loaded ({:.1f} intrazonal not loaded", net.name,
               net.zone_count, net.node_count, net.link_count(), res.demand, res.intrazonal);
    if (demand.unreachable_pairs > 0)
      fmt::print(", {:.1f} in {} pairs without a path excluded", demand.unreachable, demand.unreachable_pairs);
    fmt::print(")\n");
    fmt::print("  iterations      {}\n  relative gap    {:.3e}\n  objective       {:.10f}\n  TSTT            {:.10f}\n"
               "  SPTT            {:.10f}\n  AEC             {:.3e}\n  seconds         {:.3f} (parse {:.3f}, solve {:.3f})\n",
               res.iterations, res.eval.relative_gap, res.eval.objective, res.eval.tstt, res.eval.sptt, res.aec(),
               total_s, parse_s, solve_s);
  }
  return 0;
}

}  // namespace ut::app
