// Traffic assignment on hand-made networks whose equilibria are worked out by hand.
#include <catch2/catch.hpp>

#include <filesystem>
#include <cmath>
#include <fstream>
#include <limits>

#include <tbb/global_control.h>
#include <tbb/task_arena.h>

#include "core/error.hpp"
#include "models/traffic/assign.hpp"
#include "models/traffic/four_step.hpp"
#include "tntp/tntp.hpp"

namespace fs = std::filesystem;
using namespace ut;

namespace {
const fs::path kData = fs::path(UT_SOURCE_DIR) / "tests/data/tntp_format";

fs::path write(const fs::path& dir, const std::string& name, const std::string& text) {
  fs::create_directories(dir);
  std::ofstream(dir / name) << text;
  return dir / name;
}
}  // namespace

// Braess: routes 1-3-2 (t = 1 + x/100, then 50), 1-4-2 (50, then 1 + x/100) and, through the
// bridge 3-4 (t = 1), 1-3-4-2. 6,000 trips. With f on each outer route and g on the bridge:
// 1 + (f+g)/100 + 50 = 1 + (f+g)/100 + 1 + 1 + (f+g)/100  =>  f + g = 4,800; 2f + g = 6,000
// => f = 1,200, g = 3,600; every route costs 1 + 48 + 50 = 99 (81 without the bridge).
// Objective: 2 * (4,800 + 4,800^2/200) + 2 * 50 * 1,200 + 3,600 = 363,600.
TEST_CASE("Braess network: Algorithm B reaches the hand-computed equilibrium", "[traffic]") {
  auto net = tntp::read_net(kData / "braess_net.txt");
  const auto dm = tntp::read_trips(kData / "braess_trips.txt", net);
  REQUIRE(net.link_count() == 5);
  REQUIRE(net.first_thru == 2);
  REQUIRE(dm.total == 6000.0);
  traffic::Options opt;
  opt.gap = 1e-12;
  const auto r = traffic::assign_bush(net, dm, opt);
  const double expect_flow[] = {4800, 1200, 1200, 4800, 3600};
  const double expect_cost[] = {49, 50, 50, 49, 1};
  for (std::uint32_t a = 0; a < 5; ++a) {
    CHECK(r.flow[a] == Approx(expect_flow[a]).epsilon(1e-9));
    CHECK(r.cost[a] == Approx(expect_cost[a]).epsilon(1e-9));
  }
  CHECK(r.eval.tstt == Approx(6000.0 * 99).epsilon(1e-12));
  CHECK(r.eval.objective == Approx(363600.0).epsilon(1e-12));
  CHECK(r.eval.relative_gap <= 1e-12);
}

TEST_CASE("Braess network: Frank-Wolfe converges to the same equilibrium", "[traffic]") {
  auto net = tntp::read_net(kData / "braess_net.txt");
  const auto dm = tntp::read_trips(kData / "braess_trips.txt", net);
  traffic::Options opt;
  opt.gap = 1e-6;
  opt.max_iterations = 10000;
  const auto r = traffic::assign_frank_wolfe(net, dm, opt);
  CHECK(r.eval.relative_gap <= 1e-6);
  CHECK(r.flow[4] == Approx(3600).epsilon(1e-3));
  // The Beckmann objective is convex: its excess over the optimum is at most TSTT - SPTT.
  CHECK(r.eval.objective - 363600.0 >= -1e-6);
  CHECK(r.eval.objective - 363600.0 <= r.eval.tstt - r.eval.sptt + 1e-6);
}

TEST_CASE("Closing the Braess bridge lowers every route's cost to 81", "[traffic]") {
  auto net = tntp::read_net(kData / "braess_net.txt");
  const auto dm = tntp::read_trips(kData / "braess_trips.txt", net);
  net.fft[4] = 1e6;  // a closure: a very large but finite cost, as TNTP closure files do
  net.set_cost_factors(0, 0);
  traffic::Options opt;
  opt.gap = 1e-12;
  const auto r = traffic::assign_bush(net, dm, opt);
  CHECK(r.flow[4] == Approx(0).margin(1e-9));
  CHECK(r.cost[0] + r.cost[1] == Approx(81).epsilon(1e-12));
  CHECK(r.eval.tstt == Approx(6000.0 * 81).epsilon(1e-12));
}

