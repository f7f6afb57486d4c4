#pragma once
// Ensemble statistics of a study (docs/batch.md, "Statistics"): the mean of n replications with
// a 95 % confidence interval by Student's t, and differences between two scenarios paired by
// seed (common random numbers) with, beside them, the unpaired (Welch) interval for comparison.
#include <cstddef>
#include <optional>
#include <vector>

namespace ut::batch {

struct Summary {
  std::size_t n = 0;
  double mean = 0, sd = 0, min = 0, max = 0;
  std::optional<double> ci_low, ci_high;  // n >= 2: mean -/+ t(0.975, n-1) sd / sqrt(n)
};

// Of the values present (nullopt: no data in that run). n = 0: every field 0, no interval.
Summary summarize(const std::vector<std::optional<double>>& values);

struct Difference {
  std::size_t n = 0;                    // pairs with data in both runs
  double mean = 0, sd = 0;              // of the differences b - a
  std::optional<double> ci_low, ci_high;  // paired: mean -/+ t(0.975, n-1) sd / sqrt(n), n >= 2
  std::optional<bool> distinguishable;  // the paired interval excludes 0 (n >= 2)
  // Welch's unpaired interval for the same difference of means (n >= 2 in each arm; both arms
  // constant: the difference itself).
  std::optional<double> unpaired_low, unpaired_high;
};

// b[i] - a[i] over the indices where both have data (a and b are paired: same seed at index i).
Difference difference(const std::vector<std::optional<double>>& a, const std::vector<std::optional<double>>& b);

// The 0.975 quantile of Student's t with `df` degrees of freedom (Boost.Math); df > 0.
double t975(double df);

}  // namespace ut::batch
