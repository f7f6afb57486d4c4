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

BBox bbox(const MultiPolygon& mp) {
  BBox b;
  for (const auto& poly : mp)
    if (!poly.rings.empty())
      for (const auto& q : poly.rings[0]) b.add(q);
  return b;
}

void scanline(const MultiPolygon& mp, double y, std::vector<double>& xs) {
  xs.clear();
  for (const auto& poly : mp)
    for (const auto& ring : poly.rings)
      for (std::size_t i = 1; i < ring.size(); ++i) {
        const Point& a = ring[i - 1];
        const Point& b = ring[i];
        // Half-open in y: [min, max) so a vertex on the line is counted once.
        if ((a.y <= y) == (b.y <= y)) continue;
        xs.push_back(a.x + (y - a.y) / (b.y - a.y) * (b.x - a.x));
      }
  std::sort(xs.begin(), xs.end());
}

bool contains(const MultiPolygon& mp, const Point& p) {
  bool inside = false;
  for (const auto& poly : mp)
    for (const auto& ring : poly.rings)
      for (std::size_t i = 1; i < ring.size(); ++i) {
        const Point& a = ring[i - 1];
        const Point& b = ring[i];
        if ((a.y <= p.y) == (b.y <= p.y)) continue;
        if (p.x < a.x + (p.y - a.y) / (b.y - a.y) * (b.x - a.x)) inside = !inside;
      }
  return inside;
}

void lattice_points(const MultiPolygon& mp, double spacing, std::vector<Point>& out) {
  const BBox box = bbox(mp);
  if (box.empty() || !(spacing > 0)) return;
  std::vector<double> xs;
  const auto j0 = static_cast<std::int64_t>(std::ceil(box.min_y / spacing - 0.5));
  const auto j1 = static_cast<std::int64_t>(std::floor(box.max_y / spacing - 0.5));
  for (std::int64_t j = j0; j <= j1; ++j) {
    const double y = (static_cast<double>(j) + 0.5) * spacing;
    scanline(mp, y, xs);
    for (std::size_t k = 0; k + 1 < xs.size(); k += 2) {
      // Lattice columns strictly inside (xs[k], xs[k+1]).
      auto i = static_cast<std::int64_t>(std::floor(xs[k] / spacing - 0.5)) + 1;
      for (;; ++i) {
        const double x = (static_cast<double>(i) + 0.5) * spacing;
        if (x <= xs[k]) continue;
        if (x >= xs[k + 1]) break;
        out.push_back({x, y});
      }
    }
  }
}

Point point_on_surface(const MultiPolygon& mp) {
  const Polygon* best = nullptr;
  double best_area = -1;
  for (const auto& poly : mp) {
    const double a = area(poly);
    if (!poly.rings.empty() && poly.rings[0].size() >= 4 && a > best_area) {
      best_area = a;
      best = &poly;
    }
  }
  if (best == nullptr) {
    for (const auto& poly : mp)
      if (!poly.rings.empty() && !poly.rings[0].empty()) return poly.rings[0][0];
    return {};
  }
  const MultiPolygon one{*best};
  const BBox box = bbox(one);
  const double mid = (box.min_y + box.max_y) / 2;
  // The vertex heights nearest the middle from below (<= mid) and above (> mid).
  double lo = box.min_y, hi = box.max_y;
  for (const auto& ring : best->rings)
    for (const auto& q : ring) {
      if (q.y <= mid && q.y > lo) lo = q.y;
      if (q.y > mid && q.y < hi) hi = q.y;
    }
  const double y = (lo + hi) / 2;
  std::vector<double> xs;
  scanline(one, y, xs);
  double width = -1;
  Point p = best->rings[0][0];
  for (std::size_t k = 0; k + 1 < xs.size(); k += 2)
    if (xs[k + 1] - xs[k] > width) {
      width = xs[k + 1] - xs[k];
      p = {(xs[k] + xs[k + 1]) / 2, y};
    }
  return p;
}

bool segments_cross(const Point& a, const Point& b, const Point& c, const Point& d) {
  auto orient = [](const Point& p, const Point& q, const Point& r) {
    const double v = (q.x - p.x) * (r.y - p.y) - (q.y - p.y) * (r.x - p.x);
    return (v > 0) - (v < 0);
  };
  const int o1 = orient(a, b, c), o2 = orient(a, b, d), o3 = orient(c, d, a), o4 = orient(c, d, b);
  return o1 * o2 < 0 && o3 * o4 < 0;
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