TEST_CASE("Zones below the first through node are never passed through", "[traffic]") {
  // Zones 1-3, node 4. From zone 1 to zone 3: through zone 2 costs 2, through node 4 costs 11.
  const fs::path dir = fs::temp_directory_path() / "ut_ftn";
  const std::string links =
      "\t1\t2\t100\t1\t1\t0.15\t4\t0\t0\t1\t;\n\t2\t3\t100\t1\t1\t0.15\t4\t0\t0\t1\t;\n"
      "\t1\t4\t100\t1\t10\t0.15\t4\t0\t0\t1\t;\n\t4\t3\t100\t1\t1\t0.15\t4\t0\t0\t1\t;\n";
  auto netfile = [&](int ftn) {
    return write(dir, "ftn" + std::to_string(ftn) + "_net.tntp",
                 "<NUMBER OF ZONES> 3\n<NUMBER OF NODES> 4\n<FIRST THRU NODE> " + std::to_string(ftn) +
                     "\n<NUMBER OF LINKS> 4\n<END OF METADATA>\n" + links);
  };
  const auto trips = write(dir, "ftn_trips.tntp", "<NUMBER OF ZONES> 3\n<END OF METADATA>\nOrigin 1\n3 : 10;\n");
  auto open = tntp::read_net(netfile(1));
  auto closed = tntp::read_net(netfile(4));
  traffic::Options opt;
  opt.gap = 1e-12;
  const auto r_open = traffic::assign_bush(open, tntp::read_trips(trips, open), opt);
  const auto r_closed = traffic::assign_bush(closed, tntp::read_trips(trips, closed), opt);
  CHECK(r_open.flow[0] == Approx(10));  // through zone 2
  CHECK(r_open.flow[2] == 0.0);
  CHECK(r_closed.flow[0] == 0.0);       // never through zone 2
  CHECK(r_closed.flow[2] == Approx(10));
  CHECK(r_closed.eval.sptt == Approx(10 * 11).epsilon(1e-4));  // 11 at free flow, plus a little BPR delay
  fs::remove_all(dir);
}

TEST_CASE("TNTP reader takes the format as the files really are", "[traffic][tntp]") {
  const fs::path dir = fs::temp_directory_path() / "ut_tntp_quirks";
  // Tabs after tags, a `~` comment, glued ';', no ';' at all, exponent numbers, parallel links.
  const auto net = write(dir, "q_net.tntp",
                         "<NUMBER OF ZONES>\t\t\t2\t\n<NUMBER OF NODES> 3\n<FIRST THRU NODE> 3\n<NUMBER OF LINKS> 4\n"
                         "<ORIGINAL HEADER>~ anything ~ here\n<SOMETHING NEW> 7\n<END OF METADATA>\n\n\n"
                         "~ init term cap len fft b p speed toll type ;\n"
                         "\t1\t3\t1.0E+02\t1\t1\t0.15\t4\t0\t0\t1\t;\n"
                         "1 3 200 1 2 0.15 4 0 0 1;\n"
                         "3 2 100 1 1 0.00000000000000000000E+00 4 0 0 1\n"
                         "  3\t2\t100\t1\t1\t0.15\t4.5\t0\t0\t1\t;\t\n");
  const auto trips = write(dir, "q_trips.tntp",
                           "<NUMBER OF ZONES> 2\n<TOTAL OD FLOW> 12.5\n<END OF METADATA>\n~ comment\n\n"
                           "Origin \t1\n    1 :      2.5;     2 :    10.0;\nOrigin 2 \n1 \t: \t0.000000; \t\n");
  const auto n = tntp::read_net(net);
  REQUIRE(n.link_count() == 4);
  CHECK(n.capacity[0] == 100);
  CHECK(n.fft[1] == 2);
  CHECK(n.kind[2] == traffic::CostKind::constant);
  CHECK(n.kind[3] == traffic::CostKind::general);
  CHECK(n.tail[0] == n.tail[1]);  // parallel links stay two links
  const auto d = tntp::read_trips(trips, n);
  CHECK(d.total == 10.0);
  CHECK(d.intrazonal == 2.5);
  REQUIRE(d.origin.size() == 1);
  CHECK(d.dest[0] == 1);
  fs::remove_all(dir);
}

TEST_CASE("TNTP reader names the file and line of a bad row", "[traffic][tntp]") {
  const fs::path dir = fs::temp_directory_path() / "ut_tntp_bad";
  const auto net = write(dir, "b_net.tntp",
                         "<NUMBER OF ZONES> 1\n<NUMBER OF NODES> 2\n<FIRST THRU NODE> 1\n<NUMBER OF LINKS> 1\n"
                         "<END OF METADATA>\n1 2 100 1 1 0.15 -4 0 0 1 ;\n");
  try {
    tntp::read_net(net);
    FAIL("no error");
  } catch (const core::InputError& e) {
    const std::string m = e.what();
    CHECK(m.find("b_net.tntp") != std::string::npos);
    CHECK(m.find("line 6") != std::string::npos);
    CHECK(m.find("power") != std::string::npos);
    CHECK(m.find("-4") != std::string::npos);
  }
  fs::remove_all(dir);
}

