#pragma once
// Road network for user-equilibrium assignment: nodes 0..N-1 with zones first (0..Z-1), links as
// structure-of-arrays identified by their row index (parallel links exist), a forward and a
// reverse star, and BPR link costs
//     t(x) = fft * (1 + b (x / cap)^power),     c(x) = t(x) + toll_factor * toll + distance_factor * length.
// Zones below the first through node may start or end a path but are never passed through.
// Pure data and arithmetic: no I/O.
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ut::traffic {

// Input limits (docs/traffic.md, "Input limits"). Readers enforce them so that no solver can
// overflow: no link ever carries more than the total demand D, costs rise with flow, and with
// D <= kMaxTotalDemand, power <= kMaxPower (so x^power <= 1e300 for every x <= D) and every link's
// cost and slope at flow D <= kMaxLinkCost, every sum the solvers form (path labels, TSTT, SPTT,
// the objective, line-search slopes) stays below 2^32 links * 1e15 * 1e200 < 1e225, far from the
// largest double (1.8e308).
inline constexpr double kMaxTotalDemand = 1e15;  // trips in the whole trip table
inline constexpr double kMaxPower = 20;          // BPR power: 0 <= power <= 20
inline constexpr double kMaxLinkValue = 1e12;    // free-flow time, length and toll: 0 <= v <= 1e12
inline constexpr double kMaxCostFactor = 1e6;    // toll and distance factors: 0 <= f <= 1e6
inline constexpr double kMaxLinkCost = 1e200;    // generalised cost and its slope at flow D

// One directed link as read from a network source.
struct LinkRow {
  std::uint32_t tail = 0;  // 0-based node index
  std::uint32_t head = 0;
  double capacity = 1;
  double length = 0;
  double fft = 0;  // free-flow time
  double b = 0.15;
  double power = 4;
  double toll = 0;
  int type = 0;
};

enum class CostKind : std::uint8_t { constant, power4, general };

struct Network {
  std::string name;
  std::uint32_t node_count = 0;
  std::uint32_t zone_count = 0;
  std::uint32_t first_thru = 0;  // 0-based: zone nodes with index < first_thru are not passable
  std::vector<std::int64_t> node_label;  // external id of each node (TNTP id, graph node id)

  // Link attributes (row order).
  std::vector<std::uint32_t> tail, head;
  std::vector<double> capacity, length, fft, b, power, toll;
  std::vector<int> type;
  // Derived by set_cost_factors(): coef = fft*b/cap^power, fixed = tf*toll + df*length.
  std::vector<double> coef, fixed;
  std::vector<CostKind> kind;
  double toll_factor = 0, distance_factor = 0;

  // Forward star (links by tail) and reverse star (links by head), link ids in row order.
  std::vector<std::uint32_t> out_offset, out_link, in_offset, in_link;
  // Line of each link in the file it was read from (for messages); empty when not read from a file.
  std::vector<std::size_t> source_line;
  std::string source_file;  // the file it was read from (for messages); empty when not read from a file
  // What the reader tolerated and did about it (a self-loop dropped...), one complete sentence
  // each, naming the file and line; printed by the caller (the engine never prints).
  std::vector<std::string> warnings;

  std::uint32_t link_count() const { return static_cast<std::uint32_t>(tail.size()); }
  // May a path from `origin` pass through `node`?
  bool passable(std::uint32_t node, std::uint32_t origin) const { return node >= first_thru || node == origin; }

  // Travel time of a constant-cost link: fft, or fft * (1 + b) when power is 0.
  double constant_time(std::uint32_t a) const { return fft[a] + (power[a] == 0 ? coef[a] : 0.0); }
  // Generalised cost and its derivative at flow x.
  double cost(std::uint32_t a, double x) const {
    switch (kind[a]) {
      case CostKind::constant: return constant_time(a) + fixed[a];
      case CostKind::power4: {
        const double x2 = x * x;
        return fft[a] + coef[a] * (x2 * x2) + fixed[a];
      }
      default: return fft[a] + coef[a] * std::pow(x, power[a]) + fixed[a];
    }
  }
  double derivative(std::uint32_t a, double x) const {
    switch (kind[a]) {
      case CostKind::constant: return 0.0;
      case CostKind::power4: return 4.0 * coef[a] * (x * x * x);
      default:
        // At zero flow: the slope of a linear cost is coef; a sub-linear one is evaluated just above 0.
        if (x > 0) return coef[a] * power[a] * std::pow(x, power[a] - 1.0);
        return power[a] == 1 ? coef[a] : (power[a] > 1 ? 0.0 : coef[a] * power[a] * std::pow(1e-6, power[a] - 1.0));
    }
  }
  // The integral of the generalised cost from 0 to x (one link's term of the Beckmann objective).
  double integral(std::uint32_t a, double x) const {
    switch (kind[a]) {
      case CostKind::constant: return (constant_time(a) + fixed[a]) * x;
      case CostKind::power4: {
        const double x2 = x * x;
        return (fft[a] + fixed[a]) * x + coef[a] * (x2 * x2 * x) / 5.0;
      }
      default: return (fft[a] + fixed[a]) * x + coef[a] * std::pow(x, power[a] + 1.0) / (power[a] + 1.0);
    }
  }
  // The BPR travel time alone (no toll or distance terms).
  double travel_time(std::uint32_t a, double x) const { return cost(a, x) - fixed[a]; }

  void set_cost_factors(double toll_factor, double distance_factor);
};

// Builds the network from its rows: fills the stars and the derived cost terms (factors 0).
// Rows must already be valid (nodes in range, capacity > 0 where b > 0, no self-loops).
Network make_network(std::string name, std::uint32_t nodes, std::uint32_t zones, std::uint32_t first_thru,
                     const std::vector<LinkRow>& rows);

// The kept assignment network with its through nodes contracted (traffic.assignment_roads): a
// node where exactly two neighbours meet, entered from one and left to the other (one way, or both
// ways), with links of the same BPR shape (capacity, b, power, toll, type) on either side, is no
// junction; each chain of such nodes between two junctions becomes one link whose free-flow time,
// length and toll are the sums of its links'. With equal capacities and BPR parameters the chain's
// time at flow x is exactly the sum of its links' times, so the assignment on the contracted
// network is that of the full one whenever no zone connects at a through node (zones connect at
// junctions only). Rows use nodes first .. first + n - 1; `via` maps every input row to its link.
struct Contracted {
  std::vector<LinkRow> rows;
  std::vector<std::uint32_t> via;
  std::vector<bool> junction;
};
Contracted contract_chains(const std::vector<LinkRow>& rows, std::uint32_t first, std::uint32_t n);

// A link that breaks the input limits: which one, the rule, and the offending value.
struct LimitBreach {
  std::uint32_t link = 0;
  std::string rule;
  double value = 0;
};
// Checks every link's generalised cost and slope at a flow equal to `total_demand` (no link ever
// carries more) against kMaxLinkCost, evaluated exactly as the solvers evaluate them (so an
// underflowing fft*b/cap^power or an overflowing x^power shows up here, not in a solver). Call
// after set_cost_factors(). Returns the first breach in row order, if any.
std::optional<LimitBreach> check_cost_limits(const Network& net, double total_demand);

// Origin-destination demand, per origin as CSR (destination zone, trips). Intrazonal trips are not
// stored (they never load the network); their sum is kept for reporting.
struct Demand {
  std::vector<std::uint32_t> origin;  // zones with at least one positive entry, ascending
  std::vector<std::uint32_t> offset;  // size origin.size()+1
  std::vector<std::uint32_t> dest;
  std::vector<double> trips;
  double total = 0;       // loaded trips (intrazonal and unreachable excluded)
  double intrazonal = 0;  // intrazonal trips, not loaded
  double unreachable = 0;              // trips between zones with no path, excluded (exclude_unreachable)
  std::uint64_t unreachable_pairs = 0;  // their origin-destination pairs
  // What the reader tolerated and did about it, as for Network::warnings.
  std::vector<std::string> warnings;

  std::size_t origin_count() const { return origin.size(); }
};

// Collects (origin, destination, trips) entries into a Demand; entries for the same pair add up;
// zero entries are dropped.
class DemandBuilder {
 public:
  explicit DemandBuilder(std::uint32_t zones) : rows_(zones) {}
  void add(std::uint32_t origin, std::uint32_t dest, double trips);
  Demand build();

 private:
  std::vector<std::vector<std::pair<std::uint32_t, double>>> rows_;
  double intrazonal_ = 0;
};

// An origin-destination pair with demand that no path serves.
struct UnreachablePair {
  std::uint32_t origin = 0, dest = 0;  // zone (node) indices
  double trips = 0;
};
// Removes from `dm` every pair whose destination no path from its origin reaches (the zone rule
// honoured: a path never passes through a zone below the first through node), adds their trips
// to dm.unreachable and their count to dm.unreachable_pairs, and returns them in (origin,
// destination) order. The solvers then see only demand they can serve, and the gap is defined over
// it. One breadth-first search per origin: O(origins x links), a fraction of one solver iteration.
std::vector<UnreachablePair> exclude_unreachable(const Network& net, Demand& dm);

}  // namespace ut::traffic
