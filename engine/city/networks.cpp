#include "city/networks.hpp"

#include "graph/builder.hpp"

namespace ut::city {

graph::Graph walk_graph(const City& c) {
  std::vector<graph::LineInput> lines;
  lines.reserve(c.roads.size() + c.greenways.size());
  for (const auto& r : c.roads)
    if (r.walk) lines.push_back({r.line, true, true, 1.0});
  for (const auto& g : c.greenways) lines.push_back({g.line, true, true, 1.0});
  return graph::build_graph(lines, {graph::CostUnit::decimetre, 0.01, 5.0});
}

graph::Graph drive_graph(const City& c) {
  std::vector<graph::LineInput> lines;
  for (const auto& r : c.roads) {
    if (!r.drive) continue;
    lines.push_back({r.line, r.oneway >= 0, r.oneway <= 0, r.speed_kmh / 3.6});
  }
  return graph::build_graph(lines, {graph::CostUnit::decisecond, 0.01, 5.0});
}

}  // namespace ut::city
