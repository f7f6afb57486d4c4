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

// Bounding box of the polygons' outer rings.
BBox bbox(const MultiPolygon& mp);

// x positions where the horizontal line at y crosses the rings of the polygons, sorted: the
// line is inside between crossings 0-1, 2-3, ... (even-odd rule, holes included). A vertex
// exactly on the line counts for the edges going up from it only (half-open), so no crossing
// is counted twice. Appends to xs after clearing it.
void scanline(const MultiPolygon& mp, double y, std::vector<double>& xs);

// Even-odd containment (points on the boundary may go either way).
bool contains(const MultiPolygon& mp, const Point& p);

// Points of the square lattice {((i + 1/2) s, (j + 1/2) s)} (a grid anchored at the CRS origin,
// so neighbouring parcels share it) that lie strictly inside the polygons, row by row from the
// south, west to east. Appends to out.
void lattice_points(const MultiPolygon& mp, double spacing, std::vector<Point>& out);

// A point guaranteed inside the polygons (GEOS's PointOnSurface rule): on the horizontal line
// halfway between the two vertex heights nearest the middle of the largest polygon's box, the
// middle of the widest inside interval. Falls back to the first vertex for degenerate input.
Point point_on_surface(const MultiPolygon& mp);

// True when segments ab and cd cross at a point inside both (touching, overlapping or sharing
// an end is not crossing).
bool segments_cross(const Point& a, const Point& b, const Point& c, const Point& d);

// Position of p on the Hilbert curve of order 16 over the box: used to number nodes so that
// nodes close in space are close in memory.
std::uint64_t hilbert_index(const Point& p, const BBox& box);

}  // namespace ut::geo
