#include "models/traffic/network.hpp"

#include <algorithm>
#include <cstdio>

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/enumerable_thread_specific.h>
#include <oneapi/tbb/parallel_for.h>

namespace ut::traffic {

void Network::set_cost_factors(double tf, double df) {
  toll_factor = tf;
  distance_factor = df;
  const std::uint32_t m = link_count();
  coef.assign(m, 0.0);
  fixed.assign(m, 0.0);
  kind.assign(m, CostKind::constant);
  for (std::uint32_t a = 0; a < m; ++a) {
    fixed[a] = tf * toll[a] + df * length[a];
    if (fft[a] == 0 || b[a] == 0) {
      kind[a] = CostKind::constant;
      coef[a] = 0;
      continue;
    }
    coef[a] = fft[a] * b[a] / std::pow(capacity[a], power[a]);
    if (power[a] == 0) kind[a] = CostKind::constant;  // fft*(1+b) for any flow
    else if (power[a] == 4) kind[a] = CostKind::power4;
    else kind[a] = CostKind::general;
  }
}

std::optional<LimitBreach> check_cost_limits(const Network& net, double total_demand) {
  char flow[32];
  std::snprintf(flow, sizeof flow, "%.17g", total_demand);
  for (std::uint32_t a = 0; a < net.link_count(); ++a) {
    // (nan is reported without its sign bit: "nan", never "-nan")
    const double c = std::abs(net.cost(a, total_demand));
    if (!(std::isfinite(c) && c <= kMaxLinkCost))
      return LimitBreach{a,
                         std::string("the generalised cost fft*(1 + b*(x/capacity)^power) + toll_factor*toll + "
                                     "distance_factor*length at a flow x equal to the total demand (") +
                             flow + ") must be finite and at most 1e200",
                         c};
    const double d = std::abs(net.derivative(a, total_demand));
    if (!(std::isfinite(d) && d <= kMaxLinkCost))
      return LimitBreach{a,
                         std::string("the slope of the cost at a flow equal to the total demand (") + flow +
                             ") must be finite and at most 1e200",
                         d};
  }
  return std::nullopt;
}

namespace {
void star(std::uint32_t n, const std::vector<std::uint32_t>& key, std::vector<std::uint32_t>& offset,
          std::vector<std::uint32_t>& ids) {
  offset.assign(n + 1, 0);
  for (auto k : key) ++offset[k + 1];
  for (std::uint32_t i = 0; i < n; ++i) offset[i + 1] += offset[i];
  ids.assign(key.size(), 0);
  std::vector<std::uint32_t> fill(offset.begin(), offset.end() - 1);
  for (std::uint32_t a = 0; a < key.size(); ++a) ids[fill[key[a]]++] = a;  // row order inside a node
}
}  // namespace

Network make_network(std::string name, std::uint32_t nodes, std::uint32_t zones, std::uint32_t first_thru,
                     const std::vector<LinkRow>& rows) {
  Network n;
  n.name = std::move(name);
  n.node_count = nodes;
  n.zone_count = zones;
  n.first_thru = first_thru;
  n.node_label.resize(nodes);
  for (std::uint32_t i = 0; i < nodes; ++i) n.node_label[i] = static_cast<std::int64_t>(i) + 1;
  const std::size_t m = rows.size();
  n.tail.reserve(m);
  n.head.reserve(m);
  for (const auto& r : rows) {
    n.tail.push_back(r.tail);
    n.head.push_back(r.head);
    n.capacity.push_back(r.capacity);
    n.length.push_back(r.length);
    n.fft.push_back(r.fft);
    n.b.push_back(r.b);
    n.power.push_back(r.power);
    n.toll.push_back(r.toll);
    n.type.push_back(r.type);
  }
  star(nodes, n.tail, n.out_offset, n.out_link);
  star(nodes, n.head, n.in_offset, n.in_link);
  n.set_cost_factors(0, 0);
  return n;
}

void DemandBuilder::add(std::uint32_t o, std::uint32_t d, double trips) {
  if (trips == 0) return;
  if (o == d) {
    intrazonal_ += trips;
    return;
  }
  rows_[o].emplace_back(d, trips);
}

Demand DemandBuilder::build() {
  Demand dm;
  dm.intrazonal = intrazonal_;
  dm.offset.push_back(0);
  for (std::uint32_t o = 0; o < rows_.size(); ++o) {
    auto& row = rows_[o];
    if (row.empty()) continue;
    std::stable_sort(row.begin(), row.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
    dm.origin.push_back(o);
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (!dm.dest.empty() && dm.offset.back() < dm.dest.size() && dm.dest.back() == row[i].first) {
        dm.trips.back() += row[i].second;
      } else {
        dm.dest.push_back(row[i].first);
        dm.trips.push_back(row[i].second);
      }
      dm.total += row[i].second;
    }
    dm.offset.push_back(static_cast<std::uint32_t>(dm.dest.size()));
  }
  rows_.clear();
  return dm;
}

std::vector<UnreachablePair> exclude_unreachable(const Network& net, Demand& dm) {
  // One breadth-first search per origin, in parallel; each writes only its own entries' flags, so
  // the result does not depend on the thread count. A search stops once it has reached all of its
  // origin's destinations.
  const std::uint32_t n = net.node_count;
  std::vector<std::uint32_t> adj(net.out_link.size());  // heads in forward-star order
  for (std::size_t e = 0; e < adj.size(); ++e) adj[e] = net.head[net.out_link[e]];
  std::vector<std::uint8_t> reached(dm.dest.size(), 0);
  struct Scratch {
    std::vector<std::uint32_t> stamp, queue;
    std::uint32_t mark = 0;
  };
  tbb::enumerable_thread_specific<Scratch> tls([n] {
    Scratch s;
    s.stamp.assign(n, 0);
    s.queue.reserve(n);
    return s;
  });
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, dm.origin_count(), 1), [&](const auto& r) {
    Scratch& sc = tls.local();
    for (std::size_t k = r.begin(); k < r.end(); ++k) {
      const std::uint32_t o = dm.origin[k];
      const std::uint32_t mark = ++sc.mark;  // at most one per origin: never wraps to 0
      // Destinations still to reach are marked in `stamp` with the complement of `mark`.
      const std::uint32_t want = ~mark;
      std::uint32_t left = 0;
      for (std::uint32_t i = dm.offset[k]; i < dm.offset[k + 1]; ++i) {
        if (sc.stamp[dm.dest[i]] != want) ++left;
        sc.stamp[dm.dest[i]] = want;
      }
      sc.queue.clear();
      sc.queue.push_back(o);
      sc.stamp[o] = mark;  // never a destination of its own (intrazonal trips are not stored)
      for (std::size_t q = 0; q < sc.queue.size() && left > 0; ++q) {
        const std::uint32_t v = sc.queue[q];
        if (!net.passable(v, o)) continue;  // a zone may end a path, never pass it on
        for (std::uint32_t e = net.out_offset[v]; e < net.out_offset[v + 1]; ++e) {
          const std::uint32_t w = adj[e];
          if (sc.stamp[w] == mark) continue;
          if (sc.stamp[w] == want) --left;
          sc.stamp[w] = mark;
          sc.queue.push_back(w);
        }
      }
      for (std::uint32_t i = dm.offset[k]; i < dm.offset[k + 1]; ++i) reached[i] = sc.stamp[dm.dest[i]] == mark;
    }
  });

  std::vector<UnreachablePair> out;
  for (std::size_t k = 0; k < dm.origin_count(); ++k)
    for (std::uint32_t i = dm.offset[k]; i < dm.offset[k + 1]; ++i)
      if (!reached[i]) out.push_back({dm.origin[k], dm.dest[i], dm.trips[i]});
  if (out.empty()) return out;  // the demand stays exactly as built
  Demand kept;
  kept.intrazonal = dm.intrazonal;
  kept.unreachable = dm.unreachable;
  kept.unreachable_pairs = dm.unreachable_pairs;
  kept.warnings = std::move(dm.warnings);
  kept.offset.push_back(0);
  for (std::size_t k = 0; k < dm.origin_count(); ++k) {
    for (std::uint32_t i = dm.offset[k]; i < dm.offset[k + 1]; ++i) {
      if (!reached[i]) {
        kept.unreachable += dm.trips[i];
        ++kept.unreachable_pairs;
        continue;
      }
      kept.dest.push_back(dm.dest[i]);
      kept.trips.push_back(dm.trips[i]);
      kept.total += dm.trips[i];
    }
    if (kept.dest.size() > kept.offset.back()) {
      kept.origin.push_back(dm.origin[k]);
      kept.offset.push_back(static_cast<std::uint32_t>(kept.dest.size()));
    }
  }
  dm = std::move(kept);
  return out;
}

