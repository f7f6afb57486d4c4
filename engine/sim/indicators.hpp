#pragma once
// Indicators of a year from the coverage results (docs/indicators.md defines each one).
#include <vector>

#include "city/city.hpp"
#include "scenario/scenario.hpp"
#include "sim/simulation.hpp"

namespace ut::sim {

void compute_indicators(const scenario::Scenario& s, const city::City& c, YearResult& y);

}  // namespace ut::sim
