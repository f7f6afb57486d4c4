// Demography (deaths, births, ageing, household formation), migration to control totals and the
// summaries. Per-person decisions run in parallel (each a pure function of the person's key);
// the compaction that follows is a serial pass in index order, so the result is the same for
// any thread count.
#include <oneapi/tbb/parallel_for.h>

#include <algorithm>
#include <cmath>

#include "models/population/population.hpp"

namespace ut::population {

namespace {

enum Event : std::uint8_t { kDies = 1, kBirth = 2, kBirthMale = 4, kLeaves = 8 };

std::vector<std::uint8_t> oldest_member(const State& s) {
  std::vector<std::uint8_t> out(s.households.size(), 0);
  for (std::size_t i = 0; i < s.persons.size(); ++i) out[s.persons.hh[i]] = std::max(out[s.persons.hh[i]], s.persons.age[i]);
  return out;
}

}  // namespace

std::vector<std::uint32_t> household_sizes(const State& s) {
  std::vector<std::uint32_t> n(s.households.size(), 0);
  for (const auto h : s.persons.hh) ++n[h];
  return n;
}

void remove_households(State& s, const std::vector<std::uint8_t>& keep) {
  auto& H = s.households;
  std::vector<std::uint32_t> remap(H.size(), kNone);
  std::uint32_t n = 0;
  for (std::size_t h = 0; h < H.size(); ++h) {
    if (!keep[h]) continue;
    remap[h] = n;
    H.key[n] = H.key[h];
    H.parcel[n] = H.parcel[h];
    H.placed[n] = H.placed[h];
    H.next_member[n] = H.next_member[h];
    H.moved_in[n] = H.moved_in[h];
    ++n;
  }
  H.key.resize(n);
  H.parcel.resize(n);
  H.placed.resize(n);
  H.next_member.resize(n);
  H.moved_in.resize(n);
  auto& P = s.persons;
  std::size_t m = 0;
  for (std::size_t i = 0; i < P.size(); ++i) {
    const std::uint32_t h = remap[P.hh[i]];
    if (h == kNone) continue;
    P.hh[m] = h;
    P.member[m] = P.member[i];
    P.age[m] = P.age[i];
    P.female[m] = P.female[i];
    P.status[m] = P.status[i];
    ++m;
  }
  P.hh.resize(m);
  P.member.resize(m);
  P.age.resize(m);
  P.female.resize(m);
  P.status.resize(m);
}

namespace {

std::uint8_t next_number(Households& H, std::uint32_t h) {
  const std::uint8_t m = H.next_member[h];
  if (m < 255) ++H.next_member[h];
  return m;
}

}  // namespace

Demography demography(State& s, const Params& p, std::uint64_t seed, int year) {
  Demography d;
  const std::size_t n = s.persons.size();
  const auto oldest = oldest_member(s);
  std::vector<std::uint8_t> ev(n, 0);
  const core::Rng rng(seed, core::Stream::demography, year);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, 4096), [&](const tbb::blocked_range<std::size_t>& r) {
    for (std::size_t i = r.begin(); i != r.end(); ++i) {
      const int age = s.persons.age[i];
      const bool female = s.persons.female[i];
      const std::size_t b = static_cast<std::size_t>(band(age));
      double u_death, u_birth, u_leave, u_sex;
      const std::uint64_t key = person_key(s, static_cast<std::uint32_t>(i));
      rng.uniform2(key, 0, u_death, u_birth);
      rng.uniform2(key, 1, u_leave, u_sex);
      const double q = (female ? p.death_female : p.death_male)[static_cast<std::size_t>(std::min(age, kMaxAge))];
      std::uint8_t e = 0;
      if (u_death < q) {
        e = kDies;
      } else {
        if (female && age >= 15 && age <= 49 && u_birth < p.fertility[b]) e |= kBirth | (u_sex < p.male_at_birth ? kBirthMale : 0);
        if (age >= 20 && age < 35 && oldest[s.persons.hh[i]] >= age + 15 && u_leave < p.leave_home[b]) e |= kLeaves;
      }
      ev[i] = e;
    }
  });
  // Serial, in person order: leavers found households, survivors age, newborns join the mother's
  // household (after any move of hers), the dead are removed.
  auto& H = s.households;
  auto& P = s.persons;
  Persons next;
  next.hh.reserve(n + n / 50);
  next.member.reserve(n + n / 50);
  next.age.reserve(n + n / 50);
  next.female.reserve(n + n / 50);
  next.status.reserve(n + n / 50);
  std::vector<std::pair<std::uint32_t, bool>> mothers;  // (mother in `next`, the newborn is male)
  for (std::size_t i = 0; i < n; ++i) {
    if (ev[i] & kDies) {
      ++d.deaths;
      continue;
    }
    std::uint32_t h = P.hh[i];
    std::uint8_t member = P.member[i];
    if (ev[i] & kLeaves) {
      const std::uint64_t key = core::mix64(person_key(s, static_cast<std::uint32_t>(i)), static_cast<std::uint64_t>(year));
      const std::uint32_t parcel = H.parcel[h];
      h = H.add(key, parcel, false, year);
      member = next_number(H, h);
      ++d.households_formed;
    }
    next.add(h, member, static_cast<std::uint8_t>(std::min(P.age[i] + 1, kMaxAge)), P.female[i], P.status[i]);
    if (ev[i] & kBirth) mothers.emplace_back(static_cast<std::uint32_t>(next.size() - 1), (ev[i] & kBirthMale) != 0);
  }
  for (const auto& [m, male] : mothers) {
    const std::uint32_t h = next.hh[m];
    next.add(h, next_number(H, h), 0, !male, Status::child);
    ++d.births;
  }
  P = std::move(next);
  const auto members = household_sizes(s);
  std::vector<std::uint8_t> keep(H.size());
  for (std::size_t h = 0; h < H.size(); ++h) {
    keep[h] = members[h] > 0;
    if (!keep[h]) ++d.households_dissolved;
  }
  if (d.households_dissolved > 0) remove_households(s, keep);
  update_status(s, p, seed);
  return d;
}