TEST_CASE("Four-step: one producing zone gets the attractions -- logit splits by hand", "[traffic]") {
  // Zone 0 produces 100 trips, attractions 1 : 3 are scaled to 25 : 75. With one producing row
  // the doubly-constrained gravity must give T_00 = 25 and T_01 = 75 whatever the deterrence.
  traffic::Skims sk;
  sk.zones = 2;
  const double inf = std::numeric_limits<double>::infinity();
  sk.minutes[traffic::kCar] = {inf, 10, inf, inf};
  sk.minutes[traffic::kTransit] = {inf, inf, inf, inf};
  sk.minutes[traffic::kWalkBike] = {5, 20, 20, 5};
  const traffic::ModeParams p{-0.06, -1.4, -0.3, 6, 0.8};  // beta_time, asc_car, asc_transit, terminal min, greenway
  const auto t = traffic::distribute_and_split({100, 0}, {1, 3}, {0, 0}, sk, p);
  const auto total = [&](std::size_t k) { return t.trips[0][k] + t.trips[1][k] + t.trips[2][k]; };
  CHECK(total(0) == Approx(25).epsilon(1e-9));
  CHECK(total(1) == Approx(75).epsilon(1e-9));
  CHECK(total(2) == 0.0);
  // V_car = -1.4 - 0.06 * (10 + 6) = -2.36, V_walkbike = -0.06 * 20 = -1.2 => P_car = 1 / (1 + e^1.16).
  CHECK(t.trips[traffic::kCar][1] == Approx(75.0 / (1.0 + std::exp(1.16))).epsilon(1e-12));
  CHECK(t.trips[traffic::kTransit][1] == 0.0);
  CHECK(t.trips[traffic::kCar][0] == 0.0);  // car not available within zone 0 here
}

TEST_CASE("Four-step: Furness meets both margins", "[traffic]") {
  traffic::Skims sk;
  sk.zones = 3;
  sk.minutes[traffic::kCar] = {2, 10, 25, 12, 3, 9, 30, 8, 2};
  sk.minutes[traffic::kTransit] = {std::numeric_limits<double>::infinity(), 20, 30, 20, std::numeric_limits<double>::infinity(), 15, 30, 15, std::numeric_limits<double>::infinity()};
  sk.minutes[traffic::kWalkBike] = {5, 30, 60, 30, 5, 25, 60, 25, 5};
  const std::vector<double> prod = {100, 250, 50}, attr = {300, 100, 400};
  const auto t = traffic::distribute_and_split(prod, attr, {0.5, 0, 1}, sk, traffic::ModeParams{-0.06, -1.4, -0.3, 6, 0.8});
  for (std::size_t i = 0; i < 3; ++i) {
    double row = 0, col = 0;
    for (std::size_t j = 0; j < 3; ++j)
      for (int m = 0; m < traffic::kModes; ++m) {
        row += t.trips[m][i * 3 + j];
        col += t.trips[m][j * 3 + i];
      }
    CHECK(row == Approx(prod[i]).epsilon(1e-9));
    CHECK(col == Approx(attr[i] * 400.0 / 800.0).epsilon(1e-9));
  }
}

TEST_CASE("Input limits: a link whose cost overflows at the total demand is named before any solver runs",
          "[traffic][tntp]") {
  auto net = tntp::read_net(kData / "braess_net.txt");
  const auto dm = tntp::read_trips(kData / "braess_trips.txt", net);
  REQUIRE(net.source_line.size() == 5);
  CHECK(net.source_line[0] == 9);  // the first link row of braess_net.txt
  CHECK_FALSE(traffic::check_cost_limits(net, dm.total).has_value());
  // Link 2 (3 -> 2): capacity 1e-10, power 20: coef = 50 / 1e-200 = 5e201, cost 5e201 * 6000^20 = 1.8e277.
  net.capacity[1] = 1e-10;
  net.power[1] = 20;
  net.b[1] = 1;
  net.set_cost_factors(0, 0);
  const auto breach = traffic::check_cost_limits(net, dm.total);
  REQUIRE(breach.has_value());
  CHECK(breach->link == 1);
  CHECK(breach->rule.find("at most 1e200") != std::string::npos);
  CHECK(breach->value == Approx(5e201 * std::pow(6000.0, 20)));
}

TEST_CASE("Solvers turn a cost that overflows during the solve into an input error, never a crash or nan",
          "[traffic]") {
  // Bypasses the read-time limits: link 1 (1 -> 3) costs 1 at zero flow but 1e240 * 6000^20 = inf
  // once the free-flow shortest path 1-3-4-2 is loaded.
  auto net = tntp::read_net(kData / "braess_net.txt");
  const auto dm = tntp::read_trips(kData / "braess_trips.txt", net);
  net.capacity[0] = 1e-12;
  net.power[0] = 20;
  net.set_cost_factors(0, 0);
  REQUIRE(net.cost(0, 0.0) == 1.0);
  traffic::Options opt;
  opt.gap = 1e-12;
  CHECK_THROWS_AS(traffic::assign_bush(net, dm, opt), core::InputError);
  CHECK_THROWS_WITH(traffic::assign_bush(net, dm, opt), Catch::Contains("must stay a finite number"));
  CHECK_THROWS_WITH(traffic::assign_frank_wolfe(net, dm, opt), Catch::Contains("must stay a finite number"));
  // A cost that is nan at zero flow (coef = inf, times 0): named before any search runs.
  net.capacity[0] = 1e-300;
  net.power[0] = 4;
  net.set_cost_factors(0, 0);
  CHECK_THROWS_WITH(traffic::assign_bush(net, dm, opt), Catch::Contains("free-flow cost of link 1 (1 -> 3) is nan"));
  CHECK_THROWS_WITH(traffic::assign_frank_wolfe(net, dm, opt),
                    Catch::Contains("free-flow cost of link 1 (1 -> 3) is nan"));
}

