#pragma once
// Entry points: where a parcel or facility meets the graph. A point attaches to the nearest
// usable edge; the distance along that edge to either end node counts, plus the access leg
// (straight line from the feature to the edge).
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "geo/segment_index.hpp"
#include "graph/dijkstra.hpp"
#include "graph/graph.hpp"

namespace ut::graph {

struct EntryPoint {
  std::uint32_t edge = kUnreached;
  std::uint32_t u = 0, v = 0;
  std::uint32_t u_to_point = kUnreached;  // cost from node u along the edge to the point
  std::uint32_t v_to_point = kUnreached;
  std::uint32_t point_to_u = kUnreached;  // cost from the point along the edge to node u
  std::uint32_t point_to_v = kUnreached;
  std::uint32_t leg = 0;                  // cost of the access leg (0 on driving graphs)
  float leg_m = 0;                        // access leg in metres, for reporting
  bool blocked = false;                   // not attached: every street within reach is behind a barrier
};

// Weakly connected parts of a graph, numbered by their lowest edge. Parts shorter in total than
// a minimum length are data gaps (a service road inside a compound, a footway digitised on its
// own), not islands people live on: they are not `usable` for attaching homes and sites.
struct Parts {
  std::vector<std::uint32_t> edge_part;  // per edge
  std::vector<double> length_m;          // per part: total edge length
  std::vector<bool> usable;              // per edge: its part is at least the minimum length
  std::size_t fragments = 0;             // parts below the minimum
  double fragment_length_m = 0;          // their total length
};
Parts network_parts(const Graph& g, double min_total_m);

// Edges of the largest (weakly) connected component: digitised fragments that touch nothing
// (a footway inside a compound, a service road ending short of the street) are no place to enter
// the network from.
std::vector<bool> largest_component_edges(const Graph& g);

class EdgeLocator {
 public:
  // Attaches to the edges whose mask entry is true (all edges when the mask is empty).
  explicit EdgeLocator(const Graph& g, const std::vector<bool>& mask = {});
  // Nearest edge within max_m metres, or nullopt.
  std::optional<EntryPoint> attach(const geo::Point& p, double max_m) const;
  // Nearest edge within max_m metres whose access leg (the straight line from p to the edge)
  // crosses no barrier segment; unattached (edge == kUnreached) otherwise, with `blocked` set
  // when a nearer edge was refused because of a barrier. barriers may be null.
  EntryPoint attach(const geo::Point& p, double max_m, const geo::SegmentIndex* barriers) const;
  // attach() for many points, in parallel; out[i] belongs to points[i].
  std::vector<EntryPoint> attach_all(std::span<const geo::Point> points, double max_m,
                                     const geo::SegmentIndex* barriers) const;

 private:
  const Graph& g_;
  std::unique_ptr<geo::SegmentIndex> index_;
  std::vector<std::uint32_t> edge_of_;  // index position -> edge id
  EntryPoint entry(std::uint32_t segment, double t, double distance) const;
};

// Seeds of a search that starts at this point (a facility).
void append_seeds(const EntryPoint& e, std::vector<Seed>& seeds);

// Cost from the nearest source to this point (a home point) given node costs; kUnreached if none.
std::uint32_t reach(const EntryPoint& e, const std::uint32_t* dist);

// Cost from `from` (a site) straight along the edge the two share to `to` (a home point), legs
// included; kUnreached when they are on different edges or the edge is closed that way. Together
// with reach() this makes a home and a site on one long street segment meet directly, not only
// through the segment's end nodes.
std::uint32_t along_edge(const EntryPoint& from, const EntryPoint& to);

}  // namespace ut::graph
