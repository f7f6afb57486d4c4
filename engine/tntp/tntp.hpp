#pragma once
// Reader for the TNTP test-network format (net, trips, flow and node files) as the files really
// are: `<TAG> value` metadata, `~` comments, tabs and spaces, `;` terminators, zero and intrazonal
// entries (../shared/guide/tntp-format.md and docs/traffic.md). Every problem is an InputError
// naming the file, the line, the field, the rule and the value, except three that public files
// have and tap-b solves, which are tolerated with a warning on the result's `warnings` (never
// printed here): a self-loop (dropped), a `<TOTAL OD FLOW>` within 1 % of the entries' sum (the
// entries are used) and demand between zones with no path (excluded). With `strict` those are
// InputErrors too.
#include <cstdint>
#include <filesystem>
#include <vector>

#include "models/traffic/network.hpp"

namespace ut::tntp {

// The network of a `_net.tntp` file; nodes 0..N-1 are the file's ids 1..N.
traffic::Network read_net(const std::filesystem::path& file, bool strict = false);

// The demand of a `_trips.tntp` file for `net` (zone count must agree), without the pairs that no
// path in `net` serves (traffic::exclude_unreachable; an error when that leaves no demand at all).
traffic::Demand read_trips(const std::filesystem::path& file, const traffic::Network& net, bool strict = false);

struct FlowRow {
  std::int64_t from = 0, to = 0;
  double volume = 0, cost = 0;
};
// The rows of a best-known `_flow.tntp` file, in file order.
std::vector<FlowRow> read_flow(const std::filesystem::path& file);

}  // namespace ut::tntp
