// The base-year synthetic population: iterative proportional fitting of a household-size by
// age table, then households drawn parcel by parcel until each parcel holds its residents.
#include <algorithm>
#include <cmath>

#include "models/population/population.hpp"

namespace ut::population {

std::uint32_t Households::add(std::uint64_t k, std::uint32_t p, bool has_unit, int year) {
  key.push_back(k);
  parcel.push_back(p);
  placed.push_back(has_unit ? 1 : 0);
  next_member.push_back(0);
  moved_in.push_back(static_cast<std::int16_t>(year));
  return static_cast<std::uint32_t>(key.size() - 1);
}

void Persons::add(std::uint32_t h, std::uint8_t m, std::uint8_t a, bool f, Status s) {
  hh.push_back(h);
  member.push_back(m);
  age.push_back(a);
  female.push_back(f ? 1 : 0);
  status.push_back(s);
}

std::array<std::array<double, kAgeBands>, kSizes> fit_size_by_age(const Params& p, int max_iterations) {
  std::array<std::array<double, kAgeBands>, kSizes> t{};
  // Seed: one-person households hold no children under 15 and few teenagers; two-person
  // households few children (single parents). Everything else starts equal.
  for (int s = 0; s < kSizes; ++s)
    for (int a = 0; a < kAgeBands; ++a) t[s][a] = 1.0;
  for (int a = 0; a < 3; ++a) t[0][a] = 0.0;
  t[0][3] = 0.2;
  for (int a = 0; a < 3; ++a) t[1][a] = 0.3;
  std::array<double, kSizes> row{};
  std::array<double, kAgeBands> col{};
  double rs = 0, cs = 0;
  for (int s = 0; s < kSizes; ++s) rs += (s + 1) * p.household_size[s];
  for (int s = 0; s < kSizes; ++s) row[s] = (s + 1) * p.household_size[s] / rs;  // persons by household size
  for (int a = 0; a < kAgeBands; ++a) cs += p.age_share[a];
  for (int a = 0; a < kAgeBands; ++a) col[a] = p.age_share[a] / cs;  // persons by age band
  for (int it = 0; it < max_iterations; ++it) {
    for (int s = 0; s < kSizes; ++s) {
      double sum = 0;
      for (int a = 0; a < kAgeBands; ++a) sum += t[s][a];
      if (sum > 0)
        for (int a = 0; a < kAgeBands; ++a) t[s][a] *= row[s] / sum;
    }
    double err = 0;
    for (int a = 0; a < kAgeBands; ++a) {
      double sum = 0;
      for (int s = 0; s < kSizes; ++s) sum += t[s][a];
      if (sum > 0)
        for (int s = 0; s < kSizes; ++s) t[s][a] *= col[a] / sum;
    }
    for (int s = 0; s < kSizes; ++s) {
      double sum = 0;
      for (int a = 0; a < kAgeBands; ++a) sum += t[s][a];
      err = std::max(err, std::abs(sum - row[s]));
    }
    if (err < 1e-13) break;
  }
  return t;
}

namespace {

int pick(const double* w, int n, double u) {
  double total = 0;
  for (int i = 0; i < n; ++i) total += w[i];
  double acc = 0;
  for (int i = 0; i < n; ++i) {
    acc += w[i] / total;
    if (u < acc) return i;
  }
  for (int i = n - 1; i >= 0; --i)
    if (w[i] > 0) return i;
  return n - 1;
}

}  // namespace

std::vector<Member> draw_household(const Params& p, const std::array<std::array<double, kAgeBands>, kSizes>& table,
                                   std::uint64_t key, int size, std::uint64_t seed, int year) {
  const core::Rng rng(seed, core::Stream::synthesis, year);
  // Per household of this size, the table expects size * r(a) members of age band a. The first
  // member is an adult (20+) drawn from the adult part of r; the others from what remains,
  // size * r(a) - head(a), so that the members together follow the table.
  const auto& row = table[static_cast<std::size_t>(std::min(size, kSizes) - 1)];
  double total = 0, adults = 0;
  for (int a = 0; a < kAgeBands; ++a) {
    total += row[static_cast<std::size_t>(a)];
    if (a >= 4) adults += row[static_cast<std::size_t>(a)];
  }
  std::array<double, kAgeBands> adult{}, others{};
  for (int a = 0; a < kAgeBands; ++a) {
    const auto k = static_cast<std::size_t>(a);
    const double r = row[k] / total;
    adult[k] = a >= 4 ? row[k] / adults : 0.0;
    others[k] = std::max(0.0, std::min(size, kSizes) * r - adult[k]);
  }
  std::vector<Member> out(static_cast<std::size_t>(size));
  for (int i = 0; i < size; ++i) {
    double u_band, u_year, u_sex, unused;
    rng.uniform2(key, static_cast<std::uint32_t>(1 + 2 * i), u_band, u_year);
    rng.uniform2(key, static_cast<std::uint32_t>(2 + 2 * i), u_sex, unused);
    const int b = pick(i == 0 ? adult.data() : others.data(), kAgeBands, u_band);
    const int width = b == kAgeBands - 1 ? 15 : 5;  // 85+: 85-99
    const int age = b * 5 + std::min(width - 1, static_cast<int>(u_year * width));
    out[static_cast<std::size_t>(i)] = {static_cast<std::uint8_t>(age), u_sex >= p.male_share[static_cast<std::size_t>(b)]};
  }
  return out;
}

int draw_size(const Params& p, double u) { return 1 + pick(p.household_size.data(), kSizes, u); }

void synthesize(State& s, const Params& p, const std::vector<std::int64_t>& parcel_id,
                const std::vector<std::uint32_t>& residents, double vacancy, std::uint64_t seed, int year) {
  const auto table = fit_size_by_age(p);
  const core::Rng rng(seed, core::Stream::synthesis, year);
  s = State{};
  s.units.assign(residents.size(), 0);
  for (std::size_t q = 0; q < residents.size(); ++q) {
    std::uint32_t left = residents[q];
    std::uint32_t households = 0;
    for (std::uint64_t j = 0; left > 0; ++j) {
      const std::uint64_t key = core::mix64(core::mix64(static_cast<std::uint64_t>(parcel_id[q])), j);
      const int size = std::min<int>(draw_size(p, rng.uniform(key, 0)), static_cast<int>(std::min<std::uint32_t>(left, 255)));
      const std::uint32_t h = s.households.add(key, static_cast<std::uint32_t>(q), true, year);
      for (const auto& m : draw_household(p, table, key, size, seed, year))
        s.persons.add(h, s.households.next_member[h]++, m.age, m.female, Status::adult);
      left -= static_cast<std::uint32_t>(size);
      ++households;
    }
    s.units[q] = static_cast<std::uint32_t>(std::ceil(households * (1.0 + vacancy) - 1e-9));
  }
  update_status(s, p, seed);
}

}  // namespace ut::population
