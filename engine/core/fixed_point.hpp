#pragma once
// Fixed-point accumulation: sums of non-negative reals that must be bit-identical whatever the
// order of addition (thread count, partitioning). Values are scaled by 1e9 and rounded to int64;
// integer addition is associative, so any order gives the same sum.
//
// Domain: to_fixed takes finite values in [0, kFixedMax] (about 9.2e9). Callers keep their
// inputs inside it (scenario::limits::kMaxCapacity bounds 2SFCA's capacity x 1,000 per resident);
// a value beyond saturates at kFixedMax, below 0 or NaN gives 0 — never an out-of-range
// conversion. Sums saturate at kFixedMax too (add_saturating): for non-negative addends the
// saturated sum, min(true sum, kFixedMax), is still the same in any order.
#include <atomic>
#include <cmath>
#include <cstdint>

namespace ut::core {

inline constexpr double kFixedScale = 1e9;
inline constexpr double kFixedMax = 9.2e9;                               // < INT64_MAX / kFixedScale = 9.223e9
inline constexpr std::int64_t kFixedMaxRaw = 9'200'000'000'000'000'000;  // kFixedMax * kFixedScale

inline std::int64_t to_fixed(double v) {
  if (!(v > 0)) return 0;
  if (v >= kFixedMax) return kFixedMaxRaw;
  return static_cast<std::int64_t>(std::llround(v * kFixedScale));
}
inline double from_fixed(std::int64_t v) { return static_cast<double>(v) / kFixedScale; }

// slot += v (v in [0, kFixedMaxRaw]), saturating at kFixedMaxRaw; atomic, any thread order.
inline void add_saturating(std::int64_t& slot, std::int64_t v) {
  std::atomic_ref<std::int64_t> a(slot);
  std::int64_t cur = a.load(std::memory_order_relaxed);
  while (!a.compare_exchange_weak(cur, cur > kFixedMaxRaw - v ? kFixedMaxRaw : cur + v, std::memory_order_relaxed)) {
  }
}

}  // namespace ut::core
