#pragma once
// Which home points a coverage result puts within reach (internal to sim): per class and per
// life-circle tier, and how that adds up per parcel. Shared by the indicators, the outputs and
// the population model's location utility (docs/access.md).
#include <array>
#include <cstdint>
#include <vector>

#include "city/city.hpp"
#include "geo/segment_index.hpp"
#include "graph/entry.hpp"
#include "homes/homes.hpp"
#include "models/coverage/coverage.hpp"
#include "scenario/norms.hpp"

namespace ut::sim {

struct YearResult;

// Whether facility f serves class n: one of its classes is a source of n (an area site only when
// it is at least the class's minimum area).
bool serves(const city::Facility& f, const scenario::Norm& n);

// One facility as a site of class n: a point facility enters where it stands (snap::kSiteM), an
// area one by gates along its boundary (snap::kParkGateM). No entries: nothing usable in reach
// (`blocked`, when given, is set when a nearer street lies behind a barrier).
coverage::Site facility_site(const city::Facility& f, const scenario::Norm& n, const graph::EdgeLocator& loc,
                             const geo::SegmentIndex* barriers, bool* blocked = nullptr);
// One greenway as a site of a class served by greenways: each vertex where it meets a usable part.
coverage::Site greenway_site(const city::Greenway& g, const graph::EdgeLocator& loc);

// The sites of class n in city c, attached on `loc` (the class's network, usable parts only): the
// sites phase of the yearly loop, and an edit session's recomputation.
struct ClassSites {
  coverage::ClassInput input;
  std::vector<std::int64_t> site_id;     // per site of input.sites: its facility's (or greenway's) id
  std::vector<std::uint8_t> greenway;    // per site: 1 for a greenway
  std::size_t serving = 0;               // facilities and greenways of the class, attached or not
  std::vector<std::int64_t> unattached;  // their ids
  std::size_t blocked = 0;               // of those, with a nearer street behind a barrier
};
ClassSites class_sites(const scenario::Norm& n, const city::City& c, const graph::EdgeLocator& loc,
                       const geo::SegmentIndex* barriers);

// The per-parcel values of a year from its per-point coverage (y.coverage, y.point_residents,
// y.sites): parcel_coverage, point_tier_ok, tier_share, tier_served (docs/access.md, "Shares").
void aggregate(const std::vector<scenario::Norm>& norms, const homes::HomePoints& h, YearResult& y);

// Per class (norms order): 1 where the point's cost is within the class's threshold.
std::vector<std::vector<std::uint8_t>> within_threshold(const std::vector<scenario::Norm>& norms, const coverage::Result& r);

// Per tier (5, 10, 15 minutes; GB 50180-2018, the tiers do not nest): 1 where every class of the
// tier that has sites is within reach. A tier none of whose classes has sites has no data (all 0).
struct Tiers {
  std::array<std::vector<std::uint8_t>, 3> ok;
  std::array<bool, 3> has_data{};
};
inline constexpr int kTierMinutes[3] = {5, 10, 15};
Tiers tier_flags(const std::vector<scenario::Norm>& norms, const std::vector<std::vector<std::uint8_t>>& within,
                 const std::vector<std::size_t>& sites, std::size_t points);

// The per-parcel functions below for one parcel p (what an edit session recomputes for the
// parcels an edit touched); the vector forms call them for every parcel.
double parcel_share_at(const homes::HomePoints& h, const std::vector<std::uint32_t>& residents,
                       const std::vector<std::uint8_t>& ok, std::size_t p, std::uint32_t* served);
std::uint32_t parcel_median_at(const homes::HomePoints& h, const std::vector<std::uint32_t>& residents,
                               const std::vector<std::uint32_t>& cost, std::size_t p);
double parcel_mean_at(const homes::HomePoints& h, const std::vector<std::uint32_t>& residents,
                      const std::vector<double>& value, std::size_t p);

// Per parcel: the share of its residents whose point has ok = 1 (a parcel without residents: the
// share of its point weights), and the served residents when `served` is given.
std::vector<double> parcel_share(const homes::HomePoints& h, const std::vector<std::uint32_t>& residents,
                                 const std::vector<std::uint8_t>& ok, std::vector<std::uint32_t>* served);
// Per parcel: the weighted median of its points' costs (weights: residents, or the point weights
// when the parcel has none): the smallest cost whose points hold at least half the weight.
std::vector<std::uint32_t> parcel_median(const homes::HomePoints& h, const std::vector<std::uint32_t>& residents,
                                         const std::vector<std::uint32_t>& cost);
// Per parcel: the weighted mean of its points' values (same weights).
std::vector<double> parcel_mean(const homes::HomePoints& h, const std::vector<std::uint32_t>& residents,
                                const std::vector<double>& value);

}  // namespace ut::sim
