#pragma once
// Population model: households and persons as agents in structure-of-arrays, a synthetic base
// population, and the yearly steps (demography, migration to control totals, move decision,
// logit location choice with capacity by deterministic lottery rounds). Pure code over plain
// arrays: no I/O. docs/population.md gives every equation and parameter with its source.
//
// Randomness: core::Rng (Philox4x32-10) keyed by (seed, stream, year) with the agent's stable
// 64-bit key as counter, so results do not depend on the thread count, and adding or removing
// a household never changes another household's draws.
#include <array>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/random.hpp"

namespace ut::population {

inline constexpr int kMaxAge = 110;            // nobody survives past this age
inline constexpr int kAgeBands = 18;           // 0-4, 5-9, ..., 80-84, 85+
inline constexpr int kSizes = 6;               // household sizes 1..5, 6 = six or more (drawn as 6)
inline constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();

inline int band(int age) { return age >= 85 ? 17 : age / 5; }

enum class Status : std::uint8_t { child = 0, student = 1, worker = 2, adult = 3, retired = 4 };

// Parameter tables. The values are a city's: sim fills them from the scenario's city profile
// (docs/profile-format.md); nothing here belongs to one city.
struct Params {
  std::array<double, kAgeBands> age_share{};       // share of persons by 5-year age band
  std::array<double, kAgeBands> male_share{};      // share of males within each band
  std::array<double, kSizes> household_size{};     // share of households by size
  std::array<double, kMaxAge + 1> death_male{}, death_female{};  // annual probability of death by age
  std::array<double, kAgeBands> fertility{};       // births per woman per year by age band
  double male_at_birth = 0;                        // share of boys among births
  std::array<double, kAgeBands> leave_home{};      // annual probability that an adult child forms a household
  std::array<double, kAgeBands> move{};            // annual probability that a household moves, by head's age
  std::array<double, kAgeBands> employment{};      // share of persons working, by age band
  std::array<double, kAgeBands> enrolment{};       // share of persons studying (school or higher), by age band
  // Location choice (logit): utility coefficients.
  double beta_tier = 0;       // per life-circle tier (5/10/15 min) the parcel passes
  double beta_park = 0;       // park within 500 m
  double beta_greenway = 0;   // greenway within 500 m
  double beta_metro = 0;      // metro station within 800 m
  double beta_school = 0;     // households with children 6-14: primary and middle school in reach
  double beta_commute = 0;    // per minute of the zone's mean commute
  double beta_price = 0;      // per unit of ln price
  int choice_set = 30;        // sampled alternatives per mover and round (the founders' guide)
  int max_rounds = 8;         // lottery rounds
};

// Gompertz-Makeham mortality: the annual probability of death at age x is
// min(1, factor * a * e^(b x) + background), with `infant` in place of `background` at age 0,
// and 1 at kMaxAge; factor is the sex's.
struct GompertzMakeham {
  double a = 0, b = 0, background = 0, infant = 0, male_factor = 0, female_factor = 0;
};
// Fills Params::death_male and death_female.
void set_mortality(Params& p, const GompertzMakeham& m);

// Households: dense index 0..size()-1 (32-bit), plus a stable 64-bit key that seeds the draws.
struct Households {
  std::vector<std::uint64_t> key;
  std::vector<std::uint32_t> parcel;      // parcel index it lives in; kNone for not-yet-placed in-migrants
  std::vector<std::uint8_t> placed;       // 1: holds a dwelling unit in `parcel`; 0: doubling up (unplaced)
  std::vector<std::uint8_t> next_member;  // member numbers handed out so far
  std::vector<std::int16_t> moved_in;     // year
  std::size_t size() const { return key.size(); }
  std::uint32_t add(std::uint64_t k, std::uint32_t p, bool has_unit, int year);
};

// Persons: dense index; a person's draws are keyed by (household key, member number).
struct Persons {
  std::vector<std::uint32_t> hh;
  std::vector<std::uint8_t> member, age, female;
  std::vector<Status> status;
  std::size_t size() const { return hh.size(); }
  void add(std::uint32_t h, std::uint8_t m, std::uint8_t a, bool f, Status s);
};

struct State {
  Households households;
  Persons persons;
  std::vector<std::uint32_t> units;  // per parcel: dwelling units (housing capacity)
};

// The stable key of a person: its household's key and its member number.
inline std::uint64_t person_key(const State& s, std::uint32_t person) {
  return core::mix64(s.households.key[s.persons.hh[person]], s.persons.member[person]);
}

// --- Base year.
// Synthesises households and persons so that every parcel holds exactly its residents. Household
// sizes follow Params::household_size; ages come from the size-by-age table that iterative
// proportional fitting makes consistent with both the age structure and the size distribution.
// Units per parcel: households * (1 + vacancy), rounded up.
void synthesize(State& s, const Params& p, const std::vector<std::int64_t>& parcel_id,
                const std::vector<std::uint32_t>& residents, double vacancy, std::uint64_t seed, int year);

// The IPF table: persons by household size (rows) and age band (columns), fitted to both
// margins; exposed for the tests.
std::array<std::array<double, kAgeBands>, kSizes> fit_size_by_age(const Params& p, int max_iterations = 1000);

// Members (age, female) of a household of the given size, drawn from the fitted table: the first
// member is an adult (20+).
struct Member {
  std::uint8_t age;
  bool female;
};
std::vector<Member> draw_household(const Params& p, const std::array<std::array<double, kAgeBands>, kSizes>& table,
                                   std::uint64_t key, int size, std::uint64_t seed, int year);

// A household size (1..6) from Params::household_size for a uniform u.
int draw_size(const Params& p, double u);

// --- Yearly steps.
struct Demography {
  std::uint64_t births = 0, deaths = 0, households_formed = 0, households_dissolved = 0;
};
// Deaths (at current age), births to women 15-49, ageing by one year, adult children leaving home
// (a new household that must find a dwelling; until then it doubles up with the parents).
Demography demography(State& s, const Params& p, std::uint64_t seed, int year);

struct Migration {
  std::uint64_t target = 0;        // the control total
  std::uint64_t out_persons = 0, out_households = 0;
  std::uint32_t first_new = 0;     // in-migrant households are [first_new, size()): not yet placed
  std::uint64_t in_households = 0, in_persons = 0;  // proposed (placement decides who arrives)
};
// Adds in-migrant households (drawn like the base population) or removes out-migrants
// (each household leaves with probability deficit / population) to approach `target`.
Migration migrate(State& s, const Params& p, const std::array<std::array<double, kAgeBands>, kSizes>& table,
                  std::uint64_t target, std::uint64_t seed, int year);

// Per-parcel systematic utility of living there this year (from coverage, traffic and the price
// proxy), and the school term for households with school-age children.
struct ParcelUtility {
  std::vector<float> base;    // per parcel
  std::vector<float> school;  // per parcel, added for households with children aged 6-14
};

struct Placement {
  std::uint64_t movers = 0, forced = 0, placed = 0, rounds = 0;
  std::uint64_t stayed = 0;  // voluntary movers whose best alternative was their current home
  std::uint64_t unplaced_households = 0;  // living in the city without a unit at year end
  std::uint64_t refused_households = 0, refused_persons = 0;  // in-migrants that found no unit
  std::uint64_t in_households = 0, in_persons = 0;            // in-migrants that arrived
};
// Move decision, evictions where units fell below occupancy, then location choice with capacity by
// lottery rounds. In-migrants left without a unit do not arrive (counted as refused); other
// households left without one double up where they are (counted as unplaced).
Placement relocate(State& s, const Params& p, const ParcelUtility& u, const Migration& m, std::uint64_t seed, int year);

// Recomputes each person's status (child, student, worker, adult, retired) from age and a
// propensity drawn once per person.
void update_status(State& s, const Params& p, std::uint64_t seed);

// Persons per household (index order).
std::vector<std::uint32_t> household_sizes(const State& s);

// Removes the households with keep[h] == 0 and their persons; the rest keep their order.
void remove_households(State& s, const std::vector<std::uint8_t>& keep);

// --- Summaries.
struct ParcelCounts {
  std::vector<std::uint32_t> residents, households, occupied, children_6_14;
};
ParcelCounts count(const State& s, std::size_t parcels);
double mean_age(const State& s);

}  // namespace ut::population
