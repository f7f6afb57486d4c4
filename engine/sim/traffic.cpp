// The traffic phase: zones from parcels, trip generation, gravity distribution with logit mode
// choice (models/traffic/four_step), car assignment on the drive network (Algorithm B), with
// feedback of congested car times into the demand. docs/traffic.md gives every equation and
// parameter with its source.
#include <oneapi/tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <queue>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "city/road_rules.hpp"
#include "core/error.hpp"
#include "graph/dijkstra.hpp"
#include "models/traffic/assign.hpp"
#include "models/traffic/four_step.hpp"
#include "models/traffic/shortest_path.hpp"
#include "sim/rules.hpp"
#include "sim/simulation.hpp"
#include "sim/snap.hpp"

namespace ut::sim {

void Simulation::traffic_phase(YearResult& y) {
  const auto& tr = scenario_.traffic;
  // The city's trip rates, mode speeds and mode constants: its profile's [trips] and [modes].
  const auto& trips_pf = scenario_.profile.trips;
  const auto& modes = scenario_.profile.modes;
  const auto& P = city_.parcels;
  const std::size_t np = P.size();
  TrafficResult& out = y.traffic;

  // --- Zones: square cells over the parcel centroids, numbered in (row, column) order.
  auto cell = [&](std::size_t p) {
    return std::make_pair(static_cast<long>(std::floor(P.centroid[p].y / tr.zone_size_m)),
                          static_cast<long>(std::floor(P.centroid[p].x / tr.zone_size_m)));
  };
  std::map<std::pair<long, long>, std::uint32_t> cell_zone;
  for (std::size_t p = 0; p < np; ++p) cell_zone.emplace(cell(p), 0);
  std::uint32_t nz = 0;
  for (auto& [k, z] : cell_zone) z = nz++;
  std::vector<std::uint32_t> zone_of(np);
  std::vector<double> prod(nz, 0.0), attr(nz, 0.0), weight(nz, 0.0), cx(nz, 0.0), cy(nz, 0.0);
  const double peak_per_resident = trips_pf.daily_trips_per_resident * trips_pf.peak_hour_share;
  std::vector<double> jobs(np);
  for (std::size_t p = 0; p < np; ++p) {
    const std::uint32_t z = cell_zone.at(cell(p));
    zone_of[p] = z;
    // Jobs: the share of the floor area used for work, by land use, over the floor area per job.
    jobs[p] = P.floor_area_m2[p] * land_use_rule(scenario_, P.land_use[p]).job_share / trips_pf.floor_m2_per_job;
    prod[z] += P.residents[p] * peak_per_resident;
    attr[z] += jobs[p];
    const double w = P.residents[p] + jobs[p] + 1e-9 * P.area_m2[p];
    weight[z] += w;
    cx[z] += w * P.centroid[p].x;
    cy[z] += w * P.centroid[p].y;
  }
  for (std::uint32_t z = 0; z < nz; ++z) {
    cx[z] /= weight[z];
    cy[z] /= weight[z];
  }
  // A representative parcel per zone for the walk skim: the heaviest attached one.
  std::vector<std::int64_t> rep(nz, -1);
  for (std::size_t p = 0; p < np; ++p) {
    if (parcel_walk_[p].edge == graph::kUnreached) continue;
    const auto z = zone_of[p];
    const double w = P.residents[p] + jobs[p];
    if (rep[z] < 0 || w > P.residents[static_cast<std::size_t>(rep[z])] + jobs[static_cast<std::size_t>(rep[z])]) rep[z] = static_cast<std::int64_t>(p);
  }

  // --- Closed roads (validated against the roads layer).
  std::set<std::int64_t> closed;
  {
    std::set<std::int64_t> ids;
    for (const auto& r : city_.roads) ids.insert(r.id);
    for (std::size_t i = 0; i < tr.close_roads.size(); ++i) {
      if (!ids.count(tr.close_roads[i]))
        throw core::InputError(core::Where{scenario_.file.string(), "", fmt::format("traffic.close_roads[{}]", i + 1)},
                               "must be the id of a road in the roads layer", std::to_string(tr.close_roads[i]));
      closed.insert(tr.close_roads[i]);
    }
  }

  // --- Which road classes the assignment network keeps (traffic.assignment_roads; empty: all).
  std::set<std::string> keep_class;
  for (std::size_t i = 0; i < tr.assignment_roads.size(); ++i) {
    const std::string& c = tr.assignment_roads[i];
    const auto custom = scenario_.road_classes.find(c);
    const bool drivable = custom != scenario_.road_classes.end()
                              ? custom->second.drive
                              : city::known_road_classes().count(c) != 0 && city::drive_by_class(c);
    if (!drivable)
      throw core::InputError(core::Where{scenario_.file.string(), "", fmt::format("traffic.assignment_roads[{}]", i + 1)},
                             "must be a drivable road class (a built-in one or one of [road_classes])", c);
    keep_class.insert(c);
  }
  const bool aggregated = !keep_class.empty();

  // --- Assignment network: zone nodes 0..Z-1 (never passed through), then the network's nodes:
  // every drive-graph node, or (aggregated) the nodes of the largest connected part of the kept
  // classes' links, in drive-graph order.
  std::vector<std::size_t> drive_road;  // drive-graph input line -> road index (city::drive_graph's order)
  for (std::size_t r = 0; r < city_.roads.size(); ++r)
    if (city_.roads[r].drive) drive_road.push_back(r);
  const auto road_of = [&](std::uint32_t e) -> const city::Road& { return city_.roads[drive_road[drive_.edge_line[e]]]; };
  const auto drivable_edge = [&](std::uint32_t e) { return drive_main_[e] && !closed.count(road_of(e).id); };
  const auto nd = static_cast<std::uint32_t>(drive_.node_count());
  std::vector<std::uint32_t> node_id(nd), node_drive(nd);  // drive node <-> network node (kUnreached: not in it)
  std::vector<bool> keep_edge(drive_.edge_count(), true);
  if (!aggregated) {
    for (std::uint32_t n = 0; n < nd; ++n) node_id[n] = node_drive[n] = n;
  } else {
    std::vector<std::uint32_t> parent(nd);
    for (std::uint32_t n = 0; n < nd; ++n) parent[n] = n;
    auto find = [&](std::uint32_t n) {
      while (parent[n] != n) n = parent[n] = parent[parent[n]];
      return n;
    };
    std::vector<bool> touched(nd, false);
    for (std::uint32_t e = 0; e < drive_.edge_count(); ++e) {
      keep_edge[e] = drivable_edge(e) && keep_class.count(road_of(e).road_class) != 0;
      if (!keep_edge[e]) continue;
      touched[drive_.edge_u[e]] = touched[drive_.edge_v[e]] = true;
      const std::uint32_t a = find(drive_.edge_u[e]), b = find(drive_.edge_v[e]);
      if (a != b) parent[std::max(a, b)] = std::min(a, b);
    }
    std::vector<std::uint32_t> size(nd, 0);
    std::uint32_t best = graph::kUnreached, best_size = 0;  // the largest part; ties: the lowest node
    for (std::uint32_t n = 0; n < nd; ++n)
      if (touched[n] && ++size[find(n)] > best_size) {
        best_size = size[find(n)];
        best = find(n);
      }
    if (best == graph::kUnreached) {
      std::string names;
      for (const auto& c : tr.assignment_roads) names += (names.empty() ? "" : ", ") + c;
      throw core::InputError(core::Where{scenario_.file.string(), "", "traffic.assignment_roads"},
                             "must name at least one class of a drivable road of the roads layer", names);
    }
    node_drive.clear();
    for (std::uint32_t n = 0; n < nd; ++n) {
      node_id[n] = touched[n] && find(n) == best ? static_cast<std::uint32_t>(node_drive.size()) : graph::kUnreached;
      if (node_id[n] != graph::kUnreached) node_drive.push_back(n);
    }
    for (std::uint32_t e = 0; e < drive_.edge_count(); ++e)
      keep_edge[e] = keep_edge[e] && node_id[drive_.edge_u[e]] != graph::kUnreached;
  }
  std::vector<traffic::LinkRow> rows;
  for (std::uint32_t e = 0; e < drive_.edge_count(); ++e) {
    const auto& road = road_of(e);
    if (closed.count(road.id) || !drive_main_[e] || !keep_edge[e]) continue;
    const bool twoway = drive_.edge_cost_fwd[e] != graph::kUnreached && drive_.edge_cost_bwd[e] != graph::kUnreached;
    const double lanes = twoway ? std::max(1.0, std::floor(road.lanes / 2.0)) : std::max(1, road.lanes);
    for (int dir = 0; dir < 2; ++dir) {
      const std::uint32_t c = dir == 0 ? drive_.edge_cost_fwd[e] : drive_.edge_cost_bwd[e];
      if (c == graph::kUnreached) continue;
      traffic::LinkRow r;
      r.tail = nz + node_id[dir == 0 ? drive_.edge_u[e] : drive_.edge_v[e]];
      r.head = nz + node_id[dir == 0 ? drive_.edge_v[e] : drive_.edge_u[e]];
      r.capacity = lanes * lane_capacity(scenario_, road.road_class);
      r.length = drive_.edge_len_dm[e] / 1e4;  // km
      r.fft = c / 600.0;                       // minutes
      r.type = 1;
      rows.push_back(r);
      out.edge.push_back(e);
      out.reverse.push_back(static_cast<std::uint8_t>(dir));
      out.road_id.push_back(road.id);
    }
  }
  const std::size_t road_links = rows.size();
  // Aggregated: through nodes contracted (chains of links between junctions become one link);
  // the road links stay for the output, each with the link that carries its flow (`via`).
  std::vector<traffic::LinkRow> road_rows;
  std::vector<std::uint32_t> road_node_drive, via;
  if (aggregated) {
    road_rows = rows;
    road_node_drive = node_drive;
    traffic::Contracted c = traffic::contract_chains(rows, nz, static_cast<std::uint32_t>(node_drive.size()));
    std::vector<std::uint32_t> renumber(node_drive.size(), graph::kUnreached);
    node_drive.clear();
    for (std::uint32_t k = 0; k < renumber.size(); ++k) {
      if (c.junction[k]) {
        renumber[k] = static_cast<std::uint32_t>(node_drive.size());
        node_drive.push_back(road_node_drive[k]);
      }
      node_id[road_node_drive[k]] = renumber[k];
    }
    for (auto& r : c.rows) {
      r.tail = nz + renumber[r.tail - nz];
      r.head = nz + renumber[r.head - nz];
    }
    rows = std::move(c.rows);
    via = std::move(c.via);
  }
  // Zone connectors, (zone, network node) -> (out, in) minutes, constant cost. Every drivable
  // street: to both ends of each member parcel's street edge, costed by the drive along the edge.
  // Aggregated: from each member parcel to the network node nearest to it by car on the whole drive
  // graph (and from the network node nearest to it), costed by that drive at free-flow speed.
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::pair<double, double>> conn;
  if (!aggregated) {
    for (std::size_t p = 0; p < np; ++p) {
      const auto& e = parcel_drive_[p];
      if (e.edge == graph::kUnreached) continue;
      const std::uint32_t nodes[2] = {drive_.edge_u[e.edge], drive_.edge_v[e.edge]};
      const std::uint32_t to[2] = {e.point_to_u, e.point_to_v}, from[2] = {e.u_to_point, e.v_to_point};
      for (int k = 0; k < 2; ++k) {
        if (to[k] == graph::kUnreached && from[k] == graph::kUnreached) continue;
        auto [it, fresh] = conn.try_emplace({zone_of[p], nodes[k]}, traffic::kInf, traffic::kInf);
        if (to[k] != graph::kUnreached) it->second.first = std::min(it->second.first, (to[k] + e.leg) / 600.0);
        if (from[k] != graph::kUnreached) it->second.second = std::min(it->second.second, (from[k] + e.leg) / 600.0);
      }
    }
  } else {
    // Arcs of the open drive graph in CSR, forward (by tail) and reverse (by head).
    struct Csr {
      std::vector<std::uint32_t> offset, other, cost;
    };
    auto build = [&](bool reverse) {
      Csr g;
      g.offset.assign(nd + 1, 0);
      auto each = [&](auto&& f) {
        for (std::uint32_t e = 0; e < drive_.edge_count(); ++e) {
          if (!drivable_edge(e)) continue;
          const std::uint32_t u = drive_.edge_u[e], v = drive_.edge_v[e];
          if (drive_.edge_cost_fwd[e] != graph::kUnreached) f(reverse ? v : u, reverse ? u : v, drive_.edge_cost_fwd[e]);
          if (drive_.edge_cost_bwd[e] != graph::kUnreached) f(reverse ? u : v, reverse ? v : u, drive_.edge_cost_bwd[e]);
        }
      };
      each([&](std::uint32_t from, std::uint32_t, std::uint32_t) { ++g.offset[from + 1]; });
      for (std::uint32_t n = 0; n < nd; ++n) g.offset[n + 1] += g.offset[n];
      g.other.resize(g.offset[nd]);
      g.cost.resize(g.offset[nd]);
      std::vector<std::uint32_t> fill(g.offset.begin(), g.offset.end() - 1);
      each([&](std::uint32_t from, std::uint32_t to, std::uint32_t c) {
        g.other[fill[from]] = to;
        g.cost[fill[from]++] = c;
      });
      return g;
    };
    // From every network node at once: each drive node's cost to (reverse) or from its nearest
    // network node, ties to the lower node, so the result does not depend on the order of search.
    auto nearest = [&](const Csr& g, std::vector<std::uint64_t>& dist, std::vector<std::uint32_t>& owner) {
      dist.assign(nd, UINT64_MAX);
      owner.assign(nd, graph::kUnreached);
      using Item = std::tuple<std::uint64_t, std::uint32_t, std::uint32_t>;  // cost, owner, node
      std::priority_queue<Item, std::vector<Item>, std::greater<>> heap;
      for (std::uint32_t n : node_drive) {
        dist[n] = 0;
        owner[n] = node_id[n];
        heap.emplace(0, node_id[n], n);
      }
      while (!heap.empty()) {
        const auto [d, o, n] = heap.top();
        heap.pop();
        if (d != dist[n] || o != owner[n]) continue;
        for (std::uint32_t a = g.offset[n]; a < g.offset[n + 1]; ++a) {
          const std::uint32_t m = g.other[a];
          const std::uint64_t dm = d + g.cost[a];
          if (dm < dist[m] || (dm == dist[m] && o < owner[m])) {
            dist[m] = dm;
            owner[m] = o;
            heap.emplace(dm, o, m);
          }
        }
      }
    };
    std::vector<std::uint64_t> d_to, d_from;
    std::vector<std::uint32_t> o_to, o_from;
    nearest(build(true), d_to, o_to);
    nearest(build(false), d_from, o_from);
    for (std::size_t p = 0; p < np; ++p) {
      const auto& e = parcel_drive_[p];
      if (e.edge == graph::kUnreached) continue;
      const std::uint32_t nodes[2] = {drive_.edge_u[e.edge], drive_.edge_v[e.edge]};
      const std::uint32_t to[2] = {e.point_to_u, e.point_to_v}, from[2] = {e.u_to_point, e.v_to_point};
      std::pair<std::uint64_t, std::uint32_t> best_to{UINT64_MAX, graph::kUnreached}, best_from = best_to;
      for (int k = 0; k < 2; ++k) {
        const std::uint32_t n = nodes[k];
        if (to[k] != graph::kUnreached && d_to[n] != UINT64_MAX)
          best_to = std::min(best_to, std::make_pair(to[k] + e.leg + d_to[n], o_to[n]));
        if (from[k] != graph::kUnreached && d_from[n] != UINT64_MAX)
          best_from = std::min(best_from, std::make_pair(from[k] + e.leg + d_from[n], o_from[n]));
      }
      if (best_to.second != graph::kUnreached) {
        auto [it, fresh] = conn.try_emplace({zone_of[p], best_to.second}, traffic::kInf, traffic::kInf);
        it->second.first = std::min(it->second.first, static_cast<double>(best_to.first) / 600.0);
      }
      if (best_from.second != graph::kUnreached) {
        auto [it, fresh] = conn.try_emplace({zone_of[p], best_from.second}, traffic::kInf, traffic::kInf);
        it->second.second = std::min(it->second.second, static_cast<double>(best_from.first) / 600.0);
      }
    }
  }
  for (const auto& [key, t] : conn) {
    for (int dir = 0; dir < 2; ++dir) {
      const double m = dir == 0 ? t.first : t.second;
      if (!std::isfinite(m)) continue;
      traffic::LinkRow r;
      r.tail = dir == 0 ? key.first : nz + key.second;
      r.head = dir == 0 ? nz + key.second : key.first;
      r.fft = m;
      r.b = 0;
      r.capacity = 1e9;
      r.type = 3;
      rows.push_back(r);
    }
  }
  traffic::Network net = traffic::make_network(scenario_.name + "-drive", nz + static_cast<std::uint32_t>(node_drive.size()), nz, nz, rows);
  const std::uint32_t nl = net.link_count();

  // --- Skims that do not change with congestion: walk/bike, transit.
  const std::size_t zz = static_cast<std::size_t>(nz) * nz;
  traffic::Skims sk;
  sk.zones = nz;
  for (auto& m : sk.minutes) m.assign(zz, traffic::kInf);
  {
    // Walk distances between the representatives: one search bounded at 40 km from each. They
    // depend on the walk network and the representatives only, so a later year (same network)
    // searches again only for the zones whose representative changed: from it (its row), and, on
    // a walk graph that costs the same both ways, to it (its column: two searches from the ends
    // of its street edge give every other representative's exact bounded distance to it, as
    // that representative's own search would). Every cell is written by one task: the same for
    // any thread count, and the same distances as searching from every zone again.
    const std::uint32_t bound = 400000;  // 40 km in decimetres
    auto& wc = walk_skim_;
    if (wc.version != walk_version_) {
      wc.symmetric = true;
      for (std::size_t e = 0; e < walk_.edge_count() && wc.symmetric; ++e)
        wc.symmetric = walk_.edge_cost_fwd[e] == walk_.edge_cost_bwd[e];
    }
    std::vector<std::uint32_t> changed;
    std::vector<std::uint8_t> is_changed(nz, 0);
    bool full = wc.version != walk_version_ || wc.rep.size() != nz || !wc.symmetric;
    if (!full) {
      for (std::uint32_t z = 0; z < nz; ++z)
        if (rep[z] != wc.rep[z]) changed.push_back(z);
      full = 3 * changed.size() >= nz;  // a row costs one search, a column two
    }
    if (full) {
      wc.dm.assign(zz, graph::kUnreached);
      changed.resize(nz);
      for (std::uint32_t z = 0; z < nz; ++z) changed[z] = z;
    }
    for (const auto z : changed) is_changed[z] = 1;
    const auto entry = [&](std::uint32_t z) -> const graph::EntryPoint& { return parcel_walk_[static_cast<std::size_t>(rep[z])]; };
    tbb::parallel_for(std::size_t{0}, changed.size(), [&](std::size_t k) {
      const std::uint32_t i = changed[k];
      std::uint32_t* row = &wc.dm[static_cast<std::size_t>(i) * nz];
      std::fill(row, row + nz, graph::kUnreached);
      if (rep[i] < 0) return;
      graph::Workspace ws;
      std::vector<graph::Seed> seeds;
      graph::append_seeds(entry(i), seeds);
      std::vector<std::uint32_t> dist;
      graph::multi_source(walk_, seeds, bound, dist, ws);
      for (std::uint32_t j = 0; j < nz; ++j)
        if (rep[j] >= 0) row[j] = i == j ? 0 : graph::reach(entry(j), dist.data());
    });
    if (!full) {
      tbb::parallel_for(std::size_t{0}, changed.size(), [&](std::size_t k) {
        const std::uint32_t j = changed[k];
        for (std::uint32_t i = 0; i < nz; ++i)
          if (!is_changed[i]) wc.dm[static_cast<std::size_t>(i) * nz + j] = graph::kUnreached;
        if (rep[j] < 0) return;
        const graph::EntryPoint& ej = entry(j);
        graph::Workspace ws;
        std::vector<std::uint32_t> from_u, from_v;  // path costs from the edge's ends (= to them)
        const graph::Seed su{ej.u, 0}, sv{ej.v, 0};
        if (ej.u_to_point != graph::kUnreached) graph::multi_source(walk_, std::span<const graph::Seed>(&su, 1), bound, from_u, ws);
        if (ej.v_to_point != graph::kUnreached) graph::multi_source(walk_, std::span<const graph::Seed>(&sv, 1), bound, from_v, ws);
        // The bounded search from seeds (node, cost) reaches node n at min(cost + path), kept
        // only within the bound.
        const auto at = [&](const std::vector<graph::Seed>& seeds, const std::vector<std::uint32_t>& path) {
          std::uint64_t best = UINT64_MAX;
          for (const auto& s : seeds)
            if (path[s.node] != graph::kUnreached) best = std::min(best, std::uint64_t{s.cost} + path[s.node]);
          return best <= bound ? static_cast<std::uint32_t>(best) : graph::kUnreached;
        };
        const auto add = [](std::uint32_t a, std::uint32_t b) {  // as graph::reach adds: saturating at kUnreached
          const std::uint64_t sum = std::uint64_t{a} + b;
          return sum >= graph::kUnreached ? graph::kUnreached : static_cast<std::uint32_t>(sum);
        };
        std::vector<graph::Seed> seeds;
        for (std::uint32_t i = 0; i < nz; ++i) {
          if (is_changed[i] || rep[i] < 0) continue;
          seeds.clear();
          graph::append_seeds(entry(i), seeds);
          const std::uint32_t du = from_u.empty() ? graph::kUnreached : at(seeds, from_u);
          const std::uint32_t dv = from_v.empty() ? graph::kUnreached : at(seeds, from_v);
          wc.dm[static_cast<std::size_t>(i) * nz + j] =
              add(std::min(add(du, ej.u_to_point), add(dv, ej.v_to_point)), ej.leg);
        }
      });
    }
    wc.version = walk_version_;
    wc.rep = rep;
    tbb::parallel_for(std::uint32_t{0}, nz, [&](std::uint32_t i) {
      if (rep[i] < 0) return;
      for (std::uint32_t j = 0; j < nz; ++j) {
        if (rep[j] < 0) continue;
        const std::uint32_t d = wc.dm[static_cast<std::size_t>(i) * nz + j];
        if (d == graph::kUnreached) continue;
        const double m = i == j ? 0.4 * tr.zone_size_m : d / 10.0;
        sk.minutes[traffic::kWalkBike][static_cast<std::size_t>(i) * nz + j] =
            std::min(m / modes.walk_m_per_min, m / modes.bike_m_per_min + modes.bike_overhead_min);
      }
    });
  }
  // Transit: walk to the nearest metro station, wait, ride between the zones' stations, walk.
  std::vector<geo::Point> stations;
  for (const auto& f : city_.facilities)
    if (std::find(f.classes.begin(), f.classes.end(), "metro") != f.classes.end()) stations.push_back(f.location);
  if (!stations.empty()) {
    const graph::EdgeLocator loc(walk_, walk_main_);
    std::vector<graph::Seed> seeds;
    for (const auto& s : stations)
      if (auto e = loc.attach(s, snap::kSiteM)) graph::append_seeds(*e, seeds);
    graph::Workspace ws;
    std::vector<std::uint32_t> dist;
    graph::multi_source(walk_, seeds, 400000, dist, ws);
    std::vector<double> access(nz, 0.0), aw(nz, 0.0);
    for (std::size_t p = 0; p < np; ++p) {
      if (parcel_walk_[p].edge == graph::kUnreached) continue;
      const std::uint32_t d = graph::reach(parcel_walk_[p], dist.data());
      if (d == graph::kUnreached) continue;
      const double w = P.residents[p] + jobs[p];
      access[zone_of[p]] += w * d / 10.0;
      aw[zone_of[p]] += w;
    }
    std::vector<std::int64_t> near(nz, -1);
    for (std::uint32_t z = 0; z < nz; ++z) {
      access[z] = aw[z] > 0 ? access[z] / aw[z] : traffic::kInf;
      double best = traffic::kInf;
      for (std::size_t s = 0; s < stations.size(); ++s) {
        const double d = std::hypot(stations[s].x - cx[z], stations[s].y - cy[z]);
        if (d < best) {
          best = d;
          near[z] = static_cast<std::int64_t>(s);
        }
      }
    }
    for (std::uint32_t i = 0; i < nz; ++i)
      for (std::uint32_t j = 0; j < nz; ++j) {
        if (near[i] == near[j] || !std::isfinite(access[i]) || !std::isfinite(access[j])) continue;
        const auto& a = stations[static_cast<std::size_t>(near[i])];
        const auto& b = stations[static_cast<std::size_t>(near[j])];
        const double ride = std::hypot(a.x - b.x, a.y - b.y) * modes.metro_detour / modes.metro_m_per_min;
        sk.minutes[traffic::kTransit][static_cast<std::size_t>(i) * nz + j] =
            (access[i] + access[j]) / modes.walk_m_per_min + modes.metro_wait_min + ride;
      }
  }
  // Greenway access share per zone: residents whose walk to a greenway passes the norm.
  std::vector<double> gw_share(nz, 0.0), res_z(nz, 0.0);
  for (std::size_t k = 0; k < scenario_.norms.size(); ++k) {
    if (scenario_.norms[k].name != "greenway" || y.coverage.classes.size() <= k) continue;
    const auto& cost = y.coverage.classes[k].cost;
    const std::uint32_t thr = threshold(scenario_.norms[k]);
    for (std::size_t p = 0; p < np; ++p) {
      res_z[zone_of[p]] += P.residents[p];
      if (cost[p] <= thr) gw_share[zone_of[p]] += P.residents[p];
    }
  }
  for (std::uint32_t z = 0; z < nz; ++z) gw_share[z] = res_z[z] > 0 ? gw_share[z] / res_z[z] : 0.0;

  // --- Feedback loop: car skim -> demand -> assignment, car times averaged over the loops (MSA).
  auto car_skim = [&](const std::vector<double>& cost, std::vector<double>& skim) {
    tbb::parallel_for(std::uint32_t{0}, nz, [&](std::uint32_t i) {
      traffic::SpWorkspace ws;
      traffic::shortest_paths(net, cost.data(), i, ws);
      for (std::uint32_t j = 0; j < nz; ++j)
        skim[static_cast<std::size_t>(i) * nz + j] =
            i == j ? 0.4 * tr.zone_size_m / (modes.intrazonal_car_kmh * 1000 / 60) : ws.dist[j];
    });
  };
  std::vector<double> cost(nl), car_msa(zz, 0.0), skim(zz);
  // The first loop's car times: free flow, or (traffic.feedback_from_last_year) last year's
  // congested times where the drive network is the one they were computed on.
  const LastCosts& lc = traffic_last_costs_;
  if (tr.feedback_from_last_year && lc.cost.size() == nl && lc.node_count == net.node_count &&
      lc.first_thru == net.first_thru && lc.tail == net.tail && lc.head == net.head)
    cost = lc.cost;
  else
    for (std::uint32_t a = 0; a < nl; ++a) cost[a] = net.cost(a, 0.0);
  traffic::Result assigned;
  traffic::TripMatrices trips;
  const traffic::ModeParams mp = mode_params(scenario_.profile);
  int iterations = 0;  // Algorithm B's outer iterations, over the loops
  for (int loop = 1; loop <= tr.feedback_iterations; ++loop) {
    car_skim(cost, skim);
    for (std::size_t k = 0; k < zz; ++k) car_msa[k] += (skim[k] - car_msa[k]) / loop;
    sk.minutes[traffic::kCar] = car_msa;
    trips = traffic::distribute_and_split(prod, attr, gw_share, sk, mp);
    traffic::DemandBuilder db(nz);
    for (std::uint32_t i = 0; i < nz; ++i)
      for (std::uint32_t j = 0; j < nz; ++j) {
        const double v = trips.trips[traffic::kCar][static_cast<std::size_t>(i) * nz + j] / trips_pf.car_occupancy;
        if (v > 0 && std::isfinite(skim[static_cast<std::size_t>(i) * nz + j])) db.add(i, j, v);
      }
    const auto demand = db.build();
    traffic::Options opt;
    // The loops before the last only feed the averaged car times of the next loop's demand: they
    // may stop at a looser gap (traffic.feedback_gap); the last loop, whose flows and times are the
    // year's results, always meets assignment_gap (docs/traffic.md, "Feedback").
    opt.gap = loop < tr.feedback_iterations && tr.feedback_gap > 0 ? std::max(tr.feedback_gap, tr.assignment_gap)
                                                                   : tr.assignment_gap;
    if (!tr.warm_start) traffic_warm_.clear();
    assigned = traffic::assign_bush(net, demand, opt, &traffic_warm_);
    cost = assigned.cost;
    iterations += assigned.iterations;
  }
  if (tr.feedback_from_last_year) traffic_last_costs_ = {net.node_count, net.first_thru, net.tail, net.head, cost};

  // --- Results.
  out.ran = true;
  out.zones = nz;
  out.links = road_links;
  out.relative_gap = assigned.eval.relative_gap;
  out.assignment_iterations = iterations;
  double time_sum = 0;
  for (int m = 0; m < traffic::kModes; ++m)
    for (std::size_t k = 0; k < zz; ++k) {
      const double t = trips.trips[m][k];
      if (t <= 0) continue;
      out.mode_trips[m] += t;
      const double minutes = m == traffic::kCar ? sk.minutes[m][k] + mp.car_terminal_min : sk.minutes[m][k];
      time_sum += t * minutes;
    }
  out.parcel_zone = zone_of;
  out.zone_commute_min.assign(nz, 0.0);
  for (std::uint32_t i = 0; i < nz; ++i) {
    double t_sum = 0, n_sum = 0;
    for (int m = 0; m < traffic::kModes; ++m)
      for (std::uint32_t j = 0; j < nz; ++j) {
        const std::size_t k = static_cast<std::size_t>(i) * nz + j;
        const double t = trips.trips[m][k];
        if (t <= 0) continue;
        t_sum += t * (m == traffic::kCar ? sk.minutes[m][k] + mp.car_terminal_min : sk.minutes[m][k]);
        n_sum += t;
      }
    out.zone_commute_min[i] = n_sum > 0 ? t_sum / n_sum : 0.0;
  }
  out.person_trips = out.mode_trips[0] + out.mode_trips[1] + out.mode_trips[2];
  out.mean_commute_min = out.person_trips > 0 ? time_sum / out.person_trips : 0;
  out.green_share_pct = out.person_trips > 0 ? 100 * (out.mode_trips[1] + out.mode_trips[2]) / out.person_trips : 0;
  // Per road link; aggregated, each carries the flow of its contracted link and has its own times.
  const traffic::Network road_net =
      aggregated ? traffic::make_network(net.name, nz + static_cast<std::uint32_t>(road_node_drive.size()), nz, nz, road_rows)
                 : traffic::Network{};
  const traffic::Network& rn = aggregated ? road_net : net;
  const std::vector<std::uint32_t>& rn_drive = aggregated ? road_node_drive : node_drive;
  double vh = 0, vh0 = 0, vkm = 0;
  for (std::uint32_t a = 0; a < road_links; ++a) {
    const double x = assigned.flow[aggregated ? via[a] : a];
    out.capacity.push_back(rn.capacity[a]);
    out.volume.push_back(x);
    out.time_ff_min.push_back(rn.fft[a]);
    out.time_min.push_back(rn.travel_time(a, x));
    out.length_m.push_back(rn.length[a] * 1000);
    out.line.push_back({drive_.node_xy[rn_drive[rn.tail[a] - nz]], drive_.node_xy[rn_drive[rn.head[a] - nz]]});
    vh += x * rn.travel_time(a, x);
    vh0 += x * rn.fft[a];
    vkm += x * rn.length[a];
  }
  out.congestion_index = vh0 > 0 ? vh / vh0 : 1.0;
  out.vkt_million = vkm / trips_pf.peak_hour_share / 1e6;
}

}  // namespace ut::sim
