#pragma once
// Reader for the TNTP test-network format (net, trips, flow and node files) as the files really
// are: `<TAG> value` metadata, `~` comments, tabs and spaces, `;` terminators, zero and intrazonal
// entries (../shared/guide/tntp-format.md and docs/traffic.md). Strict: every problem is an
// InputError naming the file, the line, the field, the rule and the value.
#include <cstdint>
#include <filesystem>
#include <vector>

#include "models/traffic/network.hpp"

namespace ut::tntp {

// The network of a `_net.tntp` file; nodes 0..N-1 are the file's ids 1..N.
traffic::Network read_net(const std::filesystem::path& file);

// The demand of a `_trips.tntp` file for `net` (zone count must agree).
traffic::Demand read_trips(const std::filesystem::path& file, const traffic::Network& net);

struct FlowRow {
  std::int64_t from = 0, to = 0;
  double volume = 0, cost = 0;
};
// The rows of a best-known `_flow.tntp` file, in file order.
std::vector<FlowRow> read_flow(const std::filesystem::path& file);

}  // namespace ut::tntp