Contracted contract_chains(const std::vector<LinkRow>& rows, std::uint32_t first, std::uint32_t n) {
  const auto m = static_cast<std::uint32_t>(rows.size());
  std::vector<std::uint32_t> out_off(n + 1, 0), in_off(n + 1, 0), out_row(m), in_row(m);
  for (const auto& r : rows) {
    ++out_off[r.tail - first + 1];
    ++in_off[r.head - first + 1];
  }
  for (std::uint32_t k = 0; k < n; ++k) {
    out_off[k + 1] += out_off[k];
    in_off[k + 1] += in_off[k];
  }
  {
    std::vector<std::uint32_t> fo(out_off.begin(), out_off.end() - 1), fi(in_off.begin(), in_off.end() - 1);
    for (std::uint32_t r = 0; r < m; ++r) {
      out_row[fo[rows[r].tail - first]++] = r;
      in_row[fi[rows[r].head - first]++] = r;
    }
  }
  const auto same_shape = [&](std::uint32_t x, std::uint32_t y) {
    const auto &a = rows[x], &b = rows[y];
    return a.capacity == b.capacity && a.b == b.b && a.power == b.power && a.toll == b.toll && a.type == b.type;
  };
  Contracted c;
  c.junction.assign(n, true);
  for (std::uint32_t k = 0; k < n; ++k) {
    const std::uint32_t no = out_off[k + 1] - out_off[k], ni = in_off[k + 1] - in_off[k];
    const std::uint32_t* o = &out_row[out_off[k]];
    const std::uint32_t* i = &in_row[in_off[k]];
    bool through = false;
    if (no == 1 && ni == 1) {
      through = rows[i[0]].tail != rows[o[0]].head && same_shape(i[0], o[0]);
    } else if (no == 2 && ni == 2) {
      const std::uint32_t a = rows[i[0]].tail, b = rows[i[1]].tail;
      if (a != b) {
        // The way on from each neighbour is the link to the other one.
        const std::uint32_t oa = rows[o[0]].head == a ? o[0] : o[1], ob = rows[o[0]].head == b ? o[0] : o[1];
        through = rows[oa].head == a && rows[ob].head == b && same_shape(i[0], ob) && same_shape(i[1], oa);
      }
    }
    c.junction[k] = !through;
  }
  std::vector<std::uint32_t> start;  // per link, the row its walk began with
  const auto walk = [&](std::uint32_t r0) {
    const auto idx = static_cast<std::uint32_t>(c.rows.size());
    LinkRow link = rows[r0];
    c.via[r0] = idx;
    std::uint32_t cur = r0;
    while (!c.junction[rows[cur].head - first]) {
      const std::uint32_t k = rows[cur].head - first;
      std::uint32_t next = out_row[out_off[k]];
      if (out_off[k + 1] - out_off[k] == 2 && rows[next].head == rows[cur].tail) next = out_row[out_off[k] + 1];
      c.via[next] = idx;
      link.fft += rows[next].fft;
      link.length += rows[next].length;
      link.toll += rows[next].toll;
      link.head = rows[next].head;
      cur = next;
    }
    c.rows.push_back(link);
    start.push_back(r0);
  };
  for (;;) {
    c.rows.clear();
    start.clear();
    c.via.assign(m, UINT32_MAX);
    for (std::uint32_t r = 0; r < m; ++r)
      if (c.via[r] == UINT32_MAX && c.junction[rows[r].tail - first]) walk(r);
    // A ring of through nodes only, never reached from a junction, stays as it is (its nodes
    // junctions).
    for (std::uint32_t r = 0; r < m; ++r)
      if (c.via[r] == UINT32_MAX) c.junction[rows[r].tail - first] = c.junction[rows[r].head - first] = true;
    for (std::uint32_t r = 0; r < m; ++r)
      if (c.via[r] == UINT32_MAX) walk(r);
    // A chain that comes back to the junction it left (a loop street) would be a self-loop: the
    // first node after that junction stays a junction, and the contraction starts again.
    bool loop = false;
    for (std::size_t l = 0; l < c.rows.size(); ++l)
      if (c.rows[l].tail == c.rows[l].head) {
        c.junction[rows[start[l]].head - first] = true;
        loop = true;
      }
    if (!loop) break;
  }
  return c;
}


}  // namespace ut::traffic
