// Assignment against the published best-known equilibria of the TNTP networks. The networks are
// read from ../shared/data/tntp (UT_TNTP_DIR overrides; never copied into the repository); when
// they are absent this program says so and exits 77, which ctest reports as skipped.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "models/traffic/assign.hpp"
#include "tntp/tntp.hpp"

namespace fs = std::filesystem;
using namespace ut;

namespace {

fs::path tntp_dir() {
  if (const char* env = std::getenv("UT_TNTP_DIR")) return env;
  return fs::path(UT_TNTP_DIR);
}

struct Case {
  const char* folder;
  const char* stem;
  double toll_factor, distance_factor;
  double best_objective;  // ../shared/data/tntp/SOURCE.md
};

const Case kCases[] = {
    {"SiouxFalls", "SiouxFalls", 0, 0, 4231335.2871074},
    {"Anaheim", "Anaheim", 0, 0, 1286032.1710960},
    {"ChicagoSketch", "ChicagoSketch", 0.02, 0.04, 17313018.7387478},
};

struct Loaded {
  traffic::Network net;
  traffic::Demand demand;
  std::vector<tntp::FlowRow> best;
};

Loaded load(const Case& c) {
  const fs::path d = tntp_dir() / c.folder;
  Loaded l{tntp::read_net(d / (std::string(c.stem) + "_net.tntp")), {}, {}};
  l.demand = tntp::read_trips(d / (std::string(c.stem) + "_trips.tntp"), l.net);
  l.net.set_cost_factors(c.toll_factor, c.distance_factor);
  l.best = tntp::read_flow(d / (std::string(c.stem) + "_flow.tntp"));
  return l;
}

}  // namespace

TEST_CASE("Algorithm B reaches the best-known equilibria (relative gap <= 1e-10, objective, costs, flows)", "[tntp]") {
  for (const Case& c : kCases) {
    INFO(c.folder);
    const auto l = load(c);
    REQUIRE(l.best.size() == l.net.link_count());
    // Solved to 1e-12 so that the link-cost comparison below can be tight (at 1e-10, Chicago's
    // costs still differ from the file by about 1.2e-6 relative).
    traffic::Options opt;
    opt.gap = 1e-12;
    const auto r = traffic::assign_bush(l.net, l.demand, opt);
    CHECK(r.eval.relative_gap <= 1e-10);
    CHECK(std::abs(r.eval.objective - c.best_objective) / c.best_objective <= 1e-9);
    double worst_cost = 0, worst_flow = 0;
    for (std::uint32_t a = 0; a < l.net.link_count(); ++a) {
      REQUIRE(l.net.node_label[l.net.tail[a]] == l.best[a].from);
      REQUIRE(l.net.node_label[l.net.head[a]] == l.best[a].to);
      worst_cost = std::max(worst_cost, std::abs(r.cost[a] - l.best[a].cost) / std::max(1.0, l.best[a].cost));
      // Flows are unique only where the cost rises with flow.
      if (l.net.kind[a] != traffic::CostKind::constant)
        worst_flow = std::max(worst_flow, std::abs(r.flow[a] - l.best[a].volume) / std::max(1.0, l.best[a].volume));
    }
    INFO("largest relative cost difference " << worst_cost << ", flow difference " << worst_flow);
    CHECK(worst_cost <= 1e-7);  // measured: 2.3e-10, 4.4e-12, 9.7e-9
    CHECK(worst_flow <= 1e-5);  // measured: 1.6e-10, 1.4e-8, 1.1e-7
  }
}

TEST_CASE("The best-known flows are an equilibrium only with the zone rule (Anaheim)", "[tntp]") {
  auto l = load(kCases[1]);
  std::vector<double> flow(l.net.link_count());
  for (std::uint32_t a = 0; a < l.net.link_count(); ++a) flow[a] = l.best[a].volume;
  const auto with_rule = traffic::evaluate(l.net, l.demand, flow);
  CHECK(with_rule.relative_gap < 1e-12);
  l.net.first_thru = 0;  // let paths pass through zones
  const auto without = traffic::evaluate(l.net, l.demand, flow);
  CHECK(without.relative_gap > 1e-2);
  // And solving without the rule lands elsewhere.
  traffic::Options opt;
  opt.gap = 1e-8;
  const auto r = traffic::assign_bush(l.net, l.demand, opt);
  CHECK(r.eval.objective < kCases[1].best_objective * (1 - 1e-3));
}

TEST_CASE("Frank-Wolfe cross-checks Algorithm B on Sioux Falls", "[tntp]") {
  const auto l = load(kCases[0]);
  traffic::Options opt;
  opt.gap = 1e-3;
  opt.max_iterations = 5000;
  const auto fw = traffic::assign_frank_wolfe(l.net, l.demand, opt);
  opt.gap = 1e-12;
  const auto b = traffic::assign_bush(l.net, l.demand, opt);
  CHECK(fw.eval.relative_gap <= 1e-3);
  // Convexity: 0 <= objective(FW) - objective* <= TSTT(FW) - SPTT(FW).
  CHECK(fw.eval.objective - b.eval.objective >= -1e-6 * b.eval.objective);
  CHECK(fw.eval.objective - b.eval.objective <= fw.eval.tstt - fw.eval.sptt);
  double diff = 0;
  for (std::uint32_t a = 0; a < l.net.link_count(); ++a) diff = std::max(diff, std::abs(fw.flow[a] - b.flow[a]) / b.flow[a]);
  CHECK(diff < 0.05);
}

