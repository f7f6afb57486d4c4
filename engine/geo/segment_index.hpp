#pragma once
// Uniform-grid index over straight segments, for "nearest usable segment to a point" queries
// (entry points of parcels and facilities on the graph).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "geo/geometry.hpp"

namespace ut::geo {

struct NearestSegment {
  std::uint32_t segment = UINT32_MAX;  // UINT32_MAX: none within the search radius
  double t = 0;                        // position along the segment, 0..1
  double distance = 0;                 // metres from the query point to the segment
  bool refused = false;                // nearest_if: a nearer segment within reach was refused
};

class SegmentIndex {
 public:
  // a[i]-b[i] is segment i. cell: grid cell size in metres.
  SegmentIndex(std::vector<Point> a, std::vector<Point> b, double cell);
  // Nearest segment within max_distance; ties broken by the lower segment index (deterministic).
  NearestSegment nearest(const Point& p, double max_distance) const;
  // Nearest segment within max_distance that `accept(segment, t, distance)` takes; segments are
  // offered nearest first (ties: lower index first), rings of cells outward from the point, so a
  // typical query looks at a handful of cells. `refused` says whether one nearer was turned down.
  template <class Accept>
  NearestSegment nearest_if(const Point& p, double max_distance, Accept&& accept) const;
  // True when some segment crosses segment ab (geo::segments_cross: touching is not crossing).
  bool any_crossing(const Point& a, const Point& b) const;
  std::size_t size() const { return a_.size(); }
  // Most grid cells an index may have (std::length_error beyond: 400 MB of cell offsets).
  static constexpr double kMaxCells = 1e8;

 private:
  std::vector<Point> a_, b_;
  BBox box_;
  double cell_;
  std::int64_t nx_ = 0, ny_ = 0;
  std::vector<std::uint32_t> cell_start_;  // CSR over cells
  std::vector<std::uint32_t> cell_items_;
  std::int64_t cx(double x) const;
  std::int64_t cy(double y) const;
};

template <class Accept>
NearestSegment SegmentIndex::nearest_if(const Point& p, double max_distance, Accept&& accept) const {
  NearestSegment out;
  if (a_.empty() || !(max_distance >= 0)) return out;
  struct Candidate {
    double d, t;  // d: squared distance
    std::uint32_t s;
  };
  const double max2 = max_distance * max_distance;
  thread_local std::vector<Candidate> pending;
  pending.clear();
  // The point's cell, not clamped: the ring argument below holds outside the grid too.
  const auto pcx = static_cast<std::int64_t>(std::floor((p.x - box_.min_x) / cell_));
  const auto pcy = static_cast<std::int64_t>(std::floor((p.y - box_.min_y) / cell_));
  const auto max_r = static_cast<std::int64_t>(std::ceil(max_distance / cell_)) + 1;
  auto scan = [&](std::int64_t x, std::int64_t y) {
    if (x < 0 || y < 0 || x >= nx_ || y >= ny_) return;
    const auto c = static_cast<std::size_t>(y * nx_ + x);
    for (std::uint32_t k = cell_start_[c]; k < cell_start_[c + 1]; ++k) {
      const std::uint32_t s = cell_items_[k];
      // Projection onto the segment and squared distance (square roots only for the answer).
      const double dx = b_[s].x - a_[s].x, dy = b_[s].y - a_[s].y, len2 = dx * dx + dy * dy;
      const double t = len2 > 0 ? std::clamp(((p.x - a_[s].x) * dx + (p.y - a_[s].y) * dy) / len2, 0.0, 1.0) : 0.0;
      const double ex = a_[s].x + t * dx - p.x, ey = a_[s].y + t * dy - p.y, d2 = ex * ex + ey * ey;
      if (d2 <= max2) pending.push_back({d2, t, s});
    }
  };
  std::size_t done = 0;  // pending[0, done) already offered
  for (std::int64_t r = 0; r <= max_r; ++r) {
    if (r == 0) {
      scan(pcx, pcy);
    } else {
      for (std::int64_t x = pcx - r; x <= pcx + r; ++x) {
        scan(x, pcy - r);
        scan(x, pcy + r);
      }
      for (std::int64_t y = pcy - r + 1; y <= pcy + r - 1; ++y) {
        scan(pcx - r, y);
        scan(pcx + r, y);
      }
    }
    // Segments not seen yet touch no cell within ring r, so they are at least as far as the
    // nearest side of that block of cells.
    const double bx0 = box_.min_x + static_cast<double>(pcx - r) * cell_, bx1 = box_.min_x + static_cast<double>(pcx + r + 1) * cell_;
    const double by0 = box_.min_y + static_cast<double>(pcy - r) * cell_, by1 = box_.min_y + static_cast<double>(pcy + r + 1) * cell_;
    const double safe = r == max_r ? max_distance : std::min(std::min(p.x - bx0, bx1 - p.x), std::min(p.y - by0, by1 - p.y));
    const double safe2 = safe * safe;
    std::sort(pending.begin() + static_cast<std::ptrdiff_t>(done), pending.end(),
              [](const Candidate& x, const Candidate& y) { return x.d < y.d || (x.d == y.d && x.s < y.s); });
    while (done < pending.size() && (pending[done].d < safe2 || r == max_r)) {
      const Candidate& c = pending[done++];
      bool again = false;  // a segment spans several cells: offer it once
      for (std::size_t i = 0; i + 1 < done && !again; ++i) again = pending[i].s == c.s;
      if (again) continue;
      const double d = std::sqrt(c.d);
      if (accept(c.s, c.t, d)) {
        out.segment = c.s;
        out.t = c.t;
        out.distance = d;
        return out;
      }
      out.refused = true;
    }
  }
  return out;
}

}  // namespace ut::geo
