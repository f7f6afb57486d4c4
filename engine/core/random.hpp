#pragma once
// Counter-based random numbers (Random123 Philox4x32-10): every draw is a pure function of
// (seed, stream, year, agent key, draw index). No generator state is shared or advanced, so the
// draws do not depend on the thread count or on the order agents are visited, and adding or
// removing one agent never shifts another agent's draws. No std::*_distribution (their output is
// implementation-defined): the transforms below are written out.
#include <Random123/philox.h>

#include <cmath>
#include <cstdint>

namespace ut::core {

// The models that draw; each has its own substream, so adding a model never changes old results.
enum class Stream : std::uint32_t {
  synthesis = 1,
  demography = 2,
  migration = 3,
  mobility = 4,
  location = 5,
  priority = 6,
  status = 7,
};

// SplitMix64's finaliser: a bijective 64-bit mix, used to derive stable agent keys.
constexpr std::uint64_t mix64(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
constexpr std::uint64_t mix64(std::uint64_t a, std::uint64_t b) { return mix64(a ^ mix64(b + 0x632be59bd9b4e019ULL)); }

class Rng {
 public:
  using Philox = r123::Philox4x32;

  Rng(std::uint64_t seed, Stream stream, int year)
      : key_{{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}},
        tag_((static_cast<std::uint32_t>(stream) << 16) | (static_cast<std::uint32_t>(year) & 0xffffu)) {}

  // Four independent 32-bit words for (agent, index).
  Philox::ctr_type words(std::uint64_t agent, std::uint32_t index) const {
    const Philox::ctr_type c = {{static_cast<std::uint32_t>(agent), static_cast<std::uint32_t>(agent >> 32), tag_, index}};
    return Philox()(c, key_);
  }

  // Uniform in the open interval (0, 1), 53 bits.
  double uniform(std::uint64_t agent, std::uint32_t index) const {
    const auto w = words(agent, index);
    return to_open01(w[0], w[1]);
  }

  // Two uniforms from one Philox call (words 0-1 and 2-3).
  void uniform2(std::uint64_t agent, std::uint32_t index, double& a, double& b) const {
    const auto w = words(agent, index);
    a = to_open01(w[0], w[1]);
    b = to_open01(w[2], w[3]);
  }

  // A 64-bit hash of (agent, index): priorities, ties.
  std::uint64_t bits64(std::uint64_t agent, std::uint32_t index) const {
    const auto w = words(agent, index);
    return (static_cast<std::uint64_t>(w[0]) << 32) | w[1];
  }

  static double to_open01(std::uint32_t hi, std::uint32_t lo) {
    const std::uint64_t k = (static_cast<std::uint64_t>(hi) << 21) ^ (lo >> 11);  // 53 bits
    return (static_cast<double>(k & ((1ULL << 53) - 1)) + 0.5) * 0x1.0p-53;
  }

  // Standard Gumbel by inversion: -ln(-ln u).
  static double gumbel(double u) { return -std::log(-std::log(u)); }

 private:
  Philox::key_type key_;
  std::uint32_t tag_;
};

}  // namespace ut::core
