#include "sim/rules.hpp"

namespace ut::sim {

static_assert(scenario::kProfileAgeBands == population::kAgeBands, "a profile's age bands are the model's");
static_assert(scenario::kProfileSizes == population::kSizes, "a profile's household sizes are the model's");

population::Params population_params(const scenario::Profile& p) {
  population::Params out;
  const auto& d = p.demography;
  out.age_share = d.age_share_pct;
  out.male_share = d.male_share;
  out.household_size = d.household_size;
  out.fertility = d.fertility;
  out.male_at_birth = d.male_at_birth;
  out.leave_home = d.leave_home;
  out.employment = d.employment;
  out.enrolment = d.enrolment;
  out.move = p.mobility.move;
  const auto& m = p.mortality;
  population::set_mortality(out, {m.gompertz_a, m.gompertz_b, m.makeham, m.infant, m.male_factor, m.female_factor});
  const auto& lc = p.location_choice;
  out.beta_tier = lc.beta_tier;
  out.beta_park = lc.beta_park;
  out.beta_greenway = lc.beta_greenway;
  out.beta_metro = lc.beta_metro;
  out.beta_school = lc.beta_school;
  out.beta_commute = lc.beta_commute;
  out.beta_price = lc.beta_price;
  return out;
}

traffic::ModeParams mode_params(const scenario::Profile& p) {
  traffic::ModeParams out;
  out.beta_time = p.modes.beta_time;
  out.asc_car = p.modes.asc_car;
  out.asc_transit = p.modes.asc_transit;
  out.car_terminal_min = p.modes.car_terminal_min;
  out.beta_greenway = p.modes.beta_greenway;
  return out;
}

}  // namespace ut::sim