Migration migrate(State& s, const Params& p, const std::array<std::array<double, kAgeBands>, kSizes>& table,
                  std::uint64_t target, std::uint64_t seed, int year) {
  Migration m;
  m.target = target;
  const std::uint64_t pop = s.persons.size();
  const core::Rng rng(seed, core::Stream::migration, year);
  if (target < pop && pop > 0) {
    // Out-migration: each household leaves with the same probability; the draws are keyed by the
    // household, so adding one household does not change who else leaves.
    const double rate = static_cast<double>(pop - target) / static_cast<double>(pop);
    std::vector<std::uint8_t> keep(s.households.size(), 1);
    tbb::parallel_for(std::size_t{0}, s.households.size(), [&](std::size_t h) {
      keep[h] = rng.uniform(s.households.key[h], 0) < rate ? 0 : 1;
    });
    const auto members = household_sizes(s);
    for (std::size_t h = 0; h < keep.size(); ++h)
      if (!keep[h]) {
        ++m.out_households;
        m.out_persons += members[h];
      }
    remove_households(s, keep);
  }
  m.first_new = static_cast<std::uint32_t>(s.households.size());
  if (target > s.persons.size()) {
    // In-migration: households drawn like the base population, numbered by (year, serial).
    const std::uint64_t need = target - s.persons.size();
    for (std::uint64_t k = 0; m.in_persons < need; ++k) {
      const std::uint64_t key = core::mix64(core::mix64(0x4d49475241544531ULL, static_cast<std::uint64_t>(year)), k);
      const int size = draw_size(p, rng.uniform(key, 1));
      const std::uint32_t h = s.households.add(key, kNone, false, year);
      for (const auto& mem : draw_household(p, table, key, size, seed, year))
        s.persons.add(h, next_number(s.households, h), mem.age, mem.female, Status::adult);
      ++m.in_households;
      m.in_persons += static_cast<std::uint64_t>(size);
    }
    update_status(s, p, seed);
  }
  return m;
}

void update_status(State& s, const Params& p, std::uint64_t seed) {
  const core::Rng rng(seed, core::Stream::status, 0);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, s.persons.size(), 8192), [&](const tbb::blocked_range<std::size_t>& r) {
    for (std::size_t i = r.begin(); i != r.end(); ++i) {
      const int age = s.persons.age[i];
      const std::size_t b = static_cast<std::size_t>(band(age));
      double u_study, u_work;
      rng.uniform2(person_key(s, static_cast<std::uint32_t>(i)), 0, u_study, u_work);
      Status st;
      if (age < 6) st = Status::child;
      else if (age <= 14 || u_study < p.enrolment[b]) st = Status::student;
      else if (u_work < p.employment[b]) st = Status::worker;
      else st = age >= 60 ? Status::retired : Status::adult;
      s.persons.status[i] = st;
    }
  });
}

ParcelCounts count(const State& s, std::size_t parcels) {
  ParcelCounts c;
  c.residents.assign(parcels, 0);
  c.households.assign(parcels, 0);
  c.occupied.assign(parcels, 0);
  c.children_6_14.assign(parcels, 0);
  for (std::size_t h = 0; h < s.households.size(); ++h) {
    const std::uint32_t q = s.households.parcel[h];
    if (q == kNone) continue;
    ++c.households[q];
    c.occupied[q] += s.households.placed[h];
  }
  for (std::size_t i = 0; i < s.persons.size(); ++i) {
    const std::uint32_t q = s.households.parcel[s.persons.hh[i]];
    if (q == kNone) continue;
    ++c.residents[q];
    if (s.persons.age[i] >= 6 && s.persons.age[i] <= 14) ++c.children_6_14[q];
  }
  return c;
}

double mean_age(const State& s) {
  std::uint64_t sum = 0;
  for (const auto a : s.persons.age) sum += a;
  return s.persons.size() ? static_cast<double>(sum) / static_cast<double>(s.persons.size()) : 0.0;
}

}  // namespace ut::population
