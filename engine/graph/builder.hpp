#pragma once
#include <vector>

#include "graph/graph.hpp"

namespace ut::graph {

struct LineInput {
  geo::LineString points;
  bool forward = true;   // passable from first to last vertex
  bool backward = true;  // passable from last to first vertex
  double speed_mps = 1;  // used when the cost unit is decisecond
};

struct BuildOptions {
  CostUnit unit = CostUnit::decimetre;
  // Vertices closer than this (metres) are the same node (1 cm: coordinates of one OSM node).
  double merge_m = 0.01;
  // A dangling line end (degree 1) is joined to the nearest node of another line within this
  // distance (metres): closes the small gaps that digitising leaves at junctions.
  double snap_m = 5.0;
};

// Lines -> topology -> Hilbert-ordered CSR. Deterministic: the same lines in the same order give
// the same graph, bit for bit.
Graph build_graph(const std::vector<LineInput>& lines, const BuildOptions& options);

}  // namespace ut::graph
