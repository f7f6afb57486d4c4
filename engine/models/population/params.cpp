// Default parameter tables for central Chengdu. Every value and its source: docs/population.md.
#include <cmath>

#include "models/population/population.hpp"

namespace ut::population {

Params Params::chengdu() {
  Params p;
  // Age structure: the 7th census aggregates for Chengdu (0-14 13.28 %, 15-59 68.74 %, 60+ 17.98 %,
  // 65+ 13.62 %), split into 5-year bands by us [check].
  p.age_share = {4.20, 4.60, 4.48, 4.00, 6.00, 8.20, 9.60, 8.00, 7.10,
                 8.00, 9.00, 8.84, 4.36, 5.00, 3.90, 2.30, 1.40, 1.02};
  p.male_share = {0.52, 0.52, 0.52, 0.52, 0.505, 0.505, 0.505, 0.505, 0.505,
                  0.505, 0.505, 0.505, 0.49, 0.48, 0.47, 0.46, 0.43, 0.40};
  // Households by size 1..6+: mean 2.49 persons (7th census, Chengdu) [check the shares].
  p.household_size = {0.27, 0.30, 0.22, 0.12, 0.06, 0.03};
  // Mortality: Gompertz-Makeham m(x) = a e^(b x) * sex factor + background, with infant mortality;
  // life expectancy at birth 81.5 (Chengdu 2020) [check].
  for (int x = 0; x <= kMaxAge; ++x) {
    const double g = 2.2e-5 * std::exp(0.095 * x);
    const double bg = x == 0 ? 0.0015 : 0.0002;
    p.death_male[x] = x == kMaxAge ? 1.0 : std::min(1.0, 1.25 * g + bg);
    p.death_female[x] = x == kMaxAge ? 1.0 : std::min(1.0, 0.80 * g + bg);
  }
  // Age-specific fertility, births per woman per year (total fertility rate 1.05) [check].
  p.fertility = {0, 0, 0, 0.004, 0.035, 0.075, 0.062, 0.026, 0.006, 0.001, 0, 0, 0, 0, 0, 0, 0, 0};
  // Adult children (with a parent 15+ years older at home) forming their own household, per year.
  p.leave_home = {0, 0, 0, 0, 0.03, 0.05, 0.03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  // Voluntary moves per household and year, by the head's (oldest member's) age [check].
  p.move = {0.15, 0.15, 0.15, 0.15, 0.15, 0.10, 0.10, 0.06, 0.06, 0.03, 0.03, 0.03, 0.03, 0.015,
            0.015, 0.015, 0.015, 0.015};
  p.employment = {0, 0, 0, 0.10, 0.45, 0.82, 0.82, 0.82, 0.82, 0.82, 0.82, 0.55, 0.20, 0.05, 0, 0, 0, 0};
  p.enrolment = {0, 1.0, 1.0, 0.80, 0.30, 0.02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  return p;
}

}  // namespace ut::population
