// Algorithm B (Dial 2006; Nie 2010's refinements): one acyclic bush per origin, stored sparsely,
// Newton flow shifts between the longest used and the shortest path segments at each merge node.
//
// Each outer iteration:
//   1. bush update, in parallel over origins (reads the link costs only): drop arcs without flow
//      that are not on the bush's shortest-path tree; add every network link (i,j) that shortens
//      the longest-path label, U_i + c_ij < U_j (this keeps the bush acyclic, even in floating
//      point); re-sort the nodes by (U, previous position), which is a topological order.
//   2. flow update, serially over origins in origin order, with exact link-cost updates after every
//      shift (Gauss-Seidel); then up to `inner_passes` further passes over the origins whose bush
//      is still out of equilibrium.
//   3. link flows recomputed from the bushes in origin order; relative gap: the bushes' own
//      estimate, then the exact gap only when the estimate meets the target, stopped as soon as
//      it cannot (exact_sptt_or_fail); each origin's exact shortest paths come from its bush,
//      corrected where a network link shortens them (bush_exact_total), not from a Dijkstra.
// The parallel parts (bush updates, the gap estimate, the exact gap's per-origin totals, the initial or
// warm-started bushes) each write their own origin's slot only and are summed in origin order, so
// the result does not depend on the thread count. A warm start (WarmStart) begins from the bushes
// of an earlier solve of the same network instead of shortest-path trees (warm_bush).
#include <oneapi/tbb/enumerable_thread_specific.h>
#include <oneapi/tbb/parallel_for.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <memory>
#include <numeric>
#include <string>

#include "models/traffic/assign.hpp"
#include "models/traffic/detail.hpp"
#include "models/traffic/shortest_path.hpp"

namespace ut::traffic {

namespace {

constexpr std::uint32_t kNone = 0xffffffffu;

struct Bush {
  std::uint32_t origin = 0;
  // Positions 0..size()-1 are the bush's nodes in topological order, position 0 the origin. Every
  // other position has at least one incoming arc (its shortest-path predecessor is never dropped).
  // Arcs are numbered: arc p (1 <= p < size()) is position p's first incoming arc, with link[p];
  // arc size()+e is extra arc e, a further incoming arc of position extra_head[e] (ascending, so
  // a position's arcs are its first arc, then its extras in order). Each arc stores its link and
  // its tail's position, so that the label passes need no node -> position map; the node at a
  // position is not stored (it is the head of its first arc's link), and the passes that look
  // nodes up (the bush update, the exact labels, the warm start) fill that map for the bush being
  // worked on (Scratch::enter_map()). Flows are stored only for arcs whose flow is not zero: on
  // Berlin Center 0.4 million of 11.1 million arcs carry any flow of their origin (most of a bush
  // is its shortest-path tree).
  std::vector<std::uint32_t> link;  // per position: its first arc's link (link[0] unused)
  std::vector<std::uint32_t> tail;  // per position: its first arc's tail position (tail[0] unused)
  std::vector<std::uint32_t> extra_head, extra_link, extra_tail;  // per extra arc
  std::vector<std::uint32_t> used;                    // the arcs with a flow other than zero, ascending
  std::vector<double> used_flow;                      // their flows (this origin's)
  std::vector<std::uint32_t> dest_pos;  // positions of this origin's destinations, in the demand's order (its trips)
  double eps = 0;         // flows at or below this are rounding dust: treated as zero, then dropped
  double excess = kInf;  // max over nodes of (longest used - shortest) at the last flow update
  double sp_total = 0;   // sum of trips * bush shortest-path cost, at the last gap estimate

  std::size_t size() const { return link.size(); }
  std::size_t arc_count() const { return link.empty() ? 0 : link.size() - 1 + extra_link.size(); }
  std::uint32_t link_of(std::uint32_t a) const { return a < link.size() ? link[a] : extra_link[a - link.size()]; }
  std::uint32_t tail_of(std::uint32_t a) const { return a < tail.size() ? tail[a] : extra_tail[a - tail.size()]; }
  std::uint32_t node_at(const Network& net, std::size_t p) const { return p == 0 ? origin : net.head[link[p]]; }
};

struct Scratch {
  SpWorkspace sp;
  std::vector<std::int32_t> pos;     // per node: position in the current bush, -1 otherwise
  std::vector<double> lmin, lmax;    // per position
  std::vector<std::uint32_t> pmin, pmax;  // per position: arc of the min / max predecessor
  std::vector<std::uint32_t> seg_min, seg_max;
  std::vector<double> node_flow;
  // The bush being worked on: per arc, its flow (enter_flows() .. leave_flows(); 0 where it has
  // none, all 0 outside); per position, where its extras start (enter_map() .. leave_map(), with
  // `pos`).
  std::vector<std::uint32_t> xoff;
  std::vector<double> fl, fl2;
  std::vector<std::uint32_t> touched;  // arcs without flow at enter_flows() that gained some since
  bool shifted = false;                // some flow was shifted since enter_flows()
  std::vector<std::uint32_t> new_used;
  std::vector<double> new_flow;
  // bush update buffers (the r_ ones: the new bush, then copied into it)
  std::vector<std::uint8_t> keep;  // per arc of a merge of the bush being updated: kept
  std::vector<std::uint32_t> perm, new_pos, new_off, new_fill;
  std::vector<std::uint32_t> a_head, a_link, a_tail, a_order;
  std::vector<std::uint32_t> r_link, r_tail, r_xhead, r_xlink, r_xtail, r_used, r_used_x;
  std::vector<double> r_flow, r_flow_x;

  void size_for(const Network& net) {
    pos.assign(net.node_count, -1);
    lmin.resize(net.node_count);
    lmax.resize(net.node_count);
    pmin.resize(net.node_count);
    pmax.resize(net.node_count);
  }

  // The node -> position map of bush b, and where each position's extras start.
  void enter_map(const Network& net, const Bush& b) {
    const std::size_t nb = b.size();
    for (std::size_t p = 0; p < nb; ++p) pos[b.node_at(net, p)] = static_cast<std::int32_t>(p);
    if (b.extra_head.empty()) {
      xoff.assign(nb + 1, 0);
    } else {
      xoff.resize(nb + 1);
      std::size_t e = 0;
      for (std::size_t p = 0; p <= nb; ++p) {
        while (e < b.extra_head.size() && b.extra_head[e] < p) ++e;
        xoff[p] = static_cast<std::uint32_t>(e);
      }
    }
  }
  void leave_map(const Network& net, const Bush& b) {
    if (b.size() * 4 >= pos.size())  // most nodes: one sequential fill beats a random write each
      std::fill(pos.begin(), pos.end(), -1);
    else
      for (std::size_t p = 0; p < b.size(); ++p) pos[b.node_at(net, p)] = -1;
  }

