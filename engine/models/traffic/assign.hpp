#pragma once
// Static user-equilibrium assignment with BPR generalised costs.
//
//   relative gap = (TSTT - SPTT) / SPTT,  TSTT = sum_a x_a c_a(x_a),  SPTT = sum_od q_od * min-path cost
//   objective    = sum_a integral_0^{x_a} c_a(w) dw   (Beckmann, including toll and distance terms)
//
// assign_bush() is the production solver (Algorithm B: Dial 2006, with Nie 2010's refinements);
// assign_frank_wolfe() is an independent, deliberately plain cross-check. Both are deterministic:
// the result is a function of the network, the demand and the options only, for any thread count.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "models/traffic/network.hpp"

namespace ut::traffic {

struct Options {
  double gap = 1e-4;        // stop when the relative gap is at or below this
  int max_iterations = 200;  // outer iterations
  int inner_passes = 10;    // Algorithm B: flow-update passes per outer iteration (10 measured best on Chicago Sketch)
  // Algorithm B's flow update: origins per batch whose labels are computed in parallel (1-256;
  // docs/traffic.md, "Flow update in batches"); 0: the serial pass; -1: chosen from the problem's
  // size (flow_batch()), never from the thread count.
  int flow_batch = -1;
  std::function<void(int iteration, double gap)> progress;  // called after each iteration
};

struct Evaluation {
  double tstt = 0, sptt = 0, relative_gap = 0, objective = 0;
};

struct Result {
  std::vector<double> flow;  // per link, row order
  std::vector<double> cost;  // generalised cost at that flow
  int iterations = 0;
  Evaluation eval;
  double demand = 0;      // loaded trips
  double intrazonal = 0;  // intrazonal trips (not loaded)
  double aec() const { return demand > 0 ? (eval.tstt - eval.sptt) / demand : 0.0; }  // average excess cost
  std::size_t bush_arcs = 0;  // total arcs over all bushes at the end (Algorithm B)
  double seconds_init = 0, seconds_solve = 0, seconds_gap = 0;
  int exact_checks = 0;          // exact gap checks started (Algorithm B: when the estimate met the target)
  int exact_checks_stopped = 0;  // of those, stopped early: they could no longer meet the target
  // Over those checks, origins whose exact shortest paths came from their bush (docs/traffic.md,
  // "Algorithm B"): its labels already exact, or corrected from it; or from a Dijkstra (only if a
  // cost is negative, which the input limits exclude).
  std::size_t exact_origins_certified = 0, exact_origins_corrected = 0, exact_origins_dijkstra = 0;
  bool warm = false;  // Algorithm B started from an earlier solve's bushes (WarmStart)
  std::size_t flow_batch = 0;  // Algorithm B: origins per batch of the flow update (0: serial)
};

// The batch size Algorithm B's flow update uses for `options` on this problem (0: serial).
std::size_t flow_batch(const Options& options, const Network& net, std::size_t origins);

// Algorithm B's bushes after a solve, to start the next solve of the same network from (a warm
// start): the simulation re-solves one network each feedback loop and each year with demand that
// changed a little. assign_bush() starts from them when they were made on a network with the same
// nodes, zones and links (costs may differ), else it starts cold; it leaves its own bushes here.
// Each origin's new demand is spread over its old bush in the proportions its flow had at every
// node (docs/traffic.md, "Warm start"), so the start is a function of the earlier solve's result
// only: deterministic for any thread count, like a cold start.
class WarmStart {
 public:
  WarmStart();
  ~WarmStart();
  WarmStart(WarmStart&&) noexcept;
  WarmStart& operator=(WarmStart&&) noexcept;
  bool empty() const { return state == nullptr; }
  void clear();

  struct State;                  // the bushes and the network they fit; algorithm_b.cpp only
  std::unique_ptr<State> state;
};

// Throws ut::core::InputError when a destination with demand cannot be reached from its origin.
// With `warm`, starts from its bushes when they fit the network and leaves this solve's bushes in it.
Result assign_bush(const Network& net, const Demand& demand, const Options& options, WarmStart* warm = nullptr);
Result assign_frank_wolfe(const Network& net, const Demand& demand, const Options& options);

// TSTT, SPTT, relative gap and objective of any link flow vector.
Evaluation evaluate(const Network& net, const Demand& demand, const std::vector<double>& flow);

}  // namespace ut::traffic