TEST_CASE("Anaheim to 1e-4: an exact gap check stopped early does not decide -- the reported gap is exact",
          "[tntp][gap]") {
  const auto l = load(kCases[1]);
  traffic::Options opt;
  opt.gap = 1e-4;
  traffic::Result r[2];
  for (int t = 1; t <= 2; ++t) {
    tbb::global_control gc(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(t));
    r[t - 1] = traffic::assign_bush(l.net, l.demand, opt);
  }
  // Measured 2026-11-30: the bush estimate met 1e-4 at iteration 1 while the exact gap did not;
  // that check stopped early, the one of iteration 2 ran to the end and passed.
  CHECK(r[0].exact_checks == 2);
  CHECK(r[0].exact_checks_stopped == 1);
  CHECK(r[0].iterations == 2);
  const auto e = traffic::evaluate(l.net, l.demand, r[0].flow);
  CHECK(r[0].eval.relative_gap == e.relative_gap);  // bit-identical to a full evaluation
  CHECK(r[0].eval.sptt == e.sptt);
  CHECK(r[0].eval.relative_gap <= 1e-4);
  // The checks took every origin's exact shortest paths from its bush (labels exact, or corrected
  // by the sweep) and no Dijkstra; the completed check alone did all 38 origins. If a corrected
  // total were off by one bit from the Dijkstra's, the SPTT above would differ from evaluate()'s.
  CHECK(r[0].exact_origins_dijkstra == 0);
  CHECK(r[0].exact_origins_corrected > 0);
  CHECK(r[0].exact_origins_certified + r[0].exact_origins_corrected >= 38);
  CHECK(r[1].exact_origins_corrected == r[0].exact_origins_corrected);
  CHECK(r[1].exact_checks_stopped == r[0].exact_checks_stopped);
  CHECK(std::memcmp(r[0].flow.data(), r[1].flow.data(), r[0].flow.size() * sizeof(double)) == 0);
}

TEST_CASE("Warm start on Chicago Sketch with 3 % more demand: same equilibrium, fewer iterations", "[tntp][warm]") {
  const auto l = load(kCases[2]);
  auto more = l.demand;
  for (double& t : more.trips) t *= 1.03;
  more.total *= 1.03;
  traffic::Options opt;
  opt.gap = 1e-10;
  traffic::WarmStart warm;
  traffic::assign_bush(l.net, l.demand, opt, &warm);
  const auto cold = traffic::assign_bush(l.net, more, opt);
  const auto hot = traffic::assign_bush(l.net, more, opt, &warm);
  CHECK(hot.warm);
  CHECK(hot.eval.relative_gap <= 1e-10);
  CHECK(hot.eval.objective == Approx(cold.eval.objective).epsilon(1e-9));
  CHECK(hot.iterations < cold.iterations);  // measured: 8 against 12
}

TEST_CASE("1 and 2 threads give byte-identical flows (Chicago Sketch)", "[tntp][determinism]") {
  const auto l = load(kCases[2]);
  traffic::Options opt;
  opt.gap = 1e-8;
  std::vector<double> f1, f2;
  {
    tbb::global_control gc(tbb::global_control::max_allowed_parallelism, 1);
    f1 = traffic::assign_bush(l.net, l.demand, opt).flow;
  }
  {
    tbb::global_control gc(tbb::global_control::max_allowed_parallelism, 2);
    f2 = traffic::assign_bush(l.net, l.demand, opt).flow;
  }
  REQUIRE(f1.size() == f2.size());
  CHECK(std::memcmp(f1.data(), f2.data(), f1.size() * sizeof(double)) == 0);
}

// The batched flow update (docs/traffic.md, "Flow update in batches"), forced on Chicago Sketch
// (its size alone would choose the serial one): the same flows for 1, 2 and 8 threads, and the
// serial solver's equilibrium.
TEST_CASE("Batched flow update: 1, 2 and 8 threads give byte-identical flows, the serial equilibrium (Chicago Sketch)",
          "[tntp][determinism]") {
  const auto l = load(kCases[2]);
  traffic::Options opt;
  opt.gap = 1e-10;
  REQUIRE(traffic::flow_batch(opt, l.net, l.demand.origin_count()) == 0);
  const auto serial = traffic::assign_bush(l.net, l.demand, opt);
  opt.flow_batch = 16;
  std::vector<traffic::Result> r;
  for (int threads : {1, 2, 8}) {
    tbb::global_control gc(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
    tbb::task_arena arena(threads);
    arena.execute([&] { r.push_back(traffic::assign_bush(l.net, l.demand, opt)); });
  }
  CHECK(r[0].flow_batch == 16);
  CHECK(serial.eval.relative_gap <= 1e-10);
  CHECK(r[0].eval.relative_gap <= 1e-10);
  CHECK(r[0].eval.objective == Approx(serial.eval.objective).epsilon(1e-9));
  CHECK(r[0].eval.objective == Approx(kCases[2].best_objective).epsilon(1e-9));
  for (std::size_t i = 1; i < r.size(); ++i) {
    CHECK(r[i].iterations == r[0].iterations);
    REQUIRE(r[i].flow.size() == r[0].flow.size());
    CHECK(std::memcmp(r[i].flow.data(), r[0].flow.data(), r[0].flow.size() * sizeof(double)) == 0);
  }
}

int main(int argc, char** argv) {
  const fs::path d = tntp_dir();
  for (const Case& c : kCases) {
    if (!fs::exists(d / c.folder / (std::string(c.stem) + "_net.tntp"))) {
      std::cout << "TNTP networks not found under " << d.string()
                << " (set UT_TNTP_DIR or the CMake option UT_SHARED_DATA): skipped\n";
      return 77;
    }
  }
  return Catch::Session().run(argc, argv);
}
