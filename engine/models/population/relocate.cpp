// Move decision and location choice with capacity: deterministic lottery rounds.
//   Round r: every unplaced mover, in parallel against the round's vacancy snapshot, samples up to
//   `choice_set` parcels with vacant units and proposes the one with the highest utility plus a
//   Gumbel draw (a multinomial logit draw). Each parcel accepts its highest-priority proposers,
//   up to its vacancies (priority: a hash of seed, year and household key). Losers retry in
//   round r + 1, when units left by this round's winners are free too.
// All draws are keyed by the household, conflicts are settled by a sort on unique keys, so the
// outcome is the same for any thread count.
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/parallel_sort.h>

#include <algorithm>
#include <cmath>
#include <tuple>

#include "models/population/population.hpp"

namespace ut::population {

namespace {
constexpr std::uint32_t kStay = kNone - 1;  // proposal: keep the current unit
}  // namespace

Placement relocate(State& s, const Params& p, const ParcelUtility& u, const Migration& mig, std::uint64_t seed, int year) {
  Placement out;
  auto& H = s.households;
  const std::size_t nh = H.size(), np = s.units.size();
  std::vector<std::int64_t> occupied(np, 0);
  for (std::size_t h = 0; h < nh; ++h)
    if (H.placed[h]) ++occupied[H.parcel[h]];
  std::vector<std::uint8_t> oldest(nh, 0), kids(nh, 0);
  for (std::size_t i = 0; i < s.persons.size(); ++i) {
    const auto h = s.persons.hh[i];
    oldest[h] = std::max(oldest[h], s.persons.age[i]);
    if (s.persons.age[i] >= 6 && s.persons.age[i] <= 14) kids[h] = 1;
  }
  const core::Rng prio_rng(seed, core::Stream::priority, year);
  // Evictions: where units fell below the households holding one (rezoning), the lowest-priority
  // households lose their unit and must move.
  {
    std::vector<std::tuple<std::uint32_t, std::uint64_t, std::uint32_t>> over;  // (parcel, priority, household)
    for (std::size_t h = 0; h < nh; ++h)
      if (H.placed[h] && occupied[H.parcel[h]] > s.units[H.parcel[h]])
        over.emplace_back(H.parcel[h], prio_rng.bits64(H.key[h], 1), static_cast<std::uint32_t>(h));
    std::sort(over.begin(), over.end());
    for (std::size_t i = 0; i < over.size();) {
      const std::uint32_t q = std::get<0>(over[i]);
      std::size_t j = i;
      while (j < over.size() && std::get<0>(over[j]) == q) ++j;
      std::int64_t excess = occupied[q] - s.units[q];
      for (std::size_t k = i; k < j && excess > 0; ++k, --excess) {
        H.placed[std::get<2>(over[k])] = 0;
        --occupied[q];
        ++out.forced;
      }
      i = j;
    }
  }
  // Move decision: in-migrants and households without a unit must move; the others move with the
  // probability for their head's age.
  const core::Rng move_rng(seed, core::Stream::mobility, year);
  std::vector<std::uint8_t> moves(nh, 0);
  tbb::parallel_for(std::size_t{0}, nh, [&](std::size_t h) {
    if (h >= mig.first_new || !H.placed[h]) moves[h] = 1;
    else moves[h] = move_rng.uniform(H.key[h], 0) < p.move[static_cast<std::size_t>(band(oldest[h]))] ? 1 : 0;
  });
  std::vector<std::uint32_t> movers;
  for (std::size_t h = 0; h < nh; ++h)
    if (moves[h]) movers.push_back(static_cast<std::uint32_t>(h));
  out.movers = movers.size();
  std::vector<std::uint64_t> prio(nh, 0);
  for (const auto h : movers) prio[h] = prio_rng.bits64(H.key[h], 0);

  const core::Rng loc_rng(seed, core::Stream::location, year);
  std::vector<std::int64_t> vac(np);
  for (std::size_t q = 0; q < np; ++q) vac[q] = std::max<std::int64_t>(0, static_cast<std::int64_t>(s.units[q]) - occupied[q]);
  std::vector<std::uint32_t> open, proposal(movers.size());
  std::vector<std::tuple<std::uint32_t, std::uint64_t, std::uint32_t>> bids;  // (parcel, ~priority, mover slot)
  std::vector<std::uint32_t> active(movers.size());
  for (std::uint32_t i = 0; i < movers.size(); ++i) active[i] = i;
  const std::size_t J = static_cast<std::size_t>(std::max(1, p.choice_set));
  // Per round, what a draw reads of an open parcel, side by side (one cache line instead of four
  // arrays over a million parcels): its utility without and with the school term, as the float
  // sums the formula below forms, and the log of its vacancies. The same values, in the same
  // order of operations, as reading the parcel's arrays: the result does not change.
  struct Open {
    float base, base_school;
    double log_vac;
  };
  std::vector<Open> open_u;
  for (int round = 0; round < p.max_rounds && !active.empty(); ++round) {
    open.clear();
    for (std::size_t q = 0; q < np; ++q)
      if (vac[q] > 0) open.push_back(static_cast<std::uint32_t>(q));
    if (open.empty()) break;
    open_u.resize(open.size());
    tbb::parallel_for(std::size_t{0}, open.size(), [&](std::size_t k) {
      const std::uint32_t q = open[k];
      open_u[k] = {u.base[q] + 0.0f, u.base[q] + u.school[q], std::log(static_cast<double>(vac[q]))};
    });
    ++out.rounds;
    const std::uint32_t base_index = static_cast<std::uint32_t>(round) << 8;
    tbb::parallel_for(std::size_t{0}, active.size(), [&](std::size_t a) {
      const std::uint32_t slot = active[a];
      const std::uint32_t h = movers[slot];
      const std::uint64_t key = H.key[h];
      const std::uint32_t own = H.placed[h] ? H.parcel[h] : kNone;
      std::uint32_t best = kNone;
      double best_u = -1e300;
      std::uint32_t chosen[256];
      std::size_t nchosen = 0;
      const bool all = open.size() <= J;
      const std::size_t draws = all ? open.size() : J;
      for (std::size_t j = 0; j < draws; ++j) {
        double u_pick, u_eps;
        loc_rng.uniform2(key, base_index + static_cast<std::uint32_t>(j), u_pick, u_eps);
        std::size_t k;
        if (all) {
          k = j;
        } else {
          // Uniform sampling without replacement: a repeated parcel is dropped (the set shrinks by one).
          k = std::min(open.size() - 1, static_cast<std::size_t>(u_pick * static_cast<double>(open.size())));
          const auto qk = static_cast<std::uint32_t>(k);
          if (std::find(chosen, chosen + nchosen, qk) != chosen + nchosen) continue;
          if (nchosen < 256) chosen[nchosen++] = qk;
        }
        const std::uint32_t q = open[k];
        if (q == own) continue;  // the own parcel is the "stay" alternative below
        const Open& o = open_u[k];
        const double v = (kids[h] ? o.base_school : o.base) + o.log_vac + core::Rng::gumbel(u_eps);
        if (v > best_u) {
          best_u = v;
          best = q;
        }
      }
      // A household that holds a unit may stay: its own parcel is an alternative, counting the
      // unit it holds as vacant.
      if (own != kNone) {
        double u_stay, unused;
        loc_rng.uniform2(key, base_index + 255, u_stay, unused);
        const double v = u.base[own] + (kids[h] ? u.school[own] : 0.0f) + std::log(static_cast<double>(vac[own] + 1)) + core::Rng::gumbel(u_stay);
        if (v > best_u) best = kStay;
      }
      proposal[slot] = best;
    });
    bids.clear();
    for (const std::uint32_t slot : active)
      if (proposal[slot] != kNone && proposal[slot] != kStay) bids.emplace_back(proposal[slot], ~prio[movers[slot]], slot);
    tbb::parallel_sort(bids.begin(), bids.end());
    std::vector<std::uint8_t> won(movers.size(), 0);
    std::uint64_t placed_now = 0;
    for (std::size_t i = 0; i < bids.size();) {
      const std::uint32_t q = std::get<0>(bids[i]);
      std::size_t j = i;
      while (j < bids.size() && std::get<0>(bids[j]) == q) ++j;
      const std::int64_t take = std::min<std::int64_t>(vac[q], static_cast<std::int64_t>(j - i));
      for (std::int64_t k = 0; k < take; ++k) won[std::get<2>(bids[i + static_cast<std::size_t>(k)])] = 1;
      i = j;
    }
    // Apply the winners in mover order; the units they leave are free from the next round.
    for (const std::uint32_t slot : active) {
      if (!won[slot]) continue;
      const std::uint32_t h = movers[slot];
      if (H.placed[h]) ++vac[H.parcel[h]];
      const std::uint32_t q = proposal[slot];
      --vac[q];
      H.parcel[h] = q;
      H.placed[h] = 1;
      H.moved_in[h] = static_cast<std::int16_t>(year);
      ++placed_now;
    }
    out.placed += placed_now;
    std::vector<std::uint32_t> still;
    for (const std::uint32_t slot : active) {
      if (proposal[slot] == kStay) ++out.stayed;
      else if (!won[slot]) still.push_back(slot);
    }
    active.swap(still);
    if (placed_now == 0) break;
  }
  // In-migrants without a unit do not arrive.
  const auto size = household_sizes(s);
  std::vector<std::uint8_t> keep(nh, 1);
  bool refused = false;
  for (std::size_t h = mig.first_new; h < nh; ++h) {
    if (H.placed[h]) {
      ++out.in_households;
      out.in_persons += size[h];
    } else {
      keep[h] = 0;
      refused = true;
      ++out.refused_households;
      out.refused_persons += size[h];
    }
  }
  if (refused) {
    remove_households(s, keep);
  }
  for (std::size_t h = 0; h < H.size(); ++h)
    if (!H.placed[h]) ++out.unplaced_households;
  return out;
}

}  // namespace ut::population