TEST_CASE("TNTP reader: memory follows the file, not its header counts", "[traffic][tntp]") {
  const fs::path dir = fs::temp_directory_path() / "ut_tntp_limits";
  const std::string rows = "1 3 100 1 1 0.15 4 0 0 1\n3 2 100 1 1 0.15 4 0 0 1\n";
  auto net = [&](const std::string& nodes) {
    return write(dir, "n_net.tntp",
                 "<NUMBER OF ZONES> 2\n<NUMBER OF NODES> " + nodes +
                     "\n<FIRST THRU NODE> 3\n<NUMBER OF LINKS> 2\n<END OF METADATA>\n" + rows);
  };
  // 3 nodes used: up to 2 * 3 + 1000 = 1006 may be declared (unused ids are common).
  CHECK(tntp::read_net(net("1006")).node_count == 1006);
  CHECK_THROWS_WITH(tntp::read_net(net("1007")), Catch::Contains("line 2: <NUMBER OF NODES>") &&
                                                     Catch::Contains("(3 used, so at most 1006) (got 1007)"));
  fs::remove_all(dir);
}

// Public files that tap-b solves (issue 15): a rounded <TOTAL OD FLOW>, self-loops and demand with
// no path are tolerated with a warning (tests/data/tntp_format/tolerated, also run by
// tests/cli/assign_tolerated.sh); with `strict` each is an error.
TEST_CASE("TNTP reader tolerates what tap-b solves, with a warning", "[traffic][tntp]") {
  const fs::path dir = kData / "tolerated";
  traffic::Options opt;
  opt.gap = 1e-10;

  SECTION("a <TOTAL OD FLOW> to 6 significant digits") {
    const auto t = (dir / "total_6_digits_trips.txt").string();
    const auto net = tntp::read_net(dir / "total_6_digits_net.txt");
    CHECK(net.warnings.empty());
    const auto dm = tntp::read_trips(t, net);
    CHECK(dm.total == 1000.004);  // the entries, not the header
    REQUIRE(dm.warnings.size() == 1);
    CHECK(dm.warnings[0] == t + ": line 2: <TOTAL OD FLOW>: 1000.00 differs from the sum of the demand entries "
                                "(1000.004) by 0.0004 % (less than 1 %): the entries are used");
    CHECK_THROWS_WITH(tntp::read_trips(t, net, true),
                      t + ": line 2: <TOTAL OD FLOW>: must equal the sum of the demand entries (1000.004) (without "
                          "--strict, within 1 % is a warning) (got 1000.00)");
  }

  SECTION("self-loops are dropped; the equilibrium is Braess's") {
    const auto n1 = (dir / "self_loop_net.txt").string();
    const auto net = tntp::read_net(n1);
    REQUIRE(net.link_count() == 5);
    CHECK(net.source_line == std::vector<std::size_t>{9, 10, 12, 13, 14});
    REQUIRE(net.warnings.size() == 1);
    CHECK(net.warnings[0] ==
          n1 + ": line 11: term_node: link 3 -> 3 is a self-loop, which can never carry flow: dropped");
    const auto r = traffic::assign_bush(net, tntp::read_trips(dir / "self_loop_trips.txt", net), opt);
    CHECK(r.eval.objective == Approx(363600).epsilon(1e-9));
    CHECK_THROWS_WITH(tntp::read_net(n1, true),
                      n1 + ": line 11: term_node: a link must join two different nodes (no self-loops; without "
                           "--strict a self-loop is dropped with a warning) (got 3)");

    const auto n3 = (dir / "self_loops_three_net.txt").string();
    const auto net3 = tntp::read_net(n3);
    CHECK(net3.link_count() == 5);
    REQUIRE(net3.warnings.size() == 1);
    CHECK(net3.warnings[0] == n3 + ": line 9: term_node: link 1 -> 1 is a self-loop, which can never carry flow: "
                                   "dropped, with 2 more self-loops (3 in all; the next on lines 13, 16)");
  }

  SECTION("demand with no path is excluded and reported; the gap is over the rest") {
    const auto n = (dir / "unreachable_pair_net.txt").string();
    const auto t = (dir / "unreachable_pair_trips.txt").string();
    const auto net = tntp::read_net(n);
    const auto dm = tntp::read_trips(t, net);
    CHECK(dm.total == 6000);
    CHECK(dm.unreachable == 150);
    CHECK(dm.unreachable_pairs == 2);
    REQUIRE(dm.origin.size() == 1);  // origin 2's only entry had no path
    REQUIRE(dm.warnings.size() == 1);
    CHECK(dm.warnings[0] == t + ": line 7: trips from 1 to 3: no path in " + n +
                                " serves these 100.0 trips: excluded from the assignment and from the gap, with 1 more "
                                "pair that no path serves (2 pairs, 150 trips in all, 2.4 % of the demand; the next: "
                                "2 -> 1 on line 9)");
    for (const auto& r : {traffic::assign_bush(net, dm, opt), traffic::assign_frank_wolfe(net, dm, opt)}) {
      CHECK(r.demand == 6000);
      CHECK(r.eval.sptt == Approx(6000 * 99).epsilon(1e-6));
      CHECK(r.eval.relative_gap < 1e-6);
    }
    CHECK_THROWS_WITH(tntp::read_trips(t, net, true),
                      t + ": line 7: trips from 1 to 3: demand cannot be served: no path in " + n +
                          " (a path never passes through a zone below <FIRST THRU NODE>; without --strict the pairs "
                          "without one, 2 pairs, 150 trips, are excluded with a warning) (got 100.0)");
  }

  SECTION("many pairs with no path: the first six are named") {
    const fs::path tmp = fs::temp_directory_path() / "ut_tntp_unreachable_many";
    // Zone 1 has no links at all: every pair to or from it has no path.
    const auto net = tntp::read_net(write(tmp, "m_net.tntp",
                                          "<NUMBER OF ZONES> 9\n<NUMBER OF NODES> 10\n<FIRST THRU NODE> 10\n"
                                          "<NUMBER OF LINKS> 16\n<END OF METADATA>\n"
                                          "2 10 1 1 1 0 4 0 0 1\n10 2 1 1 1 0 4 0 0 1\n3 10 1 1 1 0 4 0 0 1\n"
                                          "10 3 1 1 1 0 4 0 0 1\n4 10 1 1 1 0 4 0 0 1\n10 4 1 1 1 0 4 0 0 1\n"
                                          "5 10 1 1 1 0 4 0 0 1\n10 5 1 1 1 0 4 0 0 1\n6 10 1 1 1 0 4 0 0 1\n"
                                          "10 6 1 1 1 0 4 0 0 1\n7 10 1 1 1 0 4 0 0 1\n10 7 1 1 1 0 4 0 0 1\n"
                                          "8 10 1 1 1 0 4 0 0 1\n10 8 1 1 1 0 4 0 0 1\n9 10 1 1 1 0 4 0 0 1\n"
                                          "10 9 1 1 1 0 4 0 0 1\n"));
    std::string trips = "<NUMBER OF ZONES> 9\n<END OF METADATA>\n";
    for (int o = 9; o >= 1; --o) {  // origins in reverse: the named pairs follow (origin, destination)
      trips += "Origin " + std::to_string(o) + "\n";
      for (int d = 1; d <= 9; ++d) trips += std::to_string(d) + " : 1;\n";
    }
    const auto t = write(tmp, "m_trips.tntp", trips).string();
    const auto dm = tntp::read_trips(t, net);
    CHECK(dm.unreachable_pairs == 16);
    CHECK(dm.total == 56);
    REQUIRE(dm.warnings.size() == 1);
    // Origin 1 is on line 83 (two metadata lines, then 10 lines per origin from 9 down), its
    // entries 1 .. 9 on lines 84-92.
    CHECK(dm.warnings[0] ==
          t + ": line 85: trips from 1 to 2: no path in " + (tmp / "m_net.tntp").string() +
              " serves these 1 trips: excluded from the assignment and from the gap, with 15 more pairs that no path "
              "serves (16 pairs, 16 trips in all, 22 % of the demand; the next: 1 -> 3 on line 86, 1 -> 4 on line 87, "
              "1 -> 5 on line 88, 1 -> 6 on line 89, 1 -> 7 on line 90, ...)");
    fs::remove_all(tmp);
  }

  SECTION("beyond 1 %, a <TOTAL OD FLOW> is still an error; no demand with a path at all is an error") {
    const fs::path tmp = fs::temp_directory_path() / "ut_tntp_total_off";
    const auto net = tntp::read_net(dir / "total_6_digits_net.txt");
    const auto t = write(tmp, "o_trips.tntp", "<NUMBER OF ZONES> 2\n<TOTAL OD FLOW> 1010.1\n<END OF METADATA>\n"
                                              "Origin 1\n2 : 1000;\n");
    CHECK_THROWS_WITH(tntp::read_trips(t, net),
                      t.string() + ": line 2: <TOTAL OD FLOW>: must equal the sum of the demand entries (1000) within "
                                   "1 % (got 1010.1)");
    const auto t2 = write(tmp, "r_trips.tntp", "<NUMBER OF ZONES> 2\n<END OF METADATA>\nOrigin 2\n1 : 5;\n");
    CHECK_THROWS_WITH(tntp::read_trips(t2, net),
                      t2.string() + ": line 4: trips from 2 to 1: demand cannot be served: no pair of the trip table "
                                    "has a path in " + (dir / "total_6_digits_net.txt").string() +
                          " (a path never passes through a zone below <FIRST THRU NODE>; 1 pair, 5 trips) (got 5)");
    const auto n2 = write(tmp, "l_net.tntp", "<NUMBER OF ZONES> 1\n<NUMBER OF NODES> 2\n<FIRST THRU NODE> 2\n"
                                             "<NUMBER OF LINKS> 1\n<END OF METADATA>\n2 2 1 1 1 0 4 0 0 1\n");
    CHECK_THROWS_WITH(tntp::read_net(n2), n2.string() + ": line 4: <NUMBER OF LINKS>: the network must have a link "
                                                        "that is not a self-loop (got 1)");
    fs::remove_all(tmp);
  }
}

