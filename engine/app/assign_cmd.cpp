#include "app/assign_cmd.hpp"

#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/staging.hpp"
#include "models/traffic/assign.hpp"
#include "tntp/tntp.hpp"

namespace ut::app {

namespace {
double peak_rss_mib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}
}  // namespace

int cmd_assign(const AssignArgs& a) {
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  auto net = tntp::read_net(a.net);
  const auto demand = tntp::read_trips(a.trips, net);
  net.set_cost_factors(a.toll_factor, a.distance_factor);
  const double parse_s = std::chrono::duration<double>(clock::now() - t0).count();

  traffic::Options opt;
  opt.gap = a.gap;
  opt.max_iterations = a.max_iter;
  const bool verbose = !a.quiet && !a.json && ::isatty(2);
  if (verbose) opt.progress = [](int it, double g) { fmt::print(stderr, "iteration {:4d}  relative gap {:.3e}\n", it, g); };
  const auto ts = clock::now();
  traffic::Result res;
  try {
    res = a.algorithm == "fw" ? traffic::assign_frank_wolfe(net, demand, opt) : traffic::assign_bush(net, demand, opt);
  } catch (const core::InputError& e) {  // the network cannot serve the trip table: name both files
    throw core::InputError(a.net.string() + " with " + a.trips.string() + ": " + e.what());
  }
  const double solve_s = std::chrono::duration<double>(clock::now() - ts).count();

  if (!a.flows_out.empty()) {
    core::Staging stage(a.flows_out, core::Staging::Kind::file);
    {
      std::ofstream out(stage.temp());
      out << "from to volume cost\n";
      for (std::uint32_t l = 0; l < net.link_count(); ++l)
        out << fmt::format("{} {} {:.17g} {:.17g}\n", net.node_label[net.tail[l]], net.node_label[net.head[l]],
                           res.flow[l], res.cost[l]);
      if (!out) throw core::InputError(core::Where{a.flows_out.string(), "", ""}, "the flows file must be writable", a.flows_out.string());
    }
    stage.commit();
  }
  const double total_s = std::chrono::duration<double>(clock::now() - t0).count();
  if (a.json) {
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
    j["bush_arcs"] = res.bush_arcs;
    j["peak_rss_mib"] = peak_rss_mib();
    fmt::print("{}\n", j.dump(2));
  } else if (!a.quiet) {
    fmt::print("{}: {} zones, {} nodes, {} links, {:.1f} trips loaded ({:.1f} intrazonal not loaded)\n", net.name,
               net.zone_count, net.node_count, net.link_count(), res.demand, res.intrazonal);
    fmt::print("  iterations      {}\n  relative gap    {:.3e}\n  objective       {:.10f}\n  TSTT            {:.10f}\n"
               "  SPTT            {:.10f}\n  AEC             {:.3e}\n  seconds         {:.3f} (parse {:.3f}, solve {:.3f})\n",
               res.iterations, res.eval.relative_gap, res.eval.objective, res.eval.tstt, res.eval.sptt, res.aec(),
               total_s, parse_s, solve_s);
  }
  return 0;
}

}  // namespace ut::app