  // Bush b's flows, per arc, into fl.
  void enter_flows(const Bush& b) {
    const std::size_t na = b.size() + b.extra_link.size();
    if (fl.size() < na) fl.resize(na, 0.0);
    if (fl2.size() < na) fl2.resize(na, 0.0);
    for (std::size_t i = 0; i < b.used.size(); ++i) fl[b.used[i]] = b.used_flow[i];
    touched.clear();
    shifted = false;
  }
  void leave_flows(const Bush& b) {
    for (std::uint32_t a : b.used) fl[a] = 0;
  }

  // Stores fl back into the bush's used arcs, and clears it (as leave_flows()). The arcs with flow
  // now are among those used before and those that gained flow since enter_flows() (`touched`).
  void store_and_leave(Bush& b) {
    if (!shifted) {
      leave_flows(b);
      return;
    }
    shifted = false;
    std::size_t k = 0;
    if (touched.empty()) {  // only the used arcs' flows changed: compact them in place
      for (std::size_t i = 0; i < b.used.size(); ++i) {
        const std::uint32_t a = b.used[i];
        const double f = fl[a];
        fl[a] = 0;
        b.used[k] = a;
        b.used_flow[k] = f;
        k += f != 0 ? 1 : 0;
      }
      b.used.resize(k);
      b.used_flow.resize(k);
      return;
    }
    std::sort(touched.begin(), touched.end());
    touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
    const std::size_t nu = b.used.size(), nt = touched.size();
    new_used.resize(nu + nt);
    new_flow.resize(nu + nt);
    std::size_t i = 0, j = 0;
    while (i < nu || j < nt) {  // merge the two ascending lists
      std::uint32_t a;
      if (j == nt || (i < nu && b.used[i] < touched[j])) {
        a = b.used[i++];
      } else {
        a = touched[j++];
        if (i < nu && b.used[i] == a) ++i;
      }
      const double f = fl[a];
      fl[a] = 0;
      new_used[k] = a;
      new_flow[k] = f;
      k += f != 0 ? 1 : 0;
    }
    b.used.assign(new_used.begin(), new_used.begin() + static_cast<std::ptrdiff_t>(k));  // into the bush's own capacity
    b.used_flow.assign(new_flow.begin(), new_flow.begin() + static_cast<std::ptrdiff_t>(k));
    touched.clear();
  }
};

struct State {
  const Network& net;
  std::vector<double> x, c, d;
  explicit State(const Network& n) : net(n), x(n.link_count(), 0.0), c(n.link_count()), d(n.link_count()) {
    for (std::uint32_t a = 0; a < n.link_count(); ++a) {
      refresh(a);
      if (!std::isfinite(c[a])) detail::not_finite(n, "the free-flow cost of " + detail::link_name(net, a), c[a]);
    }
  }
  void refresh(std::uint32_t a) {
    c[a] = net.cost(a, x[a]);
    d[a] = net.derivative(a, x[a]);
  }
};

// The bush of origin `k` from the shortest-path tree at the current costs: every link that goes
// strictly further from the origin, plus the tree links (which settle ties at equal distance).
void init_bush(const Network& net, const Demand& dm, std::size_t k, const std::vector<double>& costs, Bush& b,
               Scratch& s) {
  const std::uint32_t o = dm.origin[k];
  b.origin = o;
  shortest_paths(net, costs.data(), o, s.sp);
  const auto& dist = s.sp.dist;
  const auto& order = s.sp.order;  // reached nodes in settling order: a topological order of the bush
  const std::size_t nb = order.size();
  for (std::uint32_t p = 0; p < nb; ++p) s.pos[order[p]] = static_cast<std::int32_t>(p);
  b.link.assign(nb, kNone);
  b.tail.assign(nb, kNone);
  b.extra_head.clear();
  b.extra_link.clear();
  b.extra_tail.clear();
  std::vector<std::uint32_t> tree_arc(nb, kNone);
  for (std::uint32_t p = 1; p < nb; ++p) {
    const std::uint32_t v = order[p];
    bool first = true;
    for (std::uint32_t e = net.in_offset[v]; e < net.in_offset[v + 1]; ++e) {
      const std::uint32_t a = net.in_link[e];
      const std::uint32_t u = net.tail[a];
      if (s.pos[u] < 0 || !net.passable(u, o)) continue;
      const bool tree = s.sp.pred[v] == a;
      if (!(dist[u] < dist[v]) && !tree) continue;
      std::uint32_t arc;
      if (first) {
        b.link[p] = a;
        b.tail[p] = static_cast<std::uint32_t>(s.pos[u]);
        arc = p;
        first = false;
      } else {
        arc = static_cast<std::uint32_t>(nb + b.extra_link.size());
        b.extra_head.push_back(p);
        b.extra_link.push_back(a);
        b.extra_tail.push_back(static_cast<std::uint32_t>(s.pos[u]));
      }
      if (tree) tree_arc[p] = arc;
    }
  }
  b.extra_head.shrink_to_fit();  // kept for the whole solve: no slack from push_back
  b.extra_link.shrink_to_fit();
  b.extra_tail.shrink_to_fit();
  double total = 0;
  for (std::uint32_t i = dm.offset[k]; i < dm.offset[k + 1]; ++i) total += dm.trips[i];
  b.eps = 1e-12 * total;
  b.dest_pos.clear();
  s.node_flow.assign(nb, 0.0);
  for (std::uint32_t i = dm.offset[k]; i < dm.offset[k + 1]; ++i) {
    const std::int32_t p = s.pos[dm.dest[i]];
    if (p < 0) {
      for (std::uint32_t v : order) s.pos[v] = -1;
      detail::unreachable(net, o, dm.dest[i]);
    }
    b.dest_pos.push_back(static_cast<std::uint32_t>(p));
    s.node_flow[static_cast<std::size_t>(p)] += dm.trips[i];
  }
  // Each position's flow onto its tree arc, in reverse topological order.
  std::vector<double> tree_flow(nb, 0.0);
  for (std::size_t p = nb; p-- > 1;) {
    const double f = s.node_flow[p];
    if (f == 0) continue;
    tree_flow[p] = f;
    s.node_flow[b.tail_of(tree_arc[p])] += f;
  }
  b.used.clear();
  b.used_flow.clear();
  for (int extra = 0; extra < 2; ++extra)  // first arcs, then extras: ascending arc numbers
    for (std::uint32_t p = 1; p < nb; ++p)
      if (tree_flow[p] != 0 && (tree_arc[p] >= nb) == (extra == 1)) {
        b.used.push_back(tree_arc[p]);
        b.used_flow.push_back(tree_flow[p]);
      }
  for (std::uint32_t v : order) s.pos[v] = -1;
}

[[noreturn]] void no_label(const Network& net, const Bush& b, std::size_t p, double best) {
  detail::not_finite(net,
                     "the shortest path label of node " + std::to_string(net.node_label[b.node_at(net, p)]) +
                         " from origin " + std::to_string(net.node_label[b.origin]),
                     best);
}

// Visits the arcs into merge position p (one with extra arcs): its own arc, then its extra arcs
// from e on (advancing e past them), as arc(arc index, link, tail position). Returns the next
// merge position (nb when no extra arc is left).
template <class F>
inline std::size_t merge_arcs(const Bush& b, std::size_t p, std::size_t nb, std::size_t& e, F&& arc) {
  const std::size_t nx = b.extra_head.size();
  arc(static_cast<std::uint32_t>(p), b.link[p], b.tail[p]);
  for (; e < nx && b.extra_head[e] == p; ++e) arc(static_cast<std::uint32_t>(nb + e), b.extra_link[e], b.extra_tail[e]);
  return e < nx ? b.extra_head[e] : nb;
}

// Shortest (all arcs) and longest (arcs with flow) labels over the bush, in topological order.
// Returns the largest label difference at a node. A node without a finite shortest label (a cost
// or label became inf or nan) ends the assignment with an error: every later step relies on it.
// The bush's flows must be entered (s.enter_flows()). Most positions have a single arc (on Berlin
// Center all but a few thousand of 11 million): they take a path without data-dependent
// branches; the values are the same as the general path's, which serves the merges.
double labels(const Network& net, const Bush& b, const std::vector<double>& c, Scratch& s) {
  const std::size_t nb = b.size(), nx = b.extra_head.size();
  const double eps = b.eps;
  double* lmin = s.lmin.data();
  double* lmax = s.lmax.data();
  std::uint32_t* pmin = s.pmin.data();
  std::uint32_t* pmax = s.pmax.data();
  const double* fl = s.fl.data();
  const std::uint32_t* link = b.link.data();
  const std::uint32_t* tail = b.tail.data();
  lmin[0] = lmax[0] = 0;
  pmin[0] = pmax[0] = kNone;
  double excess = 0;
  std::size_t e = 0;                                   // the next extra arc
  std::size_t merge = nx > 0 ? b.extra_head[0] : nb;  // the next position with extra arcs
  for (std::size_t p = 1; p < nb; ++p) {
    const std::uint32_t a = static_cast<std::uint32_t>(p);
    if (p != merge) {  // one arc: it is both the shortest and the longest predecessor
      const double ca = c[link[p]];
      const double mn = lmin[tail[p]] + ca;
      const double mx = lmax[tail[p]] + ca;
      if (!(mn < kInf)) no_label(net, b, p, kInf);
      const bool used = fl[p] > eps;
      lmin[p] = mn;
      lmax[p] = used ? mx : mn;
      pmin[p] = pmax[p] = a;
      excess = std::max(excess, used ? mx - mn : 0.0);
      continue;
    }
    double best = kInf, worst = -kInf;
    std::uint32_t bp = kNone, wp = kNone;
    auto arc = [&](std::uint32_t x, std::uint32_t l, std::uint32_t t) {
      const double ca = c[l];
      const double vmin = lmin[t] + ca;
      if (vmin < best) {
        best = vmin;
        bp = x;
      }
      if (fl[x] > eps) {
        const double vmax = lmax[t] + ca;
        if (vmax > worst) {
          worst = vmax;
          wp = x;
        }
      }
    };
    merge = merge_arcs(b, p, nb, e, arc);
    if (bp == kNone) no_label(net, b, p, best);
    lmin[p] = best;
    pmin[p] = bp;
    if (wp == kNone) {
      lmax[p] = best;
      pmax[p] = bp;
    } else {
      lmax[p] = worst;
      pmax[p] = wp;
      excess = std::max(excess, worst - best);
    }
  }
  return excess;
}

// The shortest labels (s.lmin) and predecessor arcs (s.pmin) of labels() alone, bit for bit the
// same; the flows are not needed.
void shortest_labels(const Network& net, const Bush& b, const std::vector<double>& c, Scratch& s) {
  const std::size_t nb = b.size(), nx = b.extra_head.size();
  double* lmin = s.lmin.data();
  std::uint32_t* pmin = s.pmin.data();
  const std::uint32_t* link = b.link.data();
  const std::uint32_t* tail = b.tail.data();
  lmin[0] = 0;
  pmin[0] = kNone;
  std::size_t e = 0;
  std::size_t merge = nx > 0 ? b.extra_head[0] : nb;
  for (std::size_t p = 1; p < nb; ++p) {
    if (p != merge) {
      const double mn = lmin[tail[p]] + c[link[p]];
      if (!(mn < kInf)) no_label(net, b, p, kInf);
      lmin[p] = mn;
      pmin[p] = static_cast<std::uint32_t>(p);
      continue;
    }
    double best = kInf;
    std::uint32_t bp = kNone;
    auto arc = [&](std::uint32_t x, std::uint32_t l, std::uint32_t t) {
      const double vmin = lmin[t] + c[l];
      if (vmin < best) {
        best = vmin;
        bp = x;
      }
    };
    merge = merge_arcs(b, p, nb, e, arc);
    if (bp == kNone) no_label(net, b, p, best);
    lmin[p] = best;
    pmin[p] = bp;
  }
}

// The Newton shifts of a flow-update pass, at every node (in reverse topological order) whose
// longest used path differs from its shortest by the labels in s (labels(): s.lmin, s.lmax,
// s.pmin, s.pmax). Only a merge (a position with extra arcs) can have different predecessors, so
// only the merges are visited. Each shift is computed from the current costs along the two
// segments, whatever costs the labels were computed at.
void shift_flows(Bush& b, State& st, Scratch& s) {
  auto& fl = s.fl;
  for (std::size_t x = b.extra_head.size(); x-- > 0;) {
    const std::size_t p = b.extra_head[x];
    if (x > 0 && b.extra_head[x - 1] == p) continue;  // each merge once, at its first extra arc
    if (s.pmin[p] == s.pmax[p]) continue;
    if (!(s.lmax[p] > s.lmin[p])) continue;
    // Walk both segments back to where they diverge; positions decrease along each.
    s.seg_min.clear();
    s.seg_max.clear();
    std::uint32_t am = s.pmin[p], aM = s.pmax[p];
    s.seg_min.push_back(am);
    s.seg_max.push_back(aM);
    std::uint32_t i = b.tail_of(am), j = b.tail_of(aM);
    while (i != j) {
      if (i > j) {
        am = s.pmin[i];
        s.seg_min.push_back(am);
        i = b.tail_of(am);
      } else {
        aM = s.pmax[j];
        s.seg_max.push_back(aM);
        j = b.tail_of(aM);
      }
    }
    double cmin = 0, dsum = 0, cmax = 0, fmin = kInf;
    std::uint32_t limiting = kNone;
    for (std::uint32_t a : s.seg_min) {
      const std::uint32_t l = b.link_of(a);
      cmin += st.c[l];
      dsum += st.d[l];
    }
    for (std::uint32_t a : s.seg_max) {
      const std::uint32_t l = b.link_of(a);
      cmax += st.c[l];
      dsum += st.d[l];
      if (fl[a] < fmin) {
        fmin = fl[a];
        limiting = a;
      }
    }
    const double diff = cmax - cmin;
    if (!(diff > 0) || !(fmin > b.eps)) continue;
    double delta = dsum > 0 ? diff / dsum : fmin;
    const bool all = delta >= fmin;
    if (all) delta = fmin;
    s.shifted = true;
    for (std::uint32_t a : s.seg_min) {
      if (fl[a] == 0) s.touched.push_back(a);
      fl[a] += delta;
      const std::uint32_t l = b.link_of(a);
      st.x[l] += delta;
      st.refresh(l);
    }
    for (std::uint32_t a : s.seg_max) {
      const double left = fl[a] - delta;
      fl[a] = ((all && a == limiting) || left <= b.eps) ? 0.0 : left;
      const std::uint32_t l = b.link_of(a);
      st.x[l] = std::max(0.0, st.x[l] - delta);
      st.refresh(l);
    }
  }
}

// One flow-update pass over a bush: labels at the current costs, then the shifts.
void update_flows(Bush& b, State& st, Scratch& s) {
  s.enter_flows(b);
  b.excess = labels(st.net, b, st.c, s);
  if (b.excess > 0) shift_flows(b, st, s);
  s.store_and_leave(b);
}

// Flow update in batches (Options::flow_batch; docs/traffic.md, "Flow update in batches"). A pass
// over `list` (origin indices, ascending) takes it in consecutive batches of `batch` origins. The
// labels of a batch's origins (the longest used and shortest paths in their bushes, the larger part
// of a pass on a large network) are computed in parallel at the link costs of the batch's start;
// then, serially in list order, each origin shifts its flows exactly as the serial pass does, each
// shift computed from the current costs along its two segments and followed by exact cost updates.
// Only the choice of the segments may be stale (the serial pass, too, keeps an origin's labels
// through its own shifts), never the size of a shift, so every shift still lowers the objective.
// The labels depend on the batch's start only and the batches on the list and `batch` only: the
// result is the same for any thread count. With batch 1 it is the serial pass.
class BatchedFlows {
 public:
  BatchedFlows(const Network& net, std::size_t batch) : batch_(batch), slots_(batch), excess_(batch) {
    for (Scratch& s : slots_) s.size_for(net);
  }