// Warm start. Braess with D trips: both outer routes and the bridge route cost the same while
// 0 <= g: 1 + (f+g)/100 + 50 = 3 + 2(f+g)/100 => f + g = 4,800 whatever D; 2f + g = D. With
// D = 6,600: f = 1,800, g = 3,000, every route still costs 99; objective
// 2 * (4,800 + 4,800^2/200) + 2 * 50 * 1,800 + 3,000 = 423,000.
TEST_CASE("Warm start: Braess with 10 % more demand reaches the hand-computed equilibrium", "[traffic][warm]") {
  auto net = tntp::read_net(kData / "braess_net.txt");
  const auto dm = tntp::read_trips(kData / "braess_trips.txt", net);
  traffic::DemandBuilder more(2);
  more.add(0, 1, 6600);
  const auto dm2 = more.build();
  traffic::Options opt;
  opt.gap = 1e-12;
  traffic::WarmStart warm;
  CHECK(warm.empty());
  const auto first = traffic::assign_bush(net, dm, opt, &warm);
  CHECK_FALSE(first.warm);
  CHECK_FALSE(warm.empty());
  const auto cold = traffic::assign_bush(net, dm2, opt);
  const auto hot = traffic::assign_bush(net, dm2, opt, &warm);
  CHECK_FALSE(cold.warm);
  CHECK(hot.warm);
  const double expect_flow[] = {4800, 1800, 1800, 4800, 3000};
  for (std::uint32_t a = 0; a < 5; ++a) {
    CHECK(hot.flow[a] == Approx(expect_flow[a]).epsilon(1e-9));
    CHECK(cold.flow[a] == Approx(expect_flow[a]).epsilon(1e-9));
  }
  CHECK(hot.eval.relative_gap <= 1e-12);
  CHECK(hot.eval.objective == Approx(423000.0).epsilon(1e-12));
  CHECK(hot.iterations <= cold.iterations);
}

