#pragma once
// The process's peak resident memory, for the per-phase memory record of timings.json.
#include <cstdint>

namespace ut::core {

// The largest resident set the process has had so far (getrusage's ru_maxrss), in KiB; 0 where
// the system does not say.
std::uint64_t peak_rss_kib();

// How much the peak resident memory rose since this object was made (a phase's share of the
// peak), in KiB.
class PeakRise {
 public:
  PeakRise() : start_(peak_rss_kib()) {}
  std::uint64_t start_kib() const { return start_; }
  std::uint64_t kib() const {
    const std::uint64_t now = peak_rss_kib();
    return now > start_ ? now - start_ : 0;
  }

 private:
  std::uint64_t start_;
};

}  // namespace ut::core
