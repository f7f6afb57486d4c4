// Population model: synthesis, demography against a hand-computed cohort, conservation,
// capacity, attraction, composition invariance and thread-count independence.
#include <catch2/catch.hpp>
#include <tbb/global_control.h>

#include <cmath>
#include <map>
#include <numeric>

#include "models/population/population.hpp"
#include "scenario/profile.hpp"
#include "sim/rules.hpp"

using namespace ut;
using namespace ut::population;

namespace {

// Central Chengdu's parameters: the bundled profile, as the simulation reads it.
const Params& chengdu() {
  static const Params p = sim::population_params(
      scenario::load_profile(std::string(UT_SOURCE_DIR) + "/gis-data/chengdu-center/profile.toml"));
  return p;
}

// Parameters with every rate zero: tests switch on only what they check.
Params zero_rates() {
  Params p = chengdu();
  p.death_male.fill(0);
  p.death_female.fill(0);
  p.fertility.fill(0);
  p.leave_home.fill(0);
  p.move.fill(0);
  return p;
}

State synthetic(std::size_t parcels, std::uint32_t residents_each, double vacancy, std::uint64_t seed = 7) {
  std::vector<std::int64_t> ids(parcels);
  std::iota(ids.begin(), ids.end(), 100);
  std::vector<std::uint32_t> res(parcels, residents_each);
  State s;
  synthesize(s, chengdu(), ids, res, vacancy, seed, 2024);
  return s;
}

ParcelUtility flat_utility(std::size_t parcels) {
  ParcelUtility u;
  u.base.assign(parcels, 0.0f);
  u.school.assign(parcels, 0.0f);
  return u;
}

// One full year: demography, migration to `target`, relocation.
struct YearOut {
  Demography d;
  Migration m;
  Placement pl;
};
YearOut year(State& s, const Params& p, const ParcelUtility& u, std::uint64_t target, int y, std::uint64_t seed = 7) {
  YearOut o;
  o.d = demography(s, p, seed, y);
  o.m = migrate(s, p, fit_size_by_age(p), target, seed, y);
  o.pl = relocate(s, p, u, o.m, seed, y);
  return o;
}

}  // namespace

TEST_CASE("IPF: the household-size by age table meets both margins", "[population]") {
  const Params p = chengdu();
  const auto t = fit_size_by_age(p);
  double hs = 0, as = 0;
  for (int s = 0; s < kSizes; ++s) hs += (s + 1) * p.household_size[s];
  for (double a : p.age_share) as += a;
  for (int s = 0; s < kSizes; ++s) {
    double row = 0;
    for (int a = 0; a < kAgeBands; ++a) row += t[s][a];
    CHECK(row == Approx((s + 1) * p.household_size[s] / hs).margin(1e-12));
  }
  for (int a = 0; a < kAgeBands; ++a) {
    double col = 0;
    for (int s = 0; s < kSizes; ++s) col += t[s][a];
    CHECK(col == Approx(p.age_share[a] / as).margin(1e-12));
  }
  CHECK(t[0][0] == 0.0);  // nobody under 5 lives alone (a structural zero of the seed)
}

TEST_CASE("Synthesis: every parcel holds exactly its residents -- households and ages match Chengdu's tables", "[population]") {
  const State s = synthetic(400, 2500, 0.06);
  const auto c = count(s, 400);
  for (std::size_t q = 0; q < 400; ++q) REQUIRE(c.residents[q] == 2500);
  const double mean_size = static_cast<double>(s.persons.size()) / static_cast<double>(s.households.size());
  CHECK(mean_size == Approx(2.49).margin(0.02));
  // Age structure: the 7th-census aggregates within half a percentage point.
  double under15 = 0, over60 = 0;
  for (auto a : s.persons.age) {
    under15 += a < 15;
    over60 += a >= 60;
  }
  const double n = static_cast<double>(s.persons.size());
  CHECK(100 * under15 / n == Approx(13.28).margin(0.5));
  CHECK(100 * over60 / n == Approx(17.98).margin(0.5));
  // Every household has an adult (20+) and units cover households plus the vacancy.
  std::vector<int> adult(s.households.size(), 0);
  for (std::size_t i = 0; i < s.persons.size(); ++i) adult[s.persons.hh[i]] |= s.persons.age[i] >= 20;
  CHECK(std::all_of(adult.begin(), adult.end(), [](int a) { return a == 1; }));
  for (std::size_t q = 0; q < 400; ++q) CHECK(s.units[q] == static_cast<std::uint32_t>(std::ceil(c.households[q] * 1.06 - 1e-9)));
}