namespace {
// A w x w grid of two-way BPR streets (free-flow times 1.0-1.4 min, capacity 40) with `zones`
// zones, each joined both ways to one grid node on the border; demand between every pair of
// zones, `trips` times a factor 1-3 that varies by pair.
struct GridCase {
  traffic::Network net;
  traffic::Demand demand;
};
GridCase grid_case(std::uint32_t w, std::uint32_t zones, double trips) {
  std::vector<traffic::LinkRow> rows;
  auto node = [&](std::uint32_t i, std::uint32_t j) { return zones + i * w + j; };
  auto street = [&](std::uint32_t a, std::uint32_t b, std::uint32_t k) {
    traffic::LinkRow r;
    r.tail = a;
    r.head = b;
    r.capacity = 40;
    r.fft = 1.0 + 0.1 * (k * 7 % 5);
    rows.push_back(r);
  };
  std::uint32_t k = 0;
  for (std::uint32_t i = 0; i < w; ++i)
    for (std::uint32_t j = 0; j < w; ++j) {
      if (j + 1 < w) {
        street(node(i, j), node(i, j + 1), k++);
        street(node(i, j + 1), node(i, j), k++);
      }
      if (i + 1 < w) {
        street(node(i, j), node(i + 1, j), k++);
        street(node(i + 1, j), node(i, j), k++);
      }
    }
  for (std::uint32_t z = 0; z < zones; ++z) {
    const std::uint32_t along = z / 4 * 3 % w, side = z % 4;
    const std::uint32_t g = side == 0 ? node(0, along) : side == 1 ? node(w - 1, w - 1 - along)
                          : side == 2 ? node(along, 0) : node(w - 1 - along, w - 1);
    for (int dir = 0; dir < 2; ++dir) {
      traffic::LinkRow r;
      r.tail = dir == 0 ? z : g;
      r.head = dir == 0 ? g : z;
      r.fft = 0.1;
      r.b = 0;
      r.capacity = 1e9;
      rows.push_back(r);
    }
  }
  GridCase c{traffic::make_network("grid", zones + w * w, zones, zones, rows), {}};
  traffic::DemandBuilder db(zones);
  for (std::uint32_t o = 0; o < zones; ++o)
    for (std::uint32_t d = 0; d < zones; ++d)
      if (o != d) db.add(o, d, trips * (1 + (o * 3 + d * 5) % 3));
  c.demand = db.build();
  return c;
}
}  // namespace

