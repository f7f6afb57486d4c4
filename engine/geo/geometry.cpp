#include "geo/geometry.hpp"

#include <algorithm>
#include <cmath>

namespace ut::geo {

void BBox::add(const Point& p) {
  min_x = std::min(min_x, p.x);
  min_y = std::min(min_y, p.y);
  max_x = std::max(max_x, p.x);
  max_y = std::max(max_y, p.y);
}

double distance(const Point& a, const Point& b) { return std::hypot(a.x - b.x, a.y - b.y); }

double length(const LineString& line) {
  double s = 0;
  for (std::size_t i = 1; i < line.size(); ++i) s += distance(line[i - 1], line[i]);
  return s;
}

double project_on_segment(const Point& p, const Point& a, const Point& b) {
  const double dx = b.x - a.x;
  const double dy = b.y - a.y;
  const double len2 = dx * dx + dy * dy;
  if (len2 <= 0) return 0;
  const double t = ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2;
  return std::clamp(t, 0.0, 1.0);
}

double ring_area(const LineString& ring) {
  double s = 0;
  for (std::size_t i = 1; i < ring.size(); ++i) s += ring[i - 1].x * ring[i].y - ring[i].x * ring[i - 1].y;
  return std::abs(s) / 2;
}

double area(const Polygon& poly) {
  double a = 0;
  for (std::size_t r = 0; r < poly.rings.size(); ++r) a += (r == 0 ? 1 : -1) * ring_area(poly.rings[r]);
  return a;
}

double area(const MultiPolygon& mp) {
  double a = 0;
  for (const auto& p : mp) a += area(p);
  return a;
}

Point centroid(const MultiPolygon& mp) {
  double cx = 0;
  double cy = 0;
  double total = 0;
  for (const auto& poly : mp) {
    if (poly.rings.empty()) continue;
    const auto& ring = poly.rings[0];
    for (std::size_t i = 1; i < ring.size(); ++i) {
      const double cross = ring[i - 1].x * ring[i].y - ring[i].x * ring[i - 1].y;
      cx += (ring[i - 1].x + ring[i].x) * cross;
      cy += (ring[i - 1].y + ring[i].y) * cross;
      total += cross;
    }
  }
  if (std::abs(total) < 1e-12) {
    for (const auto& poly : mp)
      if (!poly.rings.empty() && !poly.rings[0].empty()) return poly.rings[0][0];
    return {};
  }
  return {cx / (3 * total), cy / (3 * total)};
}

std::vector<Point> boundary_samples(const MultiPolygon& mp, double step) {
  std::vector<Point> out;
  for (const auto& poly : mp) {
    for (const auto& ring : poly.rings) {
      if (ring.empty()) continue;
      out.push_back(ring[0]);
      double carry = 0;  // distance walked since the last sample
      for (std::size_t i = 1; i < ring.size(); ++i) {
        const double seg = distance(ring[i - 1], ring[i]);
        double pos = step - carry;
        while (pos < seg) {
          const double t = pos / seg;
          out.push_back({ring[i - 1].x + t * (ring[i].x - ring[i - 1].x), ring[i - 1].y + t * (ring[i].y - ring[i - 1].y)});
          pos += step;
        }
        carry = seg - (pos - step);
      }
    }
  }
  return out;
}

std::uint64_t hilbert_index(const Point& p, const BBox& box) {
  constexpr std::uint32_t n = 1u << 16;
  const double w = std::max(box.max_x - box.min_x, 1e-9);
  const double h = std::max(box.max_y - box.min_y, 1e-9);
  auto cell = [&](double v, double lo, double span) {
    const double c = (v - lo) / span * (n - 1);
    return static_cast<std::uint32_t>(std::clamp(c, 0.0, static_cast<double>(n - 1)));
  };
  std::uint32_t x = cell(p.x, box.min_x, w);
  std::uint32_t y = cell(p.y, box.min_y, h);
  std::uint64_t d = 0;
  for (std::uint32_t s = n / 2; s > 0; s /= 2) {
    const std::uint32_t rx = (x & s) ? 1 : 0;
    const std::uint32_t ry = (y & s) ? 1 : 0;
    d += static_cast<std::uint64_t>(s) * s * ((3 * rx) ^ ry);
    if (ry == 0) {  // rotate the quadrant
      if (rx == 1) {
        x = n - 1 - x;
        y = n - 1 - y;
      }
      std::swap(x, y);
    }
  }
  return d;
}

}  // namespace ut::geo
