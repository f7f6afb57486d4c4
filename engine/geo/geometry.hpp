#pragma once
// Plain planar geometry in a metric CRS (metres). Geographic coordinates never reach this code
// except through Projection.
#include <cstdint>
#include <limits>
#include <vector>

namespace ut::geo {

struct Point {
  double x = 0;
  double y = 0;
  friend bool operator==(const Point&, const Point&) = default;
};

using LineString = std::vector<Point>;

// A polygon is an outer ring followed by its holes; rings are closed (first == last).
struct Polygon {
  std::vector<LineString> rings;
};
using MultiPolygon = std::vector<Polygon>;

struct BBox {
  double min_x = std::numeric_limits<double>::infinity();
  double min_y = std::numeric_limits<double>::infinity();
  double max_x = -std::numeric_limits<double>::infinity();
  double max_y = -std::numeric_limits<double>::infinity();
  void add(const Point& p);
  bool empty() const { return min_x > max_x; }
};

double distance(const Point& a, const Point& b);
double length(const LineString& line);

// Closest point on segment ab to p: returns the parameter t in [0,1] along ab.
double project_on_segment(const Point& p, const Point& a, const Point& b);

// Shoelace area of a ring (absolute value), and of polygons with holes subtracted.
double ring_area(const LineString& ring);
double area(const Polygon& poly);
double area(const MultiPolygon& mp);

// Area-weighted centroid of the outer rings (falls back to the first vertex for degenerate input).
Point centroid(const MultiPolygon& mp);

// Points every `step` metres along each ring of the polygons (at least one per ring).
std::vector<Point> boundary_samples(const MultiPolygon& mp, double step);

// Position of p on the Hilbert curve of order 16 over the box: used to number nodes so that
// nodes close in space are close in memory.
std::uint64_t hilbert_index(const Point& p, const BBox& box);

}  // namespace ut::geo