TEST_CASE("Warm start: 3 % more demand on a congested grid, same equilibrium in fewer iterations, any thread count",
          "[traffic][warm]") {
  const auto base = grid_case(8, 12, 12);
  auto more = base.demand;
  for (double& t : more.trips) t *= 1.03;
  more.total *= 1.03;
  traffic::Options opt;
  opt.gap = 1e-10;
  traffic::WarmStart warm;
  traffic::assign_bush(base.net, base.demand, opt, &warm);
  const auto cold = traffic::assign_bush(base.net, more, opt);
  auto solve_warm = [&](int threads) {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
    traffic::WarmStart w;
    traffic::assign_bush(base.net, base.demand, opt, &w);
    return traffic::assign_bush(base.net, more, opt, &w);
  };
  const auto hot = solve_warm(2);
  CHECK(hot.warm);
  INFO("iterations cold " << cold.iterations << ", warm " << hot.iterations);
  CHECK(cold.eval.relative_gap <= 1e-10);
  CHECK(hot.eval.relative_gap <= 1e-10);
  CHECK(hot.eval.objective == Approx(cold.eval.objective).epsilon(1e-9));
  CHECK(hot.iterations < cold.iterations);
  // A solve changes nothing the next start reads except through its result: 1 thread, same flows.
  const auto hot1 = solve_warm(1);
  CHECK(hot1.iterations == hot.iterations);
  CHECK(hot1.flow == hot.flow);
}

TEST_CASE("Warm start: bushes from another network are not used", "[traffic][warm]") {
  const auto small = grid_case(6, 8, 10);
  const auto large = grid_case(7, 8, 10);
  traffic::Options opt;
  opt.gap = 1e-8;
  traffic::WarmStart warm;
  traffic::assign_bush(small.net, small.demand, opt, &warm);
  const auto cold = traffic::assign_bush(large.net, large.demand, opt);
  const auto other = traffic::assign_bush(large.net, large.demand, opt, &warm);
  CHECK_FALSE(other.warm);
  CHECK(other.flow == cold.flow);
  CHECK_FALSE(warm.empty());  // now the large network's bushes
  CHECK(traffic::assign_bush(large.net, large.demand, opt, &warm).warm);
}

TEST_CASE("Batched flow update: the serial equilibrium on a congested grid, byte-identical for 1, 2 and 8 threads",
          "[traffic][batch]") {
  const auto c = grid_case(8, 12, 12);
  traffic::Options opt;
  opt.gap = 1e-10;
  const auto serial = traffic::assign_bush(c.net, c.demand, opt);
  CHECK(serial.flow_batch == 0);  // a small problem: the serial update
  opt.flow_batch = 8;
  std::vector<traffic::Result> r;
  for (int threads : {1, 2, 8}) {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
    tbb::task_arena arena(threads);
    arena.execute([&] { r.push_back(traffic::assign_bush(c.net, c.demand, opt)); });
  }
  CHECK(r[0].flow_batch == 8);
  CHECK(serial.eval.relative_gap <= 1e-10);
  CHECK(r[0].eval.relative_gap <= 1e-10);
  CHECK(r[0].eval.objective == Approx(serial.eval.objective).epsilon(1e-9));
  for (std::size_t i = 1; i < r.size(); ++i) {
    CHECK(r[i].iterations == r[0].iterations);
    CHECK(r[i].flow == r[0].flow);
  }
}

// The early stop itself is exercised on Anaheim (tntp.best_known): on this grid every check passes.
TEST_CASE("Exact gap checks: the reported gap is bit-identical to a full evaluation", "[traffic][gap]") {
  const auto c = grid_case(8, 12, 12);
  for (double target : {1e-6, 1e-10}) {
    traffic::Options opt;
    opt.gap = target;
    const auto r = traffic::assign_bush(c.net, c.demand, opt);
    INFO("target " << target << ": " << r.exact_checks << " checks, " << r.exact_checks_stopped << " stopped, "
                   << r.iterations << " iterations");
    CHECK(r.exact_checks >= 1);
    CHECK(r.exact_checks_stopped < r.exact_checks);  // the last check ran to the end and passed
    const auto e = traffic::evaluate(c.net, c.demand, r.flow);
    CHECK(r.eval.relative_gap == e.relative_gap);  // bit-identical: every origin's exact shortest paths
    CHECK(r.eval.sptt == e.sptt);
    CHECK(r.eval.relative_gap <= target);
  }
}