  void pass(std::vector<Bush>& bushes, const std::vector<std::uint32_t>& list, State& st,
            tbb::enumerable_thread_specific<Scratch>& tls, Scratch& serial) {
    for (std::size_t begin = 0; begin < list.size(); begin += batch_) {
      const std::size_t members = std::min(batch_, list.size() - begin);
      tbb::parallel_for(tbb::blocked_range<std::size_t>(0, members, 1), [&](const auto& r) {
        Scratch& s = tls.local();
        for (std::size_t i = r.begin(); i < r.end(); ++i) {
          const Bush& b = bushes[list[begin + i]];
          s.enter_flows(b);
          excess_[i] = labels(st.net, b, st.c, s);
          s.leave_flows(b);
          std::swap(s.lmin, slots_[i].lmin);  // all sized for the network: a swap, no copy
          std::swap(s.lmax, slots_[i].lmax);
          std::swap(s.pmin, slots_[i].pmin);
          std::swap(s.pmax, slots_[i].pmax);
        }
      });
      for (std::size_t i = 0; i < members; ++i) {
        Bush& b = bushes[list[begin + i]];
        b.excess = excess_[i];
        if (b.excess <= 0) continue;
        std::swap(serial.lmin, slots_[i].lmin);
        std::swap(serial.lmax, slots_[i].lmax);
        std::swap(serial.pmin, slots_[i].pmin);
        std::swap(serial.pmax, slots_[i].pmax);
        serial.enter_flows(b);
        shift_flows(b, st, serial);
        serial.store_and_leave(b);
      }
    }
  }

