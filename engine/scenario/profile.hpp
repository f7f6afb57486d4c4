#pragma once
// A city profile: every number the models hold about one city (demography, mortality, mobility,
// housing, location choice, trip rates and mode constants, land uses, lane and facility
// capacities), each with its source. One TOML file per city, named by the scenario's `profile`
// key; docs/profile-format.md is the reference. The engine holds no constant of a city: the
// simulation takes these values (sim converts them into the models' parameter structs).
#include <array>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "scenario/norms.hpp"

namespace ut::scenario {

inline constexpr int kProfileAgeBands = 18;  // 0-4, 5-9, ..., 80-84, 85+
inline constexpr int kProfileSizes = 6;      // household sizes 1..5, 6 = six or more

using BandTable = std::array<double, kProfileAgeBands>;

// [demography]
struct Demography {
  BandTable age_share_pct{};                           // % of persons by age band (sums to 100)
  BandTable male_share{};                              // share of males within each band, 0..1
  std::array<double, kProfileSizes> household_size{};  // share of households by size, 0..1 (sums to 1)
  BandTable fertility{};                               // births per woman per year, by band
  double male_at_birth = 0;                            // share of boys among births
  BandTable leave_home{};                              // annual probability that an adult child forms a household
  BandTable employment{};                              // share of persons working, by band
  BandTable enrolment{};                               // share of persons studying, by band
};

// [mortality]: Gompertz-Makeham annual probability of death at age x for sex g,
// q_g(x) = min(1, factor_g * gompertz_a * exp(gompertz_b * x) + makeham), with `infant` in
// place of `makeham` at age 0 (and q = 1 at the model's last age).
struct Mortality {
  double gompertz_a = 0, gompertz_b = 0, makeham = 0, infant = 0;
  double male_factor = 0, female_factor = 0;
};

// [mobility]
struct Mobility {
  BandTable move{};                // annual probability that a household moves, by its oldest member's band
  double growth_pct_per_year = 0;  // population growth where the scenario gives no control total
};

// [housing]
struct Housing {
  double vacancy_pct = 0;             // base-year vacant units over occupied units, %
  double new_units_pct_per_year = 0;  // units added each year by redevelopment, %
  double unit_floor_m2 = 0;           // floor area per dwelling unit where a rezoning creates housing
};

// [location_choice]: the relocation logit's utility coefficients and the price proxy.
struct LocationChoice {
  double beta_tier = 0, beta_park = 0, beta_greenway = 0, beta_metro = 0, beta_school = 0;
  double beta_commute = 0, beta_price = 0;
  double price_per_km = 0, price_metro = 0, price_park = 0;
};

// [trips]
struct Trips {
  double daily_trips_per_resident = 0;  // person trips per resident per day
  double peak_hour_share = 0;           // share of daily trips in the morning peak hour, 0..1
  double car_occupancy = 0;             // persons per car
  double floor_m2_per_job = 0;          // work floor area per job, m2
};

// [modes]: the mode-choice logit and the speeds of the modes the skims do not assign.
struct Modes {
  double beta_time = 0, asc_car = 0, asc_transit = 0, car_terminal_min = 0, beta_greenway = 0;
  double walk_m_per_min = 0, bike_m_per_min = 0, bike_overhead_min = 0;
  double metro_m_per_min = 0, metro_detour = 0, metro_wait_min = 0;
  double intrazonal_car_kmh = 0;
};

// [land_uses.NAME]: what a parcel's land use means to the models.
struct LandUse {
  double residential_share = 0;  // share of the floor area that is housing (population model)
  double job_share = 0;          // share of the floor area used for work (traffic model)
};

// [[compliance]]: one norm an indicator is set against (docs/compliance.md). The status of a
// year is pass when `value op target` holds, fail when it does not, no data when the indicator
// has no value that year.
enum class CompareOp { ge, le, gt, lt };
const char* op_text(CompareOp op);  // ">=", "<=", ">", "<"

struct ComplianceNorm {
  std::string indicator;  // an indicators.csv column (compliance_indicators)
  CompareOp op = CompareOp::ge;
  double target = 0;
  std::string norm;    // short bilingual text, 中文 / English
  std::string clause;  // the standard and its clause
  std::string source;  // where the target comes from
};

struct Profile {
  std::filesystem::path file;
  std::string name, description;
  Demography demography;
  Mortality mortality;
  Mobility mobility;
  Housing housing;
  LocationChoice location_choice;
  Trips trips;
  Modes modes;
  std::map<std::string, LandUse> land_uses;
  std::map<std::string, double> lane_capacity;      // [road_capacity]: veh/h per lane by road class
  double lane_capacity_other = 0;                   // [road_capacity] other: every class not listed
  std::filesystem::path norms_file;                 // [norms] file: the standards file (absolute or relative to the cwd)
  std::vector<Norm> norms;                          // its classes with the profile's [norms.<class>] overrides
  std::map<std::string, double> facility_capacity;  // [facility_capacity]: a site's capacity by coverage class
  std::map<std::string, std::string> sources;       // "table.key" -> the source of that number
  std::vector<ComplianceNorm> compliance;           // [[compliance]], in file order (optional: none)
};

// Parses and validates a profile file: every table present, no unknown key (the nearest valid
// key suggested), rates in 0..1, arrays of their length, and a source for every number
// (`source` of its table or `sources.KEY`). [norms] names the standards file (load_norms; relative
// to the profile) and may override its classes' fields, each with a source; [facility_capacity]
// and [[compliance]] name its classes. The table [prepare_osm] belongs to `urbantwin prepare-osm`
// and is not read here. Throws core::InputError naming the file (the profile's or the standards
// file's) and the key.
Profile load_profile(const std::filesystem::path& file);

// The indicators.csv columns a [[compliance]] norm may name: those every run with these norms
// writes, in the order sim::compute_indicators writes them.
std::vector<std::string> compliance_indicators(const std::vector<Norm>& norms);

// The lane capacity of a road class (veh/h per lane) by the profile.
double lane_capacity(const Profile& p, const std::string& road_class);

}  // namespace ut::scenario