// Through nodes contracted (traffic.assignment_roads, docs/traffic.md "Assignment network").
// Zones 0 and 1 load at junctions 2 and 5. Routes 2-3-4-5 (two-way, capacity 100, fft 1 a link),
// 2-6-8-5 (two-way, 150 on 2-6 and 8-5 but 120 on 6-8) and 5-7-2 (one way, 80). Nodes 3, 4 and 7
// are through nodes (same BPR shape on both sides); 6 and 8 are not (their capacities differ);
// 9-10-11 is a one-way ring of through nodes reached from no junction: it stays as it is. The
// contracted network's equilibrium is the full network's: every row carries its chain's flow.
TEST_CASE("Contracted through nodes: same equilibrium, chains carry one flow", "[traffic]") {
  std::vector<traffic::LinkRow> roads;
  auto two_way = [&](std::uint32_t a, std::uint32_t b, double cap, double fft) {
    roads.push_back({a, b, cap, fft, fft});
    roads.push_back({b, a, cap, fft, fft});
  };
  two_way(2, 3, 100, 1);
  two_way(3, 4, 100, 1);
  two_way(4, 5, 100, 1);
  two_way(2, 6, 150, 2);
  two_way(6, 8, 120, 2);
  two_way(8, 5, 150, 2);
  roads.push_back({5, 7, 80, 1, 1});
  roads.push_back({7, 2, 80, 1, 1});
  roads.push_back({9, 10, 50, 1, 1});
  roads.push_back({10, 11, 50, 1, 1});
  roads.push_back({11, 9, 50, 1, 1});
  const auto c = traffic::contract_chains(roads, 2, 10);
  const std::vector<bool> junction = {true, false, false, true, true, false, true, true, true, true};
  CHECK(c.junction == junction);
  // 2-5 and 5-2 over 3, 4; 2-6, 6-2, 6-8, 8-6, 8-5, 5-8; 5-2 over 7; the ring's three links.
  REQUIRE(c.rows.size() == 12);
  REQUIRE(c.via.size() == roads.size());
  CHECK(c.via[0] == c.via[2]);
  CHECK(c.via[2] == c.via[4]);
  CHECK(c.via[1] == c.via[3]);
  CHECK(c.via[0] != c.via[1]);
  CHECK(c.via[12] == c.via[13]);
  const auto& chain = c.rows[c.via[0]];
  CHECK((chain.tail == 2 && chain.head == 5 && chain.fft == 3 && chain.length == 3 && chain.capacity == 100));
  CHECK((c.rows[c.via[12]].tail == 5 && c.rows[c.via[12]].head == 2 && c.rows[c.via[12]].fft == 2));
  // Zones 0 and 1 connect at junctions 2 and 5, 500 trips 0 -> 1 and 300 back.
  auto with_zones = [](std::vector<traffic::LinkRow> r) {
    for (auto [z, n] : {std::pair{0u, 2u}, std::pair{1u, 5u}}) {
      r.push_back({z, n, 1e9, 0, 0.5, 0});
      r.push_back({n, z, 1e9, 0, 0.5, 0});
    }
    return traffic::make_network("t", 12, 2, 2, r);
  };
  const auto full = with_zones(roads), small = with_zones(c.rows);
  traffic::DemandBuilder db(2);
  db.add(0, 1, 500);
  db.add(1, 0, 300);
  const auto dm = db.build();
  traffic::Options opt;
  opt.gap = 1e-12;
  const auto rf = traffic::assign_bush(full, dm, opt), rs = traffic::assign_bush(small, dm, opt);
  for (std::size_t r = 0; r < roads.size(); ++r) CHECK(rf.flow[r] == Approx(rs.flow[c.via[r]]).epsilon(1e-9).margin(1e-9));
  CHECK(rf.flow[0] > 100);  // the chain 2-3-4-5 carries traffic (a check that could fail)
  CHECK(rs.eval.tstt == Approx(rf.eval.tstt).epsilon(1e-10));
  CHECK(rs.eval.objective == Approx(rf.eval.objective).epsilon(1e-10));
}

// A loop street that leaves junction 2 and comes back to it (2-3-4-2, one way) must not become a
// self-loop: the node after the junction stays a junction.
TEST_CASE("Contracted through nodes: a loop back to its junction keeps a junction on it", "[traffic]") {
  std::vector<traffic::LinkRow> roads = {{2, 3, 100, 1, 1}, {3, 4, 100, 1, 1}, {4, 2, 100, 1, 1}, {2, 5, 100, 1, 1}, {5, 2, 100, 1, 1}};
  const auto c = traffic::contract_chains(roads, 2, 4);
  for (const auto& r : c.rows) CHECK(r.tail != r.head);
  CHECK(c.junction[1]);  // node 3
  CHECK_FALSE(c.junction[2]);  // node 4: 3 -> 4 -> 2 is one link
  CHECK(c.rows.size() == 4);
}
