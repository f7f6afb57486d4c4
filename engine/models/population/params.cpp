// Mortality tables from the Gompertz-Makeham law; the parameters are a city's (its profile).
#include <algorithm>
#include <cmath>

#include "models/population/population.hpp"

namespace ut::population {

void set_mortality(Params& p, const GompertzMakeham& m) {
  for (int x = 0; x <= kMaxAge; ++x) {
    const double g = m.a * std::exp(m.b * x);
    const double bg = x == 0 ? m.infant : m.background;
    p.death_male[x] = x == kMaxAge ? 1.0 : std::min(1.0, m.male_factor * g + bg);
    p.death_female[x] = x == kMaxAge ? 1.0 : std::min(1.0, m.female_factor * g + bg);
  }
}

}  // namespace ut::population