 private:
  std::size_t batch_;
  std::vector<Scratch> slots_;  // per member of a batch: its labels (lmin, lmax, pmin, pmax)
  std::vector<double> excess_;  // per member: its labels' largest difference
};

// The network's forward star, for the bush update: per out-edge e (net.out_link order), the head
// node of its link, and the link's cost at the current flows (filled each iteration).
struct Star {
  std::vector<std::uint32_t> head;
  std::vector<double> cost;
  explicit Star(const Network& net) : head(net.out_link.size()), cost(net.out_link.size()) {
    for (std::size_t e = 0; e < head.size(); ++e) head[e] = net.head[net.out_link[e]];
  }
  void set_costs(const Network& net, const std::vector<double>& c) {
    for (std::size_t e = 0; e < cost.size(); ++e) cost[e] = c[net.out_link[e]];
  }
};

// Bush update (see the file comment). Reads link costs only (c, and the same costs in star order).
void update_bush(const Network& net, Bush& b, const std::vector<double>& c, const Star& star, Scratch& s) {
  const std::size_t nb = b.size(), nx = b.extra_head.size(), na = nb + nx;
  const std::uint32_t o = b.origin;
  s.enter_flows(b);
  s.enter_map(net, b);
  // Shortest labels over all arcs: their tree arcs are kept even without flow.
  shortest_labels(net, b, c, s);
  const double* fl = s.fl.data();
  const std::uint32_t* pmin = s.pmin.data();
  const std::uint32_t* link = b.link.data();
  const std::uint32_t* tail = b.tail.data();
  double* lmax = s.lmax.data();
  // The kept arcs: those with flow, and the tree arcs. A position with one arc keeps it (it is its
  // tree arc), so only a merge's arcs can be dropped: `keep` is filled for those only.
  auto& keep = s.keep;
  if (keep.size() < na) keep.resize(na);
  std::size_t dropped = 0;
  for (std::size_t x = 0; x < nx;) {
    const std::uint32_t p = b.extra_head[x];
    auto consider = [&](std::uint32_t a) {
      const bool k = fl[a] > b.eps || pmin[p] == a;
      keep[a] = k ? 1 : 0;
      dropped += k ? 0 : 1;
    };
    consider(p);
    for (; x < nx && b.extra_head[x] == p; ++x) consider(static_cast<std::uint32_t>(nb + x));
  }
  // Longest labels over the kept arcs (every node keeps at least its tree arc).
  lmax[0] = 0;
  {
    std::size_t e = 0, merge = nx > 0 ? b.extra_head[0] : nb;
    for (std::size_t p = 1; p < nb; ++p) {
      if (p != merge) {
        lmax[p] = lmax[tail[p]] + c[link[p]];
        continue;
      }
      double worst = -kInf;
      merge = merge_arcs(b, p, nb, e, [&](std::uint32_t x, std::uint32_t l, std::uint32_t t) {
        if (keep[x]) worst = std::max(worst, lmax[t] + c[l]);
      });
      lmax[p] = worst;
    }
  }
  // A kept arc of position pj with link l (a dropped one may come back as a new arc).
  auto kept_arc = [&](std::uint32_t pj, std::uint32_t l) {
    if (s.xoff[pj] == s.xoff[pj + 1]) return link[pj] == l;
    if (link[pj] == l && keep[pj]) return true;
    for (std::uint32_t e = s.xoff[pj]; e < s.xoff[pj + 1]; ++e)
      if (b.extra_link[e] == l && keep[nb + e]) return true;
    return false;
  };
  // New arcs: (head position, link, tail position).
  s.a_head.clear();
  s.a_link.clear();
  s.a_tail.clear();
  for (std::size_t q = 0; q < nb; ++q) {
    const std::uint32_t i = b.node_at(net, q);
    if (!net.passable(i, o)) continue;
    const double ui = lmax[q];
    for (std::uint32_t e = net.out_offset[i]; e < net.out_offset[i + 1]; ++e) {
      const std::int32_t pj = s.pos[star.head[e]];
      if (pj <= 0) continue;  // the origin, or unreachable
      if (ui + star.cost[e] < lmax[pj] && !kept_arc(static_cast<std::uint32_t>(pj), net.out_link[e])) {
        s.a_head.push_back(static_cast<std::uint32_t>(pj));
        s.a_link.push_back(net.out_link[e]);
        s.a_tail.push_back(static_cast<std::uint32_t>(q));
      }
    }
  }
  const std::size_t added = s.a_link.size();
  if (dropped == 0 && added == 0) {
    s.leave_flows(b);
    s.leave_map(net, b);
    return;
  }

  // New topological order: by (U, old position); identity when nothing was added.
  auto& perm = s.perm;  // new position -> old position
  perm.resize(nb);
  std::iota(perm.begin(), perm.end(), 0u);
  if (added > 0)
    std::stable_sort(perm.begin() + 1, perm.end(), [lmax](std::uint32_t x, std::uint32_t y) { return lmax[x] < lmax[y]; });
  auto& np = s.new_pos;  // old position -> new position
  np.resize(nb);
  for (std::uint32_t q = 0; q < nb; ++q) np[perm[q]] = q;
  // New arcs grouped by old head position, in the order they were found.
  auto& off = s.new_off;
  off.assign(nb + 1, 0);
  for (std::uint32_t h : s.a_head) ++off[h + 1];
  for (std::size_t q = 0; q < nb; ++q) off[q + 1] += off[q];
  auto& fill = s.new_fill;
  fill.assign(off.begin(), off.end() - 1);
  s.a_order.resize(added);
  for (std::uint32_t k = 0; k < added; ++k) s.a_order[fill[s.a_head[k]]++] = k;

  // Each new position's arcs: its kept arcs (old order), then its new arcs; the first is its first
  // arc. Built in the scratch buffers, then copied into the bush's own vectors (no allocation when
  // their sizes do not grow).
  auto& nlink = s.r_link;
  auto& ntail = s.r_tail;
  auto& xhead = s.r_xhead;
  auto& xlink = s.r_xlink;
  auto& xtail = s.r_xtail;
  auto& used = s.r_used;
  auto& used_x = s.r_used_x;
  auto& flow = s.r_flow;
  auto& flow_x = s.r_flow_x;
  nlink.resize(nb);
  ntail.resize(nb);
  nlink[0] = ntail[0] = kNone;
  xhead.clear();
  xlink.clear();
  xtail.clear();
  used.clear();
  used_x.clear();
  flow.clear();
  flow_x.clear();
  for (std::uint32_t q = 1; q < nb; ++q) {
    const std::uint32_t p = perm[q];
    bool first = true;
    auto put = [&](std::uint32_t l, std::uint32_t t, double f) {
      if (first) {
        nlink[q] = l;
        ntail[q] = t;
        first = false;
        if (f != 0) {
          used.push_back(q);
          flow.push_back(f);
        }
      } else {
        const auto at = static_cast<std::uint32_t>(xlink.size());
        xhead.push_back(q);
        xlink.push_back(l);
        xtail.push_back(t);
        if (f != 0) {
          used_x.push_back(static_cast<std::uint32_t>(nb) + at);
          flow_x.push_back(f);
        }
      }
    };
    if (s.xoff[p] == s.xoff[p + 1]) {
      put(link[p], np[tail[p]], fl[p] > b.eps ? fl[p] : 0.0);
    } else {
      auto old = [&](std::uint32_t a) {
        if (keep[a]) put(b.link_of(a), np[b.tail_of(a)], fl[a] > b.eps ? fl[a] : 0.0);
      };
      old(p);
      for (std::uint32_t e = s.xoff[p]; e < s.xoff[p + 1]; ++e) old(static_cast<std::uint32_t>(nb + e));
    }
    for (std::uint32_t k = off[p]; k < off[p + 1]; ++k) {
      const std::uint32_t n = s.a_order[k];
      put(s.a_link[n], np[s.a_tail[n]], 0.0);
    }
  }
  s.leave_flows(b);
  s.leave_map(net, b);
  for (auto& dp : b.dest_pos) dp = np[dp];
  b.link.assign(nlink.begin(), nlink.end());
  b.tail.assign(ntail.begin(), ntail.end());
  b.extra_head.assign(xhead.begin(), xhead.end());
  b.extra_link.assign(xlink.begin(), xlink.end());
  b.extra_tail.assign(xtail.begin(), xtail.end());
  b.used.assign(used.begin(), used.end());
  b.used.insert(b.used.end(), used_x.begin(), used_x.end());
  b.used_flow.assign(flow.begin(), flow.end());
  b.used_flow.insert(b.used_flow.end(), flow_x.begin(), flow_x.end());
}

// Warm start: origin `k`'s new demand spread over its bush from an earlier solve. In reverse
// topological order, each node's flow goes to its incoming arcs in the proportions the old flow
// had there; a node the old flow did not pass gets it on its shortest predecessor at `costs` (the
// earlier solve's final costs). The bush, its order and its arcs stay as they were.
void warm_bush(const Network& net, const Demand& dm, std::size_t k, const std::vector<double>& costs, Bush& b,
               Scratch& s) {
  const std::uint32_t o = dm.origin[k];
  const std::size_t nb = b.size();
  s.enter_flows(b);
  s.enter_map(net, b);
  shortest_labels(net, b, costs, s);  // s.pmin: the shortest predecessor arc of every position
  double total = 0;
  for (std::uint32_t i = dm.offset[k]; i < dm.offset[k + 1]; ++i) total += dm.trips[i];
  const double old_eps = b.eps;
  b.eps = 1e-12 * total;
  b.excess = kInf;
  b.sp_total = 0;
  b.dest_pos.clear();
  s.node_flow.assign(nb, 0.0);
  for (std::uint32_t i = dm.offset[k]; i < dm.offset[k + 1]; ++i) {
    const std::int32_t p = s.pos[dm.dest[i]];
    if (p < 0) {
      s.leave_flows(b);
      s.leave_map(net, b);
      detail::unreachable(net, o, dm.dest[i]);
    }
    b.dest_pos.push_back(static_cast<std::uint32_t>(p));
    s.node_flow[static_cast<std::size_t>(p)] += dm.trips[i];
  }
  auto& flow = s.fl2;  // the new arc flows
  for (std::size_t p = nb; p-- > 1;) {
    const double f = s.node_flow[p];
    if (f == 0) continue;
    double in = 0;
    auto inflow = [&](std::uint32_t a) {
      if (s.fl[a] > old_eps) in += s.fl[a];
    };
    inflow(static_cast<std::uint32_t>(p));
    for (std::uint32_t e = s.xoff[p]; e < s.xoff[p + 1]; ++e) inflow(static_cast<std::uint32_t>(nb + e));
    if (in > 0) {
      auto split = [&](std::uint32_t a) {
        if (!(s.fl[a] > old_eps)) return;
        const double g = f * (s.fl[a] / in);
        flow[a] += g;
        s.node_flow[b.tail_of(a)] += g;
      };
      split(static_cast<std::uint32_t>(p));
      for (std::uint32_t e = s.xoff[p]; e < s.xoff[p + 1]; ++e) split(static_cast<std::uint32_t>(nb + e));
    } else {
      const std::uint32_t a = s.pmin[p];
      flow[a] += f;
      s.node_flow[b.tail_of(a)] += f;
    }
  }
  s.leave_flows(b);
  s.leave_map(net, b);
  b.used.clear();
  b.used_flow.clear();
  const std::size_t na = nb + b.extra_link.size();
  for (std::uint32_t a = 1; a < na; ++a)
    if (flow[a] != 0) {
      b.used.push_back(a);
      b.used_flow.push_back(flow[a]);
      flow[a] = 0;
    }
}

// Origin k's exact shortest-path total, bit for bit the value a Dijkstra (shortest_paths())
// gives, from its bush: the bush's shortest labels, then one sweep over the network's links
// (u, v) out of the bush's passable nodes; where lmin[u] + c_uv < lmin[v] (as computed), v's
// label is lowered and corrected onwards Dijkstra-style from a heap seeded with those nodes only.
// Why the result equals the Dijkstra's distances D exactly, for costs >= 0 (fl: a rounded sum):
// (1) every label is fl(label[u] + c_uv) along some walk from the origin, and D[v] <=
// fl(D[u] + c_uv) on every link (a node settled later has a distance at least as large, and
// fl(d + c) >= d), so by induction along the walk D <= label (fl is monotone); (2) at the end no
// link violates label[v] <= fl(label[u] + c_uv), so by induction along Dijkstra's tree from the
// origin label <= D. Returns the total (trips times labels, in the demand's order, as the
// Dijkstra's total is summed) and sets `repaired` when any label was lowered. Near equilibrium
// the bushes hold almost every shortest path, so the sweep costs less than a Dijkstra.
double bush_exact_total(const Network& net, const Demand& dm, std::size_t k, const Bush& b,
                        const std::vector<double>& c, Scratch& s, bool& repaired) {
  s.enter_map(net, b);
  shortest_labels(net, b, c, s);
  const std::uint32_t o = b.origin;
  auto& heap = s.sp.heap;  // (label, position)
  heap.clear();
  const auto cmp = std::greater<std::pair<double, std::uint32_t>>();
  for (std::size_t p = 1; p < b.size(); ++p) {
    const std::uint32_t v = b.node_at(net, p);
    for (std::uint32_t e = net.in_offset[v]; e < net.in_offset[v + 1]; ++e) {
      const std::uint32_t l = net.in_link[e];
      const std::uint32_t u = net.tail[l];
      const std::int32_t pu = s.pos[u];
      if (pu < 0 || !net.passable(u, o)) continue;
      const double nd = s.lmin[static_cast<std::size_t>(pu)] + c[l];
      if (nd < s.lmin[p]) {
        s.lmin[p] = nd;
        heap.emplace_back(nd, static_cast<std::uint32_t>(p));
        std::push_heap(heap.begin(), heap.end(), cmp);
      }
    }
  }
  repaired = !heap.empty();
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), cmp);
    const auto [d, p] = heap.back();
    heap.pop_back();
    if (d > s.lmin[p]) continue;
    const std::uint32_t u = b.node_at(net, p);
    if (!net.passable(u, o)) continue;
    for (std::uint32_t e = net.out_offset[u]; e < net.out_offset[u + 1]; ++e) {
      const std::uint32_t l = net.out_link[e];
      const std::int32_t pw = s.pos[net.head[l]];
      if (pw <= 0) continue;  // the origin (never lowered: costs >= 0)
      const double nd = d + c[l];
      if (nd < s.lmin[static_cast<std::size_t>(pw)]) {
        s.lmin[static_cast<std::size_t>(pw)] = nd;
        heap.emplace_back(nd, static_cast<std::uint32_t>(pw));
        std::push_heap(heap.begin(), heap.end(), cmp);
      }
    }
  }
  double total = 0;
  const double* trips = dm.trips.data() + dm.offset[k];
  for (std::size_t i = 0; i < b.dest_pos.size(); ++i) total += trips[i] * s.lmin[b.dest_pos[i]];
  s.leave_map(net, b);
  return total;
}

