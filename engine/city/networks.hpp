#pragma once
// The walk and drive graphs of a city.
#include "city/city.hpp"
#include "graph/graph.hpp"

namespace ut::city {

// Pedestrian network: roads open to walking plus every greenway, both directions, cost in dm.
graph::Graph walk_graph(const City& c);
// Car network: roads open to cars, one-way rules applied, cost in 0.1 s at the road's speed.
graph::Graph drive_graph(const City& c);

}  // namespace ut::city
