#pragma once
#include <string>
#include <vector>

#include "graph/graph.hpp"

namespace ut::graph {

// Structural checks of a graph; each problem found is one readable line (empty: valid).
std::vector<std::string> validate(const Graph& g);

}  // namespace ut::graph