// The exact gap check, stopped as soon as it cannot pass. SPTT = sum over origins of their exact
// shortest-path totals, each at most the origin's bush total (a bush path is a network path), so
// after the origins done so far SPTT <= U = sum_done exact + sum_rest bush. When even U gives a
// gap above the target, so does SPTT: the check fails without the remaining origins' totals.
// Where the bushes miss is learnt: `missed` keeps, per origin, the share of its bush total that
// its exact total was below at its last check (-1: never checked). Origins go in decreasing order
// of their expected miss (bush total times that share, or times the mean share of the checked
// origins), in chunks of 16 origins, then a quarter of those done, each chunk in parallel. When
// the check is not stopped, every origin is done and SPTT is summed in origin order: the value
// (and so the decision and the whole solve) is bit-identical to a full shortest_path_total().
struct ExactCheck {
  bool done = false;
  double sptt = 0;  // done: the exact SPTT; stopped: the bound U, whose gap is below the exact one and above the target
  std::size_t certified = 0, corrected = 0, dijkstra = 0;  // origins: bush labels exact / corrected / a Dijkstra
};
ExactCheck exact_sptt_or_fail(const Network& net, const Demand& dm, const std::vector<double>& costs,
                              const std::vector<Bush>& bushes, double tstt, double target, std::vector<double>& missed,
                              std::vector<double>& per_origin, tbb::enumerable_thread_specific<Scratch>& tls) {
  // The certificate needs costs >= 0 (the input limits guarantee it; checked anyway).
  const bool certify = std::all_of(costs.begin(), costs.end(), [](double v) { return v >= 0; });
  std::vector<std::uint8_t> certified(bushes.size(), 0), corrected(bushes.size(), 0), dijkstra(bushes.size(), 0);
  const std::size_t nz = bushes.size();
  std::vector<std::uint32_t> order(nz);
  std::iota(order.begin(), order.end(), 0u);
  double known_missed = 0, known_total = 0;
  for (std::size_t k = 0; k < nz; ++k)
    if (missed[k] >= 0) {
      known_missed += missed[k] * bushes[k].sp_total;
      known_total += bushes[k].sp_total;
    }
  const double mean_share = known_total > 0 ? known_missed / known_total : 1.0;
  std::vector<double> expect(nz);
  for (std::size_t k = 0; k < nz; ++k) expect[k] = (missed[k] >= 0 ? missed[k] : mean_share) * bushes[k].sp_total;
  std::stable_sort(order.begin(), order.end(), [&](std::uint32_t x, std::uint32_t y) { return expect[x] > expect[y]; });
  per_origin.assign(nz, 0.0);
  double upper = 0;  // U over the origins done so far, plus the bush totals of the rest
  for (const Bush& b : bushes) upper += b.sp_total;
  std::size_t done = 0, chunk = 16;
  while (done < nz) {
    const std::size_t end = std::min(nz, done + chunk);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(done, end, 1), [&](const auto& r) {
      auto& sc = tls.local();
      auto& ws = sc.sp;
      for (std::size_t i = r.begin(); i < r.end(); ++i) {
        const std::size_t k = order[i];
        const Bush& b = bushes[k];
        double s = 0;
        if (certify) {
          bool repaired = false;
          s = bush_exact_total(net, dm, k, b, costs, sc, repaired);
          (repaired ? corrected : certified)[k] = 1;
        } else {
          const std::uint32_t o = dm.origin[k];
          shortest_paths(net, costs.data(), o, ws);
          dijkstra[k] = 1;
          for (std::uint32_t e = dm.offset[k]; e < dm.offset[k + 1]; ++e) {
            const double dist = ws.dist[dm.dest[e]];
            if (dist == kInf) detail::unreachable(net, o, dm.dest[e]);
            s += dm.trips[e] * dist;
          }
        }
        per_origin[k] = s;
        const double miss = std::max(0.0, bushes[k].sp_total - s);
        missed[k] = bushes[k].sp_total > 0 ? miss / bushes[k].sp_total : 0.0;
        expect[k] = miss;
      }
    });
    for (std::size_t i = done; i < end; ++i) upper -= expect[order[i]];  // in `order`: the same for any thread count
    done = end;
    chunk = std::max<std::size_t>(16, done / 4);
    // Stop when the gap at U, with a margin far above the rounding of these sums (1e-10 relative,
    // against about 1e-16 per term), is still above the target.
    const double u = upper * (1 + 1e-10);
    if (done < nz && u > 0 && (tstt - u) / u > target) break;
  }
  ExactCheck out;
  for (std::size_t k = 0; k < nz; ++k) {
    out.certified += certified[k];
    out.corrected += corrected[k];
    out.dijkstra += dijkstra[k];
  }
  if (done < nz) {
    out.sptt = upper * (1 + 1e-10);
    return out;
  }
  out.done = true;
  for (double v : per_origin) out.sptt += v;  // origin order, as shortest_path_total()
  return out;
}

}  // namespace