TEST_CASE("Demography: a hand-computed cohort", "[population]") {
  Params p = zero_rates();
  p.death_male[80] = 1.0;    // 80-year-olds die this year
  p.death_female[80] = 1.0;
  p.fertility[6] = 1.0;      // women 30-34 give birth
  p.male_at_birth = 1.0;     // to boys
  State s;
  s.units = {5, 5};
  const auto a = s.households.add(11, 0, true, 2024);
  const auto b = s.households.add(22, 1, true, 2024);
  s.persons.add(a, s.households.next_member[a]++, 80, false, Status::retired);
  s.persons.add(a, s.households.next_member[a]++, 31, true, Status::worker);
  s.persons.add(a, s.households.next_member[a]++, 33, false, Status::worker);
  s.persons.add(b, s.households.next_member[b]++, 80, true, Status::retired);
  const auto d = demography(s, p, 1, 2025);
  CHECK(d.deaths == 2);
  CHECK(d.births == 1);
  CHECK(d.households_dissolved == 1);  // household b had one member, who died
  REQUIRE(s.households.size() == 1);
  CHECK(s.households.key[0] == 11);
  REQUIRE(s.persons.size() == 3);
  CHECK(s.persons.age[0] == 32);
  CHECK(s.persons.female[0] == 1);
  CHECK(s.persons.age[1] == 34);
  CHECK(s.persons.age[2] == 0);  // the newborn, a boy, in the mother's household
  CHECK(s.persons.female[2] == 0);
  CHECK(s.persons.hh[2] == 0);
  CHECK(s.persons.member[2] == 3);  // members 0-2 were numbered at the start
  CHECK(mean_age(s) == Approx(22.0));
}

TEST_CASE("Demography: rates are applied as probabilities (10 % of 100,000 die, within 4 sigma)", "[population]") {
  Params p = zero_rates();
  p.death_male[50] = 0.1;
  State s;
  s.units = {200000};
  for (int i = 0; i < 100000; ++i) {
    const auto h = s.households.add(core::mix64(static_cast<std::uint64_t>(i)), 0, true, 2024);
    s.persons.add(h, s.households.next_member[h]++, 50, false, Status::worker);
  }
  const auto d = demography(s, p, 3, 2025);
  CHECK(std::abs(static_cast<double>(d.deaths) - 10000.0) < 4 * std::sqrt(100000 * 0.1 * 0.9));
  CHECK(d.births == 0);
}

TEST_CASE("Leaving home: adult children form a household that must find a unit", "[population]") {
  Params p = zero_rates();
  p.leave_home[4] = 1.0;  // everyone 20-24 with a parent at home leaves
  State s;
  s.units = {1, 3};
  const auto h = s.households.add(5, 0, true, 2024);
  s.persons.add(h, s.households.next_member[h]++, 50, true, Status::worker);
  s.persons.add(h, s.households.next_member[h]++, 22, false, Status::student);
  const auto d = demography(s, p, 1, 2025);
  CHECK(d.households_formed == 1);
  REQUIRE(s.households.size() == 2);
  CHECK(s.households.placed[1] == 0);  // doubling up until placed
  CHECK(s.households.parcel[1] == 0);
  const Migration none{0, 0, 0, static_cast<std::uint32_t>(s.households.size()), 0, 0};
  const auto pl = relocate(s, p, flat_utility(2), none, 1, 2025);
  CHECK(pl.movers == 1);
  CHECK(pl.placed == 1);
  CHECK(s.households.placed[1] == 1);
  CHECK(s.households.parcel[1] == 1);  // the only parcel with a vacant unit
  CHECK(pl.unplaced_households == 0);
}

TEST_CASE("Population is conserved every year: change = births - deaths + in - out", "[population]") {
  State s = synthetic(60, 900, 0.02);
  const Params p = chengdu();
  const auto u = flat_utility(60);
  std::uint64_t pop = s.persons.size();
  const std::uint64_t targets[] = {pop + 3000, pop + 3000, pop - 2000, pop - 2000, pop + 500};
  int y = 2025;
  for (const auto target : targets) {
    const auto o = year(s, p, u, target, y++);
    const std::int64_t change = static_cast<std::int64_t>(s.persons.size()) - static_cast<std::int64_t>(pop);
    CHECK(change == static_cast<std::int64_t>(o.d.births) - static_cast<std::int64_t>(o.d.deaths) +
                        static_cast<std::int64_t>(o.pl.in_persons) - static_cast<std::int64_t>(o.m.out_persons));
    // Nobody is lost: refused in-migrants are exactly the proposed ones that did not arrive.
    CHECK(o.pl.in_persons + o.pl.refused_persons == o.m.in_persons);
    const auto c = count(s, 60);
    CHECK(std::accumulate(c.residents.begin(), c.residents.end(), std::uint64_t{0}) == s.persons.size());
    pop = s.persons.size();
  }
}

