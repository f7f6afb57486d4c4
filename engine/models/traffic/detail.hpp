#pragma once
// Internal to models/traffic: pieces shared by the solvers and the evaluation. Not for other modules.
#include <cstdint>
#include <string>
#include <vector>

#include "models/traffic/assign.hpp"

namespace ut::traffic::detail {

// Throws core::InputError: demand from origin o to destination d that no path can serve.
[[noreturn]] void unreachable(const Network& net, std::uint32_t o, std::uint32_t d);

// Throws core::InputError: a cost, path label or total that is not a finite number. The input
// limits (docs/traffic.md, "Input limits") exclude this; the solvers check anyway, so that inf or
// nan ends the command with a clear message instead of undefined behaviour or a nan result.
[[noreturn]] void not_finite(const Network& net, const std::string& what, double value);

// "link 3 (1 -> 4)": a link's row number and its nodes' external ids, for messages.
inline std::string link_name(const Network& net, std::uint32_t a) {
  return "link " + std::to_string(a + 1) + " (" + std::to_string(net.node_label[net.tail[a]]) + " -> " +
         std::to_string(net.node_label[net.head[a]]) + ")";
}

// SPTT at `costs`: one Dijkstra per origin in parallel, summed in origin order.
double shortest_path_total(const Network& net, const Demand& dm, const std::vector<double>& costs);

// TSTT and the Beckmann objective of `flow` (sptt and relative_gap left 0).
Evaluation link_totals(const Network& net, const std::vector<double>& flow);

// Completes an evaluation from its link totals and SPTT.
inline Evaluation with_sptt(Evaluation e, double sptt) {
  e.sptt = sptt;
  e.relative_gap = sptt > 0 ? (e.tstt - sptt) / sptt : 0.0;
  return e;
}

}  // namespace ut::traffic::detail
