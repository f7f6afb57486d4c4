#pragma once
// The process's peak resident memory, for the per-phase memory record of timings.json.
#include <cstdint>

namespace ut::core {

// The largest resident set the process has had so far (getrusage's ru_maxrss), in KiB; 0 where
// the system does not say.
std::uint64_t peak_rss_kib();

}  // namespace ut::core