TEST_CASE("Capacity is never exceeded (also after units are taken away) and the unplaced are counted", "[population]") {
  State s = synthetic(50, 1000, 0.03);
  Params p = chengdu();
  p.move.fill(0.3);
  const auto u = flat_utility(50);
  for (int y = 2025; y <= 2030; ++y) {
    if (y == 2027)
      for (std::size_t q = 0; q < 10; ++q) s.units[q] /= 2;  // a rezoning halves ten parcels' housing
    const std::uint64_t target = s.persons.size() + 4000;  // more in-migrants than vacant units
    const auto o = year(s, p, u, target, y);
    const auto c = count(s, 50);
    for (std::size_t q = 0; q < 50; ++q) REQUIRE(c.occupied[q] <= s.units[q]);
    std::uint64_t unplaced = 0;
    for (auto pl : s.households.placed) unplaced += pl == 0;
    CHECK(o.pl.unplaced_households == unplaced);
    if (y == 2027) CHECK(o.pl.forced > 0);
  }
}

TEST_CASE("A parcel made more attractive gains residents relative to the baseline", "[population]") {
  Params p = chengdu();
  p.move.fill(0.2);
  State a = synthetic(40, 1000, 0.15), b = a;
  auto ua = flat_utility(40), ub = ua;
  ub.base[7] = 1.5;  // e.g. a new school and park next to parcel 7
  for (int y = 2025; y <= 2027; ++y) {
    year(a, p, ua, a.persons.size(), y);
    year(b, p, ub, b.persons.size(), y);
  }
  const auto ca = count(a, 40), cb = count(b, 40);
  CHECK(cb.residents[7] > ca.residents[7]);
  // It is the fullest parcel of the city.
  const double rate7 = static_cast<double>(cb.occupied[7]) / b.units[7];
  for (std::size_t q = 0; q < 40; ++q)
    if (q != 7) CHECK(rate7 > static_cast<double>(cb.occupied[q]) / b.units[q]);
}

TEST_CASE("Adding an unrelated household leaves every other household's outcome unchanged", "[population]") {
  Params p = chengdu();
  p.move.fill(0.2);
  State a = synthetic(30, 800, 0.05);
  for (auto& u : a.units) u += 5000;  // ample room: no lottery conflicts
  State b = a;
  // The extra household doubles up in parcel 3 (holds no unit): the vacancy snapshot is unchanged.
  const auto h = b.households.add(0xABCDEF, 3, false, 2024);
  b.persons.add(h, b.households.next_member[h]++, 35, true, Status::worker);
  b.persons.add(h, b.households.next_member[h]++, 8, false, Status::student);
  const auto u = flat_utility(30);
  for (int y = 2025; y <= 2027; ++y) {
    year(a, p, u, a.persons.size(), y);  // no migration
    year(b, p, u, b.persons.size(), y);
  }
  auto outcome = [](const State& s) {
    std::map<std::uint64_t, std::tuple<std::uint32_t, int, std::vector<int>>> out;
    std::map<std::uint64_t, std::vector<int>> ages;
    for (std::size_t i = 0; i < s.persons.size(); ++i) ages[s.households.key[s.persons.hh[i]]].push_back(s.persons.age[i]);
    for (std::size_t k = 0; k < s.households.size(); ++k)
      out[s.households.key[k]] = {s.households.parcel[k], s.households.placed[k], ages[s.households.key[k]]};
    return out;
  };
  auto oa = outcome(a), ob = outcome(b);
  std::size_t compared = 0;
  for (const auto& [key, v] : oa) {
    REQUIRE(ob.count(key) == 1);
    CHECK(ob.at(key) == v);
    ++compared;
  }
  CHECK(compared > 9000);
  CHECK(ob.size() >= oa.size() + 1);  // the extra household (and any it formed) on top
}

TEST_CASE("Population years are identical for 1, 2 and 8 threads", "[population]") {
  auto run = [](std::size_t threads) {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
    State s = synthetic(80, 700, 0.04);
    Params p = chengdu();
    ParcelUtility u = flat_utility(80);
    for (std::size_t q = 0; q < 80; ++q) u.base[q] = static_cast<float>(q % 7) * 0.1f;
    for (int y = 2025; y <= 2028; ++y) year(s, p, u, s.persons.size() + 1500, y);
    return s;
  };
  const State a = run(1), b = run(2), c = run(8);
  CHECK(a.households.key == b.households.key);
  CHECK(a.households.parcel == b.households.parcel);
  CHECK(a.persons.age == b.persons.age);
  CHECK(a.persons.hh == b.persons.hh);
  CHECK(a.households.key == c.households.key);
  CHECK(a.households.parcel == c.households.parcel);
  CHECK(a.persons.age == c.persons.age);
}