// The network a warm start fits: same nodes, zones and links (costs may differ).
struct WarmStart::State {
  std::uint32_t node_count = 0, first_thru = 0;
  std::vector<std::uint32_t> tail, head;
  std::vector<double> cost;            // link costs at the end of the solve that made the bushes
  std::vector<std::uint32_t> origin;   // per bush: its origin node, ascending
  std::vector<Bush> bushes;

  bool fits(const Network& net) const {
    return node_count == net.node_count && first_thru == net.first_thru && tail == net.tail && head == net.head;
  }
};

WarmStart::WarmStart() = default;
WarmStart::~WarmStart() = default;
WarmStart::WarmStart(WarmStart&&) noexcept = default;
WarmStart& WarmStart::operator=(WarmStart&&) noexcept = default;
void WarmStart::clear() { state.reset(); }

std::size_t flow_batch(const Options& opt, const Network& net, std::size_t origins) {
  if (opt.flow_batch >= 0) return static_cast<std::size_t>(opt.flow_batch);
  // Serial below 5e7 origins x links (Berlin Center: 2.5e7; docs/traffic.md, "Flow update in
  // batches"); batches of 16 origins above.
  return static_cast<double>(origins) * net.link_count() >= 5e7 ? 16 : 0;
}

Result assign_bush(const Network& net, const Demand& dm, const Options& opt, WarmStart* warm_start) {
  using clock = std::chrono::steady_clock;
  auto seconds = [](clock::time_point a) { return std::chrono::duration<double>(clock::now() - a).count(); };
  const auto t_init = clock::now();
  const std::uint32_t m = net.link_count();
  const std::size_t nz = dm.origin_count();
  State st(net);
  std::vector<Bush> bushes(nz);
  Star star(net);
  tbb::enumerable_thread_specific<Scratch> tls([&] {
    Scratch s;
    s.size_for(net);
    return s;
  });
  // Warm start: each origin that had a bush takes it over (origins are ascending in both).
  std::vector<std::uint8_t> warm(nz, 0);
  // Taken out of `warm_start` first: if this solve throws, it is left empty, never half moved.
  std::unique_ptr<WarmStart::State> taken = warm_start != nullptr ? std::move(warm_start->state) : nullptr;
  WarmStart::State* old = taken && taken->fits(net) ? taken.get() : nullptr;
  if (old != nullptr)
    for (std::size_t k = 0, j = 0; k < nz; ++k) {
      while (j < old->origin.size() && old->origin[j] < dm.origin[k]) ++j;
      if (j < old->origin.size() && old->origin[j] == dm.origin[k]) {
        bushes[k] = std::move(old->bushes[j]);
        warm[k] = 1;
      }
    }
  tbb::parallel_for(std::size_t{0}, nz, [&](std::size_t k) {
    if (warm[k])
      warm_bush(net, dm, k, old->cost, bushes[k], tls.local());
    else
      init_bush(net, dm, k, st.c, bushes[k], tls.local());
  });
  auto recompute_flows = [&] {
    std::fill(st.x.begin(), st.x.end(), 0.0);
    for (const Bush& b : bushes)
      for (std::size_t i = 0; i < b.used.size(); ++i) st.x[b.link_of(b.used[i])] += b.used_flow[i];
    for (std::uint32_t a = 0; a < m; ++a) st.refresh(a);
  };
  recompute_flows();
  Result res;
  res.demand = dm.total;
  res.intrazonal = dm.intrazonal;
  res.warm = old != nullptr && std::find(warm.begin(), warm.end(), 1) != warm.end();
  res.seconds_init = seconds(t_init);

  Scratch serial;
  serial.size_for(net);
  const std::size_t batch = flow_batch(opt, net, nz);
  res.flow_batch = batch;
  std::unique_ptr<BatchedFlows> batched = batch > 0 ? std::make_unique<BatchedFlows>(net, batch) : nullptr;
  double gap = kInf, threshold = 0;
  bool exact_last = false;  // the last iteration's gap is exact (SPTT below) for the final flows
  double exact_sptt = 0;
  const auto t_solve = clock::now();
  double gap_seconds = 0;
  std::vector<double> missed(nz, -1.0), per_origin;  // per origin: see exact_sptt_or_fail()
  for (int it = 1; it <= opt.max_iterations; ++it) {
    res.iterations = it;
    star.set_costs(net, st.c);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, nz, 1), [&](const auto& r) {
      auto& s = tls.local();
      for (std::size_t k = r.begin(); k < r.end(); ++k) update_bush(net, bushes[k], st.c, star, s);
    });
    if (!batched) {
      for (Bush& b : bushes) update_flows(b, st, serial);
      for (int pass = 0; pass < opt.inner_passes; ++pass) {
        bool any = false;
        for (Bush& b : bushes) {
          if (b.excess <= threshold) continue;
          update_flows(b, st, serial);
          any = true;
        }
        if (!any) break;
      }
    } else {
      std::vector<std::uint32_t> list(nz);
      std::iota(list.begin(), list.end(), 0u);
      batched->pass(bushes, list, st, tls, serial);
      for (int pass = 0; pass < opt.inner_passes; ++pass) {
        list.clear();
        for (std::size_t k = 0; k < nz; ++k)
          if (bushes[k].excess > threshold) list.push_back(static_cast<std::uint32_t>(k));
        if (list.empty()) break;
        batched->pass(bushes, list, st, tls, serial);
      }
    }
    recompute_flows();
    // Gap: an optimistic estimate from the bushes' own shortest paths (a bush path is never
    // shorter than the network's), then the exact one when the estimate meets the target.
    double tstt = 0;
    for (std::uint32_t a = 0; a < m; ++a) tstt += st.x[a] * st.c[a];
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, nz, 1), [&](const auto& r) {
      auto& s = tls.local();
      for (std::size_t k = r.begin(); k < r.end(); ++k) {
        Bush& b = bushes[k];
        shortest_labels(net, b, st.c, s);
        double spt = 0;
        const double* trips = dm.trips.data() + dm.offset[k];
        for (std::size_t i = 0; i < b.dest_pos.size(); ++i) spt += trips[i] * s.lmin[b.dest_pos[i]];
        b.sp_total = spt;
      }
    });
    double sp_bush = 0;
    for (const Bush& b : bushes) sp_bush += b.sp_total;  // origin order: independent of threads
    if (!std::isfinite(tstt)) detail::not_finite(net, "the total travel cost (TSTT)", tstt);
    if (!std::isfinite(sp_bush)) detail::not_finite(net, "the total shortest-path cost (SPTT)", sp_bush);
    // SPTT is 0 only when every trip has a path of zero cost; the gap is then 0 (as in evaluate()).
    double estimate = sp_bush > 0 ? (tstt - sp_bush) / sp_bush : 0.0;
    gap = estimate;
    exact_last = false;
    // The exact gap only when the estimate meets the target (the estimate is never above it), and
    // then stopped as soon as it cannot meet it.
    if (estimate <= opt.gap) {
      const auto tg = clock::now();
      ++res.exact_checks;
      const ExactCheck check = exact_sptt_or_fail(net, dm, st.c, bushes, tstt, opt.gap, missed, per_origin, tls);
      res.exact_origins_certified += check.certified;
      res.exact_origins_corrected += check.corrected;
      res.exact_origins_dijkstra += check.dijkstra;
      if (check.done) {
        exact_sptt = check.sptt;
        exact_last = true;
        gap = exact_sptt > 0 ? (tstt - exact_sptt) / exact_sptt : 0.0;
      } else {
        ++res.exact_checks_stopped;
        gap = (tstt - check.sptt) / check.sptt;  // a lower bound of the exact gap, above the target
      }
      gap_seconds += seconds(tg);
    }
    threshold = 0.25 * std::max(0.0, tstt - sp_bush) / std::max(dm.total, 1e-300);
    if (opt.progress) opt.progress(it, gap);
    if (gap <= opt.gap) break;
  }
  res.seconds_solve = seconds(t_solve) - gap_seconds;
  res.seconds_gap = gap_seconds;
  res.flow = st.x;
  res.cost = st.c;
  for (const Bush& b : bushes) res.bush_arcs += b.arc_count();
  // The flows have not changed since the last exact gap, if there was one: reuse its SPTT.
  res.eval = exact_last ? detail::with_sptt(detail::link_totals(net, res.flow), exact_sptt) : evaluate(net, dm, res.flow);
  if (warm_start != nullptr) {
    auto keep = std::make_unique<WarmStart::State>();
    keep->node_count = net.node_count;
    keep->first_thru = net.first_thru;
    keep->tail = net.tail;
    keep->head = net.head;
    keep->cost = res.cost;
    keep->origin = dm.origin;
    keep->bushes = std::move(bushes);
    warm_start->state = std::move(keep);
  }
  return res;
}

}  // namespace ut::traffic
