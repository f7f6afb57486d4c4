#pragma once
// Fixed-point accumulation: sums of non-negative reals that must be bit-identical whatever the
// order of addition (thread count, partitioning). Values are scaled by 1e9 and rounded to int64;
// integer addition is associative, so any order gives the same sum.
#include <cmath>
#include <cstdint>

namespace ut::core {

inline constexpr double kFixedScale = 1e9;

inline std::int64_t to_fixed(double v) { return static_cast<std::int64_t>(std::llround(v * kFixedScale)); }
inline double from_fixed(std::int64_t v) { return static_cast<double>(v) / kFixedScale; }

}  // namespace ut::core
