#pragma once
// Small hand-made cities for tests.
#include <vector>

#include "graph/builder.hpp"
#include "graph/entry.hpp"

namespace ut::test {

// An n x n street grid with `spacing` metres between junctions, each street one line.
inline graph::Graph grid(int n, double spacing) {
  std::vector<graph::LineInput> lines;
  for (int i = 0; i < n; ++i) {
    graph::LineInput h, v;
    for (int j = 0; j < n; ++j) {
      h.points.push_back({j * spacing, i * spacing});
      v.points.push_back({i * spacing, j * spacing});
    }
    lines.push_back(h);
    lines.push_back(v);
  }
  return graph::build_graph(lines, {});
}

}  // namespace ut::test
